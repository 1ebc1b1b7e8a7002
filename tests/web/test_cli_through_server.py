"""The CLI while `uptake serve` owns the workspace: `query`, `explain`, `report` and `import` on
the project folder go through the server (its marker says where); they never fail with a lock
error; with the server killed (-9) they work on the file again."""

from __future__ import annotations

import json
import os
import re
import signal
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
from uptake.server.home import ServerHome
from uptake.server.marker import read_marker

# ann logs in on days 0 and 8, bob on day 1, cat on day 9 (Sunday weeks: days 0-6, 7-13).
LOGINS = [("ann", 0), ("bob", 1), ("ann", 8), ("cat", 9)]
WEEKLY = {"kind": "trend", "measure": "unique", "from": str(date(0)), "to": str(date(13))}
# Line 3 has no user: rejected, the other two land.
EVENTS_CSV = (
    "user_id,event,timestamp\n"
    f"dan,login,{date(10)}T09:00:00Z\n"
    f",login,{date(10)}T10:00:00Z\n"
    f"eve,login,{date(11)}T09:00:00Z\n"
)
_MEMTABLE = re.compile(r"ibis_pandas_memtable_[a-z0-9]+")


def uptake(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process, as a user runs it (wide, so tables are whole)."""
    return subprocess.run(
        [sys.executable, "-m", "uptake", "-q", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )


def without_timings(value: Any) -> Any:
    """A JSON document without timings, with Ibis's generated table names made equal."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k != "timings_ms"}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    if isinstance(value, str):
        return _MEMTABLE.sub("memtable", value)
    return value


def table_rows(output: str) -> list[list[str]]:
    """The cells of a Rich table's body rows."""
    lines = [line for line in output.splitlines() if line.startswith("│")]
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]


@dataclass(frozen=True)
class Served:
    """A running server owning acme, and acme's folder."""

    server: RunningServer
    folder: Path

    def api(self, path: str, spec: object) -> httpx.Response:
        """A read-API call on acme with the read token."""
        with self.server.reader() as client:
            return client.post(f"/api/projects/acme{path}", json=spec)

    def weekly(self) -> list[dict[str, Any]]:
        """Unique users per week (days 0-13), through the API."""
        answer = self.api("/query", WEEKLY)
        assert answer.status_code == 200, answer.text
        rows: list[dict[str, Any]] = answer.json()["rows"]
        return rows


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """acme on a running server, with the logins sent through the tracking API."""
    home = tmp_path / "home"
    folder = ServerHome(home).create_project("acme")
    keys = ServerHome(home).key_store()
    write, read = keys.create("acme", "write")[1], keys.create("acme", "read")[1]
    keys.close()
    running = RunningServer(home, free_port(), write, read)
    running.start()
    try:
        batch = [
            {"type": "track", "userId": user, "event": "login",
             "timestamp": f"{date(n)}T12:00:00Z", "messageId": f"{user}-{n}"}
            for user, n in LOGINS
        ]  # fmt: skip
        with running.client() as client:
            assert client.post("/v1/batch", json={"batch": batch}).status_code == 200
        yield Served(running, folder)
    finally:
        running.stop()


def test_query_and_explain_go_through_the_server(served):
    assert read_marker(served.folder) is not None
    done = uptake("-w", str(served.folder), "query", json.dumps(WEEKLY), "--format", "json")
    assert done.returncode == 0, done.stderr
    # Week of day 0: ann, bob; week of day 7: ann, cat.
    printed = json.loads(done.stdout)
    assert printed["rows"] == [
        {"period": str(date(0)), "value": 2},
        {"period": str(date(7)), "value": 2},
    ]
    answered = served.api("/query", WEEKLY).json()
    # The CLI's query was computed in the server; the API's, on unchanged data, is that answer
    # served again: the same document but for its `cached` mark.
    assert (printed["cached"], answered["cached"]) == (False, True)
    assert without_timings(printed) == without_timings({**answered, "cached": False})
    explained = uptake("-w", str(served.folder), "explain", json.dumps(WEEKLY))
    assert explained.returncode == 0, explained.stderr
    sql = served.api("/explain", WEEKLY).json()["sql"]
    assert without_timings(explained.stdout) == without_timings(sql + "\n")


def test_a_bad_spec_through_the_server_is_one_line(served):
    spec = {"kind": "trend", "measure": "sideways"}
    done = uptake("-w", str(served.folder), "query", json.dumps(spec))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"error: {served.api('/query', spec).json()['error']}"]
    assert done.stdout == ""


