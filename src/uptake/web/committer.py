"""Group commit: many concurrent requests, one transaction, then every request is answered.

A project's writes go through one thread that owns its DuckDB connection (DuckDB has one
writer per file). Requests hand their rows to the thread and wait; the thread takes every
request that has arrived since its last commit, writes them all in one transaction (events
deduplicated on message id and day, profiles upserted, rollups updated), commits, and only
then answers them. A commit costs about the same for 100 rows as for 10,000, so under load
each commit simply carries more requests: durability does not cost throughput.

DuckDB syncs its write-ahead log at COMMIT, so an acknowledged request survives the process
being killed; an unacknowledged one may or may not have been stored, and a client retry with
the same message id is deduplicated either way.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from uptake.store import Store
from uptake.store.event_stage import EventStage
from uptake.store.profiles import upsert_profiles
from uptake.store.schema import CANONICAL_SCHEMAS
from uptake.web.messages import Rows

log = logging.getLogger("uptake.serve")

# Rows taken into one transaction at most: bounds the commit's memory and latency.
MAX_ROWS_PER_COMMIT = 50_000
# Fold partial rollup rows (Store.compact) at most this often, when nothing is waiting.
COMPACT_EVERY_SECONDS = 60.0


@dataclass
class _Pending:
    rows: Rows
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


@dataclass
class _Exclusive:
    """Work that needs the writer alone (an import sent by the CLI), run between commits."""

    work: Callable[[Store], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


class CommitError(Exception):
    """The transaction carrying a request failed (the request's rows were not stored)."""


def _table(rows: list[dict[str, Any]], name: str) -> pa.Table:
    schema = CANONICAL_SCHEMAS[name]
    columns = {f.name: [row.get(f.name) for row in rows] for f in schema}
    return pa.Table.from_pydict(columns, schema=schema)


class GroupCommitter:
    """The single writer of one project's store; `submit` returns once rows are committed."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name
        self._queue: queue.SimpleQueue[_Pending | _Exclusive | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"commit-{name}", daemon=True)
        self._stopped = threading.Event()
        self._last_compact = time.monotonic()
        self.commits = 0
        self.events_inserted = 0
        # Writes so far (commits, and exclusive calls even when they fail: they may have
        # written part of their work). Readers use it as the data's version: a cached result is
        # exact while it has not moved. Bumped after each write.
        self.writes = 0
        self._thread.start()

    async def submit(self, rows: Rows) -> None:
        """Store rows durably: returns once their transaction has committed (CommitError if it
        failed)."""
        if self._stopped.is_set():
            raise CommitError("the server is shutting down")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Pending(rows, loop, future))
        return await future

    async def run_exclusive(self, work: Callable[[Store], Any]) -> Any:
        """Run `work(store)` in the writer thread between two commits; its result."""
        if self._stopped.is_set():
            raise CommitError("the server is shutting down")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put(_Exclusive(work, loop, future))
        return await future

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        if not self._stopped.is_set():
            self._stopped.set()
            self._queue.put(None)
            self._thread.join()

    def _take(self) -> tuple[list[_Pending], _Exclusive | None, bool]:
        """Block for one request, then take all that are waiting (up to the row cap, or up to
        an exclusive call, which runs after them)."""
        first = self._queue.get()
        if first is None:
            return [], None, True
        if isinstance(first, _Exclusive):
            return [], first, False
        batch, rows = [first], first.rows.count
        while rows < MAX_ROWS_PER_COMMIT:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return batch, None, True
            if isinstance(more, _Exclusive):
                return batch, more, False
            batch.append(more)
            rows += more.rows.count
        return batch, None, False

    def _run(self) -> None:
        stop = False
        while not stop:
            batch, exclusive, stop = self._take()
            if batch:
                self._commit(batch)
            if exclusive is not None:
                self._exclusive(exclusive)
            if (
                self._queue.empty()
                and time.monotonic() - self._last_compact > COMPACT_EVERY_SECONDS
            ):
                self._compact()

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            self.events_inserted += self._write(batch)
        except Exception as exc:
            log.exception("commit of %d requests failed in project %s", len(batch), self.name)
            error = CommitError(f"storing the events failed: {exc}")
            for pending in batch:
                pending.loop.call_soon_threadsafe(_fail, pending.future, error)
            return
        self.commits += 1
        self.writes += 1
        for pending in batch:
            pending.loop.call_soon_threadsafe(_succeed, pending.future)

    def _exclusive(self, call: _Exclusive) -> None:
        try:
            value = call.work(self.store)
        except Exception as exc:
            # A failed call may have written part of its work outside a transaction.
            self.writes += 1
            call.loop.call_soon_threadsafe(_fail, call.future, exc)
            return
        self.writes += 1
        call.loop.call_soon_threadsafe(_resolve, call.future, value)

    def _write(self, batch: list[_Pending]) -> int:
        """One transaction for every request of the batch; returns the events inserted (the
        others were already stored: retries)."""
        store = self.store
        with store.transaction():
            accounts = [r for p in batch for r in p.rows.accounts]
            users = [r for p in batch for r in p.rows.users]
            if accounts:
                upsert_profiles(store, "accounts", _table(accounts, "accounts"), backfill=False)
            if users:
                upsert_profiles(store, "users", _table(users, "users"), backfill=True)
            events = [r for p in batch for r in p.rows.events]
            inserted = 0
            if events:
                stage = EventStage(store)
                try:
                    stage.add(_table(events, "events"))
                    inserted = stage.commit(own_transaction=False).inserted
                finally:
                    stage.discard()
        return inserted

    def _compact(self) -> None:
        self._last_compact = time.monotonic()
        try:
            self.store.compact()
        except Exception:  # compaction is an optimisation: log it, keep serving
            log.exception("rollup compaction failed in project %s", self.name)


def _succeed(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
