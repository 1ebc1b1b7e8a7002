"""Arrow map -> JSON text: every output parses back to the same dict with the stdlib."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.store.properties_json import as_json_properties, map_to_json

MAP = pa.map_(pa.string(), pa.string())


def test_escapes_unicode_empty_and_null():
    rows = [
        [("a", 'say "hi"'), ("b", "back\\slash")],
        [("line", "one\ntwo\tthree\r"), ("bell", "\x07"), ("ünï", "çödé ✓")],
        [],
        None,
        [("n", None)],
    ]
    out = map_to_json(pa.array(rows, MAP)).to_pylist()
    assert json.loads(out[0]) == {"a": 'say "hi"', "b": "back\\slash"}
    assert json.loads(out[1]) == {"line": "one\ntwo\tthree\r", "bell": "\x07", "ünï": "çödé ✓"}
    assert out[2] is None and out[3] is None
    # A null value inside a map becomes "" (maps of text have no null values to keep).
    assert json.loads(out[4]) == {"n": ""}


def test_sliced_and_chunked_input_keeps_row_alignment():
    rows = [[("k", str(i))] for i in range(10)]
    arr = pa.array(rows, MAP)
    chunked = pa.chunked_array([arr.slice(3, 4), arr.slice(8, 2)])
    out = map_to_json(chunked).to_pylist()
    assert [json.loads(v)["k"] for v in out] == ["3", "4", "5", "6", "8", "9"]


def test_text_passes_through_and_other_types_are_refused():
    text = pa.array(['{"a":"1"}', None])
    assert as_json_properties(text) is text
    assert as_json_properties(pa.nulls(2)).to_pylist() == [None, None]
    with pytest.raises(TypeError, match="JSON text or a map"):
        as_json_properties(pa.array([1, 2]))


keys = st.text(min_size=1, max_size=6)
values = st.text(max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dictionaries(keys, values, max_size=4)), max_size=8))
def test_any_map_round_trips_through_json(rows):
    arr = pa.array([None if r is None else list(r.items()) for r in rows], MAP)
    out = map_to_json(arr).to_pylist()
    for row, text in zip(rows, out, strict=True):
        if not row:
            assert text is None
        else:
            assert json.loads(text) == row