def test_report_through_the_server_equals_the_report_on_the_file(served):
    remote = uptake("-w", str(served.folder), "report", "--format", "json")
    assert remote.returncode == 0, remote.stderr
    table = uptake("-w", str(served.folder), "report")
    assert table.returncode == 0, table.stderr
    served.server.stop()
    local = uptake("-w", str(served.folder), "report", "--format", "json")
    assert local.returncode == 0, local.stderr
    report = json.loads(remote.stdout)
    # The range ends on the latest event (cat, day 9), which the server told the CLI.
    assert report["date_to"] == str(date(9))
    assert without_timings(report) == without_timings(json.loads(local.stdout))
    # The range starts 12 weeks before day 9, on day -74 (a Wednesday): the complete weeks
    # run from day -70 to the week of day 0; the week of day 7 is cut by the range's end. WAU:
    # nobody before day 0, then ann and bob.
    [wau] = [c for c in report["cards"] if c["key"] == "wau"]
    quiet = [[str(date(-7 * k)), 0.0] for k in range(10, 0, -1)]
    assert wau["series"] == [*quiet, [str(date(0)), 2.0]]
    assert "Weekly active users" in table.stdout


def test_import_goes_through_the_server_which_keeps_serving(served, tmp_path):
    (tmp_path / "events.csv").write_text(EVENTS_CSV)
    done = uptake("-w", str(served.folder), "import", "events.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # rows read, inserted, updated, duplicates, rejected (seconds vary).
    assert [row[:7] for row in table_rows(done.stdout)] == [
        ["events.csv", "events", "3", "2", "0", "0", "1"]
    ]
    assert "  line 3: missing user_id" in done.stdout.splitlines()
    pid = served.server.process.pid if served.server.process else None
    assert done.stdout.splitlines()[-1] == (
        f"Imported through the server at {served.server.url} (process {pid}), "
        "which owns this workspace."
    )
    [rejects] = (served.folder / "rejects").iterdir()
    assert json.loads(rejects.read_text())["line"] == 3
    # Week of day 7 now has ann, cat, dan and eve; the server still takes events.
    assert served.weekly()[1] == {"period": str(date(7)), "value": 4}
    frank = {"userId": "frank", "event": "login", "timestamp": f"{date(12)}T12:00:00Z"}
    with served.server.client() as client:
        assert client.post("/v1/track", json=frank).status_code == 200
    assert served.weekly()[1] == {"period": str(date(7)), "value": 5}


def test_a_failed_import_through_the_server_is_one_line_and_changes_nothing(served, tmp_path):
    (tmp_path / "events.csv").write_text(EVENTS_CSV)
    done = uptake("-w", str(served.folder), "import", "events.csv", "missing.csv", cwd=tmp_path)
    assert done.returncode == 1
    # The file is named as typed, as a local import names it.
    assert done.stderr.splitlines() == ["error: missing.csv: no such file"]
    assert served.weekly()[1] == {"period": str(date(7)), "value": 2}
    assert not (served.folder / "rejects").exists()


def test_with_the_server_killed_the_cli_works_on_the_file(served, tmp_path):
    served.server.kill()
    # kill -9 runs no shutdown code: the marker stays, naming a dead process.
    assert (served.folder / ".uptake-serve.json").exists()
    assert read_marker(served.folder) is None
    (tmp_path / "events.csv").write_text(EVENTS_CSV)
    imported = uptake("-w", str(served.folder), "import", str(tmp_path / "events.csv"))
    assert imported.returncode == 0, imported.stderr
    assert "through the server" not in imported.stdout
    done = uptake("-w", str(served.folder), "query", json.dumps(WEEKLY), "--format", "json")
    assert done.returncode == 0, done.stderr
    # The acknowledged logins survived the kill; dan and eve came from the local import.
    assert json.loads(done.stdout)["rows"] == [
        {"period": str(date(0)), "value": 2},
        {"period": str(date(7)), "value": 4},
    ]


def test_a_server_that_does_not_answer_gets_a_clear_message(served):
    process = served.server.process
    assert process is not None
    process.send_signal(signal.SIGSTOP)
    try:
        done = uptake("-w", str(served.folder), "query", json.dumps(WEEKLY))
    finally:
        process.send_signal(signal.SIGCONT)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {served.folder} is served by `uptake serve` at {served.server.url} "
        f"(process {process.pid}), which does not answer: if it is starting, run the command "
        "again in a moment; if it is stuck, stop it, then run the command again"
    ]
    # Resumed, it answers again, and the CLI goes through it.
    again = uptake("-w", str(served.folder), "query", json.dumps(WEEKLY), "--format", "csv")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["period,value", f"{date(0)},2", f"{date(7)},2"]
