"""`uptake init`, `query`, `explain` and `metrics` end to end on a real workspace."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SETTINGS, load_store
from tests.stories import date, day, journeys
from uptake.store import Store
from uptake.workspace import DATABASE_FILE, Workspace

STORY = journeys({"ann": [("login", day(0)), ("login", day(8))], "bob": [("login", day(1))]})


def uptake(*args: str, stdin: str | None = None, cwd: Path | None = None):
    """Run the real CLI in a subprocess (its own DuckDB process, as a user would)."""
    return subprocess.run(
        [sys.executable, "-m", "uptake", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "acme"
    Workspace.init(path, settings=TEST_SETTINGS).close()
    with Store.open(path / DATABASE_FILE, TEST_SETTINGS) as store:
        load_store(store, STORY)
    return path


SPEC = {"kind": "trend", "measure": "unique", "from": str(date(0)), "to": str(date(13))}


def test_query_json_matches_the_hand_count(workspace):
    done = uptake("-w", str(workspace), "query", json.dumps(SPEC), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    # Week 1: ann and bob; week 2: ann.
    assert result["rows"] == [
        {"period": str(date(0)), "value": 2},
        {"period": str(date(7)), "value": 1},
    ]
    assert "SELECT" in result["sql"]


def test_query_csv_from_a_spec_file(workspace, tmp_path):
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPEC))
    done = uptake("-w", str(workspace), "query", str(spec_file), "-f", "csv")
    assert done.returncode == 0, done.stderr
    assert list(csv.reader(io.StringIO(done.stdout))) == [
        ["period", "value"],
        [str(date(0)), "2"],
        [str(date(7)), "1"],
    ]


def test_query_from_stdin_as_a_table(workspace):
    done = uptake("-w", str(workspace), "query", "-", stdin=json.dumps(SPEC))
    assert done.returncode == 0, done.stderr
    assert str(date(7)) in done.stdout


def test_explain_prints_sql_without_running(workspace):
    done = uptake("-w", str(workspace), "explain", json.dumps(SPEC))
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().upper().startswith(("SELECT", "WITH"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", '{"kind": "nope"}'], "unknown metric kind 'nope'"),
        (["query", '{"kind": "trend", "measure": "max"}'], "invalid trend spec: measure"),
        (
            ["query", '{"kind": "trend", "from": "2026-02-01", "to": "2026-01-01"}'],
            "is before `from`",
        ),
        (["query", "{not json"], "is not valid JSON"),
        (["query", "missing.json"], "missing.json: no such spec file"),
    ],
)
def test_bad_specs_are_one_line_and_exit_1(workspace, args, message):
    done = uptake("-w", str(workspace), *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_missing_workspace_is_one_line(tmp_path):
    done = uptake("-w", str(tmp_path / "none"), "query", json.dumps(SPEC))
    assert done.returncode == 1
    assert "no such workspace folder" in done.stderr


def test_metrics_lists_kinds_and_describes_one():
    listing = uptake("metrics", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    kinds = [m["kind"] for m in json.loads(listing.stdout)]
    assert "trend" in kinds and kinds == sorted(kinds)
    one = uptake("metrics", "trend")
    assert one.returncode == 0
    assert "measure" in one.stdout and "rolling WAU / MAU" in one.stdout


def test_init_refuses_to_overwrite(tmp_path):
    first = uptake("init", str(tmp_path / "ws"))
    assert first.returncode == 0, first.stderr
    second = uptake("init", str(tmp_path / "ws"))
    assert second.returncode == 1
    assert "already holds a workspace" in second.stderr


def test_python_api_matches_the_cli(workspace):
    with Workspace.open(workspace, TEST_SETTINGS, read_only=True) as ws:
        result = ws.compute(SPEC)
    assert result.rows == [{"period": date(0), "value": 2}, {"period": date(7), "value": 1}]
