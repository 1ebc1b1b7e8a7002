"""Journey stages on the engine: when each user or account entered each stage of a workspace
journey, and the spans between stages that the funnel and the members list summarize.

A stage's criteria each give one time per unit (when that criterion first held); the stage is
entered at the latest of them and of the previous stage's entry, so a unit that met a later
stage's criteria first enters it the moment it reaches the stage before. Only what happened by
the end of `to` counts. All of it stays in the engine; nothing here executes.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal, assert_never

import ibis
import ibis.expr.types as ir
from pydantic import Field, field_validator, model_validator

from uptake.definitions import Criterion, Definitions, EventSelector, Filter, Journey
from uptake.errors import SpecError
from uptake.metrics.filters import compare, entity_filters, event_property, user_property
from uptake.metrics.milestones import first_times
from uptake.metrics.selection import selector_predicate
from uptake.metrics.spec import MetricSpec, Unit
from uptake.metrics.tables import Tables

Cohort = Literal["entered_in_range", "all"]
SECONDS_PER_DAY = 86_400


class JourneySpec(MetricSpec):
    """What the journey metrics share: the journey, its unit, the cohort and the stall
    threshold. Filters narrow the units by user.<key> / account.<key> properties."""

    breakdown_namespaces: ClassVar[tuple[str, ...]] = ()

    journey: str = Field(min_length=1, description="A journey's name from uptake.toml.")
    unit: Unit | None = Field(  # type: ignore[assignment]
        default=None, description="user | account; None = the journey's own unit."
    )
    period: None = Field(  # type: ignore[assignment]
        default=None, description="Not used: journey metrics are not split by period."
    )
    cohort: Cohort = Field(
        default="entered_in_range",
        description="entered_in_range: units that entered the first stage in [from, to]; "
        "all: every unit that entered it by `to`.",
    )
    stalled_after_days: int = Field(
        default=14, ge=1, description="Stalled: in a stage (not the last) more days than this."
    )

    @field_validator("breakdown")
    @classmethod
    def _breakdown_ref(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError(
                "journey metrics have no breakdown; filter by a user.<key> or account.<key> "
                "property instead"
            )
        return v

    @field_validator("filters")
    @classmethod
    def _unit_filters(cls, v: list[Filter]) -> list[Filter]:
        for f in v:
            if f.namespace == "event":
                raise ValueError(
                    f"{f.property!r}: journey metrics filter users or accounts (user.<key>, "
                    "account.<key>); put event conditions in the stage criteria"
                )
        return v

    @model_validator(mode="after")
    def _account_filters(self) -> JourneySpec:
        if self.unit == "account":
            _check_account_filters(self.filters)
        return self

    def chosen(self, definitions: Definitions) -> Journey:
        """The journey named by the spec; SpecError listing the declared ones."""
        if not definitions.journeys:
            raise SpecError("no journeys are defined: add [[journeys]] to uptake.toml")
        try:
            return definitions.journey(self.journey)
        except KeyError as exc:
            raise SpecError(str(exc.args[0])) from None

    def resolved_unit(self, journey: Journey) -> Unit:
        """The spec's unit, else the journey's."""
        unit = self.unit or journey.unit
        if unit == "account":
            _check_account_filters(self.filters)
        return unit

    def stage_frame(self, journey: Journey) -> ibis.Table:
        """Every stage as (stage_index, stage), 1-based, in order."""
        names = journey.stage_names()
        return ibis.memtable(
            {"stage_index": list(range(1, len(names) + 1)), "stage": names},
            schema={"stage_index": "int64", "stage": "string"},
        )

    def spans(self, tables: Tables, journey: Journey) -> ibis.Table:
        """Rows (entity, stage_index, entered_at, left_at, days_in_stage, current, stalled):
        one per unit of the cohort and stage it reached by the end of `to`.

        `left_at` is the next stage's entry (null for the current stage); `days_in_stage` runs
        to it, or to the end of `to` for the current stage. The last stage is never stalled:
        it is where the journey ends.
        """
        unit = self.resolved_unit(journey)
        end = _end(self.date_to)
        units = unit_table(tables, unit)
        entries = stage_entries(tables, journey, unit, self.date_to, units)
        first = entries.filter(entries.stage_index == 1)
        if self.cohort == "entered_in_range":
            first = first.filter(first.entered_at >= ibis.timestamp(self.date_from.isoformat()))
        if self.filters:
            kept = entity_filters(units, self.filters, tables)
            first = first.filter(first.entity.isin(kept.entity))
        cohort = first.select(member=first.entity)
        rows = entries.join(cohort, entries.entity == cohort.member).drop("member")
        by_entity = ibis.window(group_by="entity", order_by="stage_index")
        rows = rows.mutate(left_at=rows.entered_at.lead().over(by_entity))
        seconds = rows.left_at.fill_null(end).delta(rows.entered_at, unit="second")
        days = seconds.cast("float64") / SECONDS_PER_DAY
        current = rows.left_at.isnull()
        last = len(journey.stages)
        return rows.select(
            "entity",
            "stage_index",
            "entered_at",
            "left_at",
            days_in_stage=days,
            current=current,
            stalled=current & (rows.stage_index < last) & (days > self.stalled_after_days),
        )


def _check_account_filters(filters: list[Filter]) -> None:
    for f in filters:
        if f.namespace == "user":
            raise SpecError(
                f"{f.property!r}: with unit='account', filter by account.<key> properties"
            )


def _end(date_to: dt.date) -> ir.TimestampValue:
    """The end of `to` (midnight after it, UTC): what happened before it counts."""
    return ibis.timestamp((date_to + dt.timedelta(days=1)).isoformat())


def unit_table(tables: Tables, unit: Unit) -> ibis.Table:
    """Rows (entity, user_id, account_id, known_at): every user or account seen in a profile or
    an event. `known_at` is when it was first known: the earliest of its first event and its
    profile's created_at (an account's started_at too); a user's account is its profile's,
    else one of its events'."""
    fs = tables.first_seen
    match unit:
        case "user":
            seen = fs.group_by(entity=fs.user_id).agg(
                first_at=fs.first_at.min(), event_account=fs.account_id.max()
            )
            users = tables.users
            joined = users.outer_join(seen, users.user_id == seen.entity)
            entity = joined.user_id.fill_null(joined.entity)
            out = joined.select(
                entity=entity,
                user_id=entity,
                account_id=joined.account_id.fill_null(joined.event_account),
                known_at=ibis.least(joined.created_at, joined.first_at),
            )
        case "account":
            fs = fs.filter(fs.account_id.notnull())
            seen = fs.group_by(entity=fs.account_id).agg(first_at=fs.first_at.min())
            accounts = tables.accounts
            joined = accounts.outer_join(seen, accounts.account_id == seen.entity)
            entity = joined.account_id.fill_null(joined.entity)
            out = joined.select(
                entity=entity,
                user_id=ibis.null("string"),
                account_id=entity,
                known_at=ibis.least(joined.created_at, joined.started_at, joined.first_at),
            )
        case _:
            assert_never(unit)
    return out.filter(out.known_at.notnull())


