"""Key-action discovery: which early events go with new users (or accounts) staying, ranked by
the lift in retention between those who did them and those who did not."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from pydantic import Field, field_validator, model_validator

from uptake.metrics.milestones import signup_times
from uptake.metrics.selection import activity_rows, names_predicate
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.tables import Tables
from uptake.models.proportions import IntervalMethod, proportion_difference

RetentionPeriod = Literal["day", "week", "month"]

# Retention periods count whole days from the signup day: a "month" is 30 days, so that every
# unit is given the same time whatever the calendar month it signed up in.
PERIOD_DAYS: dict[RetentionPeriod, int] = {"day": 1, "week": 7, "month": 30}

# What `finish` learnt from the cohort's totals row, for `summarize` and `warnings` (which only
# see the finished table): kept in the Arrow schema's metadata under this key.
_FACTS = b"uptake.key_action_discovery"

CORRELATION = (
    "This ranking shows correlation, not causation: people who do an event early may differ "
    "from those who do not (more motivated, a different role or plan), and making everyone do "
    "it will not necessarily make them stay. Test a candidate key action (an onboarding "
    "change, an experiment) before relying on it."
)

_OUTPUT = pa.schema(
    [
        ("event", pa.string()),
        ("reach", pa.float64()),
        ("units_did", pa.int64()),
        ("retained_did", pa.int64()),
        ("retention_did", pa.float64()),
        ("units_not", pa.int64()),
        ("retained_not", pa.int64()),
        ("retention_not", pa.float64()),
        ("lift", pa.float64()),
        ("lift_low", pa.float64()),
        ("lift_high", pa.float64()),
        ("relative_lift", pa.float64()),
    ]
)


class KeyActionDiscovery(EventChoice, MetricSpec):
    """Which events done in the first days after signup go with retention later.

    Cohort: users (or accounts) who signed up in [from, to] (a user's signup is the earlier of
    its profile's created_at and its first event; an account's is started_at, else created_at,
    else its first event) and who can be observed long enough: the latest day with data must be
    at least `window_days` days and the end of the retention period after the signup day.
    Younger ones are left out and counted in a warning.

    Day 0 is the whole UTC signup day (events earlier that day count too: only accounts can
    have some, from activity while still a lead). Candidates: every event done on days 0 to
    window_days - 1 (the workspace's activity events, or `events` / `feature`), except
    `exclude` and, unless include_login, the login event. Retained: active (the activity
    definition) on days [offset * p, (offset + 1) * p) after the signup day, p = 1, 7 or 30
    days for day, week, month: with the defaults (week, 4) days 28 to 34.

    Per event: reach = units_did / cohort; retention_did and retention_not the retained shares
    of those who did and did not do it; lift = retention_did - retention_not with its interval
    (Newcombe's hybrid score interval by default) at `confidence`; relative_lift =
    retention_did / retention_not (1 = no difference; null when retention_not is 0). Events
    with reach below `min_reach` are dropped (counted in a warning). Sorted by lift (largest
    first, null last), then event. `period` and `breakdown` are not used.
    """

    title: ClassVar[str] = "Key-action discovery: early events ranked by lift in retention"
    breakdown_namespaces: ClassVar[tuple[str, ...]] = ()

    kind: Literal["key_action_discovery"] = "key_action_discovery"
    window_days: int = Field(
        default=7, ge=1, le=365, description="Days after signup (day 0 = signup day) to look at."
    )
    retention_period: RetentionPeriod = Field(
        default="week", description="day | week (7 days) | month (30 days), from the signup day."
    )
    retention_offset: int = Field(
        default=4, ge=1, le=365, description="Which period counts as retained (week 4: days 28-34)."
    )
    exclude: list[str] = Field(
        default_factory=list, description="Event names or glob patterns never ranked."
    )
    include_login: bool = Field(
        default=False, description="Rank the workspace's login event too (left out by default)."
    )
    min_reach: float = Field(
        default=0.05, ge=0, le=1, description="Drop events done by a smaller share of the cohort."
    )
    confidence: float = Field(
        default=0.95, gt=0, lt=1, description="Confidence level of lift_low / lift_high."
    )
    interval: IntervalMethod = Field(
        default="newcombe", description="newcombe (hybrid score, default) | wald"
    )

    @field_validator("breakdown")
    @classmethod
    def _breakdown_ref(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError(
                "key_action_discovery has no breakdown: narrow the cohort with `filters`"
            )
        return v

    @model_validator(mode="after")
    def _retention_after_window(self) -> KeyActionDiscovery:
        first = self.retention_first_day()
        if first < self.window_days:
            raise ValueError(
                f"the retention period starts on day {first} after signup, inside the first "
                f"{self.window_days} days where candidate events are counted: the events would "
                "count as retention too; raise retention_offset or lower window_days"
            )
        return self

    def retention_first_day(self) -> int:
        """First day (after the signup day, which is day 0) of the retention period."""
        return self.retention_offset * PERIOD_DAYS[self.retention_period]

    def retention_last_day(self) -> int:
        """Last day (inclusive) of the retention period."""
        return self.retention_first_day() + PERIOD_DAYS[self.retention_period] - 1

    def observed_days(self) -> int:
        """Days after the signup day (inclusive) a unit must be observed for: the later of the
        candidate window's and the retention period's last day."""
        return max(self.window_days - 1, self.retention_last_day())

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (event, units, retained, too_young): per candidate event, the mature cohort
        members who did it in the window and how many of those were retained; plus one row with
        a null event holding the whole mature cohort, its retained members and the too-young
        count (`finish` turns these into the ranking)."""
        cohort = self._cohort(tables)
        mature = cohort.filter(cohort.mature)
        window_end = self.date_to + dt.timedelta(days=self.window_days - 1)
        rows = activity_rows(
            tables, self.unit, self.selector(tables.definitions), self.filters,
            self.date_from, window_end,
        )  # fmt: skip
        rows = rows.filter(self._candidate(rows.event, tables))
        early = _days_after(rows, mature, 0, self.window_days - 1)
        done = early.select("entity", "event").distinct()

        # Retention reads activity only: event filters narrow the candidates, not "active".
        entity_only = [f for f in self.filters if f.namespace != "event"]
        active = activity_rows(
            tables, self.unit, None, entity_only,
            self.date_from + dt.timedelta(days=self.retention_first_day()),
            self.date_to + dt.timedelta(days=self.retention_last_day()),
        )  # fmt: skip
        back = _days_after(active, mature, self.retention_first_day(), self.retention_last_day())
        retained_ids = back.select(kept=back.entity).distinct()

        flagged = cohort.left_join(retained_ids, cohort.entity == retained_ids.kept)
        flagged = flagged.select(
            "entity", "mature", retained=flagged.kept.notnull() & flagged.mature
        ).view()
        per_event = done.join(flagged, done.entity == flagged.entity)
        events = (
            per_event.group_by("event")
            .agg(
                units=per_event.entity.count(),
                retained=per_event.entity.count(where=per_event.retained),
            )
            .mutate(too_young=ibis.literal(0, "int64"))
        )
        totals = flagged.aggregate(
            units=flagged.entity.count(where=flagged.mature),
            retained=flagged.entity.count(where=flagged.retained),
            too_young=flagged.entity.count(where=~flagged.mature),
        ).mutate(event=ibis.null("string"))
        both = ibis.union(*(_loose(t) for t in (events, totals)))
        return both.order_by(both.event)

    def _cohort(self, tables: Tables) -> ibis.Table:
        """Rows (entity, signup_day, mature): units signed up in range; mature when the latest
        day with data is at least `observed_days` after the signup day."""
        signups = signup_times(tables, self.unit, self.filters)
        signups = signups.filter(
            signups.signed_up_at >= ibis.timestamp(self.date_from.isoformat()),
            signups.signed_up_at
            < ibis.timestamp((self.date_to + dt.timedelta(days=1)).isoformat()),
        )
        daily = tables.daily
        latest = daily.aggregate(latest_day=daily.day.max())
        joined = signups.cross_join(latest)
        signup_day = joined.signed_up_at.date()
        observed = joined.latest_day.delta(signup_day, unit="day")
        return joined.select(
            entity=joined.entity,
            signup_day=signup_day,
            mature=(observed >= self.observed_days()).fill_null(False),
        ).view()

    def _candidate(self, event: ir.StringValue, tables: Tables) -> ir.BooleanValue:
        """The event may be ranked: not excluded, and not the login unless asked for."""
        keep: ir.BooleanValue = ibis.literal(True)
        if self.exclude:
            keep = keep & ~names_predicate(event, self.exclude)
        if not self.include_login:
            keep = keep & (event != tables.definitions.activity.login_event)
        return keep

    def finish(self, table: pa.Table) -> pa.Table:
        """The ranking: reach, retention of both groups, lift with its interval, relative lift;
        events below `min_reach` dropped; sorted by lift (largest first, null last), event."""
        rows = table.to_pylist()
        totals = next((r for r in rows if r["event"] is None), None)
        cohort = int(totals["units"]) if totals else 0
        cohort_retained = int(totals["retained"]) if totals else 0
        too_young = int(totals["too_young"]) if totals else 0
        ranked: list[dict[str, Any]] = []
        below = 0
        for row in rows:
            if row["event"] is None:
                continue
            units, retained = int(row["units"]), int(row["retained"])
            reach = units / cohort
            if reach < self.min_reach:
                below += 1
                continue
            units_not, retained_not = cohort - units, cohort_retained - retained
            retention_did = retained / units
            retention_not = retained_not / units_not if units_not else None
            diff = proportion_difference(
                retained, units, retained_not, units_not, self.confidence, self.interval
            )
            ranked.append(
                {
                    "event": row["event"],
                    "reach": reach,
                    "units_did": units,
                    "retained_did": retained,
                    "retention_did": retention_did,
                    "units_not": units_not,
                    "retained_not": retained_not,
                    "retention_not": retention_not,
                    "lift": None if diff is None else diff.estimate,
                    "lift_low": None if diff is None else diff.low,
                    "lift_high": None if diff is None else diff.high,
                    "relative_lift": retention_did / retention_not if retention_not else None,
                }
            )
        ranked.sort(key=lambda r: (r["lift"] is None, -(r["lift"] or 0.0), r["event"]))
        facts = {
            "cohort_units": cohort,
            "retained_units": cohort_retained,
            "too_young_units": too_young,
            "events_below_min_reach": below,
        }
        schema = _OUTPUT.with_metadata({_FACTS: json.dumps(facts).encode()})
        return pa.Table.from_pylist(ranked, schema=schema)

    def _facts(self, table: pa.Table) -> dict[str, int]:
        raw = (table.schema.metadata or {}).get(_FACTS)
        return dict(json.loads(raw)) if raw else {}

    def summarize(self, table: pa.Table) -> dict[str, Any]:
        """cohort_units, retained_units, retention_rate (the cohort's, 0-1; None for an empty
        cohort), too_young_units, events_below_min_reach, and the days compared."""
        facts = self._facts(table)
        if not facts:
            return {}
        cohort = facts["cohort_units"]
        return {
            **facts,
            "retention_rate": facts["retained_units"] / cohort if cohort else None,
            "window_days": self.window_days,
            "retention_first_day": self.retention_first_day(),
            "retention_last_day": self.retention_last_day(),
            "confidence": self.confidence,
        }

    def warnings(self, table: pa.Table) -> list[str]:
        """Always: correlation, not causation. Also: units too young to judge, events dropped
        for low reach, an empty cohort."""
        facts = self._facts(table)
        who = "users" if self.unit == "user" else "accounts"
        out = [CORRELATION]
        too_young = facts.get("too_young_units", 0)
        if too_young:
            one = who[:-1] if too_young == 1 else who
            out.append(
                f"{too_young} {one} who signed up in the range left out: the data does not "
                f"yet reach day {self.observed_days()} after their signup, so their retention "
                "cannot be judged"
            )
        below = facts.get("events_below_min_reach", 0)
        if below:
            out.append(
                f"{below} {'event' if below == 1 else 'events'} done by fewer than "
                f"{self.min_reach:.0%} of the cohort not ranked (lower min_reach to see them)"
            )
        if facts and facts.get("cohort_units", 0) == 0:
            out.append(
                f"no {who} who signed up from {self.date_from} to {self.date_to} can be observed "
                f"{self.observed_days()} days after signup: choose an earlier range"
            )
        return out


def _days_after(rows: ibis.Table, cohort: ibis.Table, first: int, last: int) -> ibis.Table:
    """Rows of `rows` (entity, day, event, ...) whose day is `first` to `last` days (inclusive)
    after their entity's signup day, for cohort members only."""
    joined = rows.join(cohort, rows.entity == cohort.entity)
    offset = joined.day.delta(joined.signup_day, unit="day")
    kept = joined.filter(offset >= first, offset <= last)
    return kept.select(entity=kept.entity, event=kept.event)


def _loose(table: ibis.Table) -> ibis.Table:
    """The same columns with nullable types, so that both parts of the union match."""
    return table.select(
        event=table.event.cast("string"),
        units=table.units.cast("int64"),
        retained=table.retained.cast("int64"),
        too_young=table.too_young.cast("int64"),
    )
