"""Launch impact: how an outcome changed after a feature's launch for those who adopted it,
against those who did not (difference in differences)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar, Literal

import ibis
import pyarrow as pa
from pydantic import Field, field_validator, model_validator

from uptake.definitions import EventSelector
from uptake.errors import SpecError
from uptake.metrics.selection import activity_rows
from uptake.metrics.spec import MetricSpec
from uptake.metrics.tables import Tables
from uptake.models.difference_in_differences import GroupChanges, difference_in_differences

Outcome = Literal["active_days", "events", "kpi"]

ADOPTERS = "adopters"
NON_ADOPTERS = "non_adopters"
# Adopters with no activity in the before window: counted, but left out of the comparison.
NEW_ADOPTERS = "new_adopters"

# Fewer units than this in a group make the interval wide and the estimate fragile.
FEW_UNITS = 10

_FACTS = b"uptake.launch_impact"

SELF_SELECTION = (
    "Adopters chose to adopt: they may have been busier, keener or differently placed before "
    "the launch, and the difference in differences assumes both groups would otherwise have "
    "changed alike. Read it as correlation, not as the effect of the feature."
)

_OUTPUT = pa.schema(
    [
        ("group", pa.string()),
        ("units", pa.int64()),
        ("before", pa.float64()),
        ("after", pa.float64()),
        ("change", pa.float64()),
        ("change_sd", pa.float64()),
    ]
)


class LaunchImpact(MetricSpec):
    """Difference in differences around a feature's launch.

    Launch day L: `launch_date`, else the feature's released_at. Windows, in whole UTC days:
    before = the `window_days` days before L; after = the `window_days` days after L. The
    launch day itself is in neither (a partial day, and the launch's own burst). Comparison
    units are those active (the activity definition) in the before window: adopters used the
    feature from L to the end of the after window; non-adopters did not. Adopters not active
    before are counted (`new_adopters` in the summary) but left out: their "before" would be
    zero by absence. Outcome per unit and week (window_days / 7 weeks): active_days (days
    active), events (activity events) or kpi (the named KPI's events).

    Rows: group (adopters, non_adopters), units, before and after (mean outcome per unit-week),
    change (mean of each unit's after - before) and change_sd (their sample standard
    deviation). The summary's did = change of adopters - change of non-adopters, with a Welch
    interval at `confidence` and its p-value. The after window must end by `to`; `from`,
    `period` and `breakdown` are not used.
    """

    title: ClassVar[str] = "Launch impact: adopters vs non-adopters before and after a launch"
    breakdown_namespaces: ClassVar[tuple[str, ...]] = ()

    kind: Literal["launch_impact"] = "launch_impact"
    date_from: dt.date | None = Field(  # type: ignore[assignment]
        default=None, alias="from", description="Not used: the windows follow the launch day."
    )
    feature: str = Field(description="Workspace feature whose users are the adopters (required).")
    launch_date: dt.date | None = Field(
        default=None, description="Launch day (UTC); None = the feature's released_at."
    )
    outcome: Outcome = Field(
        default="active_days", description="active_days | events | kpi (per unit-week)"
    )
    kpi: str | None = Field(default=None, description="With outcome=kpi: the KPI's name.")
    window_days: int = Field(
        default=28, ge=7, le=365, description="Days before and after the launch day compared."
    )
    confidence: float = Field(
        default=0.95, gt=0, lt=1, description="Confidence level of did_low / did_high."
    )

    @field_validator("breakdown")
    @classmethod
    def _breakdown_ref(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError("launch_impact has no breakdown: narrow the units with `filters`")
        return v

    @model_validator(mode="after")
    def _range(self) -> LaunchImpact:
        # Replaces the base check: `from` is not used here, so only a given one can be wrong.
        if self.date_from is not None and self.date_to < self.date_from:
            raise ValueError(f"`to` ({self.date_to}) is before `from` ({self.date_from})")
        return self

    @model_validator(mode="after")
    def _kpi_with_outcome(self) -> LaunchImpact:
        if self.outcome == "kpi" and self.kpi is None:
            raise ValueError("outcome='kpi' needs `kpi`: the name of a [[kpis]] entry")
        if self.outcome != "kpi" and self.kpi is not None:
            raise ValueError("`kpi` only applies to outcome='kpi'")
        return self

    def launch_day(self, tables: Tables) -> dt.date:
        """The launch day; SpecError for an unknown feature, no date, or an after window that
        ends after `to`."""
        try:
            feature = tables.definitions.feature(self.feature)
        except KeyError as exc:
            raise SpecError(str(exc.args[0])) from None
        launch = self.launch_date or feature.released_at
        if launch is None:
            raise SpecError(
                f"feature {self.feature!r} has no released_at: give `launch_date` (YYYY-MM-DD)"
            )
        ends = launch + dt.timedelta(days=self.window_days)
        if ends > self.date_to:
            raise SpecError(
                f"the after window ends on {ends}, after `to` ({self.date_to}): choose a later "
                f"`to`, an earlier launch or fewer window_days (the window must be complete)"
            )
        return launch

    def _outcome_selector(self, tables: Tables) -> EventSelector | None:
        if self.kpi is None:
            return None
        try:
            return tables.definitions.kpi(self.kpi)
        except KeyError as exc:
            raise SpecError(str(exc.args[0])) from None

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (group, units, before, after, change, change_sd, launch_day) for adopters,
        new_adopters and non_adopters (every group, zero units included); `finish` sets
        new_adopters and the launch day aside for the summary."""
        launch = self.launch_day(tables)
        first = launch - dt.timedelta(days=self.window_days)
        last = launch + dt.timedelta(days=self.window_days)
        weeks = self.window_days / 7

        activity = activity_rows(tables, self.unit, None, self.filters, first, last)
        active_before = activity.filter(activity.day < ibis.date(launch.isoformat()))
        present = active_before.select("entity").distinct()

        feature = tables.definitions.feature(self.feature)
        used = activity_rows(tables, self.unit, feature, self.filters, launch, last)
        adopters = used.select(adopter=used.entity).distinct()

        rows = activity
        if self.outcome == "kpi":
            rows = activity_rows(
                tables, self.unit, self._outcome_selector(tables), self.filters, first, last
            )
        launch_day = ibis.date(launch.isoformat())
        if self.outcome == "active_days":
            # A day counts once however many events (and, for accounts, users) it holds.
            rows = rows.select("entity", "day").distinct().mutate(n=ibis.literal(1, "int64"))
        totals = rows.group_by("entity").agg(
            before_n=rows.n.sum(where=rows.day < launch_day),
            after_n=rows.n.sum(where=rows.day > launch_day),
        )

        # `view()`: these tables share ancestors, which Ibis must tell apart in one join chain.
        seen = present.select(seen=present.entity).view()
        adopters, totals = adopters.view(), totals.view()
        everyone = ibis.union(present, adopters.select(entity=adopters.adopter), distinct=True)
        units = (
            everyone.left_join(seen, everyone.entity == seen.seen)
            .left_join(adopters, everyone.entity == adopters.adopter)
            .left_join(totals, everyone.entity == totals.entity)
        )
        group = ibis.cases(
            (units.adopter.notnull() & units.seen.notnull(), ADOPTERS),
            (units.adopter.notnull(), NEW_ADOPTERS),
            else_=NON_ADOPTERS,
        )
        before = units.before_n.fill_null(0).cast("float64") / weeks
        after = units.after_n.fill_null(0).cast("float64") / weeks
        per_unit = units.select(group=group, before=before, after=after, change=after - before)
        stats = per_unit.group_by("group").agg(
            units=per_unit.count(),
            before=per_unit.before.mean(),
            after=per_unit.after.mean(),
            change=per_unit.change.mean(),
            change_sd=per_unit.change.std(how="sample"),
        )
        groups = ibis.memtable({"group": [ADOPTERS, NEW_ADOPTERS, NON_ADOPTERS]})
        out = groups.left_join(stats, groups.group == stats.group)
        out = out.select(
            group=groups.group,
            units=out.units.fill_null(0),
            before=out.before,
            after=out.after,
            change=out.change,
            change_sd=out.change_sd,
            launch_day=ibis.date(launch.isoformat()),
        )
        return out.order_by("group")

    def finish(self, table: pa.Table) -> pa.Table:
        """Adopters and non-adopters (in that order); the new adopters' count goes to the
        summary."""
        rows = {r["group"]: r for r in table.to_pylist()}
        new = rows.get(NEW_ADOPTERS, {}).get("units") or 0
        launch = next((r["launch_day"] for r in rows.values()), None)
        facts = {"new_adopters": int(new), "launch_date": launch and launch.isoformat()}
        kept = [
            {name: _float_or_none(rows[group].get(name)) for name in _OUTPUT.names[2:]}
            | {"group": group, "units": int(rows[group].get("units") or 0)}
            for group in (ADOPTERS, NON_ADOPTERS)
            if group in rows
        ]
        schema = _OUTPUT.with_metadata({_FACTS: json.dumps(facts).encode()})
        return pa.Table.from_pylist(kept, schema=schema)

    def _groups(self, table: pa.Table) -> dict[str, GroupChanges]:
        out = {}
        for row in table.to_pylist():
            out[row["group"]] = GroupChanges(row["units"], row["change"], row["change_sd"])
        return out

    def summarize(self, table: pa.Table) -> dict[str, Any]:
        """did (adopters' mean change - non-adopters', in outcome per unit-week), did_low,
        did_high, p_value (None with fewer than 2 units in a group), standard_error, adopters,
        non_adopters, new_adopters (left out), launch_date, confidence."""
        groups = self._groups(table)
        empty = GroupChanges(0, None, None)
        treated, comparison = groups.get(ADOPTERS, empty), groups.get(NON_ADOPTERS, empty)
        facts = _facts(table)
        result = difference_in_differences(treated, comparison, self.confidence)
        estimate = None
        if treated.mean is not None and comparison.mean is not None:
            estimate = treated.mean - comparison.mean
        return {
            "did": estimate,
            "did_low": None if result is None else result.low,
            "did_high": None if result is None else result.high,
            "p_value": None if result is None else result.p_value,
            "standard_error": None if result is None else result.standard_error,
            "adopters": treated.units,
            "non_adopters": comparison.units,
            "new_adopters": facts.get("new_adopters", 0),
            "launch_date": facts.get("launch_date"),
            "confidence": self.confidence,
        }

    def warnings(self, table: pa.Table) -> list[str]:
        """Always: self-selection. Also: too few units in a group, adopters left out because
        they were not active before the launch."""
        who = "users" if self.unit == "user" else "accounts"
        out = [SELF_SELECTION]
        groups = self._groups(table)
        for name, label in ((ADOPTERS, "adopters"), (NON_ADOPTERS, "non-adopters")):
            units = groups[name].units if name in groups else 0
            if units < FEW_UNITS:
                out.append(
                    f"only {units} {label} ({who}): with fewer than {FEW_UNITS} per group the "
                    "estimate is fragile and its interval wide (or missing below 2)"
                )
        new = _facts(table).get("new_adopters", 0)
        if new:
            out.append(
                f"{new} adopting {who[:-1] if new == 1 else who} not active in the "
                f"{self.window_days} days before the launch left out: no 'before' to compare"
            )
        return out


def _facts(table: pa.Table) -> dict[str, Any]:
    """What `finish` set aside in the table's schema metadata (empty before `finish`)."""
    raw = (table.schema.metadata or {}).get(_FACTS)
    return dict(json.loads(raw)) if raw else {}


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