def stage_entries(
    tables: Tables, journey: Journey, unit: Unit, date_to: dt.date, units: ibis.Table
) -> ibis.Table:
    """Rows (entity, stage_index, entered_at): when each unit entered each stage (1-based) it
    reached by the end of `date_to`.

    Each stage's own criteria give the time they all held (`met_at`); the stage is entered at
    the running maximum of `met_at` over stages 1..k, when all of them were met. One window
    over every stage rather than a chain of stages each built on the previous one: engines
    that inline common table expressions (Spark) would compute stage 1 once per later stage.
    Only a stage with `after_previous_days` needs the entries before it.
    """
    end = _end(date_to)
    met: list[ibis.Table] = []
    for index, stage in enumerate(journey.stages, start=1):
        previous = None
        if any(c.after_previous_days is not None for c in stage.criteria):
            before = _entered(_stack_stages(met), end)
            before = before.filter(before.stage_index == index - 1)
            previous = before.select("entity", at=before.entered_at)
        parts = [
            _criterion_times(tables, unit, c, previous, units, end).view() for c in stage.criteria
        ]
        # Each part has one row per unit that meets it: a unit meets the stage when it is in
        # every part, at the latest of their times (a union, not n joins).
        stacked = _stack(parts)
        grouped = stacked.group_by("entity").agg(n=stacked.count(), met_at=stacked.at.max())
        met.append(
            grouped.filter(grouped.n == len(parts)).select(
                "entity", stage_index=ibis.literal(index, "int64"), met_at="met_at"
            )
        )
    return _entered(_stack_stages(met), end)


