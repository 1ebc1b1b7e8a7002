"""Account KPIs read from the accounts table: lead conversion, churn rate and renewal rate.

Accounts carry one date per milestone (`created_at` = known since, as a lead; `started_at` =
customer since; `renewal_at`; `churned_at`), so these metrics count accounts whose milestone
falls in each period of [from, to]. A period cut by `from` or `to` covers only its days inside
the range.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field, field_validator

from uptake.definitions import Filter
from uptake.metrics.filters import entity_filters, with_breakdown
from uptake.metrics.periods import bucket
from uptake.metrics.ratios import ratio
from uptake.metrics.spec import MetricSpec
from uptake.metrics.spine import fill_periods, period_spine
from uptake.metrics.tables import Tables

ChurnWeight = Literal["accounts", "mrr"]


def _date(value: dt.date) -> ir.DateValue:
    return ibis.date(value.isoformat())


class AccountMetric(MetricSpec):
    """Base of the metrics that count accounts from the accounts table (not from events)."""

    breakdown_namespaces: ClassVar[tuple[str, ...]] = ("account",)

    unit: Literal["account"] = Field(
        default="account", description="Always account: these metrics count customer accounts."
    )

    @field_validator("unit", mode="before")
    @classmethod
    def _accounts_only(cls, v: Any) -> Any:
        if v != "account":
            raise ValueError(f"this metric counts accounts, so unit must be 'account' (got {v!r})")
        return v

    @field_validator("filters")
    @classmethod
    def _account_filters_only(cls, v: list[Filter]) -> list[Filter]:
        for f in v:
            if f.namespace != "account" or f.key is None:
                raise ValueError(
                    f"{f.property!r}: this metric reads accounts, so filter on account.<key> "
                    "properties only"
                )
        return v

    def accounts(self, tables: Tables) -> ibis.Table:
        """Accounts passing the filters, with a `breakdown` column when one is asked for."""
        accounts = entity_filters(tables.accounts, self.filters, tables)
        rows = accounts.mutate(entity=accounts.account_id)
        rows = with_breakdown(rows, tables, "account", self.breakdown)
        return rows.drop("entity")

    def windows(self, tables: Tables) -> ibis.Table:
        """The period spine with `window_start`: the period's first day inside the range."""
        spine = period_spine(
            self.date_from, self.date_to, self.period, self.resolved_week_start(tables.definitions)
        )
        return spine.mutate(window_start=ibis.greatest(spine.period, _date(self.date_from)))

    def by(self) -> list[str]:
        """Grouping columns besides the period."""
        return ["breakdown"] if self.breakdown else []


