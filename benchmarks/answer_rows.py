"""Answers shaped as uptake's rows from the counts the pandas and polars implementations
compute their own way, so only the counting differs between them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from benchmarks.specs import FUNNEL_STEPS, RETENTION_PERIODS

Row = dict[str, Any]


def retention_rows(
    first: dt.date,
    weeks: int,
    sizes: Mapping[int, int],
    returned: Mapping[tuple[int, int], int],
) -> list[Row]:
    """Retention rows from cohort sizes by cohort index and returners by (cohort index,
    period): the triangle (cells whose week starts after `to` left out), then one weighted mean
    row per period."""
    cells = []
    for i in range(weeks):
        size = int(sizes.get(i, 0))
        for k in range(min(RETENTION_PERIODS, weeks - 1 - i) + 1):
            kept = size if k == 0 else int(returned.get((i, k), 0))
            cells.append((first + dt.timedelta(days=7 * i), size, k, kept))
    rows = [_row(cohort, size, k, kept, False) for cohort, size, k, kept in cells]
    for k in range(RETENTION_PERIODS + 1):
        at_k = [c for c in cells if c[2] == k]
        rows.append(_row(None, sum(c[1] for c in at_k), k, sum(c[3] for c in at_k), True))
    return rows


def _row(cohort: dt.date | None, size: int, period: int, retained: int, is_mean: bool) -> Row:
    return {
        "cohort": cohort,
        "cohort_size": size,
        "period": period,
        "retained": retained,
        "retention_rate": retained / size if size else None,
        "is_mean": is_mean,
    }


def funnel_rows(entities: list[int], times: Mapping[int, tuple[Any, Any]]) -> list[Row]:
    """Funnel rows from the entities reaching each step (1-based list) and the (average, median)
    seconds from the previous step for steps 2 and 3 (used only when someone reached it)."""
    rows = []
    for k in range(1, len(FUNNEL_STEPS) + 1):
        n, previous, first_n = entities[k - 1], entities[max(k - 2, 0)], entities[0]
        lost = previous - n
        average, median = (float(t) for t in times[k]) if k > 1 and n > 0 else (None, None)
        rows.append(
            {
                "step": k,
                "step_name": FUNNEL_STEPS[k - 1],
                "entities": n,
                "conversion_rate": n / previous if previous else None,
                "overall_conversion_rate": n / first_n if first_n else None,
                "drop_off": lost,
                "drop_off_rate": lost / previous if previous else None,
                "average_seconds_from_previous": average,
                "median_seconds_from_previous": median,
            }
        )
    return rows
