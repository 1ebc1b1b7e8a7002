"""`uptake import` end to end: the real CLI on a real workspace, summary, rejects, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_SETTINGS
from uptake.cli.app import app
from uptake.workspace import Workspace

EVENTS = (
    "user_id,event,timestamp,plan\n"
    "ann,login,2026-01-04T09:00:00Z,pro\n"
    ",login,2026-01-04T10:00:00Z,pro\n"
    "bob,export,2026-01-05,free\n"
)
USERS = "user_id,account_id,department\nann,acme,Sales\nbob,acme,Ops\n"


def uptake(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "uptake", *args], capture_output=True, text=True, timeout=120
    )


def invoke(*args: str):
    """Run the CLI in-process (progress off with -q; a wide terminal so the table is whole)."""
    return CliRunner().invoke(app, ["-q", *args], env={"COLUMNS": "200"})


def counts(path: Path) -> dict[str, int]:
    with Workspace.open(path, TEST_SETTINGS, read_only=True) as ws:
        return ws.store.row_counts()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "acme"
    Workspace.init(path, settings=TEST_SETTINGS).close()
    return path


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "events.csv").write_text(EVENTS)
    (folder / "users.csv").write_text(USERS)
    return folder


def test_import_prints_a_summary_and_the_first_rejects(workspace, files):
    done = invoke("-w", str(workspace), "import", str(files / "events.csv"),
                  str(files / "users.csv"))  # fmt: skip
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    # events: 3 rows read, ann and bob inserted, the row without a user rejected (line 3).
    table = [[c.strip() for c in x.split("│")[1:-1]] for x in lines if x.startswith("│")]
    # Columns: file, table, rows read, inserted, updated, duplicates, rejected (seconds vary).
    assert [row[:7] for row in table] == [
        [str(files / "events.csv"), "events", "3", "2", "0", "0", "1"],
        [str(files / "users.csv"), "users", "2", "2", "0", "0", "0"],
    ]
    rejects = sorted((workspace / "rejects").iterdir())
    assert len(rejects) == 1
    assert f"{files / 'events.csv'}: 1 row rejected (all of them, with reasons, in " in done.output
    assert "  line 3: missing user_id" in lines
    assert counts(workspace) == {"events": 2, "users": 2, "accounts": 0, "responses": 0}


def test_map_and_map_file(workspace, tmp_path):
    data = tmp_path / "log.csv"
    data.write_text("who,what,when,Plan\nann,login,2026-01-04,pro\n")
    mapping = tmp_path / "mapping.toml"
    # The file maps user_id and event for events; --map on the command line wins for event.
    mapping.write_text('[events]\nuser_id = "who"\nevent = "Plan"\ntimestamp = "when"\n')
    done = invoke("-w", str(workspace), "import", str(data), "--table", "events",
                  "--map-file", str(mapping), "--map", "event=what")  # fmt: skip
    assert done.exit_code == 0, done.output
    with Workspace.open(workspace, TEST_SETTINGS, read_only=True) as ws:
        got = ws.store.con.execute(
            'SELECT user_id, "event", CAST(properties AS MAP(VARCHAR, VARCHAR)) FROM events'
        ).fetchall()
    assert got == [("ann", "login", {"Plan": "pro"})]


def test_corrupt_file_gives_one_error_line_and_changes_nothing(workspace, files):
    bad = files / "accounts.parquet"
    bad.write_bytes(b"this is not parquet at all")
    before = counts(workspace)
    done = uptake("-q", "-w", str(workspace), "import", str(files / "events.csv"), str(bad))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {bad}: not a Parquet file (it does not start with PAR1)"
    ]
    assert done.stdout == ""
    assert counts(workspace) == before == {"events": 0, "users": 0, "accounts": 0,
                                           "responses": 0}  # fmt: skip
    assert not (workspace / "rejects").exists()


def test_a_bad_map_option_is_one_error_line(workspace, files):
    done = uptake("-q", "-w", str(workspace), "import", str(files / "events.csv"),
                  "--map", "timestamp")  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: --map 'timestamp': write CANONICAL=FILE_COLUMN, e.g. --map timestamp=created"
    ]


def test_progress_on_without_a_terminal_still_imports(workspace, files):
    # No -q: the progress bar is on; CliRunner is not a terminal, so nothing may break.
    done = CliRunner().invoke(app, ["-w", str(workspace), "import", str(files / "users.csv")])
    assert done.exit_code == 0, done.output
    assert counts(workspace)["users"] == 2


def test_importing_twice_with_the_cli_adds_nothing(workspace, files):
    first = invoke("-w", str(workspace), "import", str(files / "events.csv"))
    again = invoke("-w", str(workspace), "import", str(files / "events.csv"))
    assert first.exit_code == again.exit_code == 0
    assert counts(workspace)["events"] == 2
