"""The client process of the crash test: sends numbered batches and records, durably, which
ones the server acknowledged.

    python tests/web/crash_client.py send  URL WRITE_KEY WORKDIR [--threads 4]
    python tests/web/crash_client.py retry URL WRITE_KEY WORKDIR

`send` posts batches 0, 1, 2, ... from several threads until the server goes away. Before a
batch leaves, its number is appended to WORKDIR/sent.log; after a 200, to WORKDIR/acked.log
(each line flushed and fsynced, so what the files say survives whatever happens next).
`retry` posts again every batch that was sent and never acknowledged.

A batch's content is a pure function of its number (`batch_messages`), so the test knows
exactly which rows each batch should leave behind.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

import httpx

BATCH_SIZE = 50
DAYS = 5
EVENTS = ("login", "record_created", "report_exported")
USERS = 37
FIRST_DAY = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def message_id(batch: int, index: int) -> str:
    """The message id of message `index` of batch `batch` (the batch is readable from it)."""
    return f"crash-{batch:06d}-{index:02d}"


def batch_messages(batch: int) -> list[dict[str, Any]]:
    """Batch `batch`'s track calls: spread over DAYS days, USERS users and three events."""
    day = FIRST_DAY + dt.timedelta(days=batch % DAYS)
    return [
        {
            "type": "track",
            "userId": f"user{(batch * BATCH_SIZE + i) % USERS}",
            "event": EVENTS[(batch + i) % len(EVENTS)],
            "messageId": message_id(batch, i),
            "timestamp": (day + dt.timedelta(seconds=batch * BATCH_SIZE + i)).isoformat(),
            "properties": {"batch": batch, "index": i},
        }
        for i in range(BATCH_SIZE)
    ]


class Ledger:
    """An append-only file of batch numbers; each append is on disk before it returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: TextIO = path.open("a", encoding="utf-8")

    def append(self, batch: int) -> None:
        """Record one batch number durably."""
        with self._lock:
            self._file.write(f"{batch}\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def read_ledger(path: Path) -> list[int]:
    """The batch numbers in a ledger file (none if it does not exist)."""
    if not path.exists():
        return []
    return [int(line) for line in path.read_text(encoding="utf-8").split()]


def _post(client: httpx.Client, batch: int) -> int | None:
    """Post one batch: the status, or None when the server could not be reached."""
    try:
        return client.post("/v1/batch", json={"batch": batch_messages(batch)}).status_code
    except httpx.TransportError:
        return None


def send(url: str, key: str, workdir: Path, threads: int) -> int:
    """Send batches until the server goes away; exit status 0."""
    sent, acked = Ledger(workdir / "sent.log"), Ledger(workdir / "acked.log")
    numbers = itertools.count()
    numbers_lock = threading.Lock()
    problems: list[str] = []

    def worker() -> None:
        with httpx.Client(base_url=url, auth=(key, ""), timeout=30) as client:
            while True:
                with numbers_lock:
                    batch = next(numbers)
                sent.append(batch)
                status = _post(client, batch)
                if status is None:
                    return  # the server is gone: the test killed it
                if status != 200:
                    problems.append(f"batch {batch}: HTTP {status}")
                    return
                acked.append(batch)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    sent.close()
    acked.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def retry(url: str, key: str, workdir: Path) -> int:
    """Post again every batch sent and not acknowledged; exit status 1 unless all get 200."""
    unacknowledged = sorted(
        set(read_ledger(workdir / "sent.log")) - set(read_ledger(workdir / "acked.log"))
    )
    acked = Ledger(workdir / "acked.log")
    failed = 0
    with httpx.Client(base_url=url, auth=(key, ""), timeout=30) as client:
        for batch in unacknowledged:
            status = _post(client, batch)
            if status == 200:
                acked.append(batch)
            else:
                print(f"retry of batch {batch}: {status}", file=sys.stderr)
                failed += 1
    acked.close()
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Command line: send or retry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode", choices=["send", "retry"])
    parser.add_argument("url")
    parser.add_argument("key")
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    if args.mode == "send":
        return send(args.url, args.key, args.workdir, args.threads)
    return retry(args.url, args.key, args.workdir)


if __name__ == "__main__":
    sys.exit(main())
