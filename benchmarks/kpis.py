"""The KPI benchmark harness: uptake against hand-written DuckDB SQL (over raw events and over
uptake's rollups), pandas and polars, on the same generated data.

    python -m benchmarks.kpis --sizes 1000000,10000000
        [--tools uptake,duckdb_sql,duckdb_rollup,pandas,polars] [--kpis active_users,funnel]
        [--repeat 3] [--timeout 900] [--reuse-workspace] [--no-write]

For each size: generate (or reuse) `bench-data/<N>/`, import it into a fresh uptake workspace
(timed: ingest), then run each tool in its own process (load time, one cold and `repeat` warm
runs per KPI, peak memory), check every answer against uptake's, and write
`benchmarks/results/<date>-<size>.json` and the tables of `benchmarks/RESULTS.md`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.dataset import END, SEED, Dataset, ensure_data
from benchmarks.machine import describe, now
from benchmarks.records import (
    BENCHMARK,
    RESULTS_DIR,
    cross_check,
    size_label,
    tool_record,
    write_record,
)
from benchmarks.results_page import render, update_page
from benchmarks.runners import TOOLS
from benchmarks.specs import KPIS
from benchmarks.tool_process import Limits, ToolRun, run_tool

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = {"k": 10**3, "m": 10**6, "b": 10**9}


def parse_size(text: str) -> int:
    """An event count: 1000000, 1_000_000, 1M or 250k."""
    text = text.strip().lower().replace("_", "")
    scale = SUFFIXES.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    return int(float(number) * scale)


def _names(text: str, known: tuple[str, ...], what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)}; choose from {', '.join(known)}")
    return names


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.kpis",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="1000000,10000000", help="event counts, e.g. 1M,10M")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"from {', '.join(TOOLS)}")
    parser.add_argument("--kpis", default=",".join(KPIS), help=f"from {', '.join(KPIS)}")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs after the cold one")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds for one KPI's runs, and for loading"
    )
    parser.add_argument(
        "--ingest-timeout", type=float, default=7200, help="seconds for the uptake import"
    )
    parser.add_argument("--threads", type=int, default=2, help="DuckDB / polars threads")
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB memory_limit")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--reuse-workspace",
        action="store_true",
        help="keep an existing workspace instead of importing again (ingest is then not timed)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only: no results JSON, no RESULTS.md"
    )
    args = parser.parse_args(argv)
    args.size_list = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    args.tool_list = _names(args.tools, TOOLS, "tools")
    # uptake first: it is the reference every other answer is checked against.
    args.tool_list.sort(key=lambda t: t != "uptake")
    args.kpi_list = _names(args.kpis, KPIS, "KPIs")
    return args


def say(text: str) -> None:
    """One progress line, at once."""
    print(text, flush=True)


class Progress:
    """Prints a tool's protocol lines as readable progress."""

    def __init__(self, label: str, tool: str, repeat: int) -> None:
        self.prefix = f"[{label}] {tool:<13}"
        self.repeat = repeat
        self.runs: list[str] = []

    def __call__(self, kind: str, line: dict[str, Any]) -> None:
        match kind:
            case "loaded":
                say(f"{self.prefix} loaded in {line['seconds']:.2f} s")
            case "ingested":
                rate = line["rows"] / line["seconds"] if line["seconds"] else 0
                say(
                    f"{self.prefix} imported {line['rows']:,} rows in {line['seconds']:.1f} s "
                    f"({rate:,.0f} rows/s)"
                )
            case "run":
                self.runs.append(f"{line['seconds']:.3f}")
                if line["run"] == self.repeat:
                    cold, warm = self.runs[0], " ".join(self.runs[1:])
                    say(f"{self.prefix} {line['kpi']:<17} cold {cold} s, warm {warm} s")
                    self.runs = []
            case "error":
                say(f"{self.prefix} {line['kpi']:<17} ERROR {line['message']}")
                self.runs = []
            case "timeout":
                what = line["kpi"] or "loading"
                say(f"{self.prefix} {what:<17} TIMEOUT after {line['seconds']:.0f} s")
                self.runs = []


