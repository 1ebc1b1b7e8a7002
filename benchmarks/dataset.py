"""The benchmark data: the demo's events as Parquet files in `bench-data/<N>/`, and the uptake
workspace built from them through the real import path.

The Parquet files are generated once per (events, seed, end) and reused while `demo.json` says
they were made with the same options; the workspace is rebuilt (and its import timed) on every
run unless the caller asks to reuse it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # uptake is imported only where used: pandas / polars processes skip it
    from uptake.settings import Settings

SEED = 42
END = dt.date(2026, 6, 30)  # fixed, so every run (and every machine) sees the same rows
PARQUET_TABLES = ("events", "users", "accounts")  # responses play no part in the six KPIs
WORKSPACE = "workspace"
MANIFEST = "demo.json"


@dataclass(frozen=True)
class Dataset:
    """One generated data folder: where it is, what made it, and how many rows it holds."""

    folder: Path
    target_events: int
    seed: int
    end: dt.date
    events: int
    users: int
    accounts: int
    generated_seconds: float | None  # None when the files were reused

    @property
    def workspace(self) -> Path:
        """The uptake workspace folder built from this data."""
        return self.folder / WORKSPACE

    def parquet(self, table: str) -> Path:
        """The Parquet file of one table."""
        return self.folder / f"{table}.parquet"


def _manifest(folder: Path) -> dict[str, object] | None:
    path = folder / MANIFEST
    if not path.exists() or not all((folder / f"{t}.parquet").exists() for t in PARQUET_TABLES):
        return None
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _matches(info: dict[str, object], events: int, seed: int, end: dt.date) -> bool:
    return (
        info.get("target_events") == events
        and info.get("seed") == seed
        and info.get("end") == end.isoformat()
    )


def _dataset(folder: Path, info: dict[str, object], seconds: float | None) -> Dataset:
    counts = info["counts"]
    assert isinstance(counts, dict)
    return Dataset(
        folder=folder,
        target_events=int(str(info["target_events"])),
        seed=int(str(info["seed"])),
        end=dt.date.fromisoformat(str(info["end"])),
        events=int(counts["events"]),
        users=int(counts["users"]),
        accounts=int(counts["accounts"]),
        generated_seconds=seconds,
    )


def open_data(folder: Path) -> Dataset:
    """The data folder as written earlier by `ensure_data` (FileNotFoundError when it is not)."""
    info = _manifest(folder)
    if info is None:
        raise FileNotFoundError(f"{folder}: no benchmark data here (run benchmarks.kpis)")
    return _dataset(folder, info, None)


def ensure_data(root: Path, events: int, seed: int = SEED, end: dt.date = END) -> Dataset:
    """The data folder `root/<events>`: reused when it holds the same options, else written."""
    folder = root / str(events)
    info = _manifest(folder)
    if info is not None and _matches(info, events, seed, end):
        return _dataset(folder, info, None)
    from uptake.demo import write_parquet
    from uptake.settings import Settings

    started = time.perf_counter()
    write_parquet(folder, seed=seed, end=end, events=events, settings=Settings(progress=False))
    seconds = time.perf_counter() - started
    info = _manifest(folder)
    assert info is not None, f"write_parquet left no {MANIFEST} in {folder}"
    return _dataset(folder, info, round(seconds, 3))


@dataclass(frozen=True)
class Ingest:
    """How long importing the Parquet files into a fresh workspace took, and how many rows."""

    seconds: float
    rows: int
    events: int

    @property
    def rows_per_second(self) -> float:
        """Rows imported per second of wall time."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def build_workspace(data: Dataset, settings: Settings) -> Ingest:
    """Create `data.workspace` afresh with the demo's uptake.toml and import the Parquet files
    into it with `Workspace.import_files` (one transaction, rollups and compaction included)."""
    from uptake import Workspace
    from uptake.ingest import ImportOptions

    folder = data.workspace
    if folder.exists():
        shutil.rmtree(folder)
    Workspace.init(folder, name="bench", settings=settings).close()
    shutil.copyfile(data.folder / "uptake.toml", folder / "uptake.toml")
    paths = [data.parquet(t) for t in PARQUET_TABLES]
    with Workspace.open(folder, settings) as ws:
        started = time.perf_counter()
        summaries = ws.import_files(paths, ImportOptions())
        seconds = time.perf_counter() - started
        counts = ws.store.row_counts()
    rows = sum(s.rows_read for s in summaries)
    return Ingest(seconds=round(seconds, 3), rows=rows, events=counts["events"])
