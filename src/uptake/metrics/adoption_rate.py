"""Adoption rates: new adopters of the product or a feature over all users, and new actives over
the month's signups ("product adoption rate"), both as percents."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field

from uptake.metrics.filters import with_breakdown
from uptake.metrics.milestones import first_times, signup_times
from uptake.metrics.period_counts import count_by_period
from uptake.metrics.periods import Period
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.spine import period_frame, period_spine
from uptake.metrics.tables import Tables


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
