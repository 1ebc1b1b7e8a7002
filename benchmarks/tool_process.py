"""Running one tool in its own process (benchmarks/worker.py): reading its progress lines,
sampling its memory, and stopping a KPI that passes its timeout.

The timeout covers one KPI's runs together (cold + warm), and separately the loading. A KPI
past it kills the process; the KPI is recorded as a timeout (with the runs it finished) and a
fresh process (which loads the data again) carries on with the KPIs after it.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import psutil

from benchmarks.worker import PREFIX

SAMPLE_SECONDS = 0.2
Status = Literal["ok", "timeout", "error", "skipped"]
Listener = Callable[[str, dict[str, Any]], None]


@dataclass
class KpiRuns:
    """One KPI's runs in one tool: seconds per run (cold first), uptake's own timings per run
    (compile / execute / finish ms), the cold answer's rows, and how it ended."""

    status: Status = "skipped"
    seconds: list[float] = field(default_factory=list)
    timings_ms: list[dict[str, float] | None] = field(default_factory=list)
    rows: list[dict[str, Any]] | None = None
    message: str | None = None


@dataclass
class ToolRun:
    """One tool's process(es) on one data size."""

    tool: str
    load_seconds: list[float] = field(default_factory=list)  # one per process started
    peak_rss_bytes: int = 0
    kpis: dict[str, KpiRuns] = field(default_factory=dict)
    ingest: dict[str, Any] | None = None
    loadavg_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loadavg_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    wall_seconds: float = 0.0
    failure: str | None = None  # the process died outside a KPI (e.g. while loading)


@dataclass(frozen=True)
class Limits:
    """How each process runs: warm runs per KPI, the timeout of one KPI's runs (cold + warm)
    and of loading, and DuckDB's limits."""

    repeat: int = 3
    timeout_seconds: float = 900.0
    threads: int = 2
    memory_limit: str = "8GB"


def _command(tool: str, data: Path, kpis: list[str], limits: Limits) -> list[str]:
    return [
        sys.executable,
        "-m",
        "benchmarks.worker",
        "--tool",
        tool,
        "--data",
        str(data),
        "--kpis",
        ",".join(kpis),
        "--repeat",
        str(limits.repeat),
        "--threads",
        str(limits.threads),
        "--memory-limit",
        limits.memory_limit,
    ]


def _environment(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    # Same thread budget for every tool: polars and numpy would take every core otherwise.
    for name in ("POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _read_lines(stream: IO[str], out: queue.Queue[dict[str, Any] | None]) -> None:
    for line in stream:
        if line.startswith(PREFIX):
            out.put(json.loads(line[len(PREFIX) :]))
    out.put(None)


class _Process:
    """One worker process: its protocol lines as a queue, its memory sampled while it lives."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        # Closed in close(): it must outlive this method, as long as the process runs.
        self.stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.popen = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        assert self.popen.stdout is not None
        threading.Thread(
            target=_read_lines, args=(self.popen.stdout, self.lines), daemon=True
        ).start()
        self.peak_rss = 0

    def sample(self) -> None:
        try:
            rss = psutil.Process(self.popen.pid).memory_info().rss
        except psutil.Error:
            return
        self.peak_rss = max(self.peak_rss, rss)

    def next_line(self, wait: float) -> dict[str, Any] | Literal["idle"] | None:
        self.sample()
        try:
            return self.lines.get(timeout=wait)
        except queue.Empty:
            return "idle"

    def kill(self) -> None:
        # The worker leads its own session: this kills it and anything it started.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stderr_tail(self, chars: int = 1500) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-chars:].strip()

    def close(self) -> int:
        code = self.popen.wait()
        self.stderr.close()
        return code


def run_tool(
    tool: str, data: Path, kpis: list[str], limits: Limits, listen: Listener | None = None
) -> ToolRun:
    """Run `tool` on the data folder for `kpis` (no KPIs: tool `ingest`) and collect it all.

    `listen(kind, line)` sees every protocol line as it arrives (for progress output), plus
    `timeout` lines that the harness makes itself."""
    result = ToolRun(tool=tool, loadavg_start=os.getloadavg())
    started = time.perf_counter()
    remaining = list(kpis)
    first = True
    while first or remaining:
        first = False
        remaining = _one_process(tool, data, remaining, limits, result, listen or _quiet)
    result.loadavg_end = os.getloadavg()
    result.wall_seconds = round(time.perf_counter() - started, 3)
    return result


def _quiet(kind: str, line: dict[str, Any]) -> None:
    return None


def _one_process(
    tool: str, data: Path, kpis: list[str], limits: Limits, result: ToolRun, listen: Listener
) -> list[str]:
    """One worker process; returns the KPIs still to run after a timeout (else none)."""
    process = _Process(_command(tool, data, kpis, limits), _environment(limits.threads))
    deadline = time.monotonic() + limits.timeout_seconds  # loading counts against it too
    current: str | None = None
    while True:
        line = process.next_line(SAMPLE_SECONDS)
        if line == "idle":
            if time.monotonic() < deadline:
                continue
            process.kill()
            result.peak_rss_bytes = max(result.peak_rss_bytes, process.peak_rss)
            process.close()
            timeout = {"kpi": current, "seconds": limits.timeout_seconds}
            listen("timeout", timeout)
            if current is None:
                result.failure = f"timed out after {limits.timeout_seconds:g} s while loading"
                return []
            result.kpis[current].status = "timeout"
            return kpis[kpis.index(current) + 1 :]
        if line is None:
            break
        kind = str(line["type"])
        listen(kind, line)
        match kind:
            case "loaded":
                result.load_seconds.append(round(line["seconds"], 4))
            case "ingested":
                result.ingest = {k: v for k, v in line.items() if k != "type"}
            case "start":
                current = line["kpi"]
                result.kpis.setdefault(line["kpi"], KpiRuns())
                if line["run"] == 0:
                    deadline = time.monotonic() + limits.timeout_seconds
            case "run":
                runs = result.kpis[line["kpi"]]
                runs.seconds.append(line["seconds"])
                runs.timings_ms.append(line["timings_ms"])
                runs.status = "ok"
            case "answer":
                result.kpis[line["kpi"]].rows = line["rows"]
            case "error":
                runs = result.kpis.setdefault(line["kpi"], KpiRuns())
                runs.status, runs.message = "error", line["message"]
            case "done":
                result.peak_rss_bytes = max(result.peak_rss_bytes, line["peak_rss_bytes"])
    result.peak_rss_bytes = max(result.peak_rss_bytes, process.peak_rss)
    tail = process.stderr_tail()
    code = process.close()
    if code != 0:
        result.failure = f"worker exited with code {code}: {tail}"
        for kpi in kpis:
            runs = result.kpis.setdefault(kpi, KpiRuns())
            if runs.status != "error" and len(runs.seconds) < 1 + limits.repeat:
                runs.status, runs.message = "error", result.failure
    return []
