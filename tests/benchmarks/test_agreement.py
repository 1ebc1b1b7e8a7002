"""The benchmark's hand-written KPIs (DuckDB SQL over raw events and over the rollups, pandas,
polars) give exactly uptake's answers, on a tiny generated demo. No timings are checked here:
only that the benchmark compares like with like, and that its harness stops a run that hangs.
"""

from __future__ import annotations

from typing import Any

import pytest
from benchmarks.crosscheck import Row, mismatches
from benchmarks.dataset import Dataset, build_workspace, ensure_data
from benchmarks.runners import TOOLS, EngineLimits, runner
from benchmarks.specs import KPIS, kpi_specs
from benchmarks.tool_process import Limits, run_tool

EVENTS = 12_000  # the smallest demo (80 users) that still fills every KPI with non-zero cells
LIMITS = EngineLimits(threads=2, memory_limit="1GB")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """A tiny demo as Parquet files plus the uptake workspace imported from them."""
    dataset = ensure_data(tmp_path_factory.mktemp("bench-data"), EVENTS)
    build_workspace(dataset, LIMITS.settings())
    return dataset


@pytest.fixture(scope="module")
def answers(data: Dataset) -> dict[str, dict[str, list[Row]]]:
    """Every tool's answer to every KPI: {tool: {kpi: rows}}."""
    specs = kpi_specs(data.end)
    out: dict[str, dict[str, list[Row]]] = {}
    for tool in TOOLS:
        tool_runner = runner(tool, data, LIMITS)
        tool_runner.load()
        out[tool] = {kpi: tool_runner.compute(kpi, specs[kpi]).rows for kpi in KPIS}
        tool_runner.close()
    return out


def test_the_reference_answers_are_not_empty(answers: dict[str, Any]) -> None:
    # A comparison of empty answers would prove nothing: the tiny demo must reach every step.
    uptake = answers["uptake"]
    assert all(row["value"] > 0 for row in uptake["active_users"])
    assert [row["step"] for row in uptake["funnel"]] == [1, 2, 3]
    assert uptake["funnel"][2]["entities"] > 0
    assert any(row["users"] > 0 for row in uptake["feature_adoption"])
    assert len(uptake["feature_adoption"]) == 8
    assert any(row["retained"] > 0 and row["period"] > 0 for row in uptake["retention"])
    assert sum(row["entities"] for row in uptake["stickiness"]) > 0
    assert len(uptake["stickiness"]) == 28  # days active out of the last 4 whole weeks
    assert {row["status"] for row in uptake["lifecycle"] if row["count"] != 0} >= {
        "returning",
        "dormant",
    }


@pytest.mark.parametrize("kpi", KPIS)
@pytest.mark.parametrize("tool", [t for t in TOOLS if t != "uptake"])
def test_every_implementation_gives_uptakes_answer(
    answers: dict[str, dict[str, list[Row]]], tool: str, kpi: str
) -> None:
    assert mismatches(answers["uptake"][kpi], answers[tool][kpi]) == []


def test_a_tool_runs_in_its_own_process_with_cold_and_warm_runs(data: Dataset) -> None:
    run = run_tool("polars", data.folder, ["stickiness"], Limits(repeat=2, timeout_seconds=120))
    stickiness = run.kpis["stickiness"]
    assert (run.failure, stickiness.status, len(stickiness.seconds)) == (None, "ok", 3)
    assert stickiness.rows is not None and len(stickiness.rows) == 28
    assert run.peak_rss_bytes > 0 and len(run.load_seconds) == 1


def test_a_run_past_the_timeout_is_stopped_and_reported(data: Dataset) -> None:
    # 0.05 s is less than the process needs to start Python: it is killed while loading.
    run = run_tool("pandas", data.folder, ["active_users"], Limits(timeout_seconds=0.05))
    assert run.failure == "timed out after 0.05 s while loading"
    assert run.kpis == {}
