"""Demo fixtures: one small demo per test session, as a workspace and as Parquet files.

The demo ends on Tuesday 2026-06-30, so its last Sunday is 2026-06-28 and its last full
Sunday-start week is 2026-06-21..27. Story dates (see docs/demo.md) are whole weeks before
2026-06-28.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from uptake.definitions import load_definitions
from uptake.demo import DemoSummary, generate, write_parquet
from uptake.metrics import Tables
from uptake.settings import Settings
from uptake.workspace import Workspace

END = dt.date(2026, 6, 30)
SETTINGS = Settings(memory_limit="1GB", threads=2, progress=False)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    """The small demo (about 200k events), seed 42, written as a workspace."""
    return generate(tmp_path_factory.mktemp("demo") / "small", "small", 42, END, settings=SETTINGS)


@pytest.fixture(scope="session")
def small_workspace(small_demo: DemoSummary) -> Iterator[Workspace]:
    """The small demo workspace, open read-only for the whole session."""
    ws = Workspace.open(small_demo.path, SETTINGS, read_only=True)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def small_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same small demo (same options) written as Parquet files."""
    folder = tmp_path_factory.mktemp("demo_parquet")
    write_parquet(folder, "small", 42, END, settings=SETTINGS)
    return folder


@pytest.fixture(scope="session")
def spark_demo_tables(spark_backend: Any, small_parquet: Path) -> Tables:
    """The small demo's Parquet files as Spark views, with the demo's definitions."""
    tables = {}
    for name in ("events", "users", "accounts", "responses"):
        view = f"demo_{name}"
        frame = spark_backend._session.read.parquet(str(small_parquet / f"{name}.parquet"))
        frame.createOrReplaceTempView(view)
        tables[name] = spark_backend.table(view)
    definitions = load_definitions(small_parquet / "uptake.toml")
    return Tables.over_events(
        tables["events"], tables["users"], tables["accounts"], tables["responses"], definitions
    )


@pytest.fixture
def demo_tables(engine: str, request: pytest.FixtureRequest) -> Tables:
    """The small demo's tables on the current engine: the workspace's DuckDB file, or Spark
    over the Parquet export of the same data."""
    if engine == "duckdb":
        ws: Workspace = request.getfixturevalue("small_workspace")
        return ws.tables()
    tables: Tables = request.getfixturevalue("spark_demo_tables")
    return tables
