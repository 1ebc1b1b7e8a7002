"""Projects are isolated both ways: one real server hosting `acme` and `beta`, each with its own
write key and read token; a key of one project never reaches the other's data, a write key never
reads, a read token never writes, and a caller without a valid token learns nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.stories import date
from tests.web.conftest import RunningServer, free_port
from uptake.server.home import ServerHome
from uptake.server.marker import read_marker

# One Sunday-start week: 2026-01-04 (day 0) to 2026-01-10.
WEEK = {"kind": "trend", "measure": "unique", "from": str(date(0)), "to": str(date(6))}
READ_ROUTES = [
    ("POST", "/query", WEEK),
    ("POST", "/explain", WEEK),
    ("GET", "/metrics", None),
    ("GET", "", None),
]


@dataclass(frozen=True)
class TwoProjects:
    """The running server and the secrets of each project's keys."""

    server: RunningServer
    secrets: dict[tuple[str, str], str]

    def key(self, project: str, kind: str) -> str:
        """The secret of `project`'s `kind` key."""
        return self.secrets[(project, kind)]


def track(user: str, n: int, message_id: str) -> dict[str, object]:
    """A login of `user` at noon on day n."""
    return {
        "type": "track",
        "userId": user,
        "event": "login",
        "timestamp": f"{date(n)}T12:00:00Z",
        "messageId": message_id,
    }


def send(url: str, key: str, *messages: dict[str, object]) -> httpx.Response:
    """A /v1/batch call with `key` as the Basic user name."""
    return httpx.post(url + "/v1/batch", json={"batch": list(messages)}, auth=(key, ""), timeout=30)


def read(
    url: str,
    token: str,
    project: str,
    method: str = "POST",
    path: str = "/query",
    spec: object = WEEK,
) -> httpx.Response:
    """A read-API call with `token` as the Bearer token."""
    return httpx.request(
        method,
        f"{url}/api/projects/{project}{path}",
        json=spec if method == "POST" else None,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def weekly_users(projects: TwoProjects, project: str) -> list[dict[str, object]]:
    """Unique users of the week, read with the project's own read token."""
    answer = read(projects.server.url, projects.key(project, "read"), project)
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, object]] = answer.json()["rows"]
    return rows


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoProjects]:
    """acme and beta on one server; acme got ann and bob's logins, beta cat's, each through
    its own write key."""
    home = tmp_path_factory.mktemp("isolation") / "home"
    server_home = ServerHome(home)
    for name in ("acme", "beta"):
        server_home.create_project(name)
    keys = server_home.key_store()
    secrets = {
        (project, kind): keys.create(project, kind)[1]
        for project in ("acme", "beta")
        for kind in ("write", "read")
    }
    keys.close()
    running = RunningServer(
        home, free_port(), secrets[("acme", "write")], secrets[("acme", "read")]
    )
    running.start()
    try:
        acme = send(
            running.url, secrets[("acme", "write")], track("ann", 0, "a1"), track("bob", 1, "a2")
        )
        beta = send(running.url, secrets[("beta", "write")], track("cat", 2, "b1"))
        stored = [acme, beta]
        assert [r.status_code for r in stored] == [200, 200], [r.text for r in stored]
        yield TwoProjects(running, secrets)
    finally:
        running.stop()


def test_each_write_key_stores_into_its_own_project_only(projects):
    # acme: ann and bob; beta: cat alone. Had a key written across, a count would be 3 or 2.
    assert weekly_users(projects, "acme") == [{"period": str(date(0)), "value": 2}]
    assert weekly_users(projects, "beta") == [{"period": str(date(0)), "value": 1}]


def test_the_basic_key_decides_the_project_not_the_body(projects):
    # Basic auth wins over `writeKey` in the body: this call is acme's although its body names
    # beta's key. dan logs in on day 7, in a week no other test writes to.
    url = projects.server.url
    message = {**track("dan", 7, "a3"), "writeKey": projects.key("beta", "write")}
    assert send(url, projects.key("acme", "write"), message).status_code == 200
    week2 = {**WEEK, "from": str(date(7)), "to": str(date(13))}
    found = {
        name: read(url, projects.key(name, "read"), name, spec=week2).json()["rows"]
        for name in ("acme", "beta")
    }
    assert found == {
        "acme": [{"period": str(date(7)), "value": 1}],
        "beta": [{"period": str(date(7)), "value": 0}],
    }


