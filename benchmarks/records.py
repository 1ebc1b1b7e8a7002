"""The results of one size as a JSON-ready record: timings (cold, warm runs, warm median),
uptake's execute-only time, load / ingest times, peak memory, and the cross-check against
uptake. `benchmarks/results/<date>-<size>.json` holds one record; RESULTS.md is drawn from
them (results_page.py)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from benchmarks.crosscheck import mismatches
from benchmarks.tool_process import KpiRuns, ToolRun

BENCHMARK = "kpis"  # the `benchmark` field of our records
REFERENCE = "uptake"
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def size_label(events: int) -> str:
    """1000000 -> "1M", 10000000 -> "10M", 250000 -> "250k"."""
    for unit, scale in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if events >= scale and events % scale == 0:
            return f"{events // scale}{unit}"
    return str(events)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def kpi_record(runs: KpiRuns, repeat: int) -> dict[str, Any]:
    """One KPI in one tool: cold run, warm runs and their median (None when not all ran)."""
    warm = runs.seconds[1:]
    complete = runs.status == "ok" and len(warm) == repeat
    # uptake's own split of each warm run; "other" is the rest of the run (spec parsing,
    # Result building), taken per run because medians of parts do not add up.
    timed = [
        {**t, "other": seconds * 1000 - sum(t.values())}
        for seconds, t in zip(warm, runs.timings_ms[1:], strict=False)
        if t is not None
    ]
    parts = sorted({part for t in timed for part in t})
    return {
        "status": runs.status,
        "cold_seconds": runs.seconds[0] if runs.seconds else None,
        "warm_seconds": warm,
        "warm_median_seconds": _median(warm) if complete else None,
        "timings_ms": runs.timings_ms,
        "timings_median_seconds": {
            part: _median([t[part] / 1000 for t in timed if part in t]) for part in parts
        }
        if complete and timed
        else None,
        "message": runs.message,
        "mismatches": None,  # filled by `cross_check`; None = not compared
    }


def tool_record(run: ToolRun, repeat: int) -> dict[str, Any]:
    """One tool's process(es): load time, peak memory, load averages and every KPI."""
    return {
        "load_seconds": run.load_seconds[0] if run.load_seconds else None,
        "reload_seconds": run.load_seconds[1:],
        "peak_rss_bytes": run.peak_rss_bytes,
        "wall_seconds": run.wall_seconds,
        "loadavg_start": list(run.loadavg_start),
        "loadavg_end": list(run.loadavg_end),
        "failure": run.failure,
        "kpis": {kpi: kpi_record(runs, repeat) for kpi, runs in run.kpis.items()},
    }


def cross_check(runs: dict[str, ToolRun], record: dict[str, Any]) -> list[str]:
    """Compare every tool's cold answer with uptake's, store the differences in the record
    (`mismatches`: a list, empty when they agree) and return them as printable lines."""
    reference = runs.get(REFERENCE)
    lines: list[str] = []
    if reference is None:
        return lines
    for tool, run in runs.items():
        if tool == REFERENCE:
            continue
        for kpi, kpi_runs in run.kpis.items():
            expected = reference.kpis.get(kpi)
            if expected is None or expected.rows is None or kpi_runs.rows is None:
                continue
            found = mismatches(expected.rows, kpi_runs.rows)
            record["tools"][tool]["kpis"][kpi]["mismatches"] = found
            lines += [f"{tool} {kpi}: {line}" for line in found]
    return lines


def write_record(record: dict[str, Any], folder: Path = RESULTS_DIR) -> Path:
    """Write `<date>-<size label>.json` into `folder` (replacing one from the same day)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record['date']}-{record['label']}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def latest_records(folder: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    """The newest KPI record of each size in `folder`, smallest size first (other benchmarks'
    files in the folder, such as ingest-<date>.json, are left alone)."""
    newest: dict[int, dict[str, Any]] = {}
    for path in sorted(folder.glob("[0-9]*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("benchmark") != BENCHMARK:
            continue
        size = int(record["size"])
        if size not in newest or record["started_at"] > newest[size]["started_at"]:
            newest[size] = record
    return [newest[size] for size in sorted(newest)]
