"""The load process of the ingest benchmark: it runs apart from the server and prints one JSON
line of results.

    python -m benchmarks.ingest_load throughput URL KEY --seconds 60 --connections 16
    python -m benchmarks.ingest_load throughput URL KEY --seconds 20 --single
    python -m benchmarks.ingest_load latency    URL KEY --seconds 30 --rate 1000
    python -m benchmarks.ingest_load steady     URL KEY --seconds 60 --rate 200

The client is a few lines of HTTP/1.1 over asyncio streams on uvloop, with keep-alive
connections: a general-purpose client (httpx) spends more CPU per request than the server's
own parsing, and on a 2-core machine the load process shares the cores with the server. Bodies
come from templates built once: each request swaps a fresh 12-character prefix into every
messageId (`bytes.replace`, a few microseconds), so every event is new to the server's dedupe.

- throughput: closed loop, batches of 100 events (or, with --single, single `track` calls) on
  N connections for S seconds.
- latency: open loop, single `track` calls scheduled at a fixed rate on a clock; a call's
  latency runs from its *scheduled* time to its response, so a slow server cannot hide queued
  calls (no coordinated omission).
- steady: open loop, batches of 100 at a fixed rate (the memory soak's load).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import itertools
import json
import resource
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

BATCH_EVENTS = 100
TEMPLATES = 10
USERS_PER_TEMPLATE = BATCH_EVENTS
MARK = b"@@MARK@@MARK"  # 12 bytes, replaced by a unique prefix per request
EVENT_NAMES = ("login", "record_created", "record_updated", "task_closed", "report_viewed")
PLANS = ("free", "pro", "enterprise")
# After an open-loop schedule ends, how long to wait for answers still due.
DRAIN_SECONDS = 15.0


def _message(kind: str, user: int, index: int, when: str) -> dict[str, Any]:
    return {
        "type": kind,
        "userId": f"user{user:05d}",
        "event": EVENT_NAMES[index % len(EVENT_NAMES)],
        "messageId": f"{MARK.decode()}-{index:03d}",
        "timestamp": when,
        "properties": {"plan": PLANS[user % len(PLANS)], "n": index},
        "context": {"library": {"name": "uptake-bench", "version": "1"}},
    }


def batch_templates(when: str) -> list[bytes]:
    """Batch bodies of BATCH_EVENTS track calls; template k covers users k*100 .. k*100+99."""
    out = []
    for k in range(TEMPLATES):
        calls = [
            _message("track", k * USERS_PER_TEMPLATE + i, i, when) for i in range(BATCH_EVENTS)
        ]
        out.append(orjson.dumps({"batch": calls}))
    return out


def track_templates(when: str) -> list[bytes]:
    """Single track bodies (one per user of the first template)."""
    out = []
    for i in range(USERS_PER_TEMPLATE):
        call = _message("track", i, i, when)
        del call["type"]
        out.append(orjson.dumps(call))
    return out


def unique_bodies(templates: list[bytes]) -> Iterator[bytes]:
    """Template bodies with a fresh prefix in every messageId: never a duplicate."""
    run = secrets.token_hex(2)  # 4 characters: another run's ids never collide with these
    for n in itertools.count():
        prefix = f"{run}{n:08x}".encode()
        yield templates[n % len(templates)].replace(MARK, prefix)


class Connection:
    """One keep-alive HTTP/1.1 connection posting JSON with Basic auth."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port = host, port
        token = base64.b64encode(f"{key}:".encode()).decode()
        self.head = (
            f"Host: {host}:{port}\r\nAuthorization: Basic {token}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """Send one request, return (status, body); reconnects once if the server closed."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        request = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (
            path.encode(),
            self.head,
            len(body),
        )
        self.writer.write(request + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, payload

    def close(self) -> None:
        """Close the socket."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    """What one phase saw: latencies of successful requests, statuses, events acknowledged."""

    latencies: list[float] = field(default_factory=list)
    completed_at: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    events_acked: int = 0
    first_error: str | None = None

    def status(self, code: int, body: bytes) -> None:
        """Count a response; keep the first refusal's body for the report."""
        self.statuses[code] = self.statuses.get(code, 0) + 1
        if code != 200 and self.first_error is None:
            self.first_error = body[:300].decode(errors="replace")

    def error(self, exc: BaseException) -> None:
        """Count a transport error."""
        name = type(exc).__name__
        self.errors[name] = self.errors.get(name, 0) + 1
        if self.first_error is None:
            self.first_error = f"{name}: {exc}"


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50 / p90 / p99 / p99.9 / max in milliseconds (nearest-rank)."""
    if not values:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "p999_ms": None, "max_ms": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        index = min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))
        return round(ordered[index] * 1000, 3)

    return {
        "p50_ms": rank(0.50),
        "p90_ms": rank(0.90),
        "p99_ms": rank(0.99),
        "p999_ms": rank(0.999),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def timeline(tally: Tally, start: float, bucket_seconds: float) -> list[dict[str, Any]]:
    """Successful requests and their latency per time bucket (from `start`): shows a server
    that slows down as its tables grow."""
    buckets: dict[int, list[float]] = {}
    for done, latency in zip(tally.completed_at, tally.latencies, strict=True):
        buckets.setdefault(int((done - start) // bucket_seconds), []).append(latency)
    return [
        {
            "from_s": round(index * bucket_seconds, 1),
            "ok": len(values),
            "p50_ms": percentiles(values)["p50_ms"],
            "p99_ms": percentiles(values)["p99_ms"],
        }
        for index, values in sorted(buckets.items())
    ]


def _summary(tally: Tally, seconds: float, requests_sent: int, start: float) -> dict[str, Any]:
    bucket = 10.0 if seconds <= 120 else 60.0
    return {
        "seconds": round(seconds, 3),
        "requests_sent": requests_sent,
        "requests_ok": tally.statuses.get(200, 0),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "transport_errors": tally.errors,
        "first_error": tally.first_error,
        "events_acked": tally.events_acked,
        "events_per_second": round(tally.events_acked / seconds, 1) if seconds else None,
        "requests_per_second": round(tally.statuses.get(200, 0) / seconds, 1) if seconds else None,
        "latency": percentiles(tally.latencies),
        "timeline": timeline(tally, start, bucket),
    }


async def throughput(
    host: str, port: int, key: str, seconds: float, connections: int, single: bool = False
) -> dict[str, Any]:
    """Closed loop: each connection posts the next batch (or single track call) as soon as the
    last is answered."""
    templates = track_templates(_now_iso()) if single else batch_templates(_now_iso())
    bodies = unique_bodies(templates)
    path, per_request = ("/v1/track", 1) if single else ("/v1/batch", BATCH_EVENTS)
    tally = Tally()
    sent = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        nonlocal sent
        connection = Connection(host, port, key)
        try:
            while time.perf_counter() < deadline:
                body = next(bodies)
                sent += 1
                began = time.perf_counter()
                try:
                    status, payload = await connection.post(path, body)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    tally.error(exc)
                    connection.close()
                    continue
                tally.status(status, payload)
                if status == 200:
                    done = time.perf_counter()
                    tally.latencies.append(done - began)
                    tally.completed_at.append(done)
                    tally.events_acked += per_request
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    return {
        "path": path,
        "connections": connections,
        **_summary(tally, elapsed, sent, start),
    }


async def open_loop(
    host: str, port: int, key: str, seconds: float, rate: float, path: str, connections: int
) -> dict[str, Any]:
    """Requests scheduled at `rate` per second; latency from the scheduled time."""
    batch = path == "/v1/batch"
    templates = batch_templates(_now_iso()) if batch else track_templates(_now_iso())
    bodies = unique_bodies(templates)
    per_request = BATCH_EVENTS if batch else 1
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(host, port, key))
    tally = Tally()
    late: list[float] = []
    total = int(seconds * rate)
    tasks: dict[asyncio.Task[None], float] = {}  # in flight -> scheduled time

    async def send(scheduled: float, body: bytes) -> None:
        connection = await idle.get()
        try:
            status, payload = await connection.post(path, body)
        except (OSError, asyncio.IncompleteReadError) as exc:
            tally.error(exc)
            connection.close()
            return
        finally:
            idle.put_nowait(connection)
        tally.status(status, payload)
        if status == 200:
            done = time.perf_counter()
            tally.latencies.append(done - scheduled)
            tally.completed_at.append(done)
            tally.events_acked += per_request

    start = time.perf_counter() + 0.05
    for n in range(total):
        scheduled = start + n / rate
        wait = scheduled - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            late.append(-wait)
        task = asyncio.create_task(send(scheduled, next(bodies)))
        tasks[task] = scheduled
        task.add_done_callback(lambda done: tasks.pop(done, None))
    # An overloaded server leaves a backlog: wait a bounded time for it, then count what is
    # still waiting as unfinished, with its wait so far as its latency (a lower bound).
    unfinished = 0
    if tasks:
        _, waiting = await asyncio.wait(set(tasks), timeout=DRAIN_SECONDS)
        now = time.perf_counter()
        for task in waiting:
            tally.latencies.append(now - tasks[task])
            tally.completed_at.append(now)
            task.cancel()
        unfinished = len(waiting)
        await asyncio.gather(*waiting, return_exceptions=True)
    elapsed = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait().close()
    return {
        "rate": rate,
        "path": path,
        "connections": connections,
        # How far behind its clock the load process fell (its own CPU limit, not the server's).
        "dispatch_late_p99_ms": percentiles(late)["p99_ms"] if late else 0.0,
        "unfinished": unfinished,
        **_summary(tally, elapsed, total, start),
    }


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main(argv: list[str] | None = None) -> int:
    """Run one phase and print its results as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest_load")
    parser.add_argument("phase", choices=["throughput", "latency", "steady"])
    parser.add_argument("url")
    parser.add_argument("key")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=1000, help="requests per second")
    parser.add_argument("--single", action="store_true", help="throughput: single track calls")
    args = parser.parse_args(argv)
    parts = urlsplit(args.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is not on Windows
        runner = asyncio.run
    match args.phase:
        case "throughput":
            result = runner(
                throughput(host, port, args.key, args.seconds, args.connections, args.single)
            )
        case "latency":
            result = runner(
                open_loop(
                    host, port, args.key, args.seconds, args.rate, "/v1/track", args.connections
                )
            )
        case "steady":
            result = runner(
                open_loop(
                    host, port, args.key, args.seconds, args.rate, "/v1/batch", args.connections
                )
            )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 3)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