@pytest.mark.parametrize(("method", "path", "spec"), READ_ROUTES)
def test_a_write_key_cannot_read(projects, method, path, spec):
    answer = read(projects.server.url, projects.key("acme", "write"), "acme", method, path, spec)
    assert answer.status_code == 403
    assert answer.json() == {
        "success": False,
        "error": "this is a write key: it can only send events; use a read token",
    }


def test_a_read_token_cannot_write(projects):
    url = projects.server.url
    before = weekly_users(projects, "beta")
    as_basic = send(url, projects.key("beta", "read"), track("eve", 4, "r1"))
    in_body = {**track("eve", 4, "r2"), "writeKey": projects.key("beta", "read")}
    as_body = httpx.post(url + "/v1/track", json=in_body, timeout=30)
    for answer in (as_basic, as_body):
        assert answer.status_code == 403
        assert answer.json()["error"] == "this is a read token: tracking calls need a write key"
    # eve would make beta's count 2.
    assert weekly_users(projects, "beta") == before == [{"period": str(date(0)), "value": 1}]


@pytest.mark.parametrize(("method", "path", "spec"), READ_ROUTES)
@pytest.mark.parametrize(("token_of", "target"), [("acme", "beta"), ("beta", "acme")])
def test_a_read_token_reads_its_own_project_only(projects, method, path, spec, token_of, target):
    answer = read(projects.server.url, projects.key(token_of, "read"), target, method, path, spec)
    assert answer.status_code == 403
    assert answer.json()["error"] == f"this token cannot read project {target!r}"


@pytest.mark.parametrize("target", ["beta", "nope"])
def test_an_unknown_project_looks_like_a_forbidden_one(projects, target):
    # Auth is checked before the project is looked up: a valid token gets the same 403 for a
    # project that exists (beta) and one that does not (nope), so names do not leak.
    answer = read(projects.server.url, projects.key("acme", "read"), target)
    assert answer.status_code == 403
    assert answer.json()["error"] == f"this token cannot read project {target!r}"


@pytest.mark.parametrize("target", ["acme", "nope"])
def test_without_a_token_no_project_is_confirmed_or_denied(projects, target):
    answer = httpx.get(f"{projects.server.url}/api/projects/{target}/metrics", timeout=30)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="uptake"'


@pytest.mark.parametrize(
    ("auth", "error"),
    [
        (None, "missing write key: send it as the HTTP Basic user name (empty password)"),
        (("upw_not-a-key", ""), "unknown or revoked write key"),
    ],
    ids=["no-key", "wrong-key"],
)
def test_tracking_without_a_valid_write_key_is_401(projects, auth, error):
    url = projects.server.url + "/v1/track"
    answer = httpx.post(url, json=track("eve", 4, "x1"), auth=auth, timeout=30)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Basic realm="uptake"'
    assert answer.json()["error"] == error


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "missing read token: send `Authorization: Bearer <token>`"),
        ({"Authorization": "Bearer upr_not-a-token"}, "unknown or revoked token"),
    ],
    ids=["no-token", "wrong-token"],
)
def test_reading_without_a_valid_token_is_401(projects, headers, error):
    url = f"{projects.server.url}/api/projects/acme/query"
    answer = httpx.post(url, json=WEEK, headers=headers, timeout=30)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="uptake"'
    assert answer.json()["error"] == error


def test_the_cli_token_of_one_project_opens_no_other(projects):
    # The token in acme's marker lets the CLI read and import acme; for beta it is just an
    # unknown token, and it is no write key either.
    home: Path = projects.server.home
    marker = read_marker(home / "projects" / "acme")
    assert marker is not None and marker.project == "acme"
    url = projects.server.url
    assert read(url, marker.token, "acme").status_code == 200
    assert read(url, marker.token, "beta").status_code == 401
    imported = httpx.post(
        f"{url}/api/projects/beta/import",
        json={"paths": ["/dev/null"]},
        headers={"Authorization": f"Bearer {marker.token}"},
        timeout=30,
    )
    assert imported.status_code == 403
    assert send(url, marker.token, track("eve", 4, "t1")).status_code == 401


def test_a_read_token_cannot_import(projects):
    # Imports read files on the server's machine: only the CLI's local token may ask.
    answer = httpx.post(
        f"{projects.server.url}/api/projects/acme/import",
        json={"paths": ["/etc/passwd"]},
        headers={"Authorization": f"Bearer {projects.key('acme', 'read')}"},
        timeout=30,
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == "only the uptake CLI on the server's machine may do this"
