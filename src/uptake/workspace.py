"""A workspace: a folder with its definitions (`uptake.toml`) and its data (`uptake.duckdb`)."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from uptake import ingest, service
from uptake.definitions import Definitions, load_definitions
from uptake.engines import connect, tables_on
from uptake.errors import WorkspaceError
from uptake.ingest import ImportOptions, ImportSummary, ProgressCallback
from uptake.metrics import MetricSpec, Tables
from uptake.result import Result
from uptake.settings import Settings
from uptake.store import Store

DEFINITIONS_FILE = "uptake.toml"
DATABASE_FILE = "uptake.duckdb"
_NAME = re.compile(r"[^A-Za-z0-9_.\- ]")


class Workspace:
    """Definitions plus data; computes metrics on its own DuckDB file or its `[engine]`."""

    def __init__(self, path: Path, definitions: Definitions, store: Store, settings: Settings):
        self.path = path
        self.definitions = definitions
        self.store = store
        self.settings = settings
        self._tables: Tables | None = None

    @classmethod
    def init(
        cls, path: str | Path, name: str | None = None, settings: Settings | None = None
    ) -> Workspace:
        """Create a workspace folder with a commented uptake.toml and an empty database."""
        folder = Path(path)
        toml = folder / DEFINITIONS_FILE
        if toml.exists():
            raise WorkspaceError(f"{folder} already holds a workspace ({toml} exists)")
        folder.mkdir(parents=True, exist_ok=True)
        label = _NAME.sub("", name or folder.resolve().name) or "workspace"
        template = importlib.resources.files("uptake.definitions").joinpath("template.toml")
        toml.write_text(template.read_text(encoding="utf-8").replace("{name}", label), "utf-8")
        return cls.open(folder, settings)

    @classmethod
    def open(
        cls, path: str | Path, settings: Settings | None = None, read_only: bool = False
    ) -> Workspace:
        """Open an existing workspace folder (its definitions are validated first)."""
        folder = Path(path)
        if not folder.is_dir():
            raise WorkspaceError(f"{folder}: no such workspace folder (run `uptake init {folder}`)")
        definitions = load_definitions(folder / DEFINITIONS_FILE)
        settings = settings or Settings()
        store = Store.open(folder / DATABASE_FILE, settings, read_only=read_only)
        return cls(folder, definitions, store, settings)

    def tables(self) -> Tables:
        """The tables metrics read: the store's, or the configured engine's."""
        if self._tables is None:
            engine = self.definitions.engine
            if engine is None:
                self._tables = Tables.in_store(self.store.backend, self.definitions)
            else:
                self._tables = tables_on(connect(engine.url), self.definitions, engine.tables)
        return self._tables

    def latest_event_date(self) -> dt.date | None:
        """The UTC date of the latest event, or None when there are no events."""
        events = self.tables().events
        value = events.timestamp.max().to_pyarrow().as_py()
        return None if value is None else value.date()

    def import_files(
        self,
        paths: Sequence[str | Path],
        options: ImportOptions | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[ImportSummary]:
        """Import CSV / JSON lines / Parquet / Segment files in one transaction (all or none);
        rejected rows go to `rejects/` in the workspace. One summary per file."""
        return ingest.import_files(
            self.store, paths, options, rejects_dir=self.path / "rejects", on_progress=on_progress
        )

    def compute(self, spec: MetricSpec | Mapping[str, Any]) -> Result:
        """Compute a metric from a spec (a dict like `{"kind": "trend", ...}` or a model)."""
        return service.compute(spec, self.tables())

    def explain(self, spec: MetricSpec | Mapping[str, Any]) -> str:
        """The SQL `compute` would run for this spec."""
        return service.explain(spec, self.tables())

    def close(self) -> None:
        """Release the database file."""
        self._tables = None
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
