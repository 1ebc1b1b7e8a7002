"""`uptake users create|list|delete` end to end: the real CLI on a real server home; logins it
creates work on the real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.web.dashboard import login, running_dashboard
from uptake.server.dashboard_users import DashboardUsers
from uptake.server.home import ServerHome


def users(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `uptake users ...` on `home` (no terminal: a new session has none)."""
    return subprocess.run(
        [sys.executable, "-m", "uptake", "users", *args, "--home", str(home)],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
    )


def verify(home: Path, name: str, password: str) -> bool:
    """Whether the login works (through the Python API)."""
    return DashboardUsers(ServerHome(home).keys_path).verify(name, password) is not None


def test_create_list_delete(tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = users(home, "create", "ada", "--password-stdin", stdin="s3cret pass\n")
    assert made.returncode == 0, made.stderr
    assert "Created dashboard user ada" in made.stdout
    # The line's newline is not part of the password.
    assert verify(home, "ada", "s3cret pass")
    assert not verify(home, "ada", "s3cret pass\n")
    listed = users(home, "list")
    assert listed.returncode == 0
    assert "ada" in listed.stdout and "s3cret" not in listed.stdout
    gone = users(home, "delete", "ada")
    assert gone.returncode == 0, gone.stderr
    assert not verify(home, "ada", "s3cret pass")


def test_password_from_the_prompt_is_asked_twice(tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = users(home, "create", "bo", stdin="first pass\nfirst pass\n")
    assert made.returncode == 0, made.stderr
    assert verify(home, "bo", "first pass")


def test_one_line_errors(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert users(home, "create", "ada", "--password-stdin", stdin="long enough\n").returncode == 0
    cases = {
        ("create", "ada", "--password-stdin"): "user 'ada' already exists (use --force",
        ("create", "eve", "--password-stdin"): "at least 8 characters",
        ("create", "bad name!", "--password-stdin"): "'bad name!' is not a valid user name",
        ("delete", "nobody"): "no user 'nobody'",
    }
    for args, message in cases.items():
        done = users(home, *args, stdin="short\n")
        assert done.returncode == 1, args
        assert message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    missing = users(tmp_path / "typo", "list")
    assert missing.returncode == 1
    assert "no server file in" in missing.stderr
    assert not (tmp_path / "typo").exists()


def test_force_sets_a_new_password_and_logs_the_user_out(tmp_path: Path) -> None:
    with running_dashboard(tmp_path / "home") as site, site.logged_in() as client:
        assert client.get("/projects/acme").status_code == 200
        home = site.server.home
        reset = users(
            home, "create", site.user, "--password-stdin", "--force", stdin="new pw 123\n"
        )
        assert reset.returncode == 0, reset.stderr
        assert "Set a new password for dashboard user ada" in reset.stdout
        # The session made with the old password is over; only the new password works.
        assert client.get("/projects/acme").status_code == 303
        assert login(client, site.user, site.password).status_code == 401
        assert login(client, site.user, "new pw 123").status_code == 303


def test_deleting_logs_the_user_out(tmp_path: Path) -> None:
    with running_dashboard(tmp_path / "home") as site, site.logged_in() as client:
        assert client.get("/projects/acme").status_code == 200
        assert users(site.server.home, "delete", site.user).returncode == 0
        assert client.get("/projects/acme").status_code == 303
