"""The result of a metric: one object feeds the terminal table, the JSON API and the web page."""

from __future__ import annotations

import csv
import decimal
import io
import math
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field


class Column(BaseModel):
    """A result column: its name and a simple type (date, timestamp, integer, number, text...)."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str


class Result(BaseModel):
    """Rows of a computed metric with the spec, the SQL that produced them and timings."""

    model_config = ConfigDict(frozen=True)

    kind: str
    spec: dict[str, Any]
    columns: list[Column]
    rows: list[dict[str, Any]]
    sql: str = Field(description="The SQL the engine ran, in its own dialect.")
    engine: str
    timings_ms: dict[str, float] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    cached: bool = Field(
        default=False,
        description="True when this answer was computed earlier on the same data and served "
        "again (timings_ms are those of that computation).",
    )
    summary: dict[str, Any] = Field(
        default_factory=dict,
        description="Named values about the whole result (fitted parameters, an estimate and "
        "its interval...); empty for most metrics.",
    )

    def column(self, name: str) -> list[Any]:
        """All values of one column, in row order."""
        return [row[name] for row in self.rows]

    def to_csv(self) -> str:
        """The rows as CSV text with a header line.

        Text that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
        carriage return) is prefixed with a single quote: names and traits come from ingested
        data (OWASP "CSV injection"). Numbers are written as they are.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([_cell(c.name) for c in self.columns])
        for row in self.rows:
            writer.writerow(
                ["" if row[c.name] is None else _cell(row[c.name]) for c in self.columns]
            )
        return buffer.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell: text that looks like a spreadsheet formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _simple_type(t: pa.DataType) -> str:
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_integer(t) or (pa.types.is_decimal(t) and t.scale == 0):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "list"
    return str(t)


def _plain(value: Any) -> Any:
    """A JSON-friendly Python value: no NaN, no Decimal."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def rows_of(table: pa.Table) -> tuple[list[Column], list[dict[str, Any]]]:
    """Columns and plain row dicts of an Arrow table."""
    columns = [Column(name=f.name, type=_simple_type(f.type)) for f in table.schema]
    rows = [{k: _plain(v) for k, v in row.items()} for row in table.to_pylist()]
    return columns, rows
