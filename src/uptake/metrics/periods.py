"""Calendar periods in UTC: day, week (Sunday or Monday start) and month buckets."""

from __future__ import annotations

import datetime as dt
from typing import Literal, assert_never

import ibis
import ibis.expr.types as ir

Period = Literal["day", "week", "month"]
WeekStart = Literal["sunday", "monday"]

# date_trunc('week') is Monday-based on every engine; shifting by one day makes Sunday weeks.
_SHIFT = {"sunday": 1, "monday": 0}


def bucket(
    value: ir.DateValue | ir.TimestampValue, period: Period, week_start: WeekStart
) -> ir.DateValue:
    """The first day of the period that `value` falls in, as a date.

    To group rows by period, `period_number` is cheaper (an integer key, no timestamp
    arithmetic); this is for metrics that need the date itself.
    """
    day = value.date() if isinstance(value, ir.TimestampValue) else value
    match period:
        case "day":
            return day
        case "week":
            shift = _SHIFT[week_start]
            if shift == 0:
                return day.truncate("W").cast("date")
            moved = day + ibis.interval(days=shift)
            return (moved.truncate("W").cast("date") - ibis.interval(days=shift)).cast("date")
        case "month":
            return day.truncate("M").cast("date")


def period_start(day: dt.date, period: Period, week_start: WeekStart) -> dt.date:
    """Python twin of `bucket` for one date."""
    match period:
        case "day":
            return day
        case "week":
            # Monday = 0 ... Sunday = 6
            back = day.weekday() if week_start == "monday" else (day.weekday() + 1) % 7
            return day - dt.timedelta(days=back)
        case "month":
            return day.replace(day=1)


def next_period(start: dt.date, period: Period) -> dt.date:
    """The first day of the period after the one starting at `start`."""
    match period:
        case "day":
            return start + dt.timedelta(days=1)
        case "week":
            return start + dt.timedelta(days=7)
        case "month":
            return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def period_starts(
    date_from: dt.date, date_to: dt.date, period: Period, week_start: WeekStart
) -> list[dt.date]:
    """Starts of every period that overlaps [date_from, date_to] (both inclusive)."""
    out = []
    start = period_start(date_from, period, week_start)
    while start <= date_to:
        out.append(start)
        start = next_period(start, period)
    return out


def periods_between(a: dt.date, b: dt.date, period: Period) -> int:
    """Whole periods from the period starting at `a` to the one starting at `b` (both starts)."""
    match period:
        case "day":
            return (b - a).days
        case "week":
            return (b - a).days // 7
        case "month":
            return (b.year - a.year) * 12 + (b.month - a.month)


# Day 0 of the period numbers: a Sunday and a Monday, so that weeks start on a multiple of 7.
_EPOCH = {"sunday": dt.date(1899, 12, 31), "monday": dt.date(1900, 1, 1)}


def period_number(
    value: ir.DateValue | ir.TimestampValue, period: Period, week_start: WeekStart
) -> ir.IntegerValue:
    """The period `value` falls in as an integer (days or weeks since 1900, months since year
    0); the period after is the next integer.

    Metrics group and sort by this instead of `bucket`'s first day: DuckDB computes that day as
    a TIMESTAMP (date_trunc), which made distinct (entity, period) about 1.4x slower on 5M rows.
    """
    day = value.date() if isinstance(value, ir.TimestampValue) else value
    epoch = ibis.date(_EPOCH[week_start].isoformat())
    match period:
        case "day":
            return day.delta(epoch, unit="day")
        case "week":
            return day.delta(epoch, unit="day") // 7
        case "month":
            return day.year() * 12 + day.month() - 1
        case _:
            assert_never(period)


def period_number_of(day: dt.date, period: Period, week_start: WeekStart) -> int:
    """Python twin of `period_number` for one date."""
    match period:
        case "day":
            return (day - _EPOCH[week_start]).days
        case "week":
            return (day - _EPOCH[week_start]).days // 7
        case "month":
            return day.year * 12 + day.month - 1
        case _:
            assert_never(period)


def previous_period_start(start: dt.date, period: Period, week_start: WeekStart) -> dt.date:
    """The first day of the period just before the one starting at `start`."""
    return period_start(start - dt.timedelta(days=1), period, week_start)
