"""A project served by the server: its workspace, its single writer and its reader.

The writer thread (`GroupCommitter`) owns the DuckDB connection; queries run on a cursor of
it (a second connection to the same database, which sees every committed write), one at a
time per project, so reads never wait for commits and commits never wait for reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import ibis

from uptake import service
from uptake.definitions import Definitions, load_definitions
from uptake.metrics import MetricSpec, Tables, parse_spec
from uptake.result import Result
from uptake.settings import Settings
from uptake.web.committer import GroupCommitter
from uptake.web.result_cache import DEFAULT_ENTRIES, ResultCache
from uptake.workspace import DEFINITIONS_FILE, Workspace

T = TypeVar("T")


class Project:
    """One open project: writes through `committer`, reads through `compute`."""

    def __init__(
        self, name: str, path: Path, settings: Settings, result_cache_entries: int = DEFAULT_ENTRIES
    ) -> None:
        self.name = name
        self.path = path
        self.workspace = Workspace.open(path, settings)
        self.committer = GroupCommitter(self.workspace.store, name)
        # Only the server writes its own DuckDB file, so the writer's count of writes versions
        # the data; another engine's tables change behind our back and are never cached.
        entries = result_cache_entries if self.workspace.definitions.engine is None else 0
        self.results = ResultCache(entries)
        self._read_lock = threading.Lock()
        self._tables: Tables | None = None

    def tables(self) -> Tables:
        """The tables queries read (over the reader cursor, or the workspace's engine)."""
        if self._tables is None:
            if self.workspace.definitions.engine is None:
                reader = ibis.duckdb.from_connection(self.workspace.store.con.cursor())
                self._tables = Tables.in_store(reader, self.workspace.definitions)
            else:
                self._tables = self.workspace.tables()
        return self._tables

    def reload_definitions(self) -> Definitions:
        """Re-read uptake.toml after it changed on disk, for every query from now on; the new
        definitions. DefinitionError (and the old definitions kept) when the file is invalid.
        Compiled SQL and cached answers are keyed by the definitions, so no stale one can be
        served. An `[engine]` change still needs a restart: the same tables are kept."""
        definitions = load_definitions(self.path / DEFINITIONS_FILE)
        with self._read_lock:
            self._tables = dataclasses.replace(self.tables(), definitions=definitions)
            self.workspace.definitions = definitions
        return definitions

    def read(self, work: Callable[[Tables], T]) -> T:
        """Run `work(tables)` on the reader, one read at a time (blocking: call from a worker
        thread)."""
        with self._read_lock:
            return work(self.tables())

    def compute(self, spec: MetricSpec | Mapping[str, Any]) -> Result:
        """Run a metric on the committed data, or return the answer already computed on the
        same data (blocking: call from a worker thread)."""
        metric = parse_spec(spec)
        with self._read_lock:
            tables = self.tables()
            # Read before computing: the answer then reflects at least this version's data.
            version = self.committer.writes
            key = service.spec_key(metric, tables)
            found = self.results.get(key, version)
            if found is not None:
                return found.model_copy(update={"cached": True})
            result = service.compute(metric, tables)
        self.results.put(key, version, result)
        return result

    def explain(self, spec: MetricSpec | Mapping[str, Any]) -> str:
        """The SQL a spec compiles to."""
        with self._read_lock:
            return service.explain(spec, self.tables())

    def latest_event_date(self) -> dt.date | None:
        """The UTC date of the latest committed event, or None when there are none."""
        with self._read_lock:
            value = self.tables().events.timestamp.max().to_pyarrow().as_py()
        return None if value is None else value.date()

    def close(self) -> None:
        """Commit what is queued, stop the writer and release the file."""
        self.committer.close()
        self._tables = None
        self.workspace.close()
