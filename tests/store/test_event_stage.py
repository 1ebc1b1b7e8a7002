"""The event write path: dedupe, atomic commits, account resolution and rollups."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_SETTINGS
from tests.stories import day, user
from uptake.errors import WorkspaceError
from uptake.store import Store
from uptake.store.event_stage import EventStage
from uptake.store.profiles import upsert_profiles
from uptake.store.schema import CANONICAL_SCHEMAS


def events(*rows: tuple[str, str, str, dt.datetime] | tuple[str, str, str, dt.datetime, str]):
    """Canonical events from (message_id, user_id, event, timestamp[, account_id])."""
    return pa.Table.from_pylist(
        [
            {
                "message_id": r[0],
                "user_id": r[1],
                "event": r[2],
                "timestamp": r[3],
                "received_at": r[3],
                "account_id": r[4] if len(r) > 4 else None,
            }
            for r in rows
        ],
        schema=CANONICAL_SCHEMAS["events"],
    )


def commit(store: Store, table: pa.Table):
    stage = EventStage(store)
    stage.add(table)
    return stage.commit()


def fetch(store: Store, sql: str) -> list[tuple]:
    return store.con.execute(sql).fetchall()


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "ws.duckdb", TEST_SETTINGS) as s:
        yield s


def test_importing_the_same_rows_twice_adds_nothing(store):
    batch = events(("m1", "ann", "login", day(0)), ("m2", "ann", "export", day(0, 13)))
    first = commit(store, batch)
    again = commit(store, batch)
    assert (first.staged, first.inserted, first.duplicates) == (2, 2, 0)
    assert (again.staged, again.inserted, again.duplicates) == (2, 0, 2)
    assert fetch(store, "SELECT count(*) FROM events") == [(2,)]
    # The rollups saw only the first commit: ann did 1 login and 1 export on day 0.
    assert fetch(store, 'SELECT "event", sum(n) FROM daily GROUP BY 1 ORDER BY 1') == [
        ("export", 1),
        ("login", 1),
    ]


def test_dedupe_scope_is_message_id_within_a_utc_day(store):
    # m1 twice on day 0 (a retry) -> one row; m1 again on day 1 is a different event.
    batch = events(
        ("m1", "ann", "login", day(0, 9)),
        ("m1", "ann", "login", day(0, 9)),
        ("m1", "ann", "login", day(1, 9)),
    )
    stats = commit(store, batch)
    assert (stats.staged, stats.inserted) == (3, 2)
    assert fetch(store, 'SELECT CAST("timestamp" AS DATE) FROM events ORDER BY 1') == [
        (day(0).date(),),
        (day(1).date(),),
    ]


def test_a_failed_transaction_leaves_nothing_behind(store):
    commit(store, events(("m0", "ann", "login", day(0))))
    with pytest.raises(RuntimeError, match="disk on fire"), store.transaction():
        stage = EventStage(store)
        stage.add(events(("m1", "bob", "login", day(1)), ("m2", "bob", "login", day(2))))
        stage.commit(own_transaction=False)
        upsert_profiles(
            store,
            "users",
            pa.Table.from_pylist(
                [{"user_id": "bob", **user(account="acme")}], schema=CANONICAL_SCHEMAS["users"]
            ),
        )
        raise RuntimeError("disk on fire")
    assert fetch(store, "SELECT user_id FROM events") == [("ann",)]
    assert fetch(store, "SELECT count(*) FROM users") == [(0,)]
    assert fetch(store, "SELECT sum(n) FROM daily") == [(1,)]


def test_events_without_account_take_their_users_account(store):
    upsert_profiles(
        store,
        "users",
        pa.Table.from_pylist(
            [{"user_id": "ann", **user(account="acme")}], schema=CANONICAL_SCHEMAS["users"]
        ),
    )
    commit(store, events(("m1", "ann", "login", day(0)), ("m2", "ann", "login", day(1), "own")))
    # The event's own account wins; a missing one comes from the profile.
    assert fetch(store, "SELECT message_id, account_id FROM events ORDER BY 1") == [
        ("m1", "acme"),
        ("m2", "own"),
    ]


def test_users_imported_after_events_backfill_events_and_rollups(store):
    commit(store, events(("m1", "ann", "login", day(0)), ("m2", "bob", "login", day(0))))
    upsert_profiles(
        store,
        "users",
        pa.Table.from_pylist(
            [{"user_id": "ann", **user(account="acme")}], schema=CANONICAL_SCHEMAS["users"]
        ),
    )
    assert fetch(store, "SELECT user_id, account_id FROM events ORDER BY 1") == [
        ("ann", "acme"),
        ("bob", None),
    ]
    assert fetch(store, "SELECT user_id, account_id FROM daily ORDER BY 1") == [
        ("ann", "acme"),
        ("bob", None),
    ]
    assert fetch(store, "SELECT user_id, account_id FROM first_seen ORDER BY 1") == [
        ("ann", "acme"),
        ("bob", None),
    ]


def test_profile_upserts_merge_traits_and_keep_unsent_columns(store):
    schema = CANONICAL_SCHEMAS["users"]
    upsert_profiles(
        store,
        "users",
        pa.Table.from_pylist(
            [
                {
                    "user_id": "ann",
                    **user(account="acme", created=day(0), department="Sales", site="Oslo"),
                },
            ],
            schema=schema,
        ),
    )
    # A later identify: new department, a new trait, no account and no created_at sent;
    # then, in the same batch, another one for ann changing the site.
    upsert_profiles(
        store,
        "users",
        pa.Table.from_pylist(
            [
                {"user_id": "ann", **user(department="Support", role="rep")},
                {"user_id": "ann", **user(site="Bergen")},
            ],
            schema=schema,
        ),
    )
    row = fetch(store, "SELECT account_id, created_at, traits FROM users")
    assert row == [("acme", day(0), {"department": "Support", "site": "Bergen", "role": "rep"})]


def test_a_second_process_gets_a_clear_error_not_a_raw_lock(store, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from uptake.errors import WorkspaceError
        from uptake.store import Store
        try:
            Store.open(__import__("pathlib").Path({str(store.path)!r}))
        except WorkspaceError as exc:
            print(exc)
            sys.exit(3)
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stderr
    assert "is in use by another process" in done.stdout
    assert "uptake serve" in done.stdout


def test_opening_a_missing_database_read_only_says_so(tmp_path):
    with pytest.raises(WorkspaceError, match="no database here"):
        Store.open(tmp_path / "absent.duckdb", TEST_SETTINGS, read_only=True)


names = st.sampled_from(["login", "export", "view"])
people = st.sampled_from(["ann", "bob", "cat"])
moments = st.integers(min_value=0, max_value=20 * 24).map(
    lambda h: dt.datetime(2026, 1, 4) + dt.timedelta(hours=h)
)
ids = st.integers(min_value=0, max_value=30).map(lambda i: f"m{i}")
row = st.tuples(ids, people, names, moments)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(row, max_size=12), min_size=1, max_size=4), compact=st.booleans())
def test_rollups_always_equal_a_recomputation_from_events(tmp_path_factory, batches, compact):
    path = tmp_path_factory.mktemp("prop") / "ws.duckdb"
    with Store.open(path, TEST_SETTINGS) as store:
        for batch in batches:
            commit(store, events(*batch))
        if compact:
            store.compact(force=True)
        daily = fetch(
            store, 'SELECT "day", user_id, "event", sum(n) FROM daily GROUP BY ALL ORDER BY ALL'
        )
        recomputed = fetch(
            store,
            'SELECT CAST("timestamp" AS DATE), user_id, "event", '
            "count(*) FROM events GROUP BY ALL ORDER BY ALL",
        )
        assert daily == recomputed
        first = fetch(
            store,
            'SELECT user_id, "event", min(first_at) FROM first_seen GROUP BY ALL ORDER BY ALL',
        )
        recomputed_first = fetch(
            store, 'SELECT user_id, "event", min("timestamp") FROM events GROUP BY ALL ORDER BY ALL'
        )
        assert first == recomputed_first
        # No (message_id, day) twice, whatever the batches repeated.
        dupes = fetch(
            store,
            'SELECT count(*) FROM (SELECT message_id, CAST("timestamp" AS DATE) '
            "FROM events GROUP BY ALL HAVING count(*) > 1)",
        )
        assert dupes == [(0,)]
        if compact:
            keys = fetch(
                store,
                'SELECT count(*) FROM (SELECT DISTINCT "day", user_id, '
                'account_id, "event" FROM daily)',
            )
            assert keys == fetch(store, "SELECT count(*) FROM daily")


def test_compaction_waits_until_a_tenth_of_the_rollup_is_new(store):
    # 20 user-days -> 20 daily rows, all new: compacting is worth it.
    commit(store, events(*[(f"m{i}", f"u{i}", "login", day(0)) for i in range(20)]))
    assert store.compact() is True
    # One more row is 1/21 of the rollup: below a tenth, left partial.
    commit(store, events(("x1", "u0", "login", day(0, 13))))
    assert store.compact() is False
    assert fetch(store, "SELECT count(*) FROM daily") == [(21,)]
    # Two more rows make 3 pending of 23 rows: past a tenth, folded (u0's day-0 rows sum).
    commit(store, events(("x2", "u0", "login", day(0, 14)), ("x3", "u1", "login", day(1))))
    assert store.compact() is True
    assert fetch(
        store,
        "SELECT user_id, sum(n), count(*) FROM daily WHERE user_id IN "
        "('u0', 'u1') GROUP BY 1 ORDER BY 1",
    ) == [("u0", 3, 1), ("u1", 2, 2)]
