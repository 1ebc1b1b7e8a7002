"""The events a funnel reads: one row per raw event of the range, flagged with the steps it
matches, in the order the funnel walks them.

Funnels need exact timestamps and event properties, so they read raw `events`, never the
rollups.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from uptake.definitions import EventSelector, Filter
from uptake.metrics.filters import compare, entity_filters, event_filters, event_property
from uptake.metrics.selection import is_pattern, names_predicate
from uptake.metrics.tables import Tables


def step_flag(step: int) -> str:
    """Name of the boolean column telling whether an event matches `step` (1-based)."""
    return f"matches_{step}"


def selector_matches(events: ibis.Table, selector: EventSelector) -> ir.BooleanValue:
    """The event matches the selector: one of its names or patterns, and every `where`."""
    parts = [names_predicate(events.event, selector.events)]
    for f in selector.where:
        column = events.event if f.key is None else event_property(events, f.key)
        parts.append(compare(column, f))
    return ibis.and_(*parts)


def any_step(events: ibis.Table, selectors: list[EventSelector]) -> ir.BooleanValue:
    """The event matches at least one of the selectors: the exact names of every selector
    without `where` in one IN list (a quarter cheaper for DuckDB's scan than one IN per step,
    measured on 10M events), OR'ed with the patterns and the selectors with conditions."""
    exact = sorted({n for s in selectors if not s.where for n in s.events if not is_pattern(n)})
    parts: list[ir.BooleanValue] = [events.event.isin(exact)] if exact else []
    for s in selectors:
        if s.where:
            parts.append(selector_matches(events, s))
        elif patterns := [n for n in s.events if is_pattern(n)]:
            parts.append(names_predicate(events.event, patterns))
    return ibis.or_(*parts)


def step_events(
    tables: Tables,
    selectors: list[EventSelector],
    filters: list[Filter],
    unit: str,
    date_from: dt.date,
    date_to: dt.date,
    *,
    every_event: bool,
) -> ibis.Table:
    """Rows (entity, timestamp, matches_1..matches_n, walk_key) for raw events in
    [date_from, date_to] (inclusive UTC days) that pass every filter.

    With `every_event=False` only events matching some step are kept; strict funnels ask for
    every event, because any other event of the entity breaks a strict sequence. `walk_key`
    orders events that share a timestamp (see `walk_order`). With unit='account', events with
    no account are left out.
    """
    ev = tables.events
    end = date_to + dt.timedelta(days=1)
    ev = ev.filter(
        ev.timestamp >= ibis.timestamp(date_from.isoformat()),
        ev.timestamp < ibis.timestamp(end.isoformat()),
    )
    for f in event_filters(filters):
        column = ev.event if f.key is None else event_property(ev, f.key)
        ev = ev.filter(compare(column, f))
    ev = entity_filters(ev, filters, tables)
    n = len(selectors)
    matches = [selector_matches(ev, s) for s in selectors]
    if not every_event:
        # Repeated in `walk_key` below, but as a plain filter DuckDB pushes it into the scan.
        ev = ev.filter(any_step(ev, selectors))
    entity = ev.user_id if unit == "user" else ev.account_id
    # Bit 2^(n-j) for step j: sorting by the key descending puts an event matching an earlier
    # step first, so events logged at the same instant are taken in funnel order.
    walk_key = sum(
        (
            ibis.cases((match, ibis.literal(2 ** (n - j), "int64")), else_=0)
            for j, match in enumerate(matches, start=1)
        ),
        start=ibis.literal(0, "int64"),
    )
    rows = ev.select(entity=entity, timestamp=ev.timestamp, walk_key=walk_key)
    if unit == "account":
        rows = rows.filter(rows.entity.notnull())
    # The flags are read off the key's bits rather than by repeating each step's predicate:
    # Spark's constraint propagation copies a filter once per alias of a term in it, so the
    # OR of n step predicates beside n flag columns made 2^n constraints and ran out of memory
    # at 16 steps (SPARK-33152; gone if spark.sql.constraintPropagation.enabled is false).
    flags = {
        step_flag(j): (rows.walk_key & ibis.literal(2 ** (n - j), "int64")) != 0
        for j in range(1, n + 1)
    }
    return rows.mutate(**flags)


def walk_order(rows: ibis.Table) -> list[ir.Value]:
    """Sort keys of an entity's events: time, then (at the same instant) events matching an
    earlier step first; events matching no step come last. Events that tie on both match the
    same steps at the same instant, so swapping them changes no result."""
    return [rows.timestamp, rows.walk_key.desc()]
