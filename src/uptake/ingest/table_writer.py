"""Canonical batches into the store, through its write API, counting what each row became."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from uptake.ingest.options import TableName
from uptake.store import Store
from uptake.store.event_stage import EventStage
from uptake.store.profiles import backfill_accounts, upsert_profiles
from uptake.store.responses import append_responses
from uptake.store.schema import CANONICAL_SCHEMAS

# Events stage in a temp table and commit every so many rows (all inside the import's one
# transaction): the dedupe window and the temp table stay bounded however large the file is.
COMMIT_ROWS = 5_000_000
_KEY = {"users": "user_id", "accounts": "account_id"}


@dataclass
class Counts:
    """What the rows of one table became: new rows (inserted), existing profiles updated,
    duplicates (already stored, or repeated in the file), and rejects."""

    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0

    def add(self, other: Counts) -> None:
        """Add another count to this one."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.rejected += other.rejected


class TableWriter:
    """Writes one file's canonical rows for one table; call inside `store.transaction()`."""

    def __init__(self, store: Store, table: TableName) -> None:
        self.store = store
        self.table = table
        self.counts = Counts()
        self._stage: EventStage | None = None

    def write(self, rows: pa.Table) -> None:
        """Write canonical rows (the columns of CANONICAL_SCHEMAS[table], any order)."""
        if rows.num_rows == 0:
            return
        rows = rows.select(CANONICAL_SCHEMAS[self.table].names)
        match self.table:
            case "events":
                if self._stage is None:
                    self._stage = EventStage(self.store)
                self._stage.add(rows)
                if self._stage.rows >= COMMIT_ROWS:
                    self._commit()
            case "users" | "accounts":
                self._upsert(self.table, rows)
            case "responses":
                stats = append_responses(self.store, rows)
                self.counts.inserted += stats.inserted
                self.counts.duplicates += stats.duplicates

    def _commit(self) -> None:
        if self._stage is None:
            return
        stats = self._stage.commit(own_transaction=False)
        self._stage = None
        self.counts.inserted += stats.inserted
        self.counts.duplicates += stats.duplicates

    def _upsert(self, table: TableName, rows: pa.Table) -> None:
        key = _KEY[table]
        con = self.store.con
        ids = pa.table({"_id": pc.unique(rows.column(key))})
        # A relation, not con.register: a table registered inside a transaction stays alive
        # until COMMIT.
        found = (
            con.from_arrow(ids)
            .join(con.table(table), f"_id = {key}")
            .aggregate("count(*)")
            .fetchone()
        )
        distinct, existing = ids.num_rows, int(found[0]) if found else 0
        upsert_profiles(self.store, table, rows, backfill=False)  # type: ignore[arg-type]
        self.counts.inserted += distinct - existing
        self.counts.updated += existing
        self.counts.duplicates += rows.num_rows - distinct

    def finish(self) -> Counts:
        """Commit what is still staged; the counts of everything written."""
        self._commit()
        if self.table == "users" and (self.counts.inserted or self.counts.updated):
            # Once per file rather than per batch: it scans events without an account.
            backfill_accounts(self.store)
        return self.counts

    def discard(self) -> None:
        """Drop staged rows (the import failed; the transaction rolls back the rest)."""
        if self._stage is not None:
            self._stage.discard()
            self._stage = None
