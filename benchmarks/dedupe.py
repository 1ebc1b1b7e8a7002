"""The dedupe benchmark: how long one commit of new events takes as the day fills up.

    python -m benchmarks.dedupe                       # 0, 1M, 5M, 20M stored, 5,000 per commit
    python -m benchmarks.dedupe --stored 0,1M --batch 1000 --repeat 5

Live events all fall on today and real clients send random UUIDs as message ids, so each
commit's dedupe check meets the whole day so far. This builds one store (in a temporary
folder) through the real write path (`EventStage`, 1M events per commit, random UUIDs, all on
one day), and at each size times `--repeat` commits of `--batch` new events and one commit that
repeats `--batch` stored events (a client's retry). It measures the checked-out code.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pyarrow as pa

from benchmarks.kpis import parse_size
from benchmarks.machine import cpu_model, describe

DAY = dt.datetime(2026, 11, 23)
LOAD_BATCH = 1_000_000


def batch(ids: list[str]) -> pa.Table:
    """Canonical events with these ids, spread over the day."""
    from uptake.store.schema import CANONICAL_SCHEMAS

    n = len(ids)
    times = [DAY + dt.timedelta(seconds=(i * 86_399) // max(n, 1)) for i in range(n)]
    return pa.table(
        {
            "message_id": ids,
            "user_id": [f"u{i % 5000}" for i in range(n)],
            "anonymous_id": pa.nulls(n, pa.string()),
            "account_id": [f"a{i % 300}" for i in range(n)],
            "event": ["login"] * n,
            "timestamp": times,
            "received_at": times,
            "properties": pa.nulls(n, pa.string()),
        },
        schema=CANONICAL_SCHEMAS["events"],
    )


def commit(store: object, table: pa.Table) -> tuple[float, int]:
    """Milliseconds for one commit, and the events it inserted."""
    from uptake.store.event_stage import EventStage

    started = time.perf_counter()
    stage = EventStage(store)  # type: ignore[arg-type]
    stage.add(table)
    inserted = stage.commit().inserted
    return (time.perf_counter() - started) * 1000, inserted


def main(argv: list[str] | None = None) -> int:
    """Fill a day and time commits at each size."""
    from uptake.store import Store

    parser = argparse.ArgumentParser(prog="python -m benchmarks.dedupe", description=__doc__)
    parser.add_argument("--stored", default="0,1M,5M,20M", help="events stored today, in turn")
    parser.add_argument("--batch", type=int, default=5000, help="events per timed commit")
    parser.add_argument("--repeat", type=int, default=3, help="timed commits per size")
    args = parser.parse_args(argv)
    sizes = [parse_size(s) for s in args.stored.split(",")]
    print(f"{cpu_model()}, {describe()['cores']} cores", flush=True)
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="uptake-bench-dedupe-"))
        store = stack.enter_context(Store.open(Path(folder) / "ws.duckdb"))
        stored: list[str] = []
        for size in sizes:
            while len(stored) < size:
                ids = [str(uuid.uuid4()) for _ in range(min(LOAD_BATCH, size - len(stored)))]
                commit(store, batch(ids))
                stored += ids
            new = []
            for _ in range(args.repeat):
                ids = [str(uuid.uuid4()) for _ in range(args.batch)]
                ms, inserted = commit(store, batch(ids))
                assert inserted == args.batch
                stored += ids
                new.append(ms)
            retry_ms, inserted = commit(store, batch(stored[: args.batch]))
            assert inserted == 0
            print(
                f"{size:>12,} stored: new {args.batch:,} -> median "
                f"{statistics.median(new):7.1f} ms (all {', '.join(f'{m:.0f}' for m in new)});"
                f" retry of {args.batch:,} -> {retry_ms:7.1f} ms",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
