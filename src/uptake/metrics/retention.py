"""Retention: of the users (or accounts) who started in a period, how many came back later."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal, assert_never

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from uptake.definitions import Definitions, EventSelector
from uptake.metrics.filters import with_breakdown
from uptake.metrics.milestones import first_times
from uptake.metrics.periods import Period, WeekStart, next_period, period_starts
from uptake.metrics.selection import activity_rows
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.tables import Tables

CohortType = Literal["first_time", "recurring"]
RetentionCriterion = Literal["on", "on_or_after"]


def period_index(day: ir.DateValue, origin: dt.date, period: Period) -> ir.IntegerValue:
    """How many whole periods `day` lies after the period starting at `origin` (0 for a day in
    that period). `origin` must be a period start and `day` must not be before it."""
    start = ibis.date(origin.isoformat())
    match period:
        case "day":
            return day.delta(start, unit="day")
        case "week":
            # `origin` is a week start, so whole weeks are whole multiples of 7 days from it.
            return day.delta(start, unit="day") // 7
        case "month":
            # Calendar arithmetic instead of delta(unit="month"): engines differ on how they
            # count partial months, while year/month parts are the same everywhere.
            return (day.year() - origin.year) * 12 + (day.month() - origin.month)
        case _:
            assert_never(period)


def cell_spine(
    date_from: dt.date, date_to: dt.date, period: Period, week_start: WeekStart, periods: int
) -> ibis.Table:
    """Rows (cohort, cohort_index, period): every reported cell of the triangle. Cohorts are
    the periods overlapping the range; cell k of a cohort exists when it starts on or before
    `date_to` and k <= `periods`."""
    starts = period_starts(date_from, date_to, period, week_start)
    cells = [
        (start, i, k)
        for i, start in enumerate(starts)
        for k in range(periods + 1)
        if i + k < len(starts)
    ]
    return ibis.memtable(
        {
            "cohort": [c[0] for c in cells],
            "cohort_index": [c[1] for c in cells],
            "period": [c[2] for c in cells],
        },
        schema={"cohort": "date", "cohort_index": "int64", "period": "int64"},
    )


class Retention(MetricSpec):
    """Cohort retention, as PostHog defines it.

    Each user (or account) joins the cohort of a period by doing a start event in it:
    first_time puts it only in the period of its first-ever start event (someone whose first
    start event is before `from` is in no cohort); recurring puts it in every period of the
    range in which it did a start event. Period 0 of a cohort is its size; period k >= 1
    counts members who did a return event in the k-th period after the cohort's period
    (retention "on"), or in that period or any later one up to `to` ("on_or_after"). Cells
    whose period starts after `to` are not reported. Rows with is_mean = true (cohort null)
    give, per period k, the weighted mean over the cohorts whose period k is reported.
    """

    title: ClassVar[str] = "Cohort retention: who comes back in the periods after starting"

    kind: Literal["retention"] = "retention"
    cohort: CohortType = Field(
        default="first_time",
        description="first_time: the period of each one's first-ever start event; recurring: "
        "every period with a start event.",
    )
    retention: RetentionCriterion = Field(
        default="on",
        description="on: returned in period k; on_or_after: in period k or any later one up "
        "to `to` (cumulative).",
    )
    periods: int = Field(
        default=8, ge=1, le=52, description="Periods reported after period 0 (1-52)."
    )
    start_events: list[str] | None = Field(
        default=None,
        description="Start event names or glob patterns; default (None with no start_feature): "
        "the workspace's activity events.",
    )
    start_feature: str | None = Field(
        default=None, description="Use a workspace feature's events as the start event."
    )
    return_events: list[str] | None = Field(
        default=None,
        description="Return event names or glob patterns; default (None with no "
        "return_feature): the workspace's activity events.",
    )
    return_feature: str | None = Field(
        default=None, description="Use a workspace feature's events as the return event."
    )

    @model_validator(mode="after")
    def _event_choices(self) -> Retention:
        for role in ("start", "return"):
            events = getattr(self, f"{role}_events")
            feature = getattr(self, f"{role}_feature")
            if events is not None and feature is not None:
                raise ValueError(f"give `{role}_events` or `{role}_feature`, not both")
            if events is not None and not events:
                raise ValueError(
                    f"`{role}_events` must not be empty (leave it out for activity events)"
                )
        return self

    def start_selector(self, definitions: Definitions) -> EventSelector | None:
        """The start events; None means the workspace's activity events."""
        choice = EventChoice(events=self.start_events, feature=self.start_feature)
        return choice.selector(definitions)

    def return_selector(self, definitions: Definitions) -> EventSelector | None:
        """The return events; None means the workspace's activity events."""
        choice = EventChoice(events=self.return_events, feature=self.return_feature)
        return choice.selector(definitions)

    def warnings(self, table: pa.Table) -> list[str]:
        """Caveats about periods cut by the range: a first cohort missing its days before `from`,
        and last cells that count returns only up to `to` (they may still grow)."""
        out: list[str] = []
        if table.num_rows == 0:
            return out
        first, last = pc.min(table["cohort"]).as_py(), pc.max(table["cohort"]).as_py()
        if first is not None and first < self.date_from:
            out.append(
                f"The first {self.period} (from {first}) starts before `from` ({self.date_from}): "
                f"its cohort holds only start events from {self.date_from} on."
            )
        day_after = self.date_to + dt.timedelta(days=1)
        if last is not None and next_period(last, self.period) > day_after:
            out.append(
                f"The last {self.period} (from {last}) ends after `to` ({self.date_to}): its "
                "cells count return events up to `to` only and may still grow."
            )
        return out

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (cohort, [breakdown], cohort_size, period, retained, retention_rate, is_mean),
        ordered by cohort (mean rows last), breakdown, period."""
        week_start = self.resolved_week_start(tables.definitions)
        origin = period_starts(self.date_from, self.date_to, self.period, week_start)[0]
        by = ["breakdown"] if self.breakdown else []
        starts = self._start_periods(tables, origin)
        members = with_breakdown(starts, tables, self.unit, self.breakdown)
        returns = self._return_periods(tables, origin, starts)
        spine = cell_spine(self.date_from, self.date_to, self.period, week_start, self.periods)
        if by:
            spine = spine.cross_join(members.select(*by).distinct())
        sizes = members.group_by(["cohort_index", *by]).agg(cohort_size=members.count())
        counts = self._counts(members, returns, by)
        cells = self._cells(spine, sizes, counts, by)
        return self._with_mean(cells, by)

    def _start_periods(self, tables: Tables, origin: dt.date) -> ibis.Table:
        """Rows (entity, cohort_index), one per entity and cohort it belongs to."""
        selector = self.start_selector(tables.definitions)
        match self.cohort:
            case "first_time":
                # First-ever start event over all history, then kept only if inside the range:
                # someone who started before `from` is in no cohort.
                firsts = first_times(tables, self.unit, selector, self.filters)
                day = firsts.first_at.date()
                firsts = firsts.filter(
                    day >= ibis.date(self.date_from.isoformat()),
                    day <= ibis.date(self.date_to.isoformat()),
                )
                return firsts.select("entity", cohort_index=period_index(day, origin, self.period))
            case "recurring":
                rows = activity_rows(
                    tables, self.unit, selector, self.filters, self.date_from, self.date_to
                )
                return rows.select(
                    "entity", cohort_index=period_index(rows.day, origin, self.period)
                ).distinct()
            case _:
                assert_never(self.cohort)

    def _return_periods(self, tables: Tables, origin: dt.date, starts: ibis.Table) -> ibis.Table:
        """Rows (entity, return_index): periods after the first cohort's in which the entity
        did a return event, up to `to`. Distinct for "on"; "on_or_after" only needs the last
        one per entity, so rows may repeat there (a distinct would cost more than it saves)."""
        selector = self.return_selector(tables.definitions)
        if self.cohort == "recurring" and selector == self.start_selector(tables.definitions):
            # Same events for both: the return periods are the start periods after the first,
            # so the rollup is scanned and made distinct once, not twice.
            later = starts.filter(starts.cohort_index >= 1)
            return later.select("entity", return_index=later.cohort_index)
        # Period 0 is defined by the start event alone, so return events only matter from the
        # period after the earliest cohort's.
        after_first = next_period(origin, self.period)
        rows = activity_rows(tables, self.unit, selector, self.filters, after_first, self.date_to)
        periods = rows.select("entity", return_index=period_index(rows.day, origin, self.period))
        return periods.distinct() if self.retention == "on" else periods

    def _counts(self, members: ibis.Table, returns: ibis.Table, by: list[str]) -> ibis.Table:
        """Rows (cohort_index, [breakdown], period, returned): for "on", members who returned
        in period k; for "on_or_after", members whose LAST return was in period k (capped at
        `periods`), which `_cells` turns into a running total from the right."""
        match self.retention:
            case "on":
                joined = members.join(returns, "entity")
                k = joined.return_index - joined.cohort_index
                hits = joined.filter(k >= 1, k <= self.periods).mutate(period=k)
            case "on_or_after":
                # One row per entity (its last return), so the join never multiplies rows.
                last = returns.group_by("entity").agg(last_index=returns.return_index.max())
                joined = members.join(last, "entity")
                k = joined.last_index - joined.cohort_index
                hits = joined.filter(k >= 1).mutate(
                    period=ibis.cases((k > self.periods, self.periods), else_=k)
                )
            case _:
                assert_never(self.retention)
        # Each (entity, cohort) pair appears at most once per k, so a plain count is distinct.
        return hits.group_by(["cohort_index", *by, "period"]).agg(returned=hits.count())

    def _cells(
        self, spine: ibis.Table, sizes: ibis.Table, counts: ibis.Table, by: list[str]
    ) -> ibis.Table:
        """Rows (cohort, [breakdown], cohort_size, period, retained) for every spine cell."""
        keys = ["cohort_index", *by]
        # One chain of joins, each value read from its own table (no renamed keys to drop).
        spine, sizes, counts = spine.view(), sizes.view(), counts.view()
        joined = spine.left_join(sizes, [spine[c] == sizes[c] for c in keys]).left_join(
            counts, [spine[c] == counts[c] for c in [*keys, "period"]]
        )
        cells = joined.select(
            spine.cohort,
            *[spine[c] for c in keys],
            spine.period,
            size=sizes.cohort_size.fill_null(0).cast("int64"),
            returned=counts.returned.fill_null(0).cast("int64"),
        )
        returned = cells.returned
        if self.retention == "on_or_after":
            # Retained in k = members whose last return is in k or later.
            later = ibis.window(group_by=keys, order_by="period", rows=(0, None))
            returned = returned.sum().over(later).cast("int64")
        return cells.select(
            "cohort",
            *by,
            cohort_size=cells.size,
            period=cells.period,
            retained=ibis.cases((cells.period == 0, cells.size), else_=returned),
        )

    def _with_mean(self, cells: ibis.Table, by: list[str]) -> ibis.Table:
        """Cohort rows plus, per [breakdown] and period k, the weighted mean row: retained and
        sizes summed over the cohorts whose period k is reported."""
        sums = cells.group_by([*by, "period"]).agg(
            cohort_size=cells.cohort_size.sum().cast("int64"),
            retained=cells.retained.sum().cast("int64"),
        )
        columns = ["cohort", *by, "cohort_size", "period", "retained", "is_mean"]
        mean = sums.mutate(cohort=ibis.null("date"), is_mean=ibis.literal(True)).select(*columns)
        rows = ibis.union(cells.mutate(is_mean=ibis.literal(False)).select(*columns), mean)
        rows = rows.mutate(
            retention_rate=rows.retained.cast("float64") / rows.cohort_size.nullif(0)
        )
        rows = rows.select(
            "cohort", *by, "cohort_size", "period", "retained", "retention_rate", "is_mean"
        )
        return rows.order_by(["is_mean", "cohort", *by, "period"])
