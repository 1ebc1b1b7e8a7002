"""Event properties as JSON text: a vectorized Arrow map -> JSON object conversion.

Events store `properties` as JSON text, not a DuckDB MAP: measured on this 2-core machine,
writing 2M rows of two-key maps took 2.7 s against 0.33 s for the same data as JSON text, and
reading one key back was as fast either way (0.52 s map, 0.45 s JSON). Producers may still hand
over a `map<string, string>` column; this converts it without a Python loop per row (1.1 s for
2M rows).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# Characters JSON requires escaping in a string: quote, backslash and control characters.
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"),
            ("\b", "\\b"), ("\f", "\\f"))  # fmt: skip


def _quoted(strings: pa.Array) -> pa.Array:
    """Each string as a JSON string literal (null stays null)."""
    if pc.any(pc.match_substring_regex(strings, _NEEDS_ESCAPE)).as_py():
        for raw, escaped in _ESCAPES:
            strings = pc.replace_substring(strings, raw, escaped)
        # Other control characters are rare: escape them one by one as \u00XX.
        for code in [*range(0x00, 0x08), 0x0B, *range(0x0E, 0x20)]:
            strings = pc.replace_substring(strings, chr(code), f"\\u{code:04x}")
    return pc.binary_join_element_wise('"', strings, '"', "")


def map_to_json(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A `map<string, string>` column as JSON object text; null or empty maps become null."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    assert isinstance(column, pa.MapArray)
    if len(column) == 0:
        return pa.array([], pa.string())
    values = pc.fill_null(column.items, "")
    pairs = pc.binary_join_element_wise(_quoted(column.keys), _quoted(values), ":")
    offsets = column.offsets
    lengths = pc.subtract(offsets.slice(1), offsets.slice(0, len(offsets) - 1))
    missing = pc.or_kleene(column.is_null(), pc.equal(lengths, 0))
    lists = pa.ListArray.from_arrays(offsets, pairs, mask=missing)
    body = pc.binary_join(lists, ",")
    return pc.binary_join_element_wise("{", body, "}", "")


def as_json_properties(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The properties column as JSON text, whether it arrives as text or as a map."""
    if pa.types.is_map(column.type):
        return map_to_json(column)
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), pa.string())
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise TypeError(f"properties must be JSON text or a map of text, not {column.type}")
    return column
