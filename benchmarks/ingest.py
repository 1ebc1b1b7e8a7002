"""The ingest benchmark (`make bench-ingest`): the tracking API's sustained events/s in batches,
the latency of single `track` calls at a fixed request rate, and the server's memory over a soak.

    python -m benchmarks.ingest                         # 60 s batches, 20 s single calls,
                                                        # 30 s latency, 60 s soak
    python -m benchmarks.ingest --soak-seconds 600      # the issue's 10-minute soak
    python -m benchmarks.ingest --phases throughput --seconds 20

It starts `uptake serve` on a fresh server home in a temporary folder (one project, one write
key; the per-key rate limit set out of the way, its check still runs) and drives it from a
separate load process (benchmarks/ingest_load.py) on 127.0.0.1. While a phase runs, this
process samples the server's resident memory every second and its CPU time, and the load
process reports its own CPU time: on a 2-core machine a load generator competes with the server
for the cores, and the report says how much each used (and which other processes were busy).
At the end the server is stopped and the events in its DuckDB file are counted against the
events acknowledged.

Results: benchmarks/results/ingest-<date>.json (override with --out); a summary on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from benchmarks.ingest_sampler import Sampler, memory_summary
from benchmarks.machine import cpu_model, describe, now
from benchmarks.server_process import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PROJECT = "bench"
PHASES = ("throughput", "single", "latency", "soak")
SERVER_LIBRARIES = ("fastapi", "starlette", "uvicorn", "httptools", "uvloop", "orjson")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__)
    parser.add_argument("--phases", default=",".join(PHASES), help=f"from {', '.join(PHASES)}")
    parser.add_argument("--seconds", type=float, default=60, help="throughput phase length")
    parser.add_argument("--connections", type=int, default=16, help="throughput connections")
    parser.add_argument(
        "--single-seconds", type=float, default=20, help="closed-loop single track calls"
    )
    parser.add_argument("--latency-seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=1000, help="track calls/s, latency phase")
    parser.add_argument("--latency-connections", type=int, default=200)
    parser.add_argument("--soak-seconds", type=float, default=60)
    parser.add_argument(
        "--soak-rate", type=float, default=50, help="batches of 100 per second during the soak"
    )
    parser.add_argument("--out", type=Path, default=None, help="results JSON path")
    parser.add_argument("--no-write", action="store_true", help="print only, write no JSON")
    parser.add_argument("--note", default="", help="what else ran on the machine, for the record")
    parser.add_argument("--keep-home", action="store_true", help="keep the server home")
    args = parser.parse_args(argv)
    args.phase_list = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = [p for p in args.phase_list if p not in PHASES]
    if unknown:
        parser.error(f"unknown phases: {', '.join(unknown)}")
    return args


def say(text: str) -> None:
    """One progress line, at once."""
    print(text, flush=True)


class Server(ServerProcess):
    """`uptake serve` on a fresh home with one project and one write key."""

    def __init__(self, home: Path) -> None:
        from uptake.server.home import ServerHome
        from uptake.server.keys import KeyStore

        ServerHome(home).create_project(PROJECT)
        keys = KeyStore(ServerHome(home).keys_path)
        try:
            _, self.key = keys.create(PROJECT, "write", "benchmark")
        finally:
            keys.close()
        # The per-key rate limit set out of the way (its check still runs).
        super().__init__(home, ("--rate", "1000000", "--burst", "1000000"))

    def stored_events(self) -> tuple[int, int]:
        """(events, distinct message ids) in the project's database (server stopped)."""
        from uptake.store import Store

        path = self.home / "projects" / PROJECT / "uptake.duckdb"
        with Store.open(path, read_only=True) as store:
            row = store.con.execute("SELECT count(*), count(DISTINCT message_id) FROM events")
            found = row.fetchone()
        assert found is not None
        return int(found[0]), int(found[1])


