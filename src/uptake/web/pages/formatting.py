"""How numbers read on the pages: the value and change formats shared with `uptake report`
(uptake/number_format.py), plus the tone of a change and the keys tables sort by."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from uptake.number_format import MISSING, Format, format_change, format_value

__all__ = [
    "MISSING",
    "Format",
    "Tone",
    "change_tone",
    "format_change",
    "format_value",
    "sort_key",
]

Tone = Literal["better", "worse", "same"]


def change_tone(change: float | None, higher_is_better: bool) -> Tone | None:
    """Whether a change is good news, bad news or none (colour is never the only signal: the
    page also shows an arrow and the sign)."""
    if change is None:
        return None
    if change == 0:
        return "same"
    return "better" if (change > 0) == higher_is_better else "worse"


def sort_key(value: object) -> str | float | None:
    """The value tables sort by on the client (numbers as numbers, the rest as text)."""
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
