"""SQL expressions that turn a raw column (any Arrow type) into a canonical value.

Every expression is total: a value that does not convert gives NULL (never an error that
would abort the batch), and the normalizer turns "raw present, converted NULL" into a reject
reason. Values from the file are never spliced into SQL text: columns are referred to by
position (`c0`, `c1`, ...) and names, keys and patterns travel as parameters.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from uptake.ingest.options import TimestampUnit

# Epoch magnitude cut-offs for `auto`: 1e11 s is the year 5138, 1e11 ms is 1973, so real
# timestamps fall clearly on one side in each unit.
_AUTO_LIMITS = ((1e11, 1_000_000), (1e14, 1_000), (1e17, 1))
_FACTOR: dict[str, float] = {"s": 1e6, "ms": 1e3, "us": 1.0, "ns": 1e-3}
# HH:MM without seconds (2026-01-04T12:00Z) is ISO 8601 but DuckDB's cast wants the seconds.
_NO_SECONDS = r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2})(Z|[+-]\d{2}(:?\d{2})?)?$"
_EPOCH_TEXT = r"-?[0-9]+(\.[0-9]+)?"
# Plain ISO text in UTC (no offset, Z or +00:00) casts to TIMESTAMP directly: 3x cheaper than
# the zone-aware cast through ICU, which only text with a real offset or zone name needs.
_ISO_UTC = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?)?(Z|[+-]00(:?00)?)?"


class Params:
    """Collects the parameters of one statement (`$1`, `$2`, ...)."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        """A placeholder for `value`."""
        self.values.append(value)
        return f"${len(self.values)}"


def is_text(t: pa.DataType) -> bool:
    """Whether an Arrow type holds text (string, large string, string view, or a dictionary
    of those)."""
    if pa.types.is_dictionary(t):
        return is_text(t.value_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _is_nested(t: pa.DataType) -> bool:
    return bool(pa.types.is_nested(t))


def text(col: str, t: pa.DataType) -> str:
    """The value as text: strings as they are, numbers as their JSON text, booleans as
    true / false, nested values as JSON; empty text is NULL."""
    if is_text(t):
        return f"NULLIF(CAST({col} AS VARCHAR), '')"
    if pa.types.is_null(t):
        return "CAST(NULL AS VARCHAR)"
    if _is_nested(t):
        return f"try(CAST(to_json({col}) AS VARCHAR))"
    return f"try(CAST({col} AS VARCHAR))"


def _epoch_micros(x: str, unit: TimestampUnit, integral: bool) -> str:
    """Microseconds since 1970 from a number `x` in `unit` (auto: by magnitude)."""
    if integral:

        def scale(factor: float) -> str:
            if factor >= 1:
                return f"({x} * {int(factor)})"
            return f"({x} // {int(1 / factor)})"

    else:

        def scale(factor: float) -> str:
            return f"CAST(round({x} * {factor!r}) AS BIGINT)"

    if unit != "auto":
        return scale(_FACTOR[unit])
    whens = " ".join(f"WHEN abs({x}) < {limit:.0f} THEN {scale(f)}" for limit, f in _AUTO_LIMITS)
    return f"CASE {whens} ELSE {scale(1e-3)} END"


def timestamp(
    col: str, t: pa.DataType, unit: TimestampUnit, pattern: str | None, params: Params
) -> str:
    """A naive UTC TIMESTAMP: ISO 8601 text (offset converted, none = UTC), date-only text,
    epoch numbers (or numeric text) in `unit`, Arrow timestamps (zoned ones converted) and
    dates; `pattern` (strptime) replaces ISO parsing for text."""
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        # A zoned Arrow timestamp arrives as TIMESTAMPTZ; the session zone is UTC.
        return f"try(CAST({col} AS TIMESTAMP))"
    if pa.types.is_integer(t):
        return f"try(make_timestamp({_epoch_micros(f'CAST({col} AS BIGINT)', unit, True)}))"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return f"try(make_timestamp({_epoch_micros(f'CAST({col} AS DOUBLE)', unit, False)}))"
    if not is_text(t):
        return "CAST(NULL AS TIMESTAMP)"
    raw = f"CAST({col} AS VARCHAR)"
    s = f"trim({raw})"
    integral = _epoch_micros(f"TRY_CAST({s} AS BIGINT)", unit, True)
    fractional = _epoch_micros(f"TRY_CAST({s} AS DOUBLE)", unit, False)
    epoch = (
        f"WHEN regexp_full_match({s}, {params.add(_EPOCH_TEXT)}) THEN CASE "
        f"WHEN contains({s}, '.') THEN try(make_timestamp({fractional})) "
        f"ELSE try(make_timestamp({integral})) END"
    )
    if pattern is not None:
        return (
            f"CASE {epoch} "
            f"ELSE try(CAST(try_strptime({s}, {params.add(pattern)}) AS TIMESTAMP)) END"
        )
    zoned = (
        f"COALESCE(CAST(TRY_CAST({s} AS TIMESTAMPTZ) AS TIMESTAMP), "
        f"CAST(TRY_CAST(regexp_replace({s}, {params.add(_NO_SECONDS)}, '\\1:00\\2') "
        f"AS TIMESTAMPTZ) AS TIMESTAMP))"
    )
    return (
        f"CASE WHEN regexp_full_match({raw}, {params.add(_ISO_UTC)}) "
        f"THEN TRY_CAST({raw} AS TIMESTAMP) {epoch} ELSE {zoned} END"
    )


def integer(col: str, t: pa.DataType) -> str:
    """A BIGINT from integers, whole floats or whole-number text ('12', '12.0'); else NULL."""
    if pa.types.is_integer(t):
        return f"try(CAST({col} AS BIGINT))"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return f"CASE WHEN {col} = trunc({col}) THEN try(CAST({col} AS BIGINT)) END"
    if is_text(t):
        s = f"trim(CAST({col} AS VARCHAR))"
        return (
            f"CASE WHEN regexp_full_match({s}, '-?[0-9]+(\\.0*)?') "
            f"THEN TRY_CAST(TRY_CAST({s} AS DOUBLE) AS BIGINT) END"
        )
    return "CAST(NULL AS BIGINT)"


def number(col: str, t: pa.DataType) -> str:
    """A DOUBLE from any number or numeric text; else NULL."""
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return f"try(CAST({col} AS DOUBLE))"
    if is_text(t):
        return f"TRY_CAST(trim(CAST({col} AS VARCHAR)) AS DOUBLE)"
    return "CAST(NULL AS DOUBLE)"


def boolean(col: str, t: pa.DataType) -> str:
    """A BOOLEAN from booleans, numbers (0 = false) or text true/false, yes/no, t/f, y/n, 1/0."""
    if pa.types.is_boolean(t):
        return col
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return f"({col} <> 0)"
    if is_text(t):
        s = f"lower(trim(CAST({col} AS VARCHAR)))"
        return (
            f"CASE WHEN {s} IN ('true', 't', 'yes', 'y', '1') THEN true "
            f"WHEN {s} IN ('false', 'f', 'no', 'n', '0') THEN false END"
        )
    return "CAST(NULL AS BOOLEAN)"


def json_object_entries(col: str, t: pa.DataType) -> str:
    """A MAP(VARCHAR, VARCHAR) from a JSON object (text), a map or a struct: string values
    unquoted, numbers / booleans as JSON text, nested values as JSON, nulls dropped; NULL when
    the value is not an object."""
    if pa.types.is_map(t) and is_text(t.item_type) and is_text(t.key_type):
        return col
    j = (
        f"CAST({col} AS JSON)"
        if is_text(t)
        else f"CAST(to_json({col}) AS JSON)"
        if _is_nested(t)
        else "CAST(NULL AS JSON)"
    )
    obj = f"try(CAST({j} AS MAP(VARCHAR, JSON)))"
    guard = f"json_valid(CAST({col} AS VARCHAR)) AND " if is_text(t) else ""
    return (
        f"CASE WHEN {guard}json_type({j}) = 'OBJECT' THEN map_from_entries(list_transform("
        f"list_filter(map_entries({obj}), e -> json_type(e.value) <> 'NULL'), "
        f"e -> {{'key': e.key, 'value': CASE WHEN json_type(e.value) = 'VARCHAR' "
        f"THEN e.value ->> '$' ELSE CAST(e.value AS VARCHAR) END}})) END"
    )


def column_entries(pairs: list[tuple[str, str, pa.DataType]], params: Params) -> str:
    """A MAP(VARCHAR, VARCHAR) of (key, column) pairs, leaving out the NULL values."""
    if not pairs:
        return "CAST(NULL AS MAP(VARCHAR, VARCHAR))"
    structs = ", ".join(
        f"{{'key': CAST({params.add(key)} AS VARCHAR), 'value': {text(col, t)}}}"
        for key, col, t in pairs
    )
    return f"map_from_entries(list_filter([{structs}], e -> e.value IS NOT NULL))"