def run_load(
    phase: str, server: Server, server_pid: int, options: list[str], timeout: float
) -> dict[str, Any]:
    """Run one phase of the load process while sampling both processes; its results."""
    command = [sys.executable, "-m", "benchmarks.ingest_load", phase, server.url, server.key]
    load = subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    with Sampler(server_pid) as sampler:
        try:
            out, err = load.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            load.kill()
            raise SystemExit(
                f"the {phase} load process did not finish in {timeout:.0f} s"
            ) from None
    if load.returncode != 0:
        raise SystemExit(f"the {phase} load process failed: {err[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["processes"] = sampler.summary(result.pop("cpu_seconds"))
    result["memory_samples_mib"] = sampler.rss_mib
    return result


def busy_processes(seconds: float = 1.0, top: int = 5) -> list[dict[str, Any]]:
    """The processes using the most CPU right now (other work on the machine skews every
    number here; the record says what it was)."""
    processes = list(psutil.process_iter(["pid", "cmdline"]))
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.cpu_percent(None)
    time.sleep(seconds)
    busy = []
    for process in processes:
        try:
            percent = process.cpu_percent(None)
            command = " ".join(process.info["cmdline"] or [])[:160]
        except psutil.Error:
            continue
        if percent >= 5 and process.pid != os.getpid():
            busy.append({"pid": process.pid, "cpu_percent": round(percent), "command": command})
    return sorted(busy, key=lambda b: -b["cpu_percent"])[:top]


def _versions() -> dict[str, str]:
    out = {}
    for name in SERVER_LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _print_summary(record: dict[str, Any]) -> None:
    phases = record["phases"]
    say("")
    say(
        f"ingest benchmark, {record['date']}, {record['machine']['cpu']}, "
        f"{record['machine']['cores']} cores, load average before {record['load_before']}, "
        f"after {record['load_after']}"
    )
    for busy in record["busy_before"]:
        say(f"  busy before the run: {busy['cpu_percent']}% CPU: {busy['command']}")
    if "throughput" in phases:
        t = phases["throughput"]
        p = t["processes"]
        say(
            f"  throughput: {t['events_per_second']:,.0f} events/s in batches of 100 "
            f"({t['requests_per_second']:,.0f} requests/s, {t['connections']} connections, "
            f"batch p50 {t['latency']['p50_ms']} ms, p99 {t['latency']['p99_ms']} ms); "
            f"server {p['server_cores']:.2f} cores, load process {p['load_cores']:.2f} cores"
        )
    if "single" in phases:
        t = phases["single"]
        p = t["processes"]
        say(
            f"  single track calls, closed loop: {t['requests_per_second']:,.0f} requests/s "
            f"({t['connections']} connections, p50 {t['latency']['p50_ms']} ms, "
            f"p99 {t['latency']['p99_ms']} ms); server {p['server_cores']:.2f} cores, "
            f"load process {p['load_cores']:.2f} cores"
        )
    if "latency" in phases:
        t = phases["latency"]
        p = t["processes"]
        lat = t["latency"]
        say(
            f"  latency at {t['rate']:,.0f} track calls/s: p50 {lat['p50_ms']} ms, "
            f"p99 {lat['p99_ms']} ms, p99.9 {lat['p999_ms']} ms, max {lat['max_ms']} ms "
            f"({t['requests_ok']:,} ok of {t['requests_sent']:,}, {t['unfinished']:,} unfinished "
            f"after the drain: counted at their wait so far); server "
            f"{p['server_cores']:.2f} cores, load process {p['load_cores']:.2f} cores"
        )
    if "soak" in phases:
        soak = phases["soak"]
        m = soak["memory"]
        say(
            f"  soak {soak['seconds']:.0f} s at {soak['events_per_second']:,.0f} "
            f"events/s: RSS {m['first_mib']} -> {m['last_mib']} MiB (max {m['max_mib']}), "
            f"slope over the second half {m['slope_mib_per_min']} MiB/min"
        )
        for window in soak["timeline"]:
            say(
                f"    from {window['from_s']:>5.0f} s: {window['ok']:>6,} batches ok, "
                f"p50 {window['p50_ms']} ms, p99 {window['p99_ms']} ms"
            )
    s = record["stored"]
    say(
        f"  stored {s['events']:,} events, {s['distinct_message_ids']:,} distinct ids; "
        f"acknowledged {s['acknowledged']:,}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the phases and write the results."""
    args = arguments(argv)
    started = now()
    work = Path(tempfile.mkdtemp(prefix="uptake-bench-ingest-"))
    server = Server(work / "home")
    record: dict[str, Any] = {
        "benchmark": "ingest",
        "date": started.isoformat(),
        "command": " ".join(["python -m benchmarks.ingest", *(argv or sys.argv[1:])]),
        "machine": {**describe(), "cpu": cpu_model(), "server_versions": _versions()},
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "busy_before": busy_processes(),
        "note": args.note,
        "phases": {},
    }
    try:
        pid = server.start()
        say(f"server {server.url} (pid {pid}), home {server.home}")
        acknowledged = 0
        for phase in args.phase_list:
            say(f"[{phase}] running ...")
            match phase:
                case "throughput":
                    options = ["--seconds", str(args.seconds)]
                    options += ["--connections", str(args.connections)]
                    result = run_load("throughput", server, pid, options, args.seconds + 120)
                    del result["memory_samples_mib"]
                case "single":
                    options = ["--seconds", str(args.single_seconds), "--single"]
                    options += ["--connections", str(args.connections)]
                    result = run_load("throughput", server, pid, options, args.single_seconds + 120)
                    del result["memory_samples_mib"]
                case "latency":
                    options = ["--seconds", str(args.latency_seconds), "--rate", str(args.rate)]
                    options += ["--connections", str(args.latency_connections)]
                    result = run_load("latency", server, pid, options, args.latency_seconds + 120)
                    del result["memory_samples_mib"]
                case "soak":
                    options = ["--seconds", str(args.soak_seconds), "--rate", str(args.soak_rate)]
                    options += ["--connections", str(args.connections)]
                    result = run_load("steady", server, pid, options, args.soak_seconds + 120)
                    result["memory"] = memory_summary(result["memory_samples_mib"])
            acknowledged += result["events_acked"]
            record["phases"][phase] = result
            shown = {k: v for k, v in result.items() if k != "memory_samples_mib"}
            say(f"[{phase}] {json.dumps(shown)}")
        server.stop()
        events, distinct = server.stored_events()
        record["stored"] = {
            "events": events,
            "distinct_message_ids": distinct,
            "acknowledged": acknowledged,
        }
    finally:
        server.stop()
        record["load_after"] = [round(x, 2) for x in os.getloadavg()]
        if not args.keep_home:
            shutil.rmtree(work, ignore_errors=True)
    _print_summary(record)
    if not args.no_write:
        out = args.out or RESULTS_DIR / f"ingest-{started.date().isoformat()}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        say(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
