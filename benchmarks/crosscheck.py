"""Comparing answers: every tool's rows must equal uptake's, integers exactly and other numbers
to 1e-9 (relative, or absolute near zero)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Row = dict[str, Any]
TOLERANCE = 1e-9
MAX_REPORTED = 5  # mismatching cells listed per KPI; the count covers them all


def plain(value: Any) -> Any:
    """A JSON-ready value: dates as ISO text, numpy scalars as Python, NaN / NaT as None."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value.__class__.__name__ in ("NaTType", "NAType"):
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return plain(value.to_pydatetime())
    return value


def plain_rows(rows: Sequence[Row]) -> list[Row]:
    """Rows with every value made plain (see `plain`)."""
    return [{k: plain(v) for k, v in row.items()} for row in rows]


def _same(expected: Any, actual: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(expected == actual)
    if isinstance(expected, int) and isinstance(actual, int | float):
        return float(actual).is_integer() and int(actual) == expected
    if isinstance(expected, float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return bool(expected == actual)


def mismatches(expected: Sequence[Row], actual: Sequence[Row]) -> list[str]:
    """Differences between two answers (plain rows, in order), as readable lines; empty when
    they agree. The first MAX_REPORTED differing cells are listed, then a count."""
    if not expected or not actual:
        return [] if len(expected) == len(actual) else [f"{len(actual)} rows, want {len(expected)}"]
    out: list[str] = []
    if list(expected[0]) != list(actual[0]):
        out.append(f"columns {list(actual[0])}, want {list(expected[0])}")
        return out
    if len(expected) != len(actual):
        out.append(f"{len(actual)} rows, want {len(expected)}")
    cells = 0
    for i, (want, got) in enumerate(zip(expected, actual, strict=False)):
        for column, value in want.items():
            if not _same(value, got.get(column)):
                cells += 1
                if cells <= MAX_REPORTED:
                    out.append(f"row {i} {column}: {got.get(column)!r}, want {value!r}")
    if cells > MAX_REPORTED:
        out.append(f"... {cells} differing cells in all")
    return out