class LeadConversion(AccountMetric):
    """Lead-to-customer conversion of the accounts created (as leads) in each period.

    leads: accounts whose `created_at` falls in the period. converted: those of them whose
    `started_at` (customer since) is on or before `to`, and, with `within_days`, at most that
    many days (exact time) after `created_at`. A conversion is credited to the period the lead
    was created in, not the one it converted in. Accounts without `created_at` are not leads.
    conversion_rate_percent = converted / leads x 100 (0-100); None when there are no leads.
    """

    title: ClassVar[str] = "Leads created per period and the share that became customers (%)"

    kind: Literal["lead_conversion"] = "lead_conversion"
    within_days: int | None = Field(
        default=None,
        ge=0,
        description="Count a lead as converted only if it started within this many days of "
        "being created (exact time); None: any time up to `to`.",
    )

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], leads, converted, conversion_rate_percent)."""
        by = self.by()
        spine = self.windows(tables)
        week_start = self.resolved_week_start(tables.definitions)
        acc = self.accounts(tables)
        created = acc.created_at.date()
        leads = acc.filter(created >= _date(self.date_from), created <= _date(self.date_to))
        leads = leads.mutate(period=bucket(leads.created_at, self.period, week_start))
        converted = leads.started_at.notnull() & (leads.started_at.date() <= _date(self.date_to))
        if self.within_days is not None:
            deadline = leads.created_at + ibis.interval(days=self.within_days)
            converted = converted & (leads.started_at <= deadline)
        values = leads.group_by(["period", *by]).agg(
            leads=leads.count(), converted=leads.count(where=converted)
        )
        filled = fill_periods(values, spine, ["leads", "converted"], by)
        out = filled.mutate(conversion_rate_percent=ratio(filled.converted, filled.leads) * 100.0)
        return out.order_by(["period", *by])


class ChurnRate(AccountMetric):
    """Share of the customers at the start of each period that churned during it.

    customers_at_start: accounts with `started_at` before the period's first day (in range) and
    not churned before it. churned: those of them whose `churned_at` falls in the period.
    new_customers_churned: accounts that both started and churned within the period; they are
    reported but left out of the rate, as they were not customers at its start (this keeps the
    rate within 0-1). With weight='mrr' the rate is revenue churn: churned_mrr / mrr_at_start,
    using each account's recorded `mrr` (one value per account; null counts as 0).
    churn_rate is a fraction 0-1; None when there were no customers (or no MRR) at the start.
    """

    title: ClassVar[str] = "Customers (or MRR) at the start of each period that churned in it"

    kind: Literal["churn_rate"] = "churn_rate"
    weight: ChurnWeight = Field(
        default="accounts", description="accounts: customer churn; mrr: revenue (MRR) churn."
    )

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], customers_at_start, churned, new_customers_churned,
        [mrr_at_start, churned_mrr,] churn_rate)."""
        by = self.by()
        spine = self.windows(tables)
        acc = self.accounts(tables)
        customers = acc.filter(acc.started_at.notnull())
        # Every customer against every period: accounts number in the thousands and periods in
        # the tens, and each period needs the state of every account at its start.
        grid = customers.cross_join(spine.select("period", "period_end", "window_start"))
        started = grid.started_at.date()
        churned = grid.churned_at.date()
        start, end = grid.window_start, grid.period_end
        at_start = (started < start) & (churned.isnull() | (churned >= start))
        churned_in = at_start & churned.notnull() & (churned <= end)
        in_window = (started >= start) & (started <= end)
        new_churned = in_window & churned.notnull() & (churned >= start) & (churned <= end)
        counts = ["customers_at_start", "churned", "new_customers_churned"]
        aggs: dict[str, ir.Value] = {
            "customers_at_start": grid.count(where=at_start),
            "churned": grid.count(where=churned_in),
            "new_customers_churned": grid.count(where=new_churned),
        }
        if self.weight == "mrr":
            counts += ["mrr_at_start", "churned_mrr"]
            mrr = grid.mrr.fill_null(0.0)
            aggs["mrr_at_start"] = mrr.sum(where=at_start)
            aggs["churned_mrr"] = mrr.sum(where=churned_in)
        values = grid.group_by(["period", *by]).agg(**aggs)
        filled = fill_periods(values, spine, counts, by)
        match self.weight:
            case "accounts":
                rate = ratio(filled.churned, filled.customers_at_start)
            case "mrr":
                rate = ratio(filled.churned_mrr, filled.mrr_at_start)
        return filled.mutate(churn_rate=rate).order_by(["period", *by])


class RenewalRate(AccountMetric):
    """Share of the accounts up for renewal in each period that renewed.

    up_for_renewal: accounts whose `renewal_at` falls in the period. renewed: those not churned
    on or before the renewal date (by UTC date: a churn any time on the renewal day counts as
    not renewed). Each account has one `renewal_at` (its next or latest renewal), so past
    renewals overwritten by a later date are not counted. renewal_rate is a fraction 0-1;
    None when no account was up for renewal.
    """

    title: ClassVar[str] = "Accounts up for renewal per period and the share that renewed"

    kind: Literal["renewal_rate"] = "renewal_rate"

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], up_for_renewal, renewed, renewal_rate)."""
        by = self.by()
        spine = self.windows(tables)
        week_start = self.resolved_week_start(tables.definitions)
        acc = self.accounts(tables)
        renewal = acc.renewal_at.date()
        due = acc.filter(renewal >= _date(self.date_from), renewal <= _date(self.date_to))
        due = due.mutate(period=bucket(due.renewal_at, self.period, week_start))
        renewed = due.churned_at.isnull() | (due.churned_at.date() > due.renewal_at.date())
        values = due.group_by(["period", *by]).agg(
            up_for_renewal=due.count(), renewed=due.count(where=renewed)
        )
        filled = fill_periods(values, spine, ["up_for_renewal", "renewed"], by)
        out = filled.mutate(renewal_rate=ratio(filled.renewed, filled.up_for_renewal))
        return out.order_by(["period", *by])
