"""The read API against the CLI: the same spec on the same data gives the same JSON through
`POST /api/projects/{p}/query` as through `uptake query --format json`, and a bad spec the same
one-line error. The CLI runs while the server is stopped (the server owns the file while it
runs), on the data the server stored."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.stories import date
from tests.web.conftest import RunningServer, free_port
from uptake.definitions import load_definitions
from uptake.server.home import ServerHome
from uptake.workspace import DEFINITIONS_FILE

# ann logs in on days 0 and 8, bob on day 1, cat on day 9; ann and cat are in Sales, bob in Ops.
LOGINS = [("ann", 0), ("bob", 1), ("ann", 8), ("cat", 9)]
DEPARTMENTS = {"ann": "Sales", "bob": "Ops", "cat": "Sales"}
TWO_WEEKS = {"from": str(date(0)), "to": str(date(13))}
SPECS = {
    "by_department": {
        "kind": "trend",
        "measure": "unique",
        "breakdown": "user.department",
        **TWO_WEEKS,
    },
    "retention": {"kind": "retention", "periods": 2, **TWO_WEEKS},
}
BAD_SPECS = {
    "unknown_kind": {"kind": "sideways"},
    "bad_parameter": {"kind": "trend", "measure": "sideways"},
}
# Ibis names in-memory tables (period spines) afresh on every compile.
_MEMTABLE = re.compile(r"ibis_pandas_memtable_[a-z0-9]+")


def uptake(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "uptake", "-q", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """A result without its timings and its `cached` mark (an earlier test may have asked the
    same question: the server then serves that answer again, see test_result_cache.py), with
    Ibis's generated table names made equal."""
    return {
        **{k: v for k, v in result.items() if k not in ("timings_ms", "cached")},
        "sql": _MEMTABLE.sub("memtable", result["sql"]),
    }


