"""How numbers read, in the terminal report and on the dashboard alike: counts with thousands
separators, rates as percents, times in hours or days, changes in points for rates and scores."""

from __future__ import annotations

import datetime as dt
from typing import Literal

Format = Literal[
    "count", "number", "percent", "fraction", "hours", "days", "score", "date", "text"
]  # fmt: skip
MISSING = "—"


def format_value(value: object, fmt: Format) -> str:
    """One value as text: `percent` is already 0-100, `fraction` is 0-1; None is a dash."""
    if value is None:
        return MISSING
    if fmt == "text" or isinstance(value, str):
        return str(value)
    if fmt == "date" or isinstance(value, dt.date):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    match fmt:
        case "count":
            return f"{value:,.0f}"
        case "percent":
            return f"{value:.1f}%"
        case "fraction":
            return f"{value * 100:.1f}%"
        case "hours":
            return f"{value / 24:.1f} d" if value >= 48 else f"{value:.1f} h"
        case "days":
            return f"{value:,.1f} d"
        case "score":
            return f"{value:+.0f}" if value else "0"
        case _:
            return f"{value:,.1f}"


def format_change(change: float | None, previous: float | None, fmt: Format) -> str | None:
    """The change against the previous period: points for rates and scores (a relative change
    of a rate or of NPS means little), percent for counts; None when there is none."""
    if change is None:
        return None
    if fmt in ("percent", "fraction", "score"):
        points = change * (100 if fmt == "fraction" else 1)
        return f"{points:+.1f} pts"
    if previous:
        return f"{change / abs(previous) * 100:+.0f}%"
    return f"{change:+,.1f}"
