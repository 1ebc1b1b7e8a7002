"""`uptake key-actions list|add` on a real workspace: the file changes (comments kept), a
duplicate is refused unless --replace, and the next query sees the new key action."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.conftest import TEST_SETTINGS, load_store
from tests.stories import date, day, journeys
from uptake.cli.app import app
from uptake.definitions import KeyAction, load_definitions
from uptake.server.marker import ServerMarker, remove_marker, write_marker
from uptake.store import Store
from uptake.workspace import DATABASE_FILE, Workspace

# ann signs up (first event) at noon day 0 and invites a teammate at noon day 1 (24 h later);
# bob signs up day 0 and never invites.
STORY = journeys({"ann": [("login", day(0)), ("invite_sent", day(1))], "bob": [("login", day(0))]})


def uptake(*args: str) -> Result:
    """The real CLI in this process (typer's runner), wide enough not to wrap."""
    return CliRunner().invoke(app, ["-q", *args], env={"COLUMNS": "200"})


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "acme"
    Workspace.init(path, settings=TEST_SETTINGS).close()
    with Store.open(path / DATABASE_FILE, TEST_SETTINGS) as store:
        load_store(store, STORY)
    return path


def test_list_says_how_to_add_when_there_are_none(workspace: Path) -> None:
    done = uptake("-w", str(workspace), "key-actions", "list")
    assert done.exit_code == 0, done.output
    assert "No key actions yet. Record one with `uptake key-actions add NAME --event EVENT`" in (
        done.output
    )


def test_add_records_it_and_the_next_query_uses_it(workspace: Path) -> None:
    toml = workspace / "uptake.toml"
    template = toml.read_text("utf-8")
    done = uptake(
        "key-actions", "add", "Invited a teammate", "--event", "invite_sent",
        "-e", "invite_accepted", "-w", str(workspace),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.output.strip() == (
        f"Recorded key action 'Invited a teammate' (events: invite_sent, invite_accepted) in "
        f"{toml}."
    )
    # The template's comments are all still there; the new table follows them.
    assert toml.read_text("utf-8").startswith(template)
    assert load_definitions(toml).key_actions == [
        KeyAction(name="Invited a teammate", events=["invite_sent", "invite_accepted"])
    ]

    listed = uptake("-w", str(workspace), "key-actions", "list")
    assert listed.exit_code == 0, listed.output
    assert "Invited a teammate" in listed.output
    assert "invite_sent, invite_accepted" in listed.output

    spec = {"kind": "time_to", "target": "key_action", "key_action": "Invited a teammate",
            "from": str(date(0)), "to": str(date(6))}  # fmt: skip
    query = uptake("-w", str(workspace), "query", json.dumps(spec), "--format", "json")
    assert query.exit_code == 0, query.output
    # Two signed up, ann reached it after exactly 24 hours.
    row = json.loads(query.output)["rows"][0]
    assert (row["signed_up"], row["reached"], row["median_hours"]) == (2, 1, 24.0)


def test_a_duplicate_is_refused_unless_replace(workspace: Path) -> None:
    toml = workspace / "uptake.toml"
    assert uptake("-w", str(workspace), "key-actions", "add", "Invited", "-e", "a").exit_code == 0
    text = toml.read_text("utf-8")
    again = uptake("-w", str(workspace), "key-actions", "add", "Invited", "-e", "b")
    assert again.exit_code == 1
    assert isinstance(again.exception, Exception)
    assert "key action 'Invited' already exists (replace it with --replace" in str(again.exception)
    assert toml.read_text("utf-8") == text
    replaced = uptake("-w", str(workspace), "key-actions", "add", "Invited", "-e", "b", "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert replaced.output.startswith("Replaced key action 'Invited' (events: b)")
    assert load_definitions(toml).key_actions == [KeyAction(name="Invited", events=["b"])]


def test_an_event_is_required(workspace: Path) -> None:
    done = uptake("-w", str(workspace), "key-actions", "add", "Invited")
    assert done.exit_code == 2
    assert "Missing option '--event'" in done.output


def test_a_running_server_is_told_to_reload(workspace: Path) -> None:
    # The marker of a live process (this one) stands for a server owning the project.
    marker = ServerMarker(url="http://127.0.0.1:9", pid=os.getpid(), project="acme", token="t")
    write_marker(workspace, marker)
    try:
        done = uptake("-w", str(workspace), "key-actions", "add", "Invited", "-e", "a")
    finally:
        remove_marker(workspace, os.getpid())
    assert done.exit_code == 0, done.output
    assert (
        "The server at http://127.0.0.1:9 still uses the definitions it loaded: restart it, or "
        "record key actions from its dashboard (Drivers page), which applies them at once."
    ) in done.output


def test_main_prints_our_errors_as_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "uptake", "-w", str(tmp_path), "key-actions", "add", "A", "-e", "a"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: {tmp_path / 'uptake.toml'}: no workspace file here (run `uptake init`)"
    )
