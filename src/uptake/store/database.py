"""The workspace database: one DuckDB file that holds the canonical tables and the rollups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import ibis
from ibis.backends.duckdb import Backend as DuckDBBackend

from uptake.errors import WorkspaceError
from uptake.settings import Settings
from uptake.store.schema import DDL, MESSAGE_DAY, MESSAGE_KEY, SCHEMA_VERSION

_LOCK_PID = re.compile(r"PID (\d+)")


def _connect(path: Path, settings: Settings, read_only: bool) -> duckdb.DuckDBPyConnection:
    config: dict[str, Any] = {
        "memory_limit": settings.memory_limit,
        # Nothing may download at run time: json, parquet and icu are linked into the wheel.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    }
    if settings.threads is not None:
        config["threads"] = settings.threads
    if settings.temp_directory is not None:
        config["temp_directory"] = settings.temp_directory
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            pid = _LOCK_PID.search(message)
            owner = f" (process {pid.group(1)})" if pid else ""
            raise WorkspaceError(
                f"{path} is in use by another process{owner}. DuckDB allows one writer per file: "
                "stop that process, or if it is `uptake serve`, send this command to the server."
            ) from None
        raise WorkspaceError(f"{path}: cannot open the database: {message}") from None
    except duckdb.Error as exc:
        raise WorkspaceError(f"{path}: cannot open the database: {exc}") from None
    # All timestamps are naive UTC; pin the session zone so casts never shift them.
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB's own progress bar writes into stdout (and into JSON/CSV output); uptake shows
    # its own progress where work is long.
    con.execute("SET enable_progress_bar = false")
    return con


class Store:
    """The canonical tables of one workspace in a DuckDB file; the single writer of that file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        self._backend: DuckDBBackend | None = None

    @classmethod
    def open(cls, path: Path, settings: Settings | None = None, read_only: bool = False) -> Store:
        """Open (creating if needed, unless read-only) the database at `path`."""
        settings = settings or Settings()
        if read_only and not path.exists():
            raise WorkspaceError(f"{path}: no database here (run `uptake init`)")
        con = _connect(path, settings, read_only)
        store = cls(con, path, read_only)
        if not read_only:
            store._ensure_schema()
        return store

    def _ensure_schema(self) -> None:
        self.con.execute(DDL)
        self.con.execute(
            "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
            [SCHEMA_VERSION],
        )
        found = self.con.execute(
            'SELECT "value" FROM meta WHERE "key" = \'schema_version\''
        ).fetchone()
        if found is not None and found[0] == "1":
            self._upgrade_from_1()

    def _upgrade_from_1(self) -> None:
        """Version 2 added `message_keys`: fill it from the stored events, once (about 1 s per
        10M events)."""
        with self.transaction() as con:
            con.execute(
                f"INSERT INTO message_keys SELECT {MESSAGE_DAY}, {MESSAGE_KEY} FROM events "
                'ORDER BY "day"'
            )
            con.execute(
                'UPDATE meta SET "value" = ? WHERE "key" = \'schema_version\'', [SCHEMA_VERSION]
            )

    @property
    def backend(self) -> DuckDBBackend:
        """An Ibis backend over this store's connection (reads see committed writes at once)."""
        if self._backend is None:
            self._backend = ibis.duckdb.from_connection(self.con)
        return self._backend

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block atomically: all of it is committed, or on any error none of it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def row_counts(self) -> dict[str, int]:
        """Rows in each canonical table."""
        out: dict[str, int] = {}
        for table in ("events", "users", "accounts", "responses"):
            row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
            out[table] = int(row[0]) if row else 0
        return out

    def note_rollup_rows(self, rows: int) -> None:
        """Record rollup rows appended since the last compaction (inside the writer's
        transaction)."""
        self.con.execute(
            "INSERT INTO meta VALUES ('rollup_rows_since_compact', ?) ON CONFLICT (\"key\") "
            'DO UPDATE SET "value" = CAST(CAST(meta."value" AS BIGINT) + ? AS VARCHAR)',
            [str(rows), rows],
        )

    def compact(self, force: bool = False) -> bool:
        """Fold the partial rollup rows into one row per key, ordered by time for pruning.

        Unless `force`, only when the rows appended since the last compaction are at least a
        tenth of the rollup: a small import into a large workspace should not rewrite it all.
        Returns whether it compacted.
        """
        if not force:
            pending = self.con.execute(
                'SELECT CAST("value" AS BIGINT) FROM meta '
                "WHERE \"key\" = 'rollup_rows_since_compact'"
            ).fetchone()
            total = self.con.execute("SELECT count(*) FROM daily").fetchone()
            if not pending or not pending[0] or (total and pending[0] * 10 < total[0]):
                return False
        with self.transaction() as con:
            con.execute(
                'CREATE OR REPLACE TABLE daily AS SELECT "day", user_id, account_id, "event", '
                'CAST(sum(n) AS BIGINT) AS n FROM daily GROUP BY ALL ORDER BY "day", user_id'
            )
            con.execute(
                'CREATE OR REPLACE TABLE first_seen AS SELECT user_id, account_id, "event", '
                "min(first_at) AS first_at FROM first_seen GROUP BY ALL ORDER BY first_at"
            )
            con.execute(
                "INSERT INTO meta VALUES ('rollup_rows_since_compact', '0') "
                'ON CONFLICT ("key") DO UPDATE SET "value" = \'0\''
            )
        return True

    def close(self) -> None:
        """Checkpoint and release the file."""
        if self._backend is not None:
            self._backend = None
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
