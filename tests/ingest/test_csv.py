"""CSV imports: columns, property columns, mapping, physical line numbers of rejects, dedupe."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.ingest.lookups import PROPS_SQL, counts, read_rejects, rows
from uptake.errors import ImportFileError

T = dt.datetime


def test_columns_property_columns_and_a_json_properties_column(ws, write, load):
    # ann: `plan` is an extra column -> property; `properties.browser` -> property `browser`;
    # the `properties` column holds a JSON object whose number stays JSON text ("1"), whose
    # nested object stays compact JSON, whose string is unquoted. bob's empty `plan` cell and
    # empty `properties` cell add nothing. No message_id column: ids are content hashes.
    path = write(
        "events.csv",
        "user_id,event,timestamp,plan,properties.browser,properties\n"
        'ann,login,2026-01-04T12:00:00+02:00,pro,firefox,"{""a"": 1, ""b"": {""c"": true}, '
        '""s"": ""x""}"\n'
        "bob,export,2026-01-04 09:30:00,,chrome,\n",
    )
    [summary] = load(path)
    assert (summary.table, summary.format) == ("events", "csv")
    assert counts(summary) == (2, 2, 0, 0, 0)
    assert summary.rejects_file is None
    got = rows(
        ws,
        f'SELECT user_id, anonymous_id, account_id, "event", "timestamp", {PROPS_SQL}, '
        "length(message_id) FROM events ORDER BY user_id",
    )
    assert got == [
        ("ann", None, None, "login", T(2026, 1, 4, 10, 0),
         {"a": "1", "b": '{"c":true}', "s": "x", "plan": "pro", "browser": "firefox"}, 32),
        ("bob", None, None, "export", T(2026, 1, 4, 9, 30), {"browser": "chrome"}, 32),
    ]  # fmt: skip


def test_quoted_multi_line_field_before_bad_rows_gives_physical_lines(ws, write, load):
    # Physical lines: 1 header; 2-4 ann (a note over three lines); 5 bob has 3 fields;
    # 6 no user; 7 a timestamp that is not one; 8 blank (skipped, not counted);
    # 9 dan (a note with doubled quotes); 10 eve has 5 fields.
    path = write(
        "events.csv",
        "user_id,event,timestamp,note\n"
        'ann,login,2026-01-04,"first line\nsecond line\nthird line"\n'
        "bob,login,2026-01-04\n"
        ",login,2026-01-04,no user\n"
        "cat,login,yesterday,bad time\n"
        "\n"
        'dan,export,2026-01-05,"a ""quoted"" note"\n'
        "eve,login,2026-01-05,x,extra\n",
    )
    [summary] = load(path)
    # Read: ann, bob, (no user), cat, dan, eve = 6; ann and dan land; 4 rejected.
    assert counts(summary) == (6, 2, 0, 0, 4)
    assert [(r.line, r.reason) for r in summary.first_rejects] == [
        (5, "wrong number of fields: expected 4, found 3"),
        (6, "missing user_id"),
        (7, "timestamp 'yesterday' is not a date or time"),
        (10, "wrong number of fields: expected 4, found 5"),
    ]
    assert read_rejects(summary.rejects_file) == [
        {"file": str(path), "line": 5, "reason": "wrong number of fields: expected 4, found 3",
         "raw": "bob,login,2026-01-04"},
        {"file": str(path), "line": 6, "reason": "missing user_id",
         "raw": {"user_id": None, "event": "login", "timestamp": "2026-01-04", "note": "no user"}},
        {"file": str(path), "line": 7, "reason": "timestamp 'yesterday' is not a date or time",
         "raw": {"user_id": "cat", "event": "login", "timestamp": "yesterday",
                 "note": "bad time"}},
        {"file": str(path), "line": 10, "reason": "wrong number of fields: expected 4, found 5",
         "raw": "eve,login,2026-01-05,x,extra"},
    ]  # fmt: skip
    assert rows(ws, "SELECT user_id, (properties->>'$.note') FROM events ORDER BY 1") == [
        ("ann", "first line\nsecond line\nthird line"),
        ("dan", 'a "quoted" note'),
    ]


def test_crlf_lines_and_a_crlf_inside_quotes_count_as_one_line_each(ws, write, load):
    # 1 header; 2-3 ann (one CRLF inside quotes); 4 bob has no timestamp.
    path = write(
        "events.csv",
        'user_id,event,timestamp,note\r\nann,login,2026-01-04,"a\r\nb"\r\nbob,login,,x\r\n',
    )
    [summary] = load(path)
    assert counts(summary) == (2, 1, 0, 0, 1)
    assert [(r.line, r.reason) for r in summary.first_rejects] == [(4, "missing timestamp")]


def test_a_message_id_repeated_on_one_utc_day_is_one_event(ws, write, load):
    # m1 twice on Jan 4 (a retry) -> one event, one duplicate; m1 on Jan 5 is another event.
    path = write(
        "events.csv",
        "message_id,user_id,event,timestamp\n"
        "m1,ann,login,2026-01-04T08:00:00Z\n"
        "m1,ann,login,2026-01-04T08:00:00Z\n"
        "m1,ann,login,2026-01-05T08:00:00Z\n",
    )
    [summary] = load(path)
    assert counts(summary) == (3, 2, 0, 1, 0)
    assert rows(ws, 'SELECT message_id, "timestamp" FROM events ORDER BY 2') == [
        ("m1", T(2026, 1, 4, 8)),
        ("m1", T(2026, 1, 5, 8)),
    ]


def test_importing_the_same_file_twice_adds_nothing(ws, write, load):
    # No message_id: the generated ids hash the row's content, so the second import finds all
    # three rows already stored and the rollups keep the first import's counts.
    path = write(
        "events.csv",
        "user_id,event,timestamp,plan\n"
        "ann,login,2026-01-04 08:00,pro\n"
        "ann,login,2026-01-04 09:00,pro\n"
        "bob,export,2026-01-05 10:00,free\n",
    )
    [first] = load(path)
    [again] = load(path)
    assert counts(first) == (3, 3, 0, 0, 0)
    assert counts(again) == (3, 0, 0, 3, 0)
    assert rows(ws, "SELECT count(*) FROM events") == [(3,)]
    assert rows(ws, 'SELECT user_id, "event", sum(n) FROM daily GROUP BY ALL ORDER BY ALL') == [
        ("ann", "login", 2),
        ("bob", "export", 1),
    ]


def test_identical_rows_without_an_id_are_one_event(ws, write, load):
    # Same user, event, second and properties: the content id is the same, so the second row
    # counts as a duplicate (documented: give such rows a message_id to keep both).
    path = write(
        "events.csv",
        "user_id,event,timestamp\nann,login,2026-01-04 08:00:00\nann,login,2026-01-04 08:00:00\n",
    )
    [summary] = load(path)
    assert counts(summary) == (2, 1, 0, 1, 0)


def test_mapping_renames_foreign_columns_and_ignore_extra_drops_the_rest(ws, write, load):
    # person_id -> user_id, action -> event, created -> timestamp, "Plan Type" -> property
    # plan; `noise` is not imported (--ignore-extra), `properties.team` still is (explicit).
    path = write(
        "events.csv",
        "person_id,action,created,Plan Type,noise,properties.team\n"
        "p1,signup,2026-01-04T10:00:00Z,pro,zzz,red\n",
    )
    [summary] = load(
        path,
        mapping={
            "user_id": "person_id",
            "event": "action",
            "timestamp": "created",
            "properties.plan": "Plan Type",
        },
        ignore_extra=True,
    )
    assert counts(summary) == (1, 1, 0, 0, 0)
    assert summary.ignored_columns == ("noise",)
    assert rows(
        ws,
        f'SELECT user_id, "event", "timestamp", {PROPS_SQL} FROM events',
    ) == [
        ("p1", "signup", T(2026, 1, 4, 10), {"plan": "pro", "team": "red"}),
    ]


def test_camel_case_columns_and_anonymous_only_events(ws, write, load):
    # userId / anonymousId / messageId are Segment's spellings of our columns. A row with only
    # an anonymous id counts that id as its user (PostHog's distinct_id).
    path = write(
        "events.csv",
        "messageId,userId,anonymousId,event,timestamp\n"
        "m1,ann,,login,2026-01-04\n"
        "m2,,anon-7,login,2026-01-04\n",
    )
    [summary] = load(path)
    assert counts(summary) == (2, 2, 0, 0, 0)
    assert rows(ws, "SELECT message_id, user_id, anonymous_id FROM events ORDER BY 1") == [
        ("m1", "ann", None),
        ("m2", "anon-7", "anon-7"),
    ]


def test_tab_separated_file(ws, write, load):
    path = write("events.tsv", "user_id\tevent\ttimestamp\nann\tlogin\t2026-01-04\n")
    [summary] = load(path)
    assert counts(summary) == (1, 1, 0, 0, 0)
    assert rows(ws, 'SELECT user_id, "event", "timestamp" FROM events') == [
        ("ann", "login", T(2026, 1, 4)),
    ]


def test_a_file_without_a_required_column_is_refused_whole(ws, write, load):
    path = write("events.csv", "user_id,event,created\nann,login,2026-01-04\n")
    with pytest.raises(ImportFileError) as caught:
        load(path)
    assert str(caught.value) == (
        f"{path}: no timestamp column for events (columns: user_id, event, created); "
        "map one with --map timestamp=COLUMN"
    )
    assert rows(ws, "SELECT count(*) FROM events") == [(0,)]


def test_a_header_naming_a_column_twice_is_refused(write, load):
    path = write("events.csv", "user_id,event,event,timestamp\nann,a,b,2026-01-04\n")
    with pytest.raises(ImportFileError) as caught:
        load(path)
    assert str(caught.value) == f"{path}: column 'event' appears twice in the header"


def test_latin1_file_needs_its_encoding(ws, write, load):
    # "Zoë" in latin-1 is not UTF-8: refused with a hint, then read with encoding="latin-1".
    path = write("users.csv", "user_id,name\nu1,Zo\xeb\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match="not UTF-8 text: pass its encoding"):
        load(path)
    [summary] = load(path, encoding="latin-1")
    assert counts(summary) == (1, 1, 0, 0, 0)
    assert rows(ws, "SELECT user_id, traits FROM users") == [("u1", {"name": "Zoë"})]
