"""JSON imports: JSON lines with malformed lines, JSON arrays and documents, value texts."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.ingest.lookups import PROPS_SQL, counts, read_rejects, rows
from uptake.errors import ImportFileError

T = dt.datetime


def test_json_lines_values_rejects_and_line_numbers(ws, write, load):
    # 1 ann: properties keep numbers as JSON text, booleans as true/false, arrays as compact
    #   JSON, drop nulls; 2 blank (skipped); 3 bob: a top-level extra key -> property;
    # 4 malformed (`oops` starts at column 29); 5 not an object; 6 properties not an object;
    # 7 eve via camelCase userId.
    path = write(
        "events.jsonl",
        '{"user_id": "ann", "event": "login", "timestamp": "2026-01-04T12:00:00Z", '
        '"properties": {"n": 3, "ok": true, "tags": ["a", "b"], "none": null, "s": "x"}}\n'
        "\n"
        '{"user_id": "bob", "event": "login", "timestamp": "2026-01-04T13:00:00Z", '
        '"plan": "pro"}\n'
        '{"user_id": "cat", "event": oops}\n'
        "[1, 2]\n"
        '{"user_id": "dan", "event": "login", "timestamp": "2026-01-05", "properties": "nope"}\n'
        '{"userId": "eve", "event": "export", "timestamp": "2026-01-05T08:00:00Z"}\n',
    )
    [summary] = load(path)
    assert (summary.format, summary.table) == ("json", "events")
    # Read 6 records (the blank line is no record): ann, bob, eve land; 3 rejected.
    assert counts(summary) == (6, 3, 0, 0, 3)
    query = f'SELECT user_id, "event", "timestamp", {PROPS_SQL} FROM events ORDER BY 1'
    assert rows(ws, query) == [
        ("ann", "login", T(2026, 1, 4, 12),
         {"n": "3", "ok": "true", "tags": '["a","b"]', "s": "x"}),
        ("bob", "login", T(2026, 1, 4, 13), {"plan": "pro"}),
        ("eve", "export", T(2026, 1, 5, 8), None),
    ]  # fmt: skip
    assert read_rejects(summary.rejects_file) == [
        {"file": str(path), "line": 4, "reason": "malformed JSON: Expecting value (column 29)",
         "raw": '{"user_id": "cat", "event": oops}'},
        {"file": str(path), "line": 5, "reason": "not a JSON object", "raw": [1, 2]},
        {"file": str(path), "line": 6, "reason": "properties is not a JSON object",
         "raw": {"user_id": "dan", "event": "login", "timestamp": "2026-01-05",
                 "properties": "nope"}},
    ]  # fmt: skip


def test_a_json_array_of_users_over_several_lines(ws, write, load):
    path = write(
        "users.json",
        "[\n"
        '  {"user_id": "ann", "account_id": "acme", "traits": {"department": "Sales"}},\n'
        '  {"user_id": "bob", "licensed": "yes", "created_at": "2026-01-02", "site": "Oslo"}\n'
        "]\n",
    )
    [summary] = load(path)
    assert counts(summary) == (2, 2, 0, 0, 0)
    got = rows(ws, "SELECT user_id, account_id, created_at, licensed, traits FROM users ORDER BY 1")
    assert got == [
        ("ann", "acme", None, None, {"department": "Sales"}),
        ("bob", None, T(2026, 1, 2), True, {"site": "Oslo"}),
    ]


def test_a_json_array_element_reports_the_line_it_starts_on(write, load):
    # Element 1 starts on line 2 (valid); element 2 starts on line 3 and spans to line 5 and
    # has no user_id.
    path = write(
        "events.json",
        '[\n{"user_id": "a", "event": "x", "timestamp": "2026-01-04"},\n'
        '{"event": "x",\n "timestamp":\n "2026-01-04"}\n]',
    )
    [summary] = load(path)
    assert counts(summary) == (2, 1, 0, 0, 1)
    assert [(r.line, r.reason) for r in summary.first_rejects] == [(3, "missing user_id")]


def test_a_json_document_broken_half_way_fails_whole_and_writes_nothing(ws, write, load):
    # The first element is fine, the second is cut: the document cannot be read past it, so the
    # whole file fails and nothing of it is kept.
    path = write(
        "events.json",
        '[{"user_id": "a", "event": "x", "timestamp": "2026-01-04"},\n{"user_id": "b", "ev',
    )
    with pytest.raises(ImportFileError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: not valid JSON at line 2: Unterminated string starting at"
    assert rows(ws, "SELECT count(*) FROM events") == [(0,)]


def test_text_that_is_not_json_is_refused(write, load):
    path = write("events.jsonl", "user_id,event\nann,login\n")
    with pytest.raises(ImportFileError) as caught:
        load(path)
    assert str(caught.value) == (
        f"{path}: not a JSON file (it starts with 'user_id,event', not an object or array)"
    )
