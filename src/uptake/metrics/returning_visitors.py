"""Returning visitors: of the users (or accounts) active in a period, how many were active
before it."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis

from uptake.metrics.filters import with_breakdown
from uptake.metrics.milestones import first_times
from uptake.metrics.periods import bucket
from uptake.metrics.ratios import ratio
from uptake.metrics.selection import activity_rows
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.spine import fill_periods, period_spine
from uptake.metrics.tables import Tables


class ReturningVisitors(EventChoice, MetricSpec):
    """Visitors per period and the share of them who had been active before the period.

    visitors: users (or accounts) doing one of the chosen events (default: activity) in the
    period. returning_visitors: those of them whose first such event is before the period's
    first day inside the range; history before `from` counts, so a visitor seen last year is
    returning in the first period. new_visitors = visitors - returning_visitors.
    returning_visitor_rate is a fraction 0-1; None when a period has no visitors.
    """

    title: ClassVar[str] = "Visitors per period and the share who had been active before"

    kind: Literal["returning_visitors"] = "returning_visitors"

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], visitors, returning_visitors, new_visitors,
        returning_visitor_rate)."""
        week_start = self.resolved_week_start(tables.definitions)
        spine = period_spine(self.date_from, self.date_to, self.period, week_start)
        selector = self.selector(tables.definitions)
        by = ["breakdown"] if self.breakdown else []
        rows = activity_rows(
            tables, self.unit, selector, self.filters, self.date_from, self.date_to
        )
        rows = with_breakdown(rows, tables, self.unit, self.breakdown)
        rows = rows.mutate(period=bucket(rows.day, self.period, week_start))
        visits = rows.select("period", "entity", *by).distinct()
        # First time ever, read from the first-seen rollup: one row per entity, whatever the
        # length of its history before `from`.
        first = first_times(tables, self.unit, selector, self.filters)
        joined = visits.left_join(first, "entity")
        window_start = ibis.greatest(joined.period, ibis.date(self.date_from.isoformat()))
        returning = joined.first_at.date() < window_start
        values = joined.group_by(["period", *by]).agg(
            visitors=joined.count(), returning_visitors=joined.count(where=returning)
        )
        filled = fill_periods(values, spine, ["visitors", "returning_visitors"], by)
        out = filled.mutate(
            new_visitors=filled.visitors - filled.returning_visitors,
            returning_visitor_rate=ratio(filled.returning_visitors, filled.visitors),
        )
        return out.order_by(["period", *by])
