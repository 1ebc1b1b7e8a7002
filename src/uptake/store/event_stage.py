"""Staged event appends: rows gather in a staging table, then one transaction dedupes them,
inserts the new ones and updates the rollups, so a failed import leaves nothing behind.

Dedupe key: `message_id` within the UTC day of the event's timestamp (the same scope as
PostHog's ReplacingMergeTree key). A retry repeats the payload, timestamp included, so it is
caught; the day scope lets the check prune the events table by time instead of scanning it all
(measured: 8 ms instead of 465 ms for 1,000 rows against 19M events).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import ibis
import pyarrow as pa

from uptake.store.database import Store
from uptake.store.rollups import daily_rollup, first_seen_rollup
from uptake.store.schema import CANONICAL_SCHEMAS

EVENT_COLUMNS = tuple(CANONICAL_SCHEMAS["events"].names)


@dataclass(frozen=True)
class CommitStats:
    """What a commit did: rows staged, rows new (inserted) and rows already stored (duplicates)."""

    staged: int
    inserted: int

    @property
    def duplicates(self) -> int:
        """Staged rows that were already stored, or repeated within the stage."""
        return self.staged - self.inserted


class EventStage:
    """Collects canonical event batches, then commits them in one transaction.

    Use inside `Store.transaction()` when other tables must commit together; on its own,
    `commit()` opens its own transaction.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.name = f"_stage_events_{uuid.uuid4().hex}"
        cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
        # A temp table lives outside the database file: nothing is left behind by a crash.
        store.con.execute(
            f"CREATE TEMP TABLE {self.name} AS SELECT {cols} FROM events WITH NO DATA"
        )
        self.rows = 0

    def add(self, batch: pa.Table | pa.RecordBatch) -> None:
        """Stage canonical rows (schema `CANONICAL_SCHEMAS['events']`)."""
        if batch.num_rows == 0:
            return
        view = f"_batch_{self.name}"
        self.store.con.register(view, batch)
        try:
            self.store.con.execute(f"INSERT INTO {self.name} BY NAME SELECT * FROM {view}")
        finally:
            self.store.con.unregister(view)
        self.rows += batch.num_rows

    def commit(self, own_transaction: bool = True) -> CommitStats:
        """Insert the staged rows not already stored and update the rollups, atomically."""
        if own_transaction:
            with self.store.transaction():
                return self._commit()
        return self._commit()

    def _commit(self) -> CommitStats:
        con = self.store.con
        bounds = con.execute(
            f'SELECT CAST(min("timestamp") AS DATE), CAST(max("timestamp") AS DATE) '
            f"FROM {self.name}"
        ).fetchone()
        if bounds is None or bounds[0] is None:
            self.discard()
            return CommitStats(staged=0, inserted=0)
        lo, hi = bounds
        new = f"_new_{self.name}"
        con.execute(
            f"""
            CREATE TEMP TABLE {new} AS
            SELECT s.message_id, s.user_id, s.anonymous_id,
                   COALESCE(s.account_id, u.account_id) AS account_id,
                   s."event", s."timestamp", s.received_at, s.properties
            FROM (
                SELECT * FROM {self.name}
                QUALIFY row_number() OVER (
                    PARTITION BY message_id, CAST("timestamp" AS DATE) ORDER BY received_at
                ) = 1
            ) AS s
            LEFT JOIN users AS u ON u.user_id = s.user_id
            WHERE NOT EXISTS (
                SELECT 1 FROM events AS e
                WHERE e.message_id = s.message_id
                  AND CAST(e."timestamp" AS DATE) = CAST(s."timestamp" AS DATE)
                  AND e."timestamp" >= ? AND e."timestamp" < CAST(? AS DATE) + INTERVAL 1 DAY
            )
            """,
            [lo, hi],
        )
        row = con.execute(f"SELECT count(*) FROM {new}").fetchone()
        inserted = int(row[0]) if row else 0
        if inserted:
            con.execute(f"INSERT INTO events BY NAME SELECT * FROM {new}")
            fresh = self.store.backend.sql(f"SELECT * FROM {new}")
            con.execute(f"INSERT INTO daily BY NAME {ibis.to_sql(daily_rollup(fresh))}")
            con.execute(f"INSERT INTO first_seen BY NAME {ibis.to_sql(first_seen_rollup(fresh))}")
        con.execute(f"DROP TABLE {new}")
        staged = self.rows
        self.discard()
        return CommitStats(staged=staged, inserted=inserted)

    def discard(self) -> None:
        """Drop the staged rows without storing them."""
        self.store.con.execute(f"DROP TABLE IF EXISTS {self.name}")
        self.rows = 0
