"""Users, accounts and survey responses: upserts, counts, typed columns, back-filled accounts."""

from __future__ import annotations

import datetime as dt

from tests.ingest.lookups import counts, rows

T = dt.datetime
D = dt.date


def test_users_imported_after_events_back_fill_the_events_account(ws, write, load):
    # Events first (no account column); then users give ann and bob the acme account: the
    # events, both rollups and nothing else (cat has no profile) take it.
    events = write(
        "events.csv",
        "user_id,event,timestamp\n"
        "ann,login,2026-01-04 09:00\n"
        "bob,export,2026-01-05 09:00\n"
        "cat,login,2026-01-05 10:00\n",
    )
    users = write("users.csv", "user_id,account_id,department\nann,acme,Sales\nbob,acme,Ops\n")
    load(events)
    assert rows(ws, "SELECT count(*) FROM events WHERE account_id IS NOT NULL") == [(0,)]
    [summary] = load(users)
    assert counts(summary) == (2, 2, 0, 0, 0)
    assert rows(ws, "SELECT user_id, account_id FROM events ORDER BY 1") == [
        ("ann", "acme"),
        ("bob", "acme"),
        ("cat", None),
    ]
    assert rows(ws, 'SELECT "day", user_id, account_id, "event", n FROM daily ORDER BY 2') == [
        (D(2026, 1, 4), "ann", "acme", "login", 1),
        (D(2026, 1, 5), "bob", "acme", "export", 1),
        (D(2026, 1, 5), "cat", None, "login", 1),
    ]
    assert rows(ws, "SELECT user_id, account_id FROM first_seen ORDER BY 1") == [
        ("ann", "acme"),
        ("bob", "acme"),
        ("cat", None),
    ]


def test_events_imported_with_users_in_one_command_take_the_account(ws, write, load):
    # One command, events listed first: the users of the same command still apply, because
    # events commit at the end of the transaction.
    events = write("events.csv", "user_id,event,timestamp\nann,login,2026-01-04\n")
    users = write("users.csv", "user_id,account_id\nann,acme\n")
    load(events, users)
    assert rows(ws, "SELECT user_id, account_id FROM events") == [("ann", "acme")]


def test_user_upserts_count_new_updated_and_repeated_ids(ws, write, load):
    first = write("users.csv", "user_id,department,licensed\nann,Sales,true\nbob,Ops,no\n")
    # bob exists (updated: site added, department kept); dan is new; dan's second row repeats
    # his id (a duplicate) and its site wins; `licensed` "maybe" on line 5 is rejected.
    second = write(
        "users2.csv",
        "user_id,site,licensed\nbob,Oslo,\ndan,Rome,1\ndan,Lima,\neve,,maybe\n",
    )
    [a] = load(first)
    [b] = load(second)
    assert counts(a) == (2, 2, 0, 0, 0)
    assert counts(b) == (4, 1, 1, 1, 1)
    assert [(r.line, r.reason) for r in b.first_rejects] == [
        (5, "licensed 'maybe' is not true or false"),
    ]
    assert rows(ws, "SELECT user_id, licensed, traits FROM users ORDER BY 1") == [
        ("ann", True, {"department": "Sales"}),
        ("bob", False, {"department": "Ops", "site": "Oslo"}),
        ("dan", True, {"site": "Lima"}),
    ]


def test_accounts_with_typed_columns_and_traits(ws, write, load):
    path = write(
        "accounts.csv",
        "account_id,name,plan,seats,mrr,started_at,renewal_at,region\n"
        "acme,Acme,pro,25,99.5,2025-06-01,2026-06-01,EU\n"
        "globex,Globex,,12.0,,,,\n"
        "initech,Initech,free,lots,0,,,US\n",
    )
    [summary] = load(path)
    # "12.0" is a whole number; "lots" is not.
    assert counts(summary) == (3, 2, 0, 0, 1)
    assert [(r.line, r.reason) for r in summary.first_rejects] == [
        (4, "seats 'lots' is not a whole number"),
    ]
    got = rows(
        ws,
        "SELECT account_id, name, plan, seats, mrr, started_at, renewal_at, traits "
        "FROM accounts ORDER BY 1",
    )
    assert got == [
        ("acme", "Acme", "pro", 25, 99.5, T(2025, 6, 1), T(2026, 6, 1), {"region": "EU"}),
        ("globex", "Globex", None, 12, None, None, None, None),
    ]


def test_responses_get_content_ids_their_user_account_and_dedupe(ws, write, load):
    users = write("users.csv", "user_id,account_id\nann,acme\n")
    # No response_id column: ids are content hashes, so the second import adds nothing. The
    # extra column `channel` has nowhere to go (responses have no properties) and is reported.
    path = write(
        "surveys.csv",
        "user_id,survey,timestamp,score,comment,channel\n"
        "ann,nps,2026-01-10,9,great,email\n"
        "bob,csat,2026-01-11T08:00:00Z,4.5,,web\n"
        "cat,nps,2026-01-12,ten,,web\n",
    )
    load(users)
    [first] = load(path)
    [again] = load(path)
    assert first.table == "responses"
    assert counts(first) == (3, 2, 0, 0, 1)
    assert [(r.line, r.reason) for r in first.first_rejects] == [
        (4, "score 'ten' is not a number"),
    ]
    assert first.ignored_columns == ("channel",)
    assert counts(again) == (3, 0, 0, 2, 1)
    got = rows(
        ws,
        'SELECT user_id, account_id, survey, "timestamp", score, "comment", length(response_id) '
        "FROM responses ORDER BY 1",
    )
    assert got == [
        ("ann", "acme", "nps", T(2026, 1, 10), 9.0, "great", 32),
        ("bob", None, "csat", T(2026, 1, 11, 8), 4.5, None, 32),
    ]


def test_imports_are_recorded(ws, write, load):
    users = write("users.csv", "user_id\nann\nann\n")
    load(users)
    # One file: 2 rows read, 1 written (ann), 1 repeated, 0 rejected.
    assert rows(
        ws,
        'SELECT source, "table", rows_read, rows_inserted, rows_duplicate, rows_rejected '
        "FROM imports",
    ) == [(str(users.resolve()), "users", 2, 1, 1, 0)]
