"""Files that cannot be imported: one clear error, and the workspace exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.lookups import counts, rows
from uptake import Workspace
from uptake.errors import ImportFileError
from uptake.ingest import build_options

GOOD_EVENTS = "user_id,event,timestamp\nann,login,2026-01-04\n,login,2026-01-04\n"


def snapshot(ws: Workspace) -> tuple[object, ...]:
    """Everything an import may change: every table's rows and the rejects folder."""
    tables = ("events", "users", "accounts", "responses", "daily", "first_seen", "imports")
    data = tuple(rows(ws, f"SELECT * FROM {t} ORDER BY ALL") for t in tables)
    folder = ws.path / "rejects"
    files = sorted(p.name for p in folder.iterdir()) if folder.exists() else None
    return (*data, files)


@pytest.fixture
def used_ws(ws, write, load) -> Workspace:
    """A workspace that already holds an import (with one rejected row)."""
    load(write("events-0.csv", GOOD_EVENTS.replace("ann", "zed")))
    return ws


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("events.xlsx", b"PK\x03\x04", "unknown file type (.xlsx); name it .csv, .jsonl, .json "
         "or .parquet, or pass --format csv|json|parquet|segment"),
        ("events.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data, not a CSV file"),
        ("events.jsonl", b"\x00\x01\x02garbage", "binary data, not a JSON file"),
        ("events.parquet", b"PAR1 not really", "truncated Parquet file (its footer is missing)"),
        ("notes.csv", b"user_id,event,timestamp\n", "cannot tell which table this file fills "
         "from its name; add --table events|users|accounts|responses"),
    ],
)  # fmt: skip
def test_an_unreadable_file_fails_the_command_and_changes_nothing(
    used_ws, write, load, name, content, message
):
    before = snapshot(used_ws)
    good = write("events-1.csv", GOOD_EVENTS)
    bad = write(name, content)
    with pytest.raises(ImportFileError) as caught:
        load(good, bad)
    assert str(caught.value) == f"{bad}: {message}"
    assert snapshot(used_ws) == before


def test_a_missing_file(used_ws, write, load, tmp_path):
    before = snapshot(used_ws)
    missing = tmp_path / "events-9.csv"
    with pytest.raises(ImportFileError) as caught:
        load(write("events-1.csv", GOOD_EVENTS), missing)
    assert str(caught.value) == f"{missing}: no such file"
    assert snapshot(used_ws) == before


def test_a_file_corrupt_half_way_rolls_back_the_files_before_it(used_ws, write, load):
    # The first file is good (with a reject, so it writes a rejects file); the second passes
    # the checks but breaks while being read: neither its rows, nor the first file's rows,
    # nor the first file's rejects file remain.
    before = snapshot(used_ws)
    good = write("events-1.csv", GOOD_EVENTS)
    broken = write(
        "users.json", '[{"user_id": "a"},\n{"user_id": "b"},\n{"user_id": "c", "site": ]'
    )
    with pytest.raises(ImportFileError) as caught:
        load(good, broken)
    assert str(caught.value) == f"{broken}: not valid JSON at line 3: Expecting value"
    assert snapshot(used_ws) == before


def test_a_failed_command_leaves_no_rejects_folder_behind(ws, write, load):
    # A fresh workspace: two files with rejects create the rejects folder and two files in it;
    # the third breaks half-way, so both files and the folder go.
    first = write("events-1.csv", GOOD_EVENTS)
    second = write("events-2.csv", GOOD_EVENTS.replace("ann", "bob"))
    broken = write("users.json", '[{"user_id": "a"}, {"user_id": ]')
    with pytest.raises(ImportFileError):
        load(first, second, broken)
    assert not (ws.path / "rejects").exists()
    assert rows(ws, "SELECT count(*) FROM events") == [(0,)]


def test_an_empty_csv_file_imports_nothing(ws, write, load):
    [summary] = load(write("events.csv", ""))
    assert counts(summary) == (0, 0, 0, 0, 0)


def test_a_mapping_to_an_unknown_column_is_refused():
    with pytest.raises(ImportFileError) as caught:
        build_options(mapping={"timestmp": "created"})
    assert str(caught.value).startswith(
        "import options: mapping timestmp=created: 'timestmp' is not a canonical column; "
        "use one of account_id, anonymous_id, "
    )


def test_a_wrong_option_value_names_the_option():
    with pytest.raises(ImportFileError) as caught:
        build_options(timestamp_unit="hours")
    assert str(caught.value) == (
        "import options: timestamp_unit: Input should be 'auto', 's', 'ms', 'us' or 'ns'"
    )


def test_the_workspace_folder_is_where_rejects_go(ws, write, load):
    [summary] = load(write("events.csv", GOOD_EVENTS))
    assert summary.rejects_file is not None
    assert Path(summary.rejects_file).parent == ws.path / "rejects"
    assert Path(summary.rejects_file).name.startswith("events-")
