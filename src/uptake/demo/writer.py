"""Writing the demo: into a new workspace through the store's real write path, or as Parquet
files (the same rows) for tools that read files: the benchmark harness, pandas, polars."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from uptake.demo.activity import calibrate, chunks
from uptake.demo.generator import generate_events
from uptake.demo.manifest import MANIFEST_FILE, definitions_toml, manifest
from uptake.demo.profiles import accounts_table, users_table
from uptake.demo.scenario import DemoError, Scenario, build_scenario
from uptake.demo.surveys import responses
from uptake.settings import Settings
from uptake.store import Store
from uptake.store.event_stage import EventStage
from uptake.store.profiles import upsert_profiles
from uptake.store.responses import append_responses
from uptake.workspace import DATABASE_FILE, DEFINITIONS_FILE, Workspace

CHUNK_EVENTS = 500_000  # events drawn per chunk of users: bounds the generator's memory
# Staged rows per commit: the dedupe check of each commit reads the events already stored,
# so fewer, larger commits are faster; the stage itself is a temp table DuckDB can spill.
COMMIT_EVENTS = 20_000_000
PARQUET_FILES = ("events.parquet", "users.parquet", "accounts.parquet", "responses.parquet")


class DemoSummary(BaseModel):
    """What a demo run wrote: where, from which options, how many rows, and how fast."""

    model_config = ConfigDict(frozen=True)

    path: str
    size: str
    seed: int
    target_events: int
    start: dt.date
    end: dt.date
    accounts: int
    users: int
    events: int
    responses: int
    seconds: float
    story: dict[str, Any]

    @property
    def events_per_second(self) -> float:
        """Events written per second of wall time (0 when nothing was timed)."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


class _Sink(Protocol):
    def profiles(self, accounts: pa.Table, users: pa.Table) -> None: ...
    def events(self, batch: pa.Table) -> None: ...
    def responses(self, table: pa.Table) -> None: ...
    def flush(self) -> None: ...


class _StoreSink:
    """Writes through EventStage / upsert_profiles / append_responses (call in a transaction)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.stage: EventStage | None = None

    def profiles(self, accounts: pa.Table, users: pa.Table) -> None:
        upsert_profiles(self.store, "accounts", accounts)
        upsert_profiles(self.store, "users", users)

    def events(self, batch: pa.Table) -> None:
        if self.stage is None:
            self.stage = EventStage(self.store)
        self.stage.add(batch)
        if self.stage.rows >= COMMIT_EVENTS:
            self.flush()

    def responses(self, table: pa.Table) -> None:
        append_responses(self.store, table)

    def flush(self) -> None:
        if self.stage is not None:
            self.stage.commit(own_transaction=False)
            self.stage = None


class _ParquetSink:
    """Streams events into events.parquet; the small tables are written whole."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writer: pq.ParquetWriter | None = None

    def profiles(self, accounts: pa.Table, users: pa.Table) -> None:
        pq.write_table(accounts, self.folder / "accounts.parquet")
        pq.write_table(users, self.folder / "users.parquet")

    def events(self, batch: pa.Table) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.folder / "events.parquet", batch.schema)
        self.writer.write_table(batch, row_group_size=1_000_000)

    def responses(self, table: pa.Table) -> None:
        pq.write_table(table, self.folder / "responses.parquet")

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _progress(enabled: bool) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=True,
    )


def _produce(scn: Scenario, sink: _Sink, bar: Progress) -> dict[str, int]:
    """Draw everything and hand it to the sink chunk by chunk; returns the row counts."""
    ranges = chunks(scn, CHUNK_EVENTS)
    cal = calibrate(scn, ranges)
    accounts, users = accounts_table(scn), users_table(scn)
    sink.profiles(accounts, users)
    task = bar.add_task("Generating events", total=round(cal.expected_events))
    answers: list[pa.Table] = []
    events = 0
    for index, chunk in enumerate(generate_events(scn, cal, ranges)):
        sink.events(chunk.events)
        events += chunk.events.num_rows
        answers.append(responses(scn, chunk.lo, chunk.hi, chunk.engagement, index))
        bar.update(task, advance=chunk.events.num_rows)
    bar.update(task, total=events, completed=events)
    survey = pa.concat_tables(answers)
    sink.responses(survey)
    saving = bar.add_task("Saving", total=None)
    sink.flush()
    bar.update(saving, total=1, completed=1)
    return {
        "accounts": accounts.num_rows,
        "users": users.num_rows,
        "events": events,
        "responses": survey.num_rows,
    }


