"""What the funnel tests share: the default range, a spec builder and readers of a result
(rows as tuples, floats compared approximately)."""

from __future__ import annotations

import pytest

from tests.stories import date

# Days 0-13 (Sun Jan 4 - Sat Jan 17), so a 14-day window from any step-1 event fits.
RANGE = {"from": str(date(0)), "to": str(date(13))}


def funnel(steps, **extra):
    return {"kind": "funnel", "steps": steps, **RANGE, **extra}


def table(result):
    """Rows as tuples: (step, step_name, entities, conversion_rate, overall_conversion_rate,
    drop_off, drop_off_rate, average_seconds_from_previous, median_seconds_from_previous),
    led by the breakdown when there is one."""
    return [tuple(row.values()) for row in result.rows]


def approx(rows):
    return [pytest.approx(row) for row in rows]
