"""The child process of the benchmark: one tool on one data folder, so that its peak memory is
its own. `python -m benchmarks.worker --tool pandas --data bench-data/1000000 --kpis ...`

It talks to the harness through stdout lines starting with `@bench ` followed by a JSON
object (other output is ignored):

- `{"type": "ingested", "seconds", "rows", "events"}` (tool `ingest` only)
- `{"type": "loaded", "seconds"}` once the tool has its data
- `{"type": "start", "kpi", "run"}` before each run (run 0 is cold, then the warm ones)
- `{"type": "run", "kpi", "run", "seconds", "timings_ms"}` after it (timings: uptake only)
- `{"type": "answer", "kpi", "rows"}` after the cold run, for the cross-check
- `{"type": "error", "kpi", "message"}` when a KPI fails (the others still run)
- `{"type": "done", "peak_rss_bytes"}` at the end
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.dataset import Dataset
    from benchmarks.runners import EngineLimits

PREFIX = "@bench "


def emit(kind: str, **fields: Any) -> None:
    """One protocol line on stdout, flushed at once (the harness times runs by these)."""
    sys.stdout.write(PREFIX + json.dumps({"type": kind, **fields}) + "\n")
    sys.stdout.flush()


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far.

    Linux's VmHWM, not getrusage's ru_maxrss: ru_maxrss survives fork + exec, so a child
    would report at least the harness's own peak."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("--tool", required=True)
    parser.add_argument("--data", required=True, type=Path, help="a bench-data/<N> folder")
    parser.add_argument("--kpis", default="", help="comma-separated KPI names")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs after the cold one")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="8GB")
    return parser.parse_args(argv)


def _ingest(data: Dataset, limits: EngineLimits) -> None:
    from benchmarks.dataset import build_workspace

    ingest = build_workspace(data, limits.settings())
    emit("ingested", seconds=ingest.seconds, rows=ingest.rows, events=ingest.events)


def _measure(tool: str, data: Dataset, limits: EngineLimits, kpis: list[str], repeat: int) -> None:
    from benchmarks.runners import runner
    from benchmarks.specs import kpi_specs

    specs = kpi_specs(data.end)
    tool_runner = runner(tool, data, limits)  # type: ignore[arg-type]
    started = time.perf_counter()
    tool_runner.load()
    emit("loaded", seconds=time.perf_counter() - started)
    for kpi in kpis:
        try:
            for run in range(1 + repeat):
                gc.collect()
                emit("start", kpi=kpi, run=run)
                started = time.perf_counter()
                answer = tool_runner.compute(kpi, specs[kpi])
                seconds = time.perf_counter() - started
                emit("run", kpi=kpi, run=run, seconds=seconds, timings_ms=answer.timings_ms)
                if run == 0:
                    emit("answer", kpi=kpi, rows=answer.rows)
        except Exception as exc:  # one failing KPI must not hide the others' numbers
            emit("error", kpi=kpi, message=f"{type(exc).__name__}: {exc}"[:2000])
    tool_runner.close()


def main(argv: list[str] | None = None) -> int:
    """Run one tool's part of the benchmark and report it on stdout."""
    args = _arguments(argv)
    from benchmarks.dataset import open_data
    from benchmarks.runners import EngineLimits

    limits = EngineLimits(threads=args.threads, memory_limit=args.memory_limit)
    data = open_data(args.data)
    if args.tool == "ingest":
        _ingest(data, limits)
    else:
        kpis = [k for k in args.kpis.split(",") if k]
        _measure(args.tool, data, limits, kpis, args.repeat)
    emit("done", peak_rss_bytes=peak_rss_bytes(), pid=os.getpid())
    return 0


if __name__ == "__main__":
    sys.exit(main())