def _summary(path: Path, scn: Scenario, counts: dict[str, int], seconds: float) -> DemoSummary:
    from uptake import __version__

    info = manifest(scn, counts, __version__)
    (path / MANIFEST_FILE).write_text(json.dumps(info, indent=2) + "\n", "utf-8")
    return DemoSummary(
        path=str(path),
        size=scn.size,
        seed=scn.seed,
        target_events=scn.target_events,
        start=scn.start,
        end=scn.end,
        seconds=round(seconds, 3),
        story=info["story"],
        **counts,
    )


_OURS = (DEFINITIONS_FILE, DATABASE_FILE, f"{DATABASE_FILE}.wal", MANIFEST_FILE)


def _prepare(folder: Path, force: bool) -> bool:
    """Make room for a demo in `folder`; True when the folder is new (ours to remove)."""
    if folder.exists() and not folder.is_dir():
        raise DemoError(f"{folder} is a file, not a folder")
    if not folder.exists():
        return True
    if not any(folder.iterdir()):
        return False
    if not (folder / MANIFEST_FILE).exists():
        raise DemoError(
            f"{folder} is not empty and holds no {MANIFEST_FILE}, so it is not a demo "
            "workspace: choose another folder (--force only replaces a demo)"
        )
    if not force:
        raise DemoError(f"{folder} already holds a demo workspace; pass --force to replace it")
    for name in _OURS:
        (folder / name).unlink(missing_ok=True)
    return False


def _clean(folder: Path, new: bool) -> None:
    for name in _OURS:
        (folder / name).unlink(missing_ok=True)
    if new and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def generate(
    path: str | Path,
    size: str = "small",
    seed: int = 42,
    end: dt.date | None = None,
    events: int | None = None,
    settings: Settings | None = None,
    force: bool = False,
) -> DemoSummary:
    """Create a demo workspace at `path` (uptake.toml, uptake.duckdb, demo.json).

    `size` is tiny / small / medium / large / huge (~10k to ~100M events); `events`, when
    given, overrides it with an approximate count. `end` is the last day (default: today UTC).
    An existing non-empty folder is refused unless `force` and it holds a demo (demo.json).
    """
    settings = settings or Settings()
    scn = build_scenario(size, seed, end, events)
    folder = Path(path)
    new = _prepare(folder, force)
    started = time.perf_counter()
    try:
        Workspace.init(folder, name="demo", settings=settings).close()
        (folder / DEFINITIONS_FILE).write_text(definitions_toml(scn), "utf-8")
        with Workspace.open(folder, settings) as ws, _progress(settings.progress) as bar:
            # DuckDB's own progress bar would print through ours (and into piped output).
            ws.store.con.execute("SET enable_progress_bar = false")
            with ws.store.transaction():
                counts = _produce(scn, _StoreSink(ws.store), bar)
            ws.store.compact()
    except BaseException:
        _clean(folder, new)
        raise
    return _summary(folder, scn, counts, time.perf_counter() - started)


def write_parquet(
    folder: str | Path,
    size: str = "small",
    seed: int = 42,
    end: dt.date | None = None,
    events: int | None = None,
    settings: Settings | None = None,
) -> DemoSummary:
    """Write the same demo as `generate` (same options, same rows) as Parquet files:
    events.parquet, users.parquet, accounts.parquet, responses.parquet, plus uptake.toml and
    demo.json. Existing files of those names are replaced."""
    settings = settings or Settings()
    scn = build_scenario(size, seed, end, events)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _progress(settings.progress) as bar:
        counts = _produce(scn, _ParquetSink(out), bar)
    (out / DEFINITIONS_FILE).write_text(definitions_toml(scn), "utf-8")
    return _summary(out, scn, counts, time.perf_counter() - started)
