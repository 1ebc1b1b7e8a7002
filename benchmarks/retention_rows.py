"""The retention answer's rows from counts, shared by the pandas and polars implementations:
the triangle (cohort x period, cells whose week starts after `to` left out), then one weighted
mean row per period, in uptake's columns and order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from benchmarks.specs import RETENTION_PERIODS

Row = dict[str, Any]


def retention_rows(
    first: dt.date,
    weeks: int,
    sizes: Mapping[int, int],
    returned: Mapping[tuple[int, int], int],
) -> list[Row]:
    """Rows from cohort sizes by cohort index and returners by (cohort index, period)."""
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