def _ingest(data: Dataset, args: argparse.Namespace, limits: Limits, label: str) -> dict[str, Any]:
    if args.reuse_workspace and (data.workspace / "uptake.duckdb").exists():
        say(f"[{label}] reusing the workspace in {data.workspace} (ingest not timed)")
        return {"reused": True}
    say(f"[{label}] importing {data.folder} into a new workspace in {data.workspace}")
    limits = replace(limits, timeout_seconds=args.ingest_timeout)
    run = run_tool("ingest", data.folder, [], limits, Progress(label, "uptake import", 0))
    if run.ingest is None:
        raise SystemExit(f"[{label}] the import failed: {run.failure}")
    seconds = run.ingest["seconds"]
    return {
        **run.ingest,
        "rows_per_second": run.ingest["rows"] / seconds if seconds else None,
        "peak_rss_bytes": run.peak_rss_bytes,
        "wall_seconds": run.wall_seconds,
        "loadavg_start": list(run.loadavg_start),
        "loadavg_end": list(run.loadavg_end),
        "reused": False,
    }


def run_size(events: int, args: argparse.Namespace, command: str) -> dict[str, Any]:
    """Generate, import and time every tool on one size; the size's record."""
    label = size_label(events)
    started, loadavg_start = now(), os.getloadavg()
    say(f"[{label}] load average {loadavg_start[0]:.2f}; data in {args.data_dir / str(events)}")
    data = ensure_data(args.data_dir, events, args.seed, END)
    made = f"generated in {data.generated_seconds:.1f} s" if data.generated_seconds else "reused"
    say(f"[{label}] {data.events:,} events, {data.users:,} users ({made})")
    limits = Limits(args.repeat, args.timeout, args.threads, args.memory_limit)
    ingest = _ingest(data, args, limits, label)
    runs: dict[str, ToolRun] = {}
    for tool in args.tool_list:
        runs[tool] = run_tool(
            tool, data.folder, args.kpi_list, limits, Progress(label, tool, args.repeat)
        )
        say(f"[{label}] {tool:<13} peak RSS {runs[tool].peak_rss_bytes / 2**20:,.0f} MiB")
    record: dict[str, Any] = {
        "benchmark": BENCHMARK,
        "size": events,
        "label": label,
        "date": started.date().isoformat(),
        "started_at": started.isoformat(timespec="seconds").replace("+00:00", ""),
        "finished_at": now().isoformat(timespec="seconds").replace("+00:00", ""),
        "command": command,
        "machine": describe(),
        "settings": {
            "repeat": args.repeat,
            "timeout_seconds": args.timeout,
            "threads": args.threads,
            "memory_limit": args.memory_limit,
            "seed": args.seed,
            "end": END.isoformat(),
        },
        "data": {
            "events": data.events,
            "users": data.users,
            "accounts": data.accounts,
            "generated_seconds": data.generated_seconds,
        },
        "ingest": ingest,
        "loadavg_start": list(loadavg_start),
        "loadavg_end": list(os.getloadavg()),
        "kpis": args.kpi_list,
        "tools": {tool: tool_record(run, args.repeat) for tool, run in runs.items()},
    }
    differences = cross_check(runs, record)
    for line in differences:
        say(f"[{label}] MISMATCH {line}")
    if "uptake" in runs and not differences:
        say(f"[{label}] cross-check: every answer equals uptake's")
    return record


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when an answer differs from uptake's."""
    args = arguments(argv)
    command = "python -m benchmarks.kpis " + shlex.join(sys.argv[1:] if argv is None else argv)
    records = []
    for events in args.size_list:
        record = run_size(events, args, command)
        records.append(record)
        if not args.no_write:
            say(f"[{record['label']}] wrote {write_record(record, RESULTS_DIR)}")
    if not args.no_write:
        say(f"updated {update_page()}")
    say("")
    say(render(records))
    differs = any(
        runs.get("mismatches")
        for r in records
        for t in r["tools"].values()
        for runs in t["kpis"].values()
    )
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
