"""Recording a key action in uptake.toml: comments and layout kept, duplicates refused, an
invalid result never written, the write atomic and serialized."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from uptake.definitions import KeyAction, load_definitions
from uptake.definitions.workspace_editor import add_key_action
from uptake.errors import DefinitionError
from uptake.workspace import Workspace

HAND_WRITTEN = """\
# Our workspace. Keep this comment.
name = "acme"   # inline comment stays too

[activity]
events = ["*"]
exclude = ["email_opened"]  # passive

[[features]]
name = "Reports"
events = ["report_*"]
"""


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "uptake.toml"
    path.write_text(HAND_WRITTEN, "utf-8")
    return path


def test_appends_a_key_action_and_keeps_everything_else(toml: Path) -> None:
    definitions = add_key_action(toml, "Invited a teammate", ["invite_sent", "invite_*"])
    # The file is the old text, byte for byte, followed by the new table.
    assert toml.read_text("utf-8") == HAND_WRITTEN + (
        '\n[[key_actions]]\nname = "Invited a teammate"\nevents = ["invite_sent", "invite_*"]\n'
    )
    expected = [KeyAction(name="Invited a teammate", events=["invite_sent", "invite_*"])]
    assert definitions.key_actions == expected
    assert load_definitions(toml).key_actions == expected


def test_a_second_one_goes_after_the_first(toml: Path) -> None:
    add_key_action(toml, "Invited", ["invite_sent"])
    add_key_action(toml, "Exported", ["export"])
    assert [k.name for k in load_definitions(toml).key_actions] == ["Invited", "Exported"]
    assert toml.read_text("utf-8").startswith("# Our workspace. Keep this comment.\n")


def test_the_generated_template_keeps_its_comments(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "ws").close()
    path = tmp_path / "ws" / "uptake.toml"
    before = path.read_text("utf-8")
    add_key_action(path, "Created an opportunity", ["opportunity_created"])
    after = path.read_text("utf-8")
    assert after.startswith(before)
    assert after[len(before) :] == (
        '\n[[key_actions]]\nname = "Created an opportunity"\nevents = ["opportunity_created"]\n'
    )


def test_a_duplicate_name_is_refused_and_the_file_untouched(toml: Path) -> None:
    add_key_action(toml, "Invited", ["invite_sent"])
    text = toml.read_text("utf-8")
    with pytest.raises(DefinitionError, match="key action 'Invited' already exists"):
        add_key_action(toml, "Invited", ["other"])
    assert toml.read_text("utf-8") == text


def test_replace_changes_the_events_in_place(toml: Path) -> None:
    toml.write_text(
        HAND_WRITTEN
        + '\n[[key_actions]]\nname = "Invited"\nevents = ["invite_sent"]\n'
        + 'where = [{ property = "event.kind", op = "eq", value = "team" }]\n'
        + '\n[[key_actions]]\nname = "Exported"  # keep me\nevents = ["export"]\n',
        "utf-8",
    )
    add_key_action(toml, "Invited", ["invite_accepted"], replace=True)
    definitions = load_definitions(toml)
    assert definitions.key_actions == [
        KeyAction(name="Invited", events=["invite_accepted"]),
        KeyAction(name="Exported", events=["export"]),
    ]
    assert 'name = "Exported"  # keep me' in toml.read_text("utf-8")


def test_inline_key_actions_stay_inline(toml: Path) -> None:
    toml.write_text('name = "x"\nkey_actions = [{ name = "A", events = ["a"] }]\n', "utf-8")
    add_key_action(toml, "B", ["b"])
    assert toml.read_text("utf-8") == (
        'name = "x"\nkey_actions = [{ name = "A", events = ["a"] }, {name = "B", events = ["b"]}]\n'
    )
    assert [k.name for k in load_definitions(toml).key_actions] == ["A", "B"]


@pytest.mark.parametrize(
    ("name", "events", "message"),
    [
        ("", ["a"], "key_actions[0].name: String should have at least 1 character"),
        (
            "Spaces",
            [" leading"],
            "event name or pattern ' leading' is empty or starts with a space",
        ),
        ("None", [], "a key action needs at least one event"),
    ],
)
def test_an_invalid_result_is_never_written(
    toml: Path, name: str, events: list[str], message: str
) -> None:
    with pytest.raises(DefinitionError) as error:
        add_key_action(toml, name, events)
    assert message in str(error.value)
    assert toml.read_text("utf-8") == HAND_WRITTEN
    # No temporary file left behind either.
    assert sorted(p.name for p in toml.parent.iterdir() if p.name != ".uptake.toml.lock") == [
        "uptake.toml"
    ]


def test_an_already_invalid_file_is_reported_not_rewritten(toml: Path) -> None:
    toml.write_text('name = "x"\nweek_start = "tuesday"\n', "utf-8")
    with pytest.raises(DefinitionError, match="week_start"):
        add_key_action(toml, "A", ["a"])
    assert toml.read_text("utf-8") == 'name = "x"\nweek_start = "tuesday"\n'


def test_a_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no workspace file here \\(run `uptake init`\\)"):
        add_key_action(tmp_path / "uptake.toml", "A", ["a"])


def test_the_write_replaces_the_file_in_one_step_and_keeps_its_mode(toml: Path) -> None:
    # A reader holding the old file keeps reading the old text: the new one is a new inode
    # moved into place (os.replace), never the old one rewritten.
    toml.chmod(0o640)
    with toml.open("r", encoding="utf-8") as reader:
        old_inode = os.fstat(reader.fileno()).st_ino
        add_key_action(toml, "A", ["a"])
        assert reader.read() == HAND_WRITTEN
    assert toml.stat().st_ino != old_inode
    assert toml.stat().st_mode & 0o777 == 0o640


def test_concurrent_edits_lose_nothing(toml: Path) -> None:
    # Eight writers at once: the lock serializes read-change-write, so all eight survive.
    names = [f"Action {i}" for i in range(8)]
    threads = [
        threading.Thread(target=add_key_action, args=(toml, n, [f"e{i}"]))
        for i, n in enumerate(names)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(k.name for k in load_definitions(toml).key_actions) == names
