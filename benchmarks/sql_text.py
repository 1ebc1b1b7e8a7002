"""SQL literals for the hand-written queries: dates, timestamps, text and name lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def date(day: dt.date) -> str:
    """A SQL DATE literal."""
    return f"DATE '{day.isoformat()}'"


def midnight(day: dt.date) -> str:
    """A SQL TIMESTAMP literal for 00:00 of `day`."""
    return f"TIMESTAMP '{day.isoformat()} 00:00:00'"


def names(values: Iterable[str]) -> str:
    """A parenthesized list of string literals, for IN (...)."""
    return "(" + ", ".join(text(v) for v in values) + ")"


def week_of(day_sql: str) -> str:
    """The Sunday starting the week of a DATE expression (DuckDB: dayofweek(Sunday) = 0)."""
    return f"({day_sql} - CAST(dayofweek({day_sql}) AS INTEGER))"