@dataclass(frozen=True)
class Served:
    """The running server, its read token, and what the CLI printed on the same data."""

    server: RunningServer
    token: str
    folder: Path
    cli_results: dict[str, dict[str, Any]]
    cli_errors: dict[str, str]
    cli_sql: str

    def post(self, path: str, body: object) -> httpx.Response:
        """A read-API call on acme."""
        return httpx.post(
            f"{self.server.url}/api/projects/acme{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """acme with the story, sent through the tracking API; the CLI's answers taken while the
    server was stopped; then the server running again."""
    home = tmp_path_factory.mktemp("read-api") / "home"
    folder = ServerHome(home).create_project("acme")
    keys = ServerHome(home).key_store()
    write, read = keys.create("acme", "write")[1], keys.create("acme", "read")[1]
    keys.close()
    running = RunningServer(home, free_port(), write, read)
    running.start()
    try:
        batch = [
            {"type": "identify", "userId": user, "traits": {"department": department},
             "messageId": f"id-{user}"}
            for user, department in DEPARTMENTS.items()
        ] + [
            {"type": "track", "userId": user, "event": "login",
             "timestamp": f"{date(n)}T12:00:00Z", "messageId": f"{user}-{n}"}
            for user, n in LOGINS
        ]  # fmt: skip
        with running.client() as client:
            stored = client.post("/v1/batch", json={"batch": batch})
        assert stored.status_code == 200, stored.text
    finally:
        running.stop()
    results, errors = {}, {}
    for name, spec in SPECS.items():
        done = uptake("-w", str(folder), "query", json.dumps(spec), "--format", "json")
        assert done.returncode == 0, done.stderr
        results[name] = json.loads(done.stdout)
    for name, spec in BAD_SPECS.items():
        done = uptake("-w", str(folder), "query", json.dumps(spec))
        assert done.returncode == 1
        [errors[name]] = done.stderr.splitlines()
    explained = uptake("-w", str(folder), "explain", json.dumps(SPECS["by_department"]))
    assert explained.returncode == 0, explained.stderr
    running.start()
    try:
        yield Served(running, read, folder, results, errors, explained.stdout)
    finally:
        running.stop()


def test_query_by_department_is_the_hand_count(served):
    answer = served.post("/query", SPECS["by_department"])
    assert answer.status_code == 200, answer.text
    # Week of day 0: ann (Sales), bob (Ops); week of day 7: ann and cat (Sales), nobody in Ops.
    assert answer.json()["rows"] == [
        {"period": str(date(0)), "breakdown": "Ops", "value": 1},
        {"period": str(date(0)), "breakdown": "Sales", "value": 1},
        {"period": str(date(7)), "breakdown": "Ops", "value": 0},
        {"period": str(date(7)), "breakdown": "Sales", "value": 2},
    ]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_query_returns_what_the_cli_prints(served, name):
    answer = served.post("/query", SPECS[name])
    assert answer.status_code == 200, answer.text
    assert comparable(answer.json()) == comparable(served.cli_results[name])


def test_retention_through_the_api_is_the_hand_count(served):
    rows = served.post("/query", SPECS["retention"]).json()["rows"]
    got = [(r["cohort"], r["period"], r["cohort_size"], r["retained"]) for r in rows]
    # Cohort of week 0: ann and bob, ann back in week 1. Cohort of week 1: cat, whose period 1
    # (days 14-20) lies past the range's end; so the mean of period 1 counts cohort 0 alone.
    assert got == [
        (str(date(0)), 0, 2, 2),
        (str(date(0)), 1, 2, 1),
        (str(date(7)), 0, 1, 1),
        (None, 0, 3, 3),
        (None, 1, 2, 1),
    ]


@pytest.mark.parametrize("name", sorted(BAD_SPECS))
def test_a_bad_spec_is_400_with_the_cli_line(served, name):
    answer = served.post("/query", BAD_SPECS[name])
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] is False
    assert f"error: {body['error']}" == served.cli_errors[name]


@pytest.mark.parametrize("body", [[1, 2], "trend", 3], ids=["list", "text", "number"])
def test_a_spec_that_is_not_an_object_is_400(served, body):
    answer = served.post("/query", body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "the spec must be a JSON object with a `kind`"


def test_a_spec_over_the_size_limit_is_413(served):
    huge = {**SPECS["by_department"], "padding": "x" * 300_000}
    answer = served.post("/query", huge)
    assert answer.status_code == 413
    assert answer.json()["error"] == "request body is larger than 256 KB"


def test_explain_returns_what_the_cli_prints(served):
    answer = served.post("/explain", SPECS["by_department"])
    assert answer.status_code == 200, answer.text
    sql = answer.json()["sql"]
    assert _MEMTABLE.sub("m", sql + "\n") == _MEMTABLE.sub("m", served.cli_sql)
    assert "department" in sql


def test_metrics_lists_what_uptake_metrics_prints(served):
    done = uptake("metrics", "--format", "json")
    assert done.returncode == 0, done.stderr
    with served.server.reader() as client:
        answer = client.get("/api/projects/acme/metrics")
    assert answer.status_code == 200
    assert answer.json() == json.loads(done.stdout)
    assert "retention" in {m["kind"] for m in answer.json()}


def test_project_info_has_the_definitions_and_the_latest_event_day(served):
    with served.server.reader() as client:
        answer = client.get("/api/projects/acme")
    assert answer.status_code == 200
    expected = load_definitions(served.folder / DEFINITIONS_FILE).model_dump(mode="json")
    # cat's login on day 9 is the latest event.
    assert answer.json() == {
        "project": "acme",
        "definitions": expected,
        "latest_event_date": str(date(9)),
    }


def test_openapi_lists_every_route(served):
    answer = httpx.get(served.server.url + "/openapi.json", timeout=30)
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    tracking = {"track", "identify", "group", "page", "screen", "batch", "import"}
    project = "/api/projects/{project}"
    assert {r for r in routes if r[1].startswith(("/v1/", "/api/"))} == {
        *(("POST", f"/v1/{name}") for name in tracking),
        ("POST", f"{project}/query"),
        ("POST", f"{project}/explain"),
        ("POST", f"{project}/import"),
        ("GET", f"{project}/metrics"),
        ("GET", project),
    }


def test_healthz_needs_no_token(served):
    answer = httpx.get(served.server.url + "/healthz", timeout=30)
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
