"""Generation: seeded and repeatable, the intended sizes, the same rows in Parquet as in the
workspace, and invariants that hold for any seed, size and end date."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.demo.conftest import END, SETTINGS
from uptake.demo import DemoError, DemoSummary, generate, write_parquet
from uptake.store.schema import CANONICAL_SCHEMAS
from uptake.workspace import Workspace

KEYS = {
    "events": "message_id",
    "users": "user_id",
    "accounts": "account_id",
    "responses": "response_id",
}


def table_rows(folder: Path | str, table: str, parquet: bool = False) -> list[tuple[Any, ...]]:
    """All canonical columns of a table, ordered by its key, from a workspace or Parquet."""
    cols = ", ".join(f'"{c}"' for c in CANONICAL_SCHEMAS[table].names)
    con = duckdb.connect()
    try:
        if parquet:
            source = f"read_parquet('{Path(folder) / f'{table}.parquet'}')"
        else:
            con.execute(f"ATTACH '{Path(folder) / 'uptake.duckdb'}' AS ws (READ_ONLY)")
            source = f"ws.{table}"
        return con.execute(f"SELECT {cols} FROM {source} ORDER BY {KEYS[table]}").fetchall()
    finally:
        con.close()


def test_same_seed_same_data_different_seed_different_data(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", "tiny", 42, END, settings=SETTINGS)
    again = generate(tmp_path / "b", "tiny", 42, END, settings=SETTINGS)
    other = generate(tmp_path / "c", "tiny", 43, END, settings=SETTINGS)
    for table in KEYS:
        assert table_rows(first.path, table) == table_rows(again.path, table), table
    assert table_rows(first.path, "events") != table_rows(other.path, "events")
    assert table_rows(first.path, "users") != table_rows(other.path, "users")
    # The story accounts keep their ids and names whatever the seed.
    story = [(r[0], r[1]) for r in table_rows(other.path, "accounts")[:5]]
    assert story == [
        ("acc_000001", "Bluebird Logistics"),
        ("acc_000002", "Cedar Clinics"),
        ("acc_000003", "Granite Foods"),
        ("acc_000004", "Harbor Analytics"),
        ("acc_000005", "Juniper Realty"),
    ]


def test_parquet_holds_the_same_rows_as_the_workspace(tmp_path: Path) -> None:
    generate(tmp_path / "ws", "tiny", 7, END, settings=SETTINGS)
    write_parquet(tmp_path / "pq", "tiny", 7, END, settings=SETTINGS)
    for table in KEYS:
        stored = table_rows(tmp_path / "ws", table)
        assert stored == table_rows(tmp_path / "pq", table, parquet=True), table
        assert stored, table
    assert (tmp_path / "pq" / "uptake.toml").read_text() == (
        tmp_path / "ws" / "uptake.toml"
    ).read_text()


def test_tiny_is_about_ten_thousand_events_and_the_store_holds_them(tmp_path: Path) -> None:
    summary = generate(tmp_path / "tiny", "tiny", 42, END, settings=SETTINGS)
    # Calibration aims at the expected count; the draws scatter around it by ~1-2%.
    assert abs(summary.events - 10_000) <= 1_000
    assert summary.users == 80  # the floor that keeps the 29 story users a minority
    with Workspace.open(summary.path, SETTINGS, read_only=True) as ws:
        assert ws.store.row_counts() == {
            "events": summary.events,
            "users": summary.users,
            "accounts": summary.accounts,
            "responses": summary.responses,
        }


def test_small_is_about_two_hundred_thousand_events(small_demo: DemoSummary) -> None:
    # 200,000 / 420 events per user = 476 users; within 5% of the target.
    assert abs(small_demo.events - 200_000) <= 10_000
    assert small_demo.users == 476
    assert small_demo.start == dt.date(2025, 9, 24)  # 280 days ending 2026-06-30
    assert small_demo.end == END


def test_an_explicit_event_count_overrides_the_size(tmp_path: Path) -> None:
    summary = write_parquet(tmp_path, "huge", 1, END, events=30_000, settings=SETTINGS)
    assert summary.size == "custom"
    assert abs(summary.events - 30_000) <= 1_500


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"size": "big"}, "unknown demo size 'big'; sizes: tiny, small, medium, large, huge"),
        ({"events": 100}, "--events must be between 5,000 and 2,000,000,000 (got 100)"),
        ({"seed": -1}, "--seed must be zero or positive (got -1)"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(DemoError, match=re.escape(message)):
        generate(tmp_path / "demo", **options, settings=SETTINGS)
    assert not (tmp_path / "demo").exists()


INVARIANTS = {
    "events outside the span": """
        SELECT count(*) FROM e WHERE "timestamp" < CAST($start AS TIMESTAMP)
            OR "timestamp" >= CAST($end AS TIMESTAMP) + INTERVAL 1 DAY""",
    "repeated message ids": "SELECT count(*) - count(DISTINCT message_id) FROM e",
    "events whose user or account is unknown or wrong": """
        SELECT count(*) FROM e LEFT JOIN u USING (user_id)
        WHERE u.user_id IS NULL OR e.account_id IS DISTINCT FROM u.account_id""",
    "events before the user signed up": """
        SELECT count(*) FROM e JOIN u USING (user_id) WHERE e."timestamp" < u.created_at""",
    "events on or after the account churned": """
        SELECT count(*) FROM e JOIN a USING (account_id) WHERE e."timestamp" >= a.churned_at""",
    "user-days that do not open with a login": """
        SELECT count(*) FROM (
            SELECT arg_min("event", "timestamp") AS opening FROM e
            WHERE "event" <> 'notification_received'
            GROUP BY user_id, CAST("timestamp" AS DATE))
        WHERE opening <> 'login'""",
    "leads with a start date or seats": """
        SELECT count(*) FROM a WHERE started_at IS NULL AND (seats <> 0 OR mrr <> 0)""",
    "scores off their scale": """
        SELECT count(*) FROM r WHERE score <> round(score)
            OR (survey = 'nps' AND score NOT BETWEEN 0 AND 10)
            OR (survey = 'csat' AND score NOT BETWEEN 1 AND 5)
            OR (survey = 'task' AND score NOT IN (0, 1))
            OR survey NOT IN ('nps', 'csat', 'task')""",
    "answers outside the span or from unknown users": """
        SELECT count(*) FROM r LEFT JOIN u USING (user_id) WHERE u.user_id IS NULL
            OR r."timestamp" < CAST($start AS TIMESTAMP)
            OR r."timestamp" >= CAST($end AS TIMESTAMP) + INTERVAL 1 DAY""",
}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**31),
    events=st.integers(5_000, 15_000),
    end=st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)),
)
def test_invariants_hold_for_any_seed_size_and_end(
    tmp_path: Path, seed: int, events: int, end: dt.date
) -> None:
    folder = tmp_path / f"{seed}-{events}-{end}"
    summary = write_parquet(folder, seed=seed, events=events, end=end, settings=SETTINGS)
    # Small targets scatter more (a few thousand active user-days): allow 12%.
    assert abs(summary.events - events) <= 0.12 * events
    assert summary.start == end - dt.timedelta(days=279)
    con = duckdb.connect()
    for name in ("events", "users", "accounts", "responses"):
        con.execute(
            f"CREATE VIEW {name[0]} AS SELECT * FROM read_parquet('{folder}/{name}.parquet')"
        )
    params = {"start": summary.start, "end": end}
    for problem, sql in INVARIANTS.items():
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        assert con.execute(sql, used).fetchone() == (0,), problem
    # No feature is used before its release.
    for feature in json.loads((folder / "demo.json").read_text())["features"]:
        early = con.execute(
            'SELECT count(*) FROM e WHERE "event" = ? AND "timestamp" < CAST(? AS TIMESTAMP)',
            [feature["event"], feature["released_at"]],
        ).fetchone()
        assert early == (0,), feature["name"]
    con.close()
