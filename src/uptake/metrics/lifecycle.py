"""Lifecycle: new, returning, resurrecting and dormant users or accounts per period (PostHog)."""

from __future__ import annotations

from typing import ClassVar, Literal, assert_never

import ibis
from pydantic import Field

from uptake.definitions import EventSelector
from uptake.metrics.filters import with_breakdown
from uptake.metrics.milestones import first_times, signup_times
from uptake.metrics.periods import (
    WeekStart,
    period_number,
    period_start,
    previous_period_start,
)
from uptake.metrics.selection import activity_rows
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.spine import fill_periods, numbered_spine
from uptake.metrics.tables import Tables

NewBy = Literal["first_event", "signup"]
Status = Literal["new", "returning", "resurrecting", "dormant"]
STATUSES: tuple[Status, ...] = ("new", "returning", "resurrecting", "dormant")


class Lifecycle(EventChoice, MetricSpec):
    """Who is active each period, split by how they got there; dormant is counted negative.

    Activity is per whole period (the first period counts its days before `from`; the last one
    ends at `to`), and the period before the first one counts as history. For each period:

    - new: active, not active the period before, and first seen this period (first ever chosen
      event, all history; or signup with new_by='signup').
    - returning: active this period and the one before.
    - resurrecting: active, not active the period before, and not new.
    - dormant: active the period before but not this one, as a negative count.
    """

    title: ClassVar[str] = "New, returning, resurrecting and dormant users or accounts per period"

    kind: Literal["lifecycle"] = "lifecycle"
    new_by: NewBy = Field(
        default="first_event",
        description="What makes someone new: first_event (first ever chosen event) or signup "
        "(profile created_at / account started_at, else first event of any kind).",
    )

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], status, count): four statuses per period, dormant <= 0."""
        week_start = self.resolved_week_start(tables.definitions)
        first = period_start(self.date_from, self.period, week_start)
        before = previous_period_start(first, self.period, week_start)
        selector = self.selector(tables.definitions)
        by = ["breakdown"] if self.breakdown else []

        rows = activity_rows(tables, self.unit, selector, self.filters, before, self.date_to)
        number = period_number(rows.day, self.period, week_start)
        active = rows.select("entity", number=number).distinct()
        active = with_breakdown(active, tables, self.unit, self.breakdown)
        starts = self._new_periods(tables, selector, week_start)
        joined = active.left_join(starts, active.entity == starts.entity)
        joined = joined.select(*[joined[c] for c in active.columns], joined.new_number)

        # One pass over the (entity, period) rows: the entity's previous active period tells
        # whether it was active in the period just before this one.
        prev = joined.number.lag().over(ibis.window(group_by="entity", order_by="number"))
        flagged = joined.mutate(
            was_active=(prev == joined.number - 1).fill_null(False),
            is_new=(joined.new_number == joined.number).fill_null(False),
        )
        values = flagged.group_by(["number", *by]).agg(
            active=flagged.count(),
            returning=flagged.count(where=flagged.was_active),
            new=flagged.count(where=~flagged.was_active & flagged.is_new),
        )
        columns = ["active", "returning", "new"]
        spine = numbered_spine(before, self.date_to, self.period, week_start)
        filled = fill_periods(values, spine, columns, by, on="number")

        # Dormant(p) = active(p-1) - returning(p): everyone active last period who did not come
        # back. Computed on the small per-period table, so no anti-join over entities.
        last_active = filled.active.lag().over(ibis.window(group_by=by or None, order_by="period"))
        per_period = filled.mutate(
            resurrecting=filled.active - filled.returning - filled.new,
            dormant=filled.returning - last_active,
        )
        per_period = per_period.filter(per_period.period >= ibis.date(first.isoformat()))
        return _by_status(per_period, by)

    def _new_periods(
        self, tables: Tables, selector: EventSelector | None, week_start: WeekStart
    ) -> ibis.Table:
        """Rows (entity, new_number): the period number each entity counts as new in."""
        match self.new_by:
            case "first_event":
                firsts = first_times(tables, self.unit, selector, self.filters)
                when = firsts.first_at
            case "signup":
                firsts = signup_times(tables, self.unit, self.filters)
                when = firsts.signed_up_at
            case _:
                assert_never(self.new_by)
        return firsts.select("entity", new_number=period_number(when, self.period, week_start))


def _by_status(per_period: ibis.Table, by: list[str]) -> ibis.Table:
    """One row per (period, [breakdown], status), statuses in the order of STATUSES."""
    statuses = ibis.memtable({"status": list(STATUSES)}, schema={"status": "string"})
    rows = per_period.cross_join(statuses)
    count = ibis.cases(
        (rows.status == "new", rows.new),
        (rows.status == "returning", rows.returning),
        (rows.status == "resurrecting", rows.resurrecting),
        else_=rows.dormant,
    )
    out = rows.select("period", *by, "status", count=count.cast("int64"))
    rank = ibis.cases(*[(out.status == s, i) for i, s in enumerate(STATUSES)])
    return out.order_by(["period", *by, rank])
