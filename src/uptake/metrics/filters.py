"""Property filters as Ibis predicates, and entity properties for breakdowns.

Event properties are JSON text and traits are maps of text (numbers as their JSON text, booleans as
`true`/`false`), so comparisons with a number cast the property to a number (`try_cast`: a value
that is not a number fails the comparison instead of failing the query). Negative operators
(`neq`, `not_in`, `not_contains`) also match a missing property, as PostHog's "is not" does.
"""

from __future__ import annotations

import re

import ibis
import ibis.expr.types as ir

from uptake.definitions import Filter
from uptake.errors import SpecError
from uptake.metrics.tables import Tables

NONE_LABEL = "(none)"

USER_COLUMNS = ("user_id", "account_id", "created_at", "licensed")
ACCOUNT_COLUMNS = (
    "account_id", "name", "plan", "seats", "created_at", "started_at", "renewal_at",
    "churned_at", "mrr",
)  # fmt: skip


def _text(value: bool | int | float | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare(column: ir.Value, f: Filter) -> ir.BooleanValue:
    """The predicate `column <op> value` for one filter."""
    value = f.value
    numeric_col = column.type().is_numeric()
    temporal_col = column.type().is_timestamp() or column.type().is_date()

    def as_number(v: object) -> ir.Value:
        return column if numeric_col else column.try_cast("float64")

    def as_text() -> ir.StringValue:
        if column.type().is_boolean():
            return ibis.cases((column, "true"), else_="false")
        return column if column.type().is_string() else column.cast("string")

    def same(v: bool | int | float | str) -> ir.BooleanValue:
        if _is_number(v):
            return as_number(v) == v
        if temporal_col:
            return column == ibis.literal(str(v)).cast(column.type())
        return as_text() == _text(v)

    match f.op:
        case "is_set":
            return column.notnull()
        case "is_not_set":
            return column.isnull()
        case "eq":
            assert value is not None and not isinstance(value, list)
            return same(value)
        case "neq":
            assert value is not None and not isinstance(value, list)
            return column.isnull() | ~same(value)
        case "in" | "not_in":
            assert isinstance(value, list)
            hit = ibis.or_(*(same(v) for v in value))
            return hit if f.op == "in" else (column.isnull() | ~hit)
        case "contains" | "not_contains":
            assert value is not None and not isinstance(value, list)
            hit = as_text().lower().contains(_text(value).lower())
            return hit if f.op == "contains" else (column.isnull() | ~hit)
        case "gt" | "gte" | "lt" | "lte":
            assert value is not None and not isinstance(value, list)
            if _is_number(value):
                left: ir.Value = as_number(value)
                right: ir.Value = ibis.literal(value)
            elif temporal_col:
                left, right = column, ibis.literal(str(value)).cast(column.type())
            else:
                left, right = as_text(), ibis.literal(_text(value))
            ops = {
                "gt": left > right,
                "gte": left >= right,
                "lt": left < right,
                "lte": left <= right,
            }
            return ops[f.op]


def user_property(users: ibis.Table, key: str) -> ir.Value:
    """A user column (user_id, account_id, created_at, licensed) or a trait."""
    return users[key] if key in USER_COLUMNS else users.traits[key]


def account_property(accounts: ibis.Table, key: str) -> ir.Value:
    """An account column (name, plan, seats, ...) or a trait."""
    return accounts[key] if key in ACCOUNT_COLUMNS else accounts.traits[key]


@ibis.udf.scalar.builtin(name="json_extract_string")  # type: ignore[untyped-decorator]
def _duckdb_json_text(document: str, path: str) -> str:  # type: ignore[empty-body]
    """DuckDB: the text of the JSON value at `path` (numbers and booleans as their JSON text)."""


@ibis.udf.scalar.builtin(name="get_json_object")  # type: ignore[untyped-decorator]
def _spark_json_text(document: str, path: str) -> str:  # type: ignore[empty-body]
    """Spark: the text of the JSON value at `path` (numbers and booleans as their JSON text)."""


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def event_property(events: ibis.Table, key: str) -> ir.Value:
    """An event property as text, or null when the event does not carry it.

    `properties` may be a map of text (m[key]) or JSON object text. JSON is read with each
    engine's native function: Ibis's own JSON unwrapping runs a pandas UDF on Spark.
    """
    column = events.properties
    if column.type().is_map():
        return column[key]
    engine = events._find_backend().name
    match engine:
        case "duckdb":
            path = f"$.{key}" if _PLAIN_KEY.match(key) else '$."' + key.replace('"', "") + '"'
            return _duckdb_json_text(column.cast("string"), path)
        case "pyspark":
            path = f"$.{key}" if _PLAIN_KEY.match(key) else "$['" + key.replace("'", "") + "']"
            return _spark_json_text(column.cast("string"), path)
        case _:
            return column.cast("json")[key].unwrap_as("string")


def entity_filters(rows: ibis.Table, filters: list[Filter], tables: Tables) -> ibis.Table:
    """Keep rows whose user (`user_id`) / account (`account_id`) passes the user.* / account.*
    filters; event filters are not applied here. `user.user_id` and `account.account_id` are
    compared with the rows' own ids, so a person or an account seen only on events (no profile
    yet) still matches them."""
    for f in filters:
        key = f.key
        if f.namespace == "user" and key == "user_id":
            rows = rows.filter(compare(rows.user_id, f))
        elif f.namespace == "account" and key == "account_id":
            rows = rows.filter(compare(rows.account_id, f))
        elif f.namespace == "user" and key is not None:
            users = tables.users
            ids = users.filter(compare(user_property(users, key), f)).user_id
            # A user with no profile has no properties: only negative filters can match.
            no_profile = ~rows.user_id.isin(users.user_id)
            matches_missing = f.op in ("neq", "not_in", "not_contains", "is_not_set")
            rows = rows.filter(
                rows.user_id.isin(ids) | no_profile if matches_missing else rows.user_id.isin(ids)
            )
        elif f.namespace == "account" and key is not None:
            accounts = tables.accounts
            ids = accounts.filter(compare(account_property(accounts, key), f)).account_id
            rows = rows.filter(rows.account_id.isin(ids))
    return rows


def event_filters(filters: list[Filter]) -> list[Filter]:
    """The filters that apply to single events (their name or properties)."""
    return [f for f in filters if f.namespace == "event"]


def apply_event_filters(events: ibis.Table, filters: list[Filter]) -> ibis.Table:
    """Keep events passing every event / event.<key> filter (needs raw events for keys)."""
    for f in filters:
        column = events.event if f.key is None else event_property(events, f.key)
        events = events.filter(compare(column, f))
    return events


def entity_property(tables: Tables, unit: str, ref: str) -> ibis.Table:
    """A table (entity, breakdown) giving each user or account the value of `ref` as text."""
    namespace, _, key = ref.partition(".")
    if namespace == "user":
        users = tables.users
        value = user_property(users, key)
        out = users.select(entity=users.user_id, breakdown=_label(value))
    elif namespace == "account" and unit == "account":
        accounts = tables.accounts
        value = account_property(accounts, key)
        out = accounts.select(entity=accounts.account_id, breakdown=_label(value))
    elif namespace == "account":
        users, accounts = tables.users, tables.accounts
        joined = users.left_join(accounts, users.account_id == accounts.account_id)
        value = account_property(joined, key) if key not in ACCOUNT_COLUMNS else joined[key]
        out = joined.select(entity=joined.user_id, breakdown=_label(value))
    else:
        raise SpecError(f"cannot break down by {ref!r} here")
    return out


def _label(value: ir.Value) -> ir.StringValue:
    text = value if value.type().is_string() else value.cast("string")
    return text.fill_null(NONE_LABEL)


def with_breakdown(rows: ibis.Table, tables: Tables, unit: str, ref: str | None) -> ibis.Table:
    """Add a text column `breakdown` to rows keyed by `entity`: the entity's value of `ref`
    (`(none)` when missing), or nothing when `ref` is None."""
    if ref is None:
        return rows
    props = entity_property(tables, unit, ref)
    joined = rows.left_join(props, rows.entity == props.entity)
    return joined.select(
        *[joined[c] for c in rows.columns], breakdown=joined.breakdown.fill_null(NONE_LABEL)
    )