def _stack_stages(met: list[ibis.Table]) -> ibis.Table:
    return ibis.union(*met) if len(met) > 1 else met[0]


def _entered(met: ibis.Table, end: ir.TimestampValue) -> ibis.Table:
    """(entity, stage_index, met_at) -> (entity, stage_index, entered_at): a stage is reached
    when it and every stage before it were met, at the latest of their times, before `end`."""
    so_far = ibis.window(group_by="entity", order_by="stage_index", rows=(None, 0))
    rows = met.select(
        "entity",
        "stage_index",
        entered_at=met.met_at.max().over(so_far),
        stages_met=met.count().over(so_far),
    )
    # Stage k is reached when stages 1..k were all met: k rows so far (one per stage).
    return rows.filter(rows.stages_met == rows.stage_index, rows.entered_at < end).select(
        "entity", "stage_index", "entered_at"
    )


def _stack(parts: list[ibis.Table]) -> ibis.Table:
    """UNION ALL of (entity, at) tables whatever their column types and nullability."""
    loose = [p.select(entity=p.entity.cast("string"), at=p.at.cast("timestamp")) for p in parts]
    return ibis.union(*loose) if len(loose) > 1 else loose[0]


def selectors(criterion: Criterion, definitions: Definitions) -> list[EventSelector | None]:
    """The events an event criterion counts (None: the workspace's activity events)."""
    match criterion.kind:
        case "events":
            assert criterion.events is not None
            return [EventSelector(events=criterion.events, where=criterion.where)]
        case "active":
            return [None]
        case "feature":
            named = criterion.feature
            return list(definitions.features if named == "*" else [definitions.feature(str(named))])
        case "key_action":
            named = criterion.key_action
            return list(
                definitions.key_actions if named == "*" else [definitions.key_action(str(named))]
            )
        case "value_moment":
            assert definitions.value_moment is not None
            return [definitions.value_moment]
        case "field" | "property":
            raise AssertionError(f"{criterion.kind} criteria read no events")
        case _:
            assert_never(criterion.kind)


def _criterion_times(
    tables: Tables,
    unit: Unit,
    criterion: Criterion,
    previous: ibis.Table | None,
    units: ibis.Table,
    end: ir.TimestampValue,
) -> ibis.Table:
    """Rows (entity, at): when each unit first met the criterion (one row per unit)."""
    match criterion.kind:
        case "field":
            assert criterion.field is not None
            rows = _field_times(tables, unit, criterion.field, units)
        case "property":
            rows = _property_times(tables, unit, criterion.condition(), units)
        case "events" | "active" | "feature" | "key_action" | "value_moment":
            chosen = selectors(criterion, tables.definitions)
            if criterion.counted:
                return _counted_times(tables, unit, criterion, chosen, previous, end)
            firsts = _stack(
                [first_times(tables, unit, s, []).select("entity", at="first_at") for s in chosen]
            )
            rows = firsts.group_by("entity").agg(at=firsts.at.min())
        case _:
            assert_never(criterion.kind)
    return rows.filter(rows.at.notnull())


