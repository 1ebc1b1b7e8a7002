"""Shared fixtures: run one metric test body on every engine (DuckDB store, PySpark)."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.stories import Story
from uptake.definitions import Definitions, parse_definitions
from uptake.metrics import Tables
from uptake.result import Result
from uptake.service import compute
from uptake.settings import Settings
from uptake.store import Store
from uptake.store.event_stage import EventStage
from uptake.store.profiles import upsert_profiles
from uptake.store.responses import append_responses

TEST_SETTINGS = Settings(memory_limit="1GB", threads=2, progress=False)
_view_ids = itertools.count()


def _has_spark() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


@pytest.fixture(scope="session")
def spark_backend() -> Iterator[Any]:
    """One local Spark session for the whole run (about 10 s to start)."""
    if not _has_spark():
        pytest.skip("pyspark or Java is not installed (pip install 'uptake[spark]')")
    import ibis

    from uptake.engines import spark_session

    session = spark_session("local[2]")
    yield ibis.pyspark.connect(session)
    session.stop()


def load_store(store: Store, story: Story) -> None:
    """Write a story into a store through the real write path (rollups included)."""
    with store.transaction():
        upsert_profiles(store, "accounts", story.accounts)
        upsert_profiles(store, "users", story.users)
        stage = EventStage(store)
        stage.add(story.events)
        stage.commit(own_transaction=False)
        append_responses(store, story.responses)


@contextmanager
def duckdb_tables(
    story: Story, definitions: dict[str, Any] | Definitions | None = None
) -> Iterator[Tables]:
    """Tables of a story in a throwaway DuckDB store: property tests need a fresh store per
    hypothesis example, which the `tables_for` fixture (one per test) cannot give."""
    with (
        tempfile.TemporaryDirectory() as folder,
        Store.open(Path(folder) / "store.duckdb", TEST_SETTINGS) as store,
    ):
        load_store(store, story)
        yield Tables.in_store(store.backend, definitions_of(definitions))


def definitions_of(data: dict[str, Any] | Definitions | None) -> Definitions:
    """Definitions from a dict written like uptake.toml (or the defaults)."""
    if isinstance(data, Definitions):
        return data
    return parse_definitions(data or {}, source="test definitions")


@pytest.fixture(
    params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)],
)
def engine(request: pytest.FixtureRequest) -> str:
    """The engine a metric test runs on; tests mark gaps with a strict xfail."""
    return str(request.param)


@pytest.fixture
def tables_for(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Tables]]:
    """Build Tables for a story on the current engine: a real DuckDB file, or Spark views over
    Parquet files."""
    stores: list[Store] = []

    def build(story: Story, definitions: dict[str, Any] | Definitions | None = None) -> Tables:
        defs = definitions_of(definitions)
        if engine == "duckdb":
            store = Store.open(tmp_path / f"store{len(stores)}.duckdb", TEST_SETTINGS)
            stores.append(store)
            load_store(store, story)
            return Tables.in_store(store.backend, defs)
        backend = request.getfixturevalue("spark_backend")
        n = next(_view_ids)
        tables = {}
        for name in ("events", "users", "accounts", "responses"):
            path = tmp_path / f"{name}{n}.parquet"
            pq.write_table(getattr(story, name), path)
            view = f"{name}_{n}"
            backend._session.read.parquet(str(path)).createOrReplaceTempView(view)
            tables[name] = backend.table(view)
        return Tables.over_events(
            tables["events"], tables["users"], tables["accounts"], tables["responses"], defs
        )

    yield build
    for store in stores:
        store.close()


@pytest.fixture
def run(tables_for: Callable[..., Tables]) -> Callable[..., Result]:
    """run(story, spec, definitions=None) -> Result, on the current engine."""

    def _run(
        story: Story, spec: dict[str, Any], definitions: dict[str, Any] | None = None
    ) -> Result:
        return compute(spec, tables_for(story, definitions))

    return _run
