"""One runner per benchmarked tool: `load()` gets the data ready (timed as load time) and
`compute(kpi, spec)` answers one KPI as plain rows (timed per run).

- `uptake`: `Workspace.compute(spec)` on the workspace built by the import (read-only).
- `duckdb_sql`: hand-written SQL over the raw events, loaded from the Parquet files into an
  in-memory DuckDB database (a scratch file above 20M events).
- `duckdb_rollup`: the same SQL over uptake's own `daily` / `first_seen` rollups, on the
  workspace's DuckDB file (read-only), so it reads exactly the tables uptake reads.
- `pandas`, `polars`: the KPIs as dataframe code over the Parquet files.

Both DuckDB runners and uptake use the same `threads` and `memory_limit`. Nothing here imports
uptake (nor Ibis) unless the uptake runner is used, so the pandas and polars processes' memory
is their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from benchmarks import handwritten_sql
from benchmarks.crosscheck import Row, plain_rows
from benchmarks.dataset import Dataset
from benchmarks.definitions import Catalog, read_catalog
from benchmarks.rollup_sql import Rollups

# Above this many events the raw SQL runner loads into a database file: 100M events (about
# 14 GB in memory) would not fit DuckDB's memory_limit.
IN_MEMORY_EVENTS = 20_000_000

Tool = Literal["uptake", "duckdb_sql", "duckdb_rollup", "pandas", "polars"]
TOOLS: tuple[Tool, ...] = ("uptake", "duckdb_sql", "duckdb_rollup", "pandas", "polars")


@dataclass(frozen=True)
class EngineLimits:
    """DuckDB's worker threads and memory_limit, the same for uptake and both SQL runners."""

    threads: int = 2
    memory_limit: str = "8GB"

    def settings(self) -> Any:
        """uptake's Settings with these limits (imports uptake)."""
        from uptake.settings import Settings

        return Settings(progress=False, threads=self.threads, memory_limit=self.memory_limit)


@dataclass(frozen=True)
class Answer:
    """One KPI run's rows (plain values) and, for uptake, its `Result.timings_ms` (compile,
    execute, finish)."""

    rows: list[Row]
    timings_ms: dict[str, float] | None = None


class Runner(Protocol):
    """A tool ready to answer KPIs on one dataset."""

    def load(self) -> None:
        """Get the data ready (read files, open the database)."""
        ...

    def compute(self, kpi: str, spec: dict[str, Any]) -> Answer:
        """The answer to one KPI spec."""
        ...

    def close(self) -> None:
        """Release memory and files."""
        ...


def _duckdb_config(limits: EngineLimits) -> dict[str, Any]:
    return {
        "threads": limits.threads,
        "memory_limit": limits.memory_limit,
        "autoinstall_known_extensions": False,
    }


def _fetch(con: Any, sql: str) -> list[Row]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


class UptakeRunner:
    """uptake through its public API: `Workspace.compute(spec)`."""

    def __init__(self, data: Dataset, limits: EngineLimits) -> None:
        from uptake import Workspace  # imported here, so that load time is only loading

        self.data, self.limits = data, limits
        self.workspace_class = Workspace
        self.workspace: Any = None

    def load(self) -> None:
        self.workspace = self.workspace_class.open(
            self.data.workspace, self.limits.settings(), read_only=True
        )
        self.workspace.tables()

    def compute(self, kpi: str, spec: dict[str, Any]) -> Answer:
        result = self.workspace.compute(spec)
        return Answer(plain_rows(result.rows), dict(result.timings_ms))

    def close(self) -> None:
        if self.workspace is not None:
            self.workspace.close()


class SqlRunner:
    """Hand-written DuckDB SQL; `rollups=False` over raw events loaded into memory (into a
    scratch database file above IN_MEMORY_EVENTS), `rollups=True` over the workspace file's
    rollups."""

    def __init__(self, data: Dataset, limits: EngineLimits, rollups: bool) -> None:
        import duckdb  # imported here, so that load time is only loading

        self.duckdb = duckdb
        self.data, self.limits, self.rollups = data, limits, rollups
        self.catalog: Catalog = read_catalog(data.folder / "uptake.toml")
        self.source: handwritten_sql.Source = (
            Rollups(self.catalog) if rollups else handwritten_sql.RawEvents(self.catalog)
        )
        self.con: Any = None

    def load(self) -> None:
        config = _duckdb_config(self.limits)
        if self.rollups:
            path = str(self.data.workspace / "uptake.duckdb")
            self.con = self.duckdb.connect(path, read_only=True, config=config)
        elif self.data.events > IN_MEMORY_EVENTS:
            self.scratch.unlink(missing_ok=True)
            self.con = self.duckdb.connect(str(self.scratch), config=config)
        else:
            self.con = self.duckdb.connect(":memory:", config=config)
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET enable_progress_bar = false")
        if not self.rollups:
            for table in ("events", "users"):
                path = str(self.data.parquet(table)).replace("'", "''")
                self.con.execute(f"CREATE TABLE {table} AS FROM read_parquet('{path}')")

    def compute(self, kpi: str, spec: dict[str, Any]) -> Answer:
        sql = handwritten_sql.query(kpi, self.source, self.catalog, spec)
        return Answer(plain_rows(_fetch(self.con, sql)))

    @property
    def scratch(self) -> Path:
        """The database file of the raw SQL runner on data too large for memory."""
        return self.data.folder / "handwritten_sql.duckdb"

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
        if not self.rollups:
            self.scratch.unlink(missing_ok=True)
            Path(f"{self.scratch}.wal").unlink(missing_ok=True)


class FrameRunner:
    """pandas or polars: `load(folder)` then `compute(frames, kpi, spec)` of its module."""

    def __init__(self, data: Dataset, library: Literal["pandas", "polars"]) -> None:
        self.data = data
        if library == "pandas":
            from benchmarks import pandas_kpis as module
        else:
            from benchmarks import polars_kpis as module  # type: ignore[no-redef]
        self.module: Any = module
        self.frames: Any = None

    def load(self) -> None:
        self.frames = self.module.load(self.data.folder)

    def compute(self, kpi: str, spec: dict[str, Any]) -> Answer:
        return Answer(plain_rows(self.module.compute(self.frames, kpi, spec)))

    def close(self) -> None:
        self.frames = None


def runner(tool: Tool, data: Dataset, limits: EngineLimits) -> Runner:
    """The runner of one tool on one dataset."""
    match tool:
        case "uptake":
            return UptakeRunner(data, limits)
        case "duckdb_sql":
            return SqlRunner(data, limits, rollups=False)
        case "duckdb_rollup":
            return SqlRunner(data, limits, rollups=True)
        case "pandas" | "polars":
            return FrameRunner(data, tool)
    raise ValueError(f"unknown tool {tool!r}; tools: {', '.join(TOOLS)}")
