"""Raw rows -> canonical rows plus reject reasons, vectorized: one DuckDB statement per batch
for the typed columns and the reasons, Arrow for the property / trait map.

The statement is built from the column plan and the Arrow types (never from values), once per
file schema; it never fails on a bad value: a bad value gives a reason instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, assert_never

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from uptake.ingest import conversions as cv
from uptake.ingest.mapping import GENERATED, ColumnPlan
from uptake.ingest.options import MAP_COLUMN, TimestampUnit
from uptake.ingest.property_map import TEXT_MAP, entries_map
from uptake.store.schema import CANONICAL_SCHEMAS

_SHOWN_VALUE_CHARS = 60
# A row without an id gets the hash of its content (its canonical columns and its properties
# as read, all but received_at), so importing the same file again adds nothing.
_ID_COLUMN = {"events": "message_id", "responses": "response_id"}
ValueKind = Literal["text", "timestamp", "integer", "number", "boolean"]
_SQL_TYPE: dict[ValueKind, str] = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
}
_PROBLEM: dict[ValueKind, str] = {
    "timestamp": "is not a date or time",
    "integer": "is not a whole number",
    "number": "is not a number",
    "boolean": "is not true or false",
}


@dataclass(frozen=True)
class Normalized:
    """Canonical rows that passed, and (row index, reason) for the ones that did not."""

    rows: pa.Table
    rejected: list[tuple[int, str]]


def _kind(t: pa.DataType) -> ValueKind:
    """The kind of a canonical (non-map) column, from its Arrow type."""
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "number"
    if pa.types.is_boolean(t):
        return "boolean"
    return "text"


def _can_fail(kind: ValueKind, t: pa.DataType) -> bool:
    """Whether converting a present value of type `t` to `kind` can fail (give a reason)."""
    match kind:
        case "text":
            return False
        case "timestamp":
            return not (pa.types.is_timestamp(t) or pa.types.is_date(t))
        case "integer":
            return not pa.types.is_integer(t)
        case "number":
            return not (pa.types.is_integer(t) or pa.types.is_floating(t))
        case "boolean":
            return not pa.types.is_boolean(t)
        case unknown:
            assert_never(unknown)


def _quoted(raw: str) -> str:
    """SQL for a raw value in quotes, cut short, for a reason text."""
    n = _SHOWN_VALUE_CHARS
    cut = f"CASE WHEN length({raw}) > {n} THEN left({raw}, {n}) || '…' ELSE {raw} END"
    return f"'''' || {cut} || ''''"


def _q(name: str) -> str:
    return f'"{name}"'


def normalizing_connection(threads: int) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for normalizing batches, in UTC.

    Not the store's connection: a table registered inside the import's transaction stays
    alive until COMMIT (measured: +5 MB per 500k-row batch, freed only at commit), and
    normalizing needs no table of the store. Its memory is small: one batch at a time.
    """
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": threads,
            "memory_limit": "1GB",
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": True,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB's own progress bar would write into the command's output.
    con.execute("SET enable_progress_bar = false")
    return con


