"""Parquet imports: typed columns, row numbers in rejects, corrupt and truncated files."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.ingest.lookups import PROPS_SQL, counts, read_rejects, rows
from uptake.errors import ImportFileError

T = dt.datetime
PROPS = pa.map_(pa.string(), pa.string())


def test_typed_columns_a_map_column_and_row_numbers(ws, tmp_path, load):
    # Row 1 ann: a ready properties map plus an int column and a float column as properties
    # (numbers as JSON text; the float 2.0 shows as "2"). Row 2 has no user. Row 3 bob: an
    # empty map and null numbers -> no properties at all.
    table = pa.table(
        {
            "message_id": ["m1", "m2", "m3"],
            "user_id": ["ann", None, "bob"],
            "event": ["login", "login", "export"],
            "timestamp": pa.array([T(2026, 1, 4, 9), T(2026, 1, 4, 10), T(2026, 1, 5)],
                                  pa.timestamp("us")),
            "properties": pa.array([[("plan", "pro")], [], []], PROPS),
            "clicks": pa.array([3, 4, None], pa.int64()),
            "score": pa.array([2.0, 1.5, None], pa.float64()),
        }
    )  # fmt: skip
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, row_group_size=2)
    [summary] = load(path)
    assert (summary.format, summary.table) == ("parquet", "events")
    assert counts(summary) == (3, 2, 0, 0, 1)
    assert rows(
        ws,
        f'SELECT message_id, user_id, "timestamp", {PROPS_SQL} FROM events ORDER BY 1',
    ) == [
        ("m1", "ann", T(2026, 1, 4, 9), {"plan": "pro", "clicks": "3", "score": "2"}),
        ("m3", "bob", T(2026, 1, 5), None),
    ]
    # Row 2's raw row keeps its typed values (the timestamp as ISO text for JSON).
    assert read_rejects(summary.rejects_file) == [
        {"file": str(path), "line": 2, "reason": "missing user_id",
         "raw": {"message_id": "m2", "user_id": None, "event": "login",
                 "timestamp": "2026-01-04T10:00:00", "properties": [], "clicks": 4,
                 "score": 1.5}},
    ]  # fmt: skip


def test_accounts_from_parquet_with_typed_and_text_columns(ws, tmp_path, load):
    # seats as text "25" and a float mrr; churned_at as a date; an unknown column -> trait.
    table = pa.table(
        {
            "account_id": ["acme", "globex"],
            "name": ["Acme", "Globex"],
            "seats": ["25", "ten"],
            "mrr": [99.5, 10.0],
            "churned_at": pa.array([None, dt.date(2026, 3, 1)], pa.date32()),
            "industry": ["retail", None],
        }
    )
    path = tmp_path / "accounts.parquet"
    pq.write_table(table, path)
    [summary] = load(path)
    # globex's seats "ten" is not a whole number: rejected at row 2.
    assert counts(summary) == (2, 1, 0, 0, 1)
    assert [(r.line, r.reason) for r in summary.first_rejects] == [
        (2, "seats 'ten' is not a whole number"),
    ]
    assert rows(ws, "SELECT account_id, name, seats, mrr, churned_at, traits FROM accounts") == [
        ("acme", "Acme", 25, 99.5, None, {"industry": "retail"}),
    ]


def test_not_a_parquet_file(write, load):
    path = write("events.parquet", b"user_id,event\nann,login\n")
    with pytest.raises(ImportFileError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: not a Parquet file (it does not start with PAR1)"


def test_a_truncated_parquet_file(tmp_path, load):
    path = tmp_path / "events.parquet"
    pq.write_table(pa.table({"user_id": ["a"] * 100, "event": ["x"] * 100}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFileError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: truncated Parquet file (its footer is missing)"
