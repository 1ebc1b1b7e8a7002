"""Adoption rates: new adopters of the product or a feature over all users, and new actives over
the month's signups ("product adoption rate"), both as percents."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field

from uptake.definitions import EventSelector
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


def _firsts_and_signups(
    spec: MetricSpec, tables: Tables, selector: EventSelector | None
) -> tuple[ibis.Table, list[str]]:
    """Per period (and breakdown value), entities doing the selected events (None: any
    activity) for the first time ever (`new`, `cumulative`) beside entities signing up
    (`new_right`, `cumulative_right`); and the breakdown columns."""
    week_start = spec.resolved_week_start(tables.definitions)
    spine = period_spine(spec.date_from, spec.date_to, spec.period, week_start)
    by = _by(spec.breakdown)
    firsts = first_times(tables, spec.unit, selector, spec.filters)
    firsts = with_breakdown(
        firsts.select("entity", at=firsts.first_at), tables, spec.unit, spec.breakdown
    )
    signed = signup_times(tables, spec.unit, spec.filters)
    signups = with_breakdown(
        signed.select("entity", at=signed.signed_up_at), tables, spec.unit, spec.breakdown
    )
    frame = period_frame(spine, by, firsts, signups)
    span = (spec.date_from, spec.date_to, spec.period, week_start)
    firsts_per_period = count_by_period(firsts, frame, by, *span)
    signups_per_period = count_by_period(signups, frame, by, *span)
    return firsts_per_period.join(signups_per_period, ["period", *by]), by


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
        j, by = _firsts_and_signups(self, tables, self.selector(tables.definitions))
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
        j, by = _firsts_and_signups(self, tables, None)
        out = j.select(
            "period",
            *by,
            new_active=j.new,
            signups=j.new_right,
            product_adoption_rate_percent=percent(j.new, j.new_right),
        )
        return out.order_by(["period", *by])
