"""Adoption rates: new adopters of the product or a feature over all users, and new actives over
the month's signups ("product adoption rate"), both as percents."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field

from uptake.metrics.filters import with_breakdown
from uptake.metrics.milestones import first_times, signup_times
from uptake.metrics.periods import Period, WeekStart, bucket
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.spine import period_spine
from uptake.metrics.tables import Tables


def period_frame(spine: ibis.Table, by: list[str], *sources: ibis.Table) -> ibis.Table:
    """Rows (period, *by): every period of the spine crossed with every `by` combination seen in
    any of `sources` (just the periods when `by` is empty)."""
    frame = spine.select("period")
    if not by:
        return frame
    keys = ibis.union(*(s.select(*by) for s in sources), distinct=True)
    return frame.cross_join(keys)


def count_by_period(
    rows: ibis.Table,
    frame: ibis.Table,
    by: list[str],
    date_from: dt.date,
    date_to: dt.date,
    period: Period,
    week_start: WeekStart,
) -> ibis.Table:
    """Rows (period, *by, new, cumulative) for each row of `frame`, from rows (entity, at, *by):
    `new` counts entities whose `at` falls in the period and in [date_from, date_to];
    `cumulative` counts those whose `at` is on or before the period's last day inside the range
    (all history before `date_from` included)."""
    day = rows.at.date()
    start = ibis.date(date_from.isoformat())
    # Entities before the range seed the running total; a window sum then adds each period's
    # new ones, so no period x entity cross join is needed.
    prior = (
        rows.group_by(by).agg(prior=rows.entity.nunique(where=day < start))
        if by
        else rows.aggregate(prior=rows.entity.nunique(where=day < start))
    )
    inside = rows.filter(day >= start, day <= ibis.date(date_to.isoformat()))
    inside = inside.mutate(period=bucket(inside.at.date(), period, week_start))
    new = inside.group_by(["period", *by]).agg(new=inside.entity.nunique())

    joined = frame.left_join(new, [frame.period == new.period, *[frame[c] == new[c] for c in by]])
    counted = joined.select(joined.period, *[joined[c] for c in by], new=joined.new.fill_null(0))
    if by:
        seeded = counted.left_join(prior, [counted[c] == prior[c] for c in by])
        seeded = seeded.select(
            seeded.period, *[seeded[c] for c in by], seeded.new,
            prior=seeded.prior.fill_null(0),
        )  # fmt: skip
    else:
        seeded = counted.cross_join(prior)
    running = seeded.new.sum().over(
        ibis.window(group_by=by or None, order_by="period", rows=(None, 0))
    )
    return seeded.select("period", *by, "new", cumulative=(seeded.prior + running).cast("int64"))


def percent(part: ir.NumericValue, whole: ir.NumericValue) -> ir.FloatingValue:
    """100 x part / whole; null when `whole` is 0 (no base to compare with)."""
    return part.cast("float64") * 100.0 / whole.nullif(0).cast("float64")


def _by(breakdown: str | None) -> list[str]:
    return ["breakdown"] if breakdown else []


class AdoptionRate(EventChoice, MetricSpec):
    """New adopters of the product (the activity events) or of a feature / events, per period,
    as a percent of all users known by the period's end.

    - new_adopters: users (or accounts) whose first-ever use falls in the period (history before
      `from` counts: someone who used it before the range is never new again).
    - total_users: users (or accounts) signed up on or before the period's last day inside the
      range (profile date, else first event of any kind).
    - adoption_rate_percent: new_adopters / total_users x 100 (null when total_users is 0).
    - cumulative_adopters: users whose first use is on or before the period's last day.
    - cumulative_adoption_percent: cumulative_adopters / total_users x 100.
    """

    title: ClassVar[str] = "New adopters of the product or a feature as a percent of all users"

    kind: Literal["adoption_rate"] = "adoption_rate"

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], new_adopters, cumulative_adopters, total_users,
        adoption_rate_percent, cumulative_adoption_percent)."""
        week_start = self.resolved_week_start(tables.definitions)
        spine = period_spine(self.date_from, self.date_to, self.period, week_start)
        by = _by(self.breakdown)
        firsts = first_times(tables, self.unit, self.selector(tables.definitions), self.filters)
        adopters = with_breakdown(
            firsts.select("entity", at=firsts.first_at), tables, self.unit, self.breakdown
        )
        signups = signup_times(tables, self.unit, self.filters)
        users = with_breakdown(
            signups.select("entity", at=signups.signed_up_at), tables, self.unit, self.breakdown
        )
        frame = period_frame(spine, by, adopters, users)
        span = (self.date_from, self.date_to, self.period, week_start)
        a = count_by_period(adopters, frame, by, *span)
        u = count_by_period(users, frame, by, *span)
        j = a.join(u, ["period", *by])
        out = j.select(
            "period",
            *by,
            new_adopters=j.new,
            cumulative_adopters=j.cumulative,
            total_users=j.cumulative_right,
            adoption_rate_percent=percent(j.new, j.cumulative_right),
            cumulative_adoption_percent=percent(j.cumulative, j.cumulative_right),
        )
        return out.order_by(["period", *by])


class ProductAdoptionRate(MetricSpec):
    """New active users (first-ever activity in the period) per signup of the period, x 100.

    - new_active: users (or accounts) whose first-ever activity event falls in the period.
    - signups: users (or accounts) whose signup (profile date, else first event) falls in it.
    - product_adoption_rate_percent: new_active / signups x 100; null when no one signed up.
      It can exceed 100: people who signed up in an earlier period and first became active in
      this one count as new actives here but as signups there.
    """

    title: ClassVar[str] = "Product adoption rate: new active users / signups x 100"

    kind: Literal["product_adoption_rate"] = "product_adoption_rate"
    period: Period = Field(default="month", description="Bucket size: day, week or month.")

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], new_active, signups, product_adoption_rate_percent)."""
        week_start = self.resolved_week_start(tables.definitions)
        spine = period_spine(self.date_from, self.date_to, self.period, week_start)
        by = _by(self.breakdown)
        firsts = first_times(tables, self.unit, None, self.filters)
        active = with_breakdown(
            firsts.select("entity", at=firsts.first_at), tables, self.unit, self.breakdown
        )
        signed = signup_times(tables, self.unit, self.filters)
        signups = with_breakdown(
            signed.select("entity", at=signed.signed_up_at), tables, self.unit, self.breakdown
        )
        frame = period_frame(spine, by, active, signups)
        span = (self.date_from, self.date_to, self.period, week_start)
        a = count_by_period(active, frame, by, *span)
        s = count_by_period(signups, frame, by, *span)
        j = a.join(s, ["period", *by])
        out = j.select(
            "period",
            *by,
            new_active=j.new,
            signups=j.new_right,
            product_adoption_rate_percent=percent(j.new, j.new_right),
        )
        return out.order_by(["period", *by])
