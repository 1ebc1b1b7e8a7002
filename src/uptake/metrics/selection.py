"""Which events a metric reads: names and glob patterns, the workspace's activity definition,
and the activity rows (entity, day, event, n) read from the rollup when the question allows."""

from __future__ import annotations

import datetime as dt
import re

import ibis
import ibis.expr.types as ir

from uptake.definitions import Definitions, EventSelector, Filter
from uptake.metrics.filters import apply_event_filters, entity_filters, event_filters
from uptake.metrics.tables import Tables

_GLOB = re.compile(r"[*?]")


def is_pattern(name: str) -> bool:
    """True when `name` holds a glob wildcard (`*` or `?`)."""
    return bool(_GLOB.search(name))


def glob_regex(pattern: str) -> str:
    """An anchored regular expression for a glob: `*` any run, `?` one character."""
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return "^" + "".join(out) + "$"


def _pattern_predicate(event: ir.StringValue, pattern: str) -> ir.BooleanValue:
    """One glob as the cheapest test: prefix*, *suffix and *middle* avoid a regex per row
    (a regex was the main cost of a feature table on 10M events)."""
    body = pattern.strip("*")
    if body and not is_pattern(body):
        starts, ends = pattern.startswith("*"), pattern.endswith("*")
        if ends and not starts:
            return event.startswith(body)
        if starts and not ends:
            return event.endswith(body)
        if starts and ends:
            return event.contains(body)
    return event.re_search(glob_regex(pattern))


def names_predicate(event: ir.StringValue, names: list[str]) -> ir.BooleanValue:
    """`event` matches one of the names or glob patterns."""
    if any(p == "*" for p in names):
        return ibis.literal(True)
    exact = [n for n in names if not is_pattern(n)]
    parts: list[ir.BooleanValue] = []
    if exact:
        parts.append(event.isin(exact))
    parts.extend(_pattern_predicate(event, p) for p in names if is_pattern(p))
    return ibis.or_(*parts)


def activity_predicate(event: ir.StringValue, definitions: Definitions) -> ir.BooleanValue:
    """`event` counts as activity: it matches the activity events and none of the excluded."""
    excluded = definitions.activity.exclude
    if any(p == "*" for p in definitions.activity.events):
        # Every event but the excluded ones (the usual definition): one test per row.
        return ~names_predicate(event, excluded) if excluded else ibis.literal(True)
    keep = names_predicate(event, definitions.activity.events)
    if excluded:
        keep = keep & ~names_predicate(event, excluded)
    return keep


def selector_predicate(
    event: ir.StringValue, selector: EventSelector | None, definitions: Definitions
) -> ir.BooleanValue:
    """Name predicate of a selector (None: activity). Property conditions are separate."""
    if selector is None:
        return activity_predicate(event, definitions)
    return names_predicate(event, selector.events)


def needs_raw_events(selector: EventSelector | None, filters: list[Filter]) -> bool:
    """True when event properties are involved, which the rollups do not keep."""
    if selector is not None and selector.where:
        return True
    return any(f.key is not None for f in event_filters(filters))


def raw_events(
    tables: Tables,
    selector: EventSelector | None,
    filters: list[Filter],
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> ibis.Table:
    """Raw events chosen by the selector, in [date_from, date_to] (None: unbounded), passing
    every filter (event, user and account)."""
    ev = tables.events
    preds = [selector_predicate(ev.event, selector, tables.definitions)]
    if date_from is not None:
        preds.append(ev.timestamp >= ibis.timestamp(date_from.isoformat()))
    if date_to is not None:
        end = date_to + dt.timedelta(days=1)
        preds.append(ev.timestamp < ibis.timestamp(end.isoformat()))
    ev = ev.filter(*preds)
    where = list(selector.where) if selector is not None else []
    ev = apply_event_filters(ev, where + event_filters(filters))
    return entity_filters(ev, filters, tables)


def activity_rows(
    tables: Tables,
    unit: str,
    selector: EventSelector | None,
    filters: list[Filter],
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> ibis.Table:
    """Rows (entity, user_id, account_id, day, event, n): how often each user or account did
    each chosen event each UTC day in [date_from, date_to] (None: unbounded).

    Reads the `daily` rollup unless event properties are needed. With unit='account', events
    with no account are left out.
    """
    if needs_raw_events(selector, filters):
        ev = raw_events(tables, selector, filters, date_from, date_to)
        if unit == "account":
            ev = ev.filter(ev.account_id.notnull())
        rows = ev.group_by(
            day=ev.timestamp.date(), user_id=ev.user_id, account_id=ev.account_id, event=ev.event
        ).agg(n=ev.count())
    else:
        d = tables.daily
        preds = [selector_predicate(d.event, selector, tables.definitions)]
        if date_from is not None:
            preds.append(d.day >= ibis.date(date_from.isoformat()))
        if date_to is not None:
            preds.append(d.day <= ibis.date(date_to.isoformat()))
        if unit == "account":
            preds.append(d.account_id.notnull())
        d = d.filter(*preds)
        d = apply_event_filters(d, event_filters(filters))
        rows = entity_filters(d, filters, tables)
    # One projection and as few filters as possible: every relation of the expression adds to
    # the compile time, which on a million events is as long as running the query.
    return rows.select(
        entity=rows.user_id if unit == "user" else rows.account_id,
        user_id=rows.user_id,
        account_id=rows.account_id,
        day=rows.day,
        event=rows.event,
        n=rows.n,
    )