def _first_of(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"COALESCE({', '.join(values)})"


def _is_text_map(t: pa.DataType) -> bool:
    return pa.types.is_map(t) and cv.is_text(t.key_type) and cv.is_text(t.item_type)


class Normalizer:
    """The normalizing statement for one table and one file schema; `run` applies it."""

    def __init__(
        self,
        plan: ColumnPlan,
        schema: pa.Schema,
        timestamp_unit: TimestampUnit,
        timestamp_format: str | None,
    ) -> None:
        self.plan = plan
        self.schema = schema
        self.params = cv.Params()
        self._received_at: int | None = None
        self.map_column = MAP_COLUMN[plan.table]
        types = [schema.field(s).type for s in plan.objects]
        sql_objects = [s for s, t in zip(plan.objects, types, strict=True) if not _is_text_map(t)]
        sources = len(plan.objects) + (1 if plan.entries else 0)
        # The map is Arrow's alone when it is one ready map column or the column entries;
        # JSON text to parse, or several maps to merge, go through DuckDB.
        self.map_in_arrow = self.map_column is not None and not sql_objects and sources <= 1
        self.sql = self._build(timestamp_unit, timestamp_format)

    def _build(self, unit: TimestampUnit, pattern: str | None) -> str:
        plan, params, schema = self.plan, self.params, self.schema
        position = {name: f"c{i}" for i, name in enumerate(schema.names)}
        types = {name: schema.field(name).type for name in schema.names}
        first: list[str] = ["_row"]
        reasons: list[str] = []
        final: dict[str, str] = {}
        for field in CANONICAL_SCHEMAS[plan.table]:
            name = field.name
            if name == self.map_column:
                continue
            kind = _kind(field.type)
            final[name] = _q(name)
            sources = plan.columns.get(name, ())
            if not sources:
                first.append(f"CAST(NULL AS {_SQL_TYPE[kind]}) AS {_q(name)}")
                continue
            values = [self._convert(kind, position[s], types[s], unit, pattern) for s in sources]
            first.append(f"{_first_of(values)} AS {_q(name)}")
            if any(_can_fail(kind, types[s]) for s in sources):
                raw = _q(f"_raw_{name}")
                texts = [cv.text(position[s], types[s]) for s in sources]
                first.append(f"{_first_of(texts)} AS {raw}")
                reasons.append(
                    f"WHEN {raw} IS NOT NULL AND {_q(name)} IS NULL "
                    f"THEN '{name} ' || {_quoted(raw)} || ' {_PROBLEM[kind]}'"
                )
        hashed_sources = list(dict.fromkeys([s for _, s in plan.entries] + list(plan.objects)))
        content = [cv.text(position[s], types[s]) for s in hashed_sources]
        # Carried through the inner select for the id hash (a projection copies nothing).
        first += [position[s] for s in hashed_sources]
        if self.map_column is not None and not self.map_in_arrow:
            maps = []
            for i, source in enumerate(plan.objects):
                col, t = position[source], types[source]
                first.append(f"{cv.json_object_entries(col, t)} AS _obj{i}")
                maps.append(f"_obj{i}")
                if not _is_text_map(t):
                    first.append(f"{cv.text(col, t)} AS _obj_raw{i}")
                    label = params.add(f"{source} is not a JSON object: ")
                    reasons.append(
                        f"WHEN _obj_raw{i} IS NOT NULL AND _obj{i} IS NULL "
                        f"THEN {label} || {_quoted(f'_obj_raw{i}')}"
                    )
            if plan.entries:
                first.append("_entries")
                maps.append("_entries")
            merged = maps[0] if len(maps) == 1 else f"map_concat({', '.join(maps)})"
            first.append(f"{merged} AS _merged")
            final[self.map_column] = "CASE WHEN cardinality(_merged) > 0 THEN _merged END"
        whens = reasons + self._finish_columns(final, content)
        reason = f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS VARCHAR)"
        select = ", ".join(f"{expr} AS {_q(name)}" for name, expr in final.items())
        return (
            f"SELECT _row, {select}, {reason} AS _reject "
            f"FROM (SELECT {', '.join(first)} FROM _uptake_raw_rows)"
        )

    def _convert(
        self, kind: ValueKind, col: str, t: pa.DataType, unit: TimestampUnit, pattern: str | None
    ) -> str:
        match kind:
            case "text":
                return cv.text(col, t)
            case "timestamp":
                return cv.timestamp(col, t, unit, pattern, self.params)
            case "integer":
                return cv.integer(col, t)
            case "number":
                return cv.number(col, t)
            case "boolean":
                return cv.boolean(col, t)
            case unknown:
                assert_never(unknown)

    def _finish_columns(self, final: dict[str, str], content: list[str]) -> list[str]:
        """Fill generated columns in `final`; return the missing-value reasons.

        A reason for a value present but unreadable comes first (the caller puts those before
        these): it is the likelier cause, as a bad timestamp leaves `timestamp` NULL too.
        """
        table = self.plan.table
        if table == "events":
            final["user_id"] = 'COALESCE("user_id", "anonymous_id")'
            slot = self.params.add(None)
            self._received_at = len(self.params.values) - 1
            final["received_at"] = f'COALESCE("received_at", CAST({slot} AS TIMESTAMP))'
        id_column = _ID_COLUMN.get(table)
        if id_column is not None:
            parts = [
                final[f.name]
                for f in CANONICAL_SCHEMAS[table]
                if f.name in final and f.name not in (id_column, "received_at")
            ] + content
            hashed = ", ".join(f"COALESCE(CAST({p} AS VARCHAR), chr(0))" for p in parts)
            # COALESCE is lazy in DuckDB: rows that carry an id are never hashed.
            final[id_column] = f"COALESCE({_q(id_column)}, md5(concat_ws(chr(31), {hashed})))"
        return [
            f"WHEN {final[f.name]} IS NULL THEN 'missing {f.name}'"
            for f in CANONICAL_SCHEMAS[table]
            if not f.nullable and f.name not in GENERATED
        ]

    def _map(self, rows: pa.Table) -> pa.Array | None:
        """The Arrow-built map for this batch: the entries of the planned columns, or the one
        ready map column (None when the plan has neither)."""
        plan = self.plan
        if plan.entries:
            keys = [key for key, _ in plan.entries]
            return entries_map(
                keys, [rows.column(source).combine_chunks() for _, source in plan.entries]
            )
        if plan.objects:
            return rows.column(plan.objects[0]).combine_chunks()
        return None

    def run(
        self, con: duckdb.DuckDBPyConnection, rows: pa.Table, received_at: dt.datetime
    ) -> Normalized:
        """Normalize one batch of raw rows (with this normalizer's schema) on `con`, a
        connection outside the import's transaction (see `normalizing_connection`);
        `received_at` (naive UTC) fills events that carry none."""
        n = rows.num_rows
        positional = rows.rename_columns([f"c{i}" for i in range(rows.num_columns)])
        positional = positional.append_column("_row", pa.array(np.arange(n, dtype=np.int64)))
        built = self._map(rows) if self.map_column is not None else None
        if built is not None and not self.map_in_arrow:
            positional = positional.append_column("_entries", built)
        values = list(self.params.values)
        if self._received_at is not None:
            values[self._received_at] = received_at
        con.register("_uptake_raw_rows", positional)
        try:
            out = con.execute(self.sql, values).to_arrow_table()
        finally:
            con.unregister("_uptake_raw_rows")
        order = out["_row"].to_numpy()
        if not np.array_equal(order, np.arange(n)):
            # DuckDB keeps insertion order for a plain projection; this guards the Arrow map's
            # alignment should a plan ever reorder rows.
            out = out.take(pa.array(np.argsort(order)))
        if self.map_in_arrow:
            column = built if built is not None else pa.nulls(n, TEXT_MAP)
            out = out.append_column(self.map_column or "", column.cast(TEXT_MAP))
        ok = pc.is_null(out["_reject"])
        good = out.filter(ok).drop_columns(["_row", "_reject"])
        bad = out.filter(pc.invert(ok)).select(["_row", "_reject"]).to_pydict()
        return Normalized(rows=good, rejected=list(zip(bad["_row"], bad["_reject"], strict=True)))
