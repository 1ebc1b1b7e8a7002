"""The same workspace definitions run on another engine through `[engine]` in uptake.toml."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import TEST_SETTINGS
from tests.stories import date, day, journeys
from uptake.engines import connect
from uptake.errors import EngineError
from uptake.workspace import Workspace

STORY = journeys({"ann": [("login", day(0)), ("login", day(8))], "bob": [("login", day(1))]})


@pytest.mark.spark
def test_workspace_engine_section_runs_metrics_on_spark(spark_backend, tmp_path: Path):
    session = spark_backend._session
    for name in ("events", "users", "accounts", "responses"):
        path = tmp_path / f"{name}.parquet"
        pq.write_table(getattr(STORY, name), path)
        session.read.parquet(str(path)).createOrReplaceTempView(f"lake_{name}")
    folder = tmp_path / "ws"
    Workspace.init(folder, settings=TEST_SETTINGS).close()
    toml = folder / "uptake.toml"
    toml.write_text(
        toml.read_text() + '\n[engine]\nurl = "pyspark://local[2]"\n'
        'tables = { events = "lake_events", users = "lake_users", '
        'accounts = "lake_accounts", responses = "lake_responses" }\n'
    )
    with Workspace.open(folder, TEST_SETTINGS) as ws:
        result = ws.compute(
            {"kind": "trend", "measure": "unique", "from": str(date(0)), "to": str(date(13))}
        )
    assert result.engine == "pyspark"
    # Week 1: ann and bob; week 2: ann.
    assert [(r["period"], r["value"]) for r in result.rows] == [(date(0), 2), (date(7), 1)]


def test_engine_url_without_scheme_is_a_clear_error():
    with pytest.raises(EngineError, match="has no scheme"):
        connect("localhost:9000")


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(EngineError, match="nosuchengine"):
        connect("nosuchengine://host/db")
