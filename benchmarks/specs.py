"""The six benchmark KPIs as uptake JSON specs, over the last whole Sunday-start weeks of the data.

Every implementation (uptake, hand-written SQL, pandas, polars) reads its dates from these
specs, so they all answer exactly the same question.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

KPIS: tuple[str, ...] = (
    "active_users",
    "feature_adoption",
    "retention",
    "funnel",
    "stickiness",
    "lifecycle",
)

SATURDAY = 5  # date.weekday() of Saturday (Monday = 0)
FUNNEL_STEPS = ("login", "opportunity_created", "opportunity_won")
RETENTION_PERIODS = 12


def last_whole_week_end(end: dt.date) -> dt.date:
    """The Saturday that ends the last whole Sunday-start week on or before `end`."""
    return end - dt.timedelta(days=(end.weekday() - SATURDAY) % 7)


def weeks_before(last: dt.date, weeks: int) -> dict[str, str]:
    """`from` / `to` (inclusive ISO dates) of the `weeks` whole weeks ending on `last`."""
    first = last - dt.timedelta(days=7 * weeks - 1)
    return {"from": first.isoformat(), "to": last.isoformat()}


def kpi_specs(end: dt.date) -> dict[str, dict[str, Any]]:
    """The six KPI specs for data whose last day is `end`, keyed by KPI name.

    Active users, feature adoption, the funnel and lifecycle cover the last 12 whole weeks;
    retention the last 24 (12 periods after each cohort); stickiness counts days active out of
    the last 28 (4 whole weeks, period="day").
    """
    last = last_whole_week_end(end)
    w12, w24, w4 = weeks_before(last, 12), weeks_before(last, 24), weeks_before(last, 4)
    return {
        "active_users": {"kind": "trend", "measure": "unique", "period": "week", **w12},
        "feature_adoption": {"kind": "feature_adoption", **w12},
        "retention": {
            "kind": "retention",
            "cohort": "first_time",
            "retention": "on",
            "period": "week",
            "periods": RETENTION_PERIODS,
            **w24,
        },
        "funnel": {
            "kind": "funnel",
            "steps": [{"events": [name]} for name in FUNNEL_STEPS],
            "order": "ordered",
            "conversion_window": 14,
            "conversion_window_unit": "day",
            **w12,
        },
        "stickiness": {"kind": "stickiness", "period": "day", **w4},
        "lifecycle": {"kind": "lifecycle", "period": "week", **w12},
    }


def date_range(spec: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The spec's inclusive (`from`, `to`) dates."""
    return dt.date.fromisoformat(spec["from"]), dt.date.fromisoformat(spec["to"])
