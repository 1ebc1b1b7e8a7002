"""Stickiness: how many periods of the range each user or account was active in (PostHog), and
the DAU/WAU or DAU/MAU ratio."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field

from uptake.metrics.filters import with_breakdown
from uptake.metrics.periods import period_number, period_starts
from uptake.metrics.selection import activity_rows
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.spine import fill_periods, numbered_spine
from uptake.metrics.tables import Tables


class Stickiness(EventChoice, MetricSpec):
    """How many users (or accounts) were active in exactly n periods of the range, n = 1..N.

    The range [from, to] is cut into `period` buckets (N = buckets overlapping the range; the
    first and last may be partial). An entity is active in a bucket when it did a chosen event
    on one of the bucket's days inside the range. With cumulative, row n counts entities active
    in n or more buckets. `share` divides by every entity active at least once in the range
    (per breakdown value); it is None when nobody was active.
    """

    title: ClassVar[str] = "Users or accounts by number of active periods in the range"

    kind: Literal["stickiness"] = "stickiness"
    cumulative: bool = Field(
        default=False, description="Count entities active in n or more periods, not exactly n."
    )

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (active_periods, [breakdown], entities, share), every n from 1 to N."""
        week_start = self.resolved_week_start(tables.definitions)
        selector = self.selector(tables.definitions)
        by = ["breakdown"] if self.breakdown else []
        rows = activity_rows(
            tables, self.unit, selector, self.filters, self.date_from, self.date_to
        )
        # Only the number of distinct periods matters; days need no arithmetic to be told apart.
        match self.period:
            case "day":
                number: ir.Value = rows.day
            case "week" | "month":
                number = period_number(rows.day, self.period, week_start)
        per_entity = rows.group_by("entity").agg(active_periods=number.nunique())
        # The breakdown joins after the reduction to one row per entity: the smallest table.
        per_entity = with_breakdown(per_entity, tables, self.unit, self.breakdown)
        counts = per_entity.group_by(["active_periods", *by]).agg(entities=per_entity.count())

        buckets = len(period_starts(self.date_from, self.date_to, self.period, week_start))
        frame = ibis.memtable(
            {"active_periods": list(range(1, buckets + 1))}, schema={"active_periods": "int64"}
        )
        if by:
            frame = frame.cross_join(counts.select(*by).distinct())
        conds = [frame.active_periods == counts.active_periods]
        conds += [frame[c] == counts[c] for c in by]
        joined = frame.left_join(counts, conds)
        filled = joined.select(
            frame.active_periods, *[frame[c] for c in by],
            entities=joined.entities.fill_null(0).cast("int64"),
        )  # fmt: skip

        group = by or None
        everyone = filled.entities.sum().over(ibis.window(group_by=group))
        entities = filled.entities
        if self.cumulative:
            # n or more: a running sum from n to the largest n.
            entities = entities.sum().over(
                ibis.window(group_by=group, order_by="active_periods", rows=(0, None))
            )
        out = filled.select(
            "active_periods",
            *by,
            entities=entities.cast("int64"),
            share=entities.cast("float64") / everyone.nullif(0).cast("float64"),
        )
        return out.order_by(["active_periods", *by])


class StickinessRatio(EventChoice, MetricSpec):
    """DAU/WAU (period='week') or DAU/MAU (period='month') per period.

    average_daily_active is the mean of the daily distinct active entities over the period's
    days inside the range (days without activity count as 0); active is the distinct entities
    active on those same days; ratio = average_daily_active / active, between 1/days and 1, and
    None when nobody was active in the period.
    """

    title: ClassVar[str] = "DAU/WAU or DAU/MAU stickiness ratio per period"

    kind: Literal["stickiness_ratio"] = "stickiness_ratio"
    period: Literal["week", "month"] = Field(
        default="month", description="week gives DAU/WAU, month gives DAU/MAU."
    )

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], average_daily_active, active, ratio)."""
        week_start = self.resolved_week_start(tables.definitions)
        selector = self.selector(tables.definitions)
        by = ["breakdown"] if self.breakdown else []
        rows = activity_rows(
            tables, self.unit, selector, self.filters, self.date_from, self.date_to
        )
        days = rows.select("entity", "day").distinct()
        # Summing daily uniques over a period is counting its (entity, day) pairs, so one
        # count per (entity, period) gives both the numerator and the distinct actives.
        days = days.mutate(number=period_number(days.day, self.period, week_start))
        per_entity = days.group_by(["entity", "number"]).agg(active_days=days.count())
        per_entity = with_breakdown(per_entity, tables, self.unit, self.breakdown)
        values = per_entity.group_by(["number", *by]).agg(
            entity_days=per_entity.active_days.sum(), active=per_entity.count()
        )
        spine = numbered_spine(self.date_from, self.date_to, self.period, week_start)
        filled = fill_periods(values, spine, ["entity_days", "active"], by, on="number")
        joined = filled.join(spine, filled.period == spine.period)
        average = joined.entity_days.cast("float64") / joined.days.cast("float64")
        out = joined.select(
            filled.period,
            *[filled[c] for c in by],
            average_daily_active=average,
            active=joined.active.cast("int64"),
            ratio=average / joined.active.nullif(0).cast("float64"),
        )
        return out.order_by(["period", *by])
