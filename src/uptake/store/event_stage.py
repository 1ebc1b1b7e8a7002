"""Staged event appends: rows gather in a staging table, then one transaction dedupes them,
inserts the new ones and updates the rollups, so a failed import leaves nothing behind.

Dedupe key: `message_id` within the UTC day of the event's timestamp (the same scope as
PostHog's ReplacingMergeTree key). A retry repeats the payload, timestamp included, so it is
caught; the day scope lets the check prune by time instead of scanning everything (measured:
8 ms instead of 465 ms for 1,000 rows against 19M events). The check reads the narrow
`message_keys` table (a day and a 64-bit hash per stored event), not the message ids in
`events`: on a day that already holds millions of events, reading their ids cost most of a
commit. Only when a hash matches (a retry, or a collision) is `events` itself consulted.

The common case (no duplicates, every event carrying its account) takes a fast path: the stage
goes straight into `events`; duplicates or missing accounts first build a cleaned copy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pyarrow as pa

from uptake.store.database import Store
from uptake.store.properties_json import as_json_properties
from uptake.store.schema import CANONICAL_SCHEMAS, MESSAGE_DAY, MESSAGE_KEY

EVENT_COLUMNS = tuple(CANONICAL_SCHEMAS["events"].names)
_COLS = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
_DAY = 'CAST("timestamp" AS DATE)'


@dataclass(frozen=True)
class CommitStats:
    """What a commit did: rows staged, rows new (inserted) and rows already stored (duplicates)."""

    staged: int
    inserted: int

    @property
    def duplicates(self) -> int:
        """Staged rows that were already stored, or repeated within the stage."""
        return self.staged - self.inserted


def canonical_events(batch: pa.Table | pa.RecordBatch) -> pa.Table:
    """A batch in the canonical column order and types; properties may arrive as a map."""
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    schema = CANONICAL_SCHEMAS["events"]
    columns = []
    for field in schema:
        column = table.column(field.name)
        if field.name == "properties":
            column = as_json_properties(column)
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)


class EventStage:
    """Collects canonical event batches, then commits them in one transaction.

    Use inside `Store.transaction()` when other tables must commit together; on its own,
    `commit()` opens its own transaction.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.name = f"_stage_events_{uuid.uuid4().hex}"
        # A temp table lives outside the database file: nothing is left behind by a crash.
        store.con.execute(
            f"CREATE TEMP TABLE {self.name} AS SELECT {_COLS} FROM events WITH NO DATA"
        )
        self.rows = 0
        self.missing_accounts = 0

    def add(self, batch: pa.Table | pa.RecordBatch) -> None:
        """Stage canonical rows (the columns of `CANONICAL_SCHEMAS['events']`)."""
        if batch.num_rows == 0:
            return
        table = canonical_events(batch)
        # A relation, not con.register: a table registered inside a transaction stays alive
        # until COMMIT, which would hold a whole import in memory.
        self.store.con.from_arrow(table).insert_into(self.name)
        self.rows += table.num_rows
        self.missing_accounts += table.column("account_id").null_count

    def commit(self, own_transaction: bool = True) -> CommitStats:
        """Insert the staged rows not already stored and update the rollups, atomically."""
        if own_transaction:
            with self.store.transaction():
                return self._commit()
        return self._commit()

    def _commit(self) -> CommitStats:
        con = self.store.con
        row = con.execute(
            f'SELECT CAST(min("timestamp") AS DATE), CAST(max("timestamp") AS DATE), '
            f"count(*) - count(DISTINCT (message_id, {_DAY})) FROM {self.name}"
        ).fetchone()
        if row is None or row[0] is None:
            self.discard()
            return CommitStats(staged=0, inserted=0)
        lo, hi, repeated = row
        candidates = con.execute(
            f"SELECT count(*) FROM {self.name} AS s WHERE EXISTS (SELECT 1 FROM message_keys "
            f'AS k WHERE k."day" BETWEEN ? AND ? AND k."day" = CAST(s."timestamp" AS DATE) '
            f'AND k."key" = md5_number_lower(s.message_id))',
            [lo, hi],
        ).fetchone()
        # A matching key may be a stored event (a retry) or a collision: the cleaned copy below
        # checks those against `events` itself, in its one pass over the days' message ids.
        maybe_stored = bool(candidates and candidates[0])
        accounts_known = self.missing_accounts > 0 and bool(
            con.execute("SELECT count(*) FROM users WHERE account_id IS NOT NULL").fetchone()[0]  # type: ignore[index]
        )
        source = self.name
        if repeated or maybe_stored or accounts_known:
            source = self._cleaned(repeated > 0, maybe_stored, accounts_known, lo, hi)
        counted = con.execute(f"SELECT count(*) FROM {source}").fetchone()
        inserted = int(counted[0]) if counted else 0
        if inserted:
            # Sorted by time so the timestamp zone maps prune date-range scans (and the
            # dedupe window of later commits).
            con.execute(
                f'INSERT INTO events ({_COLS}) SELECT {_COLS} FROM {source} ORDER BY "timestamp"'
            )
            con.execute(
                f"INSERT INTO message_keys SELECT {MESSAGE_DAY}, {MESSAGE_KEY} FROM {source} "
                'ORDER BY "day"'
            )
            self._update_rollups(source)
        if source != self.name:
            con.execute(f"DROP TABLE {source}")
        staged = self.rows
        self.discard()
        return CommitStats(staged=staged, inserted=inserted)

    def _cleaned(
        self, repeated: bool, stored: bool, resolve_accounts: bool, lo: object, hi: object
    ) -> str:
        """A copy of the stage without repeats or stored events, accounts filled from users."""
        name = f"_new_{self.name}"
        rows = (
            f"(SELECT DISTINCT ON (message_id, {_DAY}) * FROM {self.name})"
            if repeated
            else self.name
        )
        account = "COALESCE(s.account_id, u.account_id)" if resolve_accounts else "s.account_id"
        join = "LEFT JOIN users AS u ON u.user_id = s.user_id" if resolve_accounts else ""
        where = ""
        params: list[object] = []
        if stored:
            where = (
                "WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.message_id = s.message_id "
                'AND CAST(e."timestamp" AS DATE) = CAST(s."timestamp" AS DATE) '
                'AND e."timestamp" >= ? AND e."timestamp" < CAST(? AS DATE) + INTERVAL 1 DAY)'
            )
            params = [lo, hi]
        self.store.con.execute(
            f"CREATE TEMP TABLE {name} AS SELECT s.message_id, s.user_id, s.anonymous_id, "
            f'{account} AS account_id, s."event", s."timestamp", s.received_at, s.properties '
            f"FROM {rows} AS s {join} {where}",
            params,
        )
        return name

    def _update_rollups(self, source: str) -> None:
        # One grouping feeds both rollups: `first_seen` aggregates the (much smaller) daily
        # groups instead of the raw rows. Equivalent to store/rollups.py's definitions (the
        # store tests check the rollups against a recomputation from events).
        con = self.store.con
        groups = f"_groups_{self.name}"
        con.execute(
            f'CREATE TEMP TABLE {groups} AS SELECT {_DAY} AS "day", user_id, account_id, '
            f'"event", count(*) AS n, min("timestamp") AS first_at FROM {source} GROUP BY ALL'
        )
        con.execute(
            f'INSERT INTO daily ("day", user_id, account_id, "event", n) '
            f'SELECT "day", user_id, account_id, "event", n FROM {groups}'
        )
        con.execute(
            f'INSERT INTO first_seen (user_id, account_id, "event", first_at) '
            f'SELECT user_id, account_id, "event", min(first_at) FROM {groups} GROUP BY ALL'
        )
        added = con.execute(f"SELECT count(*) FROM {groups}").fetchone()
        self.store.note_rollup_rows(int(added[0]) if added else 0)
        con.execute(f"DROP TABLE {groups}")

    def discard(self) -> None:
        """Drop the staged rows without storing them."""
        self.store.con.execute(f"DROP TABLE IF EXISTS {self.name}")
        self.rows = 0
        self.missing_accounts = 0
