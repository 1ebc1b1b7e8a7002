"""`uptake projects` and `uptake keys` end to end on a server home, with no server running:
what they print, what they store, and one clear line for each mistake."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from uptake.cli.app import app
from uptake.errors import WorkspaceError
from uptake.server.home import ServerHome
from uptake.server.keys import KeyStore

NAME_RULE = (
    "is not a valid project name: use 1-63 lower-case letters, digits, '-' or '_', "
    "starting with a letter or digit"
)


def invoke(*args: str):
    """The CLI in-process (a wide terminal, so tables are whole)."""
    return CliRunner().invoke(app, ["-q", *args], env={"COLUMNS": "200"})


def uptake(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process: errors print as the user sees them."""
    return subprocess.run(
        [sys.executable, "-m", "uptake", "-q", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def table_rows(output: str) -> list[list[str]]:
    """The cells of a Rich table's body rows."""
    lines = [line for line in output.splitlines() if line.startswith("│")]
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A server home with project acme."""
    path = tmp_path / "home"
    done = invoke("projects", "create", "acme", "--home", str(path))
    assert done.exit_code == 0, done.output
    return path


def test_projects_create_and_list(home):
    done = invoke("projects", "create", "beta", "--home", str(home))
    assert done.exit_code == 0, done.output
    assert done.output.strip() == (
        f"Created project beta in {home}/projects/beta/ — next: "
        f"`uptake keys create --project beta --kind write --home {home}`"
    )
    assert (home / "projects" / "beta" / "uptake.toml").exists()
    listed = invoke("projects", "list", "--home", str(home))
    assert listed.exit_code == 0, listed.output
    assert table_rows(listed.output) == [
        ["acme", str(home / "projects" / "acme")],
        ["beta", str(home / "projects" / "beta")],
    ]


def test_keys_create_list_and_revoke(home):
    write = invoke("keys", "create", "--project", "acme", "--kind", "write", "--home", str(home))
    assert write.exit_code == 0, write.output
    lines = write.output.splitlines()
    # "Created write key <id> for project acme. Its secret (shown once):" then the secret.
    write_id = lines[0].split()[3]
    assert lines[0] == f"Created write key {write_id} for project acme. Its secret (shown once):"
    write_secret = lines[1]
    read = invoke(
        "keys",
        "create",
        "-p",
        "acme",
        "--kind",
        "read",
        "--label",
        "BI",
        "-f",
        "json",
        "--home",
        str(home),
    )
    assert read.exit_code == 0, read.output
    token = json.loads(read.output)
    assert (token["project"], token["kind"]) == ("acme", "read")
    assert write_secret.startswith("upw_") and token["secret"].startswith("upr_")

    revoked = invoke("keys", "revoke", token["key_id"], "--home", str(home))
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output.strip() == f"Revoked read key {token['key_id']} of project acme."
    listed = invoke("keys", "list", "--home", str(home))
    assert listed.exit_code == 0, listed.output
    # key id, project, kind, label, created, revoked (times vary: only whether there is one).
    summary = sorted(
        ((r[0], r[1], r[2], r[3], bool(r[5])) for r in table_rows(listed.output)),
        key=lambda r: r[2],
    )
    assert summary == [
        (token["key_id"], "acme", "read", "BI", True),
        (write_id, "acme", "write", "", False),
    ]
    assert write_secret not in listed.output and token["secret"] not in listed.output
    # What the server will check: the write key is valid, the revoked token is not.
    store = KeyStore(home / "server.sqlite")
    try:
        found = store.verify(write_secret)
        assert found is not None and (found.key_id, found.kind) == (write_id, "write")
        assert store.verify(token["secret"]) is None
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ("keys", "create", "--project", "nope", "--kind", "write"),
            "no project 'nope' in {home} (projects: acme); "
            "create it with `uptake projects create nope --home {home}`",
        ),
        (("keys", "create", "--project", "Acme!", "--kind", "read"), f"'Acme!' {NAME_RULE}"),
        (("projects", "create", "Bad Name"), f"'Bad Name' {NAME_RULE}"),
        (
            ("projects", "create", "acme"),
            "{home}/projects/acme already holds a workspace ({home}/projects/acme/uptake.toml "
            "exists)",
        ),
        (
            ("keys", "list", "--project", "nope"),
            "no project 'nope' in {home} (projects: acme); "
            "create it with `uptake projects create nope --home {home}`",
        ),
    ],
    ids=[
        "unknown-project",
        "bad-name",
        "bad-project-name",
        "project-exists",
        "list-unknown-project",
    ],
)
def test_mistakes_are_one_line_and_exit_1(home, args, error):
    done = uptake(*args, "--home", str(home))
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["error: " + error.format(home=home)]
    assert done.stdout == ""


def test_revoking_an_unknown_key_id_is_one_line(home):
    keys = ServerHome(home).key_store()
    keys.create("acme", "write")
    keys.close()
    done = uptake("keys", "revoke", "deadbeef0000", "--home", str(home))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: no key with id 'deadbeef0000' (see `uptake keys list`)"
    ]


def test_an_unknown_key_kind_is_a_usage_error(home):
    done = uptake("keys", "create", "--project", "acme", "--kind", "admin", "--home", str(home))
    assert done.returncode == 2
    assert "Invalid value for '--kind'" in done.stderr
    assert not (home / "server.sqlite").exists()


def test_listing_keys_of_a_home_that_is_not_there_creates_nothing(tmp_path):
    missing = tmp_path / "typo"
    done = uptake("keys", "list", "--home", str(missing))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: no keys in {missing} (no server.sqlite there): check --home, or create a key "
        f"with `uptake keys create --project NAME --kind write --home {missing}`"
    ]
    assert not missing.exists()


def test_the_key_file_is_made_only_when_asked(tmp_path):
    home = ServerHome(tmp_path / "home")
    with pytest.raises(WorkspaceError, match="no keys in"):
        home.key_store(create=False)
    assert not home.keys_path.exists()
    home.key_store().close()
    assert home.keys_path.exists()
    home.key_store(create=False).close()