def _field_times(tables: Tables, unit: Unit, field: str, units: ibis.Table) -> ibis.Table:
    """A timestamp column as (entity, at); for an account, a user field is its earliest user's;
    for a user, an account field is its account's."""
    namespace, column = field.split(".", 1)
    if namespace == "user":
        users = tables.users
        if unit == "user":
            return users.select(entity=users.user_id, at=users[column])
        users = users.filter(users.account_id.notnull())
        return users.group_by(entity=users.account_id).agg(at=users[column].min())
    accounts = tables.accounts
    if unit == "account":
        return accounts.select(entity=accounts.account_id, at=accounts[column])
    joined = units.join(accounts, units.account_id == accounts.account_id)
    return joined.select(entity=joined.entity, at=joined[column])


def _property_times(tables: Tables, unit: Unit, condition: Filter, units: ibis.Table) -> ibis.Table:
    """Units whose current profile meets the condition, at the time they were first known (the
    profile keeps no history, so the condition has no time of its own). An account meets a
    user.<key> condition when one of its users does."""
    if unit == "account" and condition.namespace == "user":
        users = tables.users
        assert condition.key is not None
        ids = users.filter(compare(user_property(users, condition.key), condition)).account_id
        kept = units.filter(units.entity.isin(ids))
    else:
        kept = entity_filters(units, [condition], tables)
    return kept.select("entity", at=kept.known_at)


def _counted_times(
    tables: Tables,
    unit: Unit,
    criterion: Criterion,
    chosen: list[EventSelector | None],
    previous: ibis.Table | None,
    end: ir.TimestampValue,
) -> ibis.Table:
    """Rows (entity, at) for criteria that count events or days, in a window or after the
    previous stage: read from raw events (the rollups keep no times within a day)."""
    ev = tables.events
    ev = ev.filter(ev.timestamp < end, ibis.or_(*[_matches(ev, s, tables) for s in chosen]))
    entity = ev.user_id if unit == "user" else ev.account_id
    rows = ev.filter(entity.notnull()).select(entity=entity, ts=ev.timestamp)
    if criterion.after_previous_days is not None:
        assert previous is not None
        prior = previous.view()
        joined = rows.join(prior, rows.entity == prior.entity)
        waited = joined.ts.delta(joined.at, unit="second")
        joined = joined.filter(waited >= criterion.after_previous_days * SECONDS_PER_DAY)
        rows = joined.select(entity=joined.entity, ts=joined.ts)
    n = criterion.min_count
    match criterion.count:
        case "events":
            # The n-th event of a run of n within the window: t_k - t_(k-n+1) <= window.
            w = ibis.window(group_by="entity", order_by="ts")
            back = rows.ts.lag(n - 1).over(w) if n > 1 else rows.ts
            marked = rows.mutate(back=back)
            hit = marked.back.notnull()
            if criterion.within_days is not None:
                spread = marked.ts.delta(marked.back, unit="second")
                hit = hit & (spread <= criterion.within_days * SECONDS_PER_DAY)
            kept = marked.filter(hit)
            return kept.group_by("entity").agg(at=kept.ts.min())
        case "days":
            # Distinct UTC days; entered at the first qualifying event of the n-th day of a
            # run of n days spanning at most `within_days` calendar days.
            daily = rows.group_by("entity", day=rows.ts.date()).agg(first_at=rows.ts.min())
            w = ibis.window(group_by="entity", order_by="day")
            back_day = daily.day.lag(n - 1).over(w) if n > 1 else daily.day
            marked = daily.mutate(back_day=back_day)
            hit = marked.back_day.notnull()
            if criterion.within_days is not None:
                spread_days = marked.day.delta(marked.back_day, unit="day")
                hit = hit & (spread_days <= criterion.within_days - 1)
            kept = marked.filter(hit)
            return kept.group_by("entity").agg(at=kept.first_at.min())
        case _:
            assert_never(criterion.count)


def _matches(ev: ibis.Table, selector: EventSelector | None, tables: Tables) -> ir.BooleanValue:
    """The event is one of the selector's (None: activity) and meets its `where` filters."""
    predicate = selector_predicate(ev.event, selector, tables.definitions)
    for f in selector.where if selector is not None else []:
        column = ev.event if f.key is None else event_property(ev, f.key)
        predicate = predicate & compare(column, f)
    return predicate
