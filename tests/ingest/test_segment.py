"""Segment-format files: track / page / screen -> events, identify -> users, group -> accounts
(and the user's account), unsupported calls rejected with their line."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.ingest.lookups import counts, rows
from uptake.errors import ImportFileError

T = dt.datetime

MESSAGES = [
    # 1: ann's profile; createdAt becomes created_at, the other traits stay traits.
    {"type": "identify", "userId": "ann", "timestamp": "2026-01-04T09:00:00Z",
     "traits": {"email": "ann@acme.io", "createdAt": "2026-01-01T00:00:00Z",
                "department": "Sales"}},
    # 2: the acme account, and ann linked to it.
    {"type": "group", "userId": "ann", "groupId": "acme", "timestamp": "2026-01-04T09:01:00Z",
     "traits": {"name": "Acme", "plan": "pro", "seats": 25, "industry": "retail"}},
    # 3: a track call.
    {"type": "track", "userId": "ann", "event": "Report Exported", "messageId": "m1",
     "timestamp": "2026-01-04T10:00:00Z", "properties": {"format": "pdf"}},
    # 4: a page call: its name joins the page properties.
    {"type": "page", "userId": "ann", "name": "Pricing", "messageId": "m2",
     "timestamp": "2026-01-04T10:05:00Z",
     "properties": {"url": "https://acme.io/pricing", "path": "/pricing", "title": "Pricing"}},
    # 5: an anonymous screen call without a messageId.
    {"type": "screen", "anonymousId": "anon-1", "name": "Home",
     "timestamp": "2026-01-04T11:00:00Z"},
    # 6-8: not importable.
    {"type": "alias", "userId": "ann", "previousId": "anon-1"},
    {"type": "track", "userId": "bob", "timestamp": "2026-01-04T12:00:00Z"},
    {"type": "group", "userId": "bob", "timestamp": "2026-01-04T12:00:00Z"},
]  # fmt: skip


def test_segment_messages_one_per_line(ws, write, load):
    path = write("segment.jsonl", "".join(json.dumps(m) + "\n" for m in MESSAGES))
    [summary] = load(path)
    assert (summary.format, summary.table) == ("segment", "segment")
    # Rows: identify 1 user row; group 1 account + 1 user row; track, page, screen 1 event
    # each; 3 messages rejected = 9. ann's two user rows merge into one new user (the second
    # counts as repeated), acme is new, 3 events are new.
    assert counts(summary) == (9, 5, 0, 1, 3)
    assert set(summary.by_table) == {"events", "users", "accounts"}
    assert [(r.line, r.reason) for r in summary.first_rejects] == [
        (6, "alias calls are not supported (merge the two ids before importing)"),
        (7, "track call without an event name"),
        (8, "group call without groupId"),
    ]
    # Events take ann's account from her profile (the group call); the screen call's user is
    # its anonymous id and its id a content hash.
    assert rows(
        ws,
        'SELECT user_id, anonymous_id, account_id, "event", "timestamp", '
            "CAST(properties AS MAP(VARCHAR, VARCHAR)) "
        'FROM events ORDER BY "timestamp"',
    ) == [
        ("ann", None, "acme", "Report Exported", T(2026, 1, 4, 10), {"format": "pdf"}),
        ("ann", None, "acme", "page_viewed", T(2026, 1, 4, 10, 5),
         {"url": "https://acme.io/pricing", "path": "/pricing", "title": "Pricing",
          "name": "Pricing"}),
        ("anon-1", "anon-1", None, "screen_viewed", T(2026, 1, 4, 11), {"name": "Home"}),
    ]  # fmt: skip
    assert rows(ws, "SELECT user_id, account_id, created_at, traits FROM users") == [
        ("ann", "acme", T(2026, 1, 1), {"email": "ann@acme.io", "department": "Sales"}),
    ]
    assert rows(ws, "SELECT account_id, name, plan, seats, traits FROM accounts") == [
        ("acme", "Acme", "pro", 25, {"industry": "retail"}),
    ]


def test_a_batch_object_spread_over_lines(ws, write, load):
    # {"batch": [...]} as Segment's HTTP /batch sends it, pretty-printed: each message's line
    # is where it starts (the second starts on line 4 and has no event name).
    text = (
        '{\n  "batch": [\n'
        '    {"type": "track", "userId": "a", "event": "x", "timestamp": "2026-01-04"},\n'
        '    {"type": "track", "userId": "b",\n     "timestamp": "2026-01-04"}\n'
        '  ],\n  "sentAt": "2026-01-04T00:00:00Z"\n}\n'
    )
    path = write("batch.json", text)
    [summary] = load(path)
    assert (summary.format, counts(summary)) == ("segment", (2, 1, 0, 0, 1))
    assert [(r.line, r.reason) for r in summary.first_rejects] == [
        (4, "track call without an event name"),
    ]
    assert rows(ws, 'SELECT user_id, "event" FROM events') == [("a", "x")]


def test_a_json_array_of_messages_and_a_custom_page_event(ws, write, load):
    path = write(
        "export.json",
        json.dumps(
            [
                {
                    "type": "page",
                    "userId": "a",
                    "timestamp": "2026-01-04",
                    "context": {"page": {"url": "https://x.io/a", "referrer": "https://g.co"}},
                    "properties": {"title": "A"},
                },
            ]
        ),
    )
    load(path, page_event="Page View")
    # context.page fills in what properties lack.
    assert rows(ws, 'SELECT "event", CAST(properties AS MAP(VARCHAR, VARCHAR)) FROM events') == [
        ("Page View", {"url": "https://x.io/a", "referrer": "https://g.co", "title": "A"}),
    ]


def test_context_group_id_puts_a_track_call_on_an_account(ws, write, load):
    message = {"type": "track", "userId": "a", "event": "x", "timestamp": "2026-01-04",
               "context": {"groupId": "globex"}}  # fmt: skip
    path = write("segment.jsonl", json.dumps(message) + "\n")
    load(path)
    assert rows(ws, "SELECT user_id, account_id FROM events") == [("a", "globex")]


def test_segment_file_with_table_option_is_refused(write, load):
    path = write("segment.jsonl", json.dumps(MESSAGES[2]) + "\n")
    with pytest.raises(ImportFileError) as caught:
        load(path, format="segment", table="events")
    assert str(caught.value) == (
        f"{path}: Segment files fill events, users and accounts by message type; drop --table "
        "(or pass --format json to read it as plain rows)"
    )


def test_importing_a_segment_file_twice_adds_no_events(ws, write, load):
    path = write("segment.jsonl", "".join(json.dumps(m) + "\n" for m in MESSAGES[:5]))
    load(path)
    [again] = load(path)
    # 3 events already stored (2 by messageId, the screen call by its content hash); the user
    # row and the account row update existing profiles; ann's second user row is repeated.
    assert counts(again) == (6, 0, 2, 4, 0)
    assert rows(ws, "SELECT count(*) FROM events") == [(3,)]
