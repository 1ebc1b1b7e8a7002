"""Crash test: `kill -9` the real server while a client process sends batches, restart it, and
check that nothing acknowledged was lost, nothing was stored twice and nothing half-written.

The client (tests/web/crash_client.py) sends 50-event batches from four threads and records
each batch number before sending it and again after its 200, fsynced. The kill comes after a
fixed, arbitrary number of acknowledgements (drawn from a seeded generator), so the run is
reproducible in what it checks although the batches in flight at the kill differ from run to
run; every check below holds whichever batches those are.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.web.conftest import PROJECT, RunningServer
from tests.web.crash_client import BATCH_SIZE, batch_messages, read_ledger
from uptake.store import Store

CLIENT = Path(__file__).with_name("crash_client.py")
# Acknowledged batches before the kill: arbitrary, fixed by the seed.
KILL_AFTER_ACKS = random.Random(20261123).randint(40, 90)
DEADLINE_SECONDS = 60


def run_client(mode: str, server: RunningServer, workdir: Path) -> subprocess.Popen[str]:
    """Start the client process."""
    command = [sys.executable, str(CLIENT), mode, server.url, server.write_key, str(workdir)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(client: subprocess.Popen[str]) -> None:
    """Wait for the client; it must exit cleanly."""
    _, err = client.communicate(timeout=DEADLINE_SECONDS)
    assert client.returncode == 0, err


def wait_for_acks(path: Path, count: int, client: subprocess.Popen[str]) -> None:
    """Block until the ledger holds `count` acknowledged batches."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while len(read_ledger(path)) < count:
        assert client.poll() is None, client.communicate()[1]
        assert time.monotonic() < deadline, f"fewer than {count} batches acknowledged"
        time.sleep(0.005)


def batch_of(message_id: str) -> int:
    """The batch number inside a crash-client message id (crash-BBBBBB-II)."""
    return int(message_id.split("-")[1])


def check_store(server: RunningServer) -> set[int]:
    """Stop the server, check the database's invariants, return the batches stored."""
    server.stop()
    path = server.home / "projects" / PROJECT / "uptake.duckdb"
    with Store.open(path, read_only=True) as store:
        con = store.con
        ids = con.execute("SELECT message_id, count(*) FROM events GROUP BY ALL").fetchall()
        per_day = con.execute(
            'SELECT CAST("timestamp" AS DATE) AS d, count(*) FROM events GROUP BY d ORDER BY d'
        ).fetchall()
        daily = con.execute(
            'SELECT "day", CAST(sum(n) AS BIGINT) FROM daily GROUP BY "day" ORDER BY "day"'
        ).fetchall()
        first_from_events = con.execute(
            'SELECT user_id, "event", min("timestamp") FROM events GROUP BY ALL ORDER BY ALL'
        ).fetchall()
        first_from_rollup = con.execute(
            'SELECT user_id, "event", min(first_at) FROM first_seen GROUP BY ALL ORDER BY ALL'
        ).fetchall()
        sample = con.execute(
            'SELECT message_id, user_id, "event", "timestamp" FROM events '
            "ORDER BY message_id LIMIT 1"
        ).fetchall()
    # No message is stored twice.
    assert [m for m, n in ids if n > 1] == []
    # Whole batches only: a batch that is there has all its 50 events (one transaction).
    sizes = Counter(batch_of(m) for m, _ in ids)
    assert {b: n for b, n in sizes.items() if n != BATCH_SIZE} == {}
    # The rollups agree with the events they summarize.
    assert daily == per_day
    assert first_from_rollup == first_from_events
    # Rows are the messages the client sent (the first one, field by field).
    if sample:
        batch = batch_of(sample[0][0])
        sent = batch_messages(batch)[0]
        assert sample[0][:3] == (sent["messageId"], sent["userId"], sent["event"])
        assert sample[0][3].isoformat() == sent["timestamp"].removesuffix("+00:00")
    return set(sizes)


def test_kill_9_loses_nothing_acknowledged_and_half_writes_nothing(
    server: RunningServer, tmp_path: Path
) -> None:
    workdir = tmp_path / "client"
    workdir.mkdir()
    client = run_client("send", server, workdir)
    wait_for_acks(workdir / "acked.log", KILL_AFTER_ACKS, client)
    server.kill()
    finish(client)  # every thread stops at its first failed request

    sent, acked = set(read_ledger(workdir / "sent.log")), set(read_ledger(workdir / "acked.log"))
    assert len(acked) >= KILL_AFTER_ACKS
    # Each of the four threads ends on a request the dead server never answered.
    assert sent - acked

    server.start()  # DuckDB replays its write-ahead log
    stored = check_store(server)
    assert acked <= stored, f"acknowledged but lost: {sorted(acked - stored)}"
    assert stored <= sent, f"stored but never sent: {sorted(stored - sent)}"

    # The client retries what was never acknowledged: nothing is stored twice.
    server.start()
    finish(run_client("retry", server, workdir))
    assert set(read_ledger(workdir / "acked.log")) == sent
    assert check_store(server) == sent
