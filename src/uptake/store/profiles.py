"""User and account profiles: upserts with Segment's identify / group semantics.

A later row updates the columns it carries and keeps the others; traits merge key by key (the
later value wins). Rows for the same id within one batch apply in order, so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pyarrow as pa

from uptake.store.database import Store
from uptake.store.schema import CANONICAL_SCHEMAS

Profile = Literal["users", "accounts"]
_KEY: dict[Profile, str] = {"users": "user_id", "accounts": "account_id"}


def _update_clause(table: Profile) -> str:
    key = _KEY[table]
    sets = []
    for name in CANONICAL_SCHEMAS[table].names:
        if name == key:
            continue
        if name == "traits":
            sets.append(
                f"traits = CASE WHEN {table}.traits IS NULL THEN EXCLUDED.traits "
                f"WHEN EXCLUDED.traits IS NULL THEN {table}.traits "
                f"ELSE map_concat({table}.traits, EXCLUDED.traits) END"
            )
        else:
            sets.append(f'"{name}" = COALESCE(EXCLUDED."{name}", {table}."{name}")')
    sets.append("updated_at = EXCLUDED.updated_at")
    return ", ".join(sets)


def upsert_profiles(store: Store, table: Profile, rows: pa.Table, backfill: bool = True) -> int:
    """Insert or update `rows` (canonical schema of `table`); returns how many ids were touched.

    Call inside `store.transaction()` to commit with other writes. With `backfill`, events
    without an account then take their user's account; an importer writing many batches passes
    False and calls `backfill_accounts` once at the end.
    """
    if rows.num_rows == 0:
        return 0
    key = _KEY[table]
    con = store.con
    names = CANONICAL_SCHEMAS[table].names
    cols = ", ".join(f'"{c}"' for c in names)
    incoming = f"_incoming_{table}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {incoming} AS SELECT {cols} FROM {table} WITH NO DATA"
    )
    # A relation, not con.register: a registered table stays alive until COMMIT.
    con.from_arrow(rows.select(names)).insert_into(incoming)
    # Number each id's rows so repeated ids apply in order, one round per repetition:
    # DuckDB refuses to update one row twice in a single statement.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _rounds AS SELECT *, "
        f"row_number() OVER (PARTITION BY {key} ORDER BY _line) AS _round "
        f"FROM (SELECT *, row_number() OVER () AS _line FROM {incoming})"
    )
    con.execute(f"DROP TABLE {incoming}")
    rounds, touched = con.execute(
        f"SELECT max(_round), count(DISTINCT {key}) FROM _rounds"
    ).fetchone() or (0, 0)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for r in range(1, int(rounds or 0) + 1):
        con.execute(
            f"INSERT INTO {table} ({cols}, updated_at) "
            f"SELECT {cols}, ? FROM _rounds WHERE _round = ? "
            f"ON CONFLICT ({key}) DO UPDATE SET {_update_clause(table)}",
            [now, r],
        )
    con.execute("DROP TABLE _rounds")
    if table == "users" and backfill:
        backfill_accounts(store)
    return int(touched or 0)


def backfill_accounts(store: Store) -> None:
    """Give events, rollups and responses with no account the account of their user."""
    con = store.con
    for target in ("events", "daily", "first_seen", "responses"):
        con.execute(
            f"UPDATE {target} SET account_id = u.account_id FROM users AS u "
            f"WHERE {target}.account_id IS NULL AND {target}.user_id = u.user_id "
            f"AND u.account_id IS NOT NULL"
        )
