"""Period spines: one row per period of the range, so empty periods show as zeros."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis

from uptake.metrics.periods import Period, WeekStart, next_period, period_number_of, period_starts


def period_spine(
    date_from: dt.date, date_to: dt.date, period: Period, week_start: WeekStart
) -> ibis.Table:
    """Rows (period, period_end, days): each period overlapping the range, its last day inside
    the range (`period_end`, inclusive) and how many of its days are inside the range."""
    return _spine(date_from, date_to, period, week_start, numbered=False)


def numbered_spine(
    date_from: dt.date, date_to: dt.date, period: Period, week_start: WeekStart
) -> ibis.Table:
    """`period_spine` (period, period_end, days) with each period's `number` (see
    `period_number`), so that values grouped by number join it without computing dates."""
    return _spine(date_from, date_to, period, week_start, numbered=True)


def _spine(
    date_from: dt.date, date_to: dt.date, period: Period, week_start: WeekStart, numbered: bool
) -> ibis.Table:
    starts = period_starts(date_from, date_to, period, week_start)
    ends = [min(next_period(s, period) - dt.timedelta(days=1), date_to) for s in starts]
    days = [(e - max(s, date_from)).days + 1 for s, e in zip(starts, ends, strict=True)]
    columns: dict[str, list[Any]] = {"period": starts, "period_end": ends, "days": days}
    schema = {"period": "date", "period_end": "date", "days": "int64"}
    if numbered:
        columns["number"] = [period_number_of(s, period, week_start) for s in starts]
        schema["number"] = "int64"
    return ibis.memtable(columns, schema=schema)


def fill_periods(
    values: ibis.Table,
    spine: ibis.Table,
    value_columns: list[str],
    by: list[str],
    on: str = "period",
) -> ibis.Table:
    """Left-join `values` (keyed by `on` and `by`) onto every period x `by` combination seen,
    filling missing values with 0, ordered by period then `by`.

    `on` is `period` (the first day) or `number` (values grouped by `period_number`, joined to
    a `numbered_spine`); the result has `period` either way.
    """
    frame = spine.select("period") if on == "period" else spine.select("period", on)
    if by:
        keys = values.select(*by).distinct()
        frame = frame.cross_join(keys)
    conds = [frame[on] == values[on]] + [frame[c] == values[c] for c in by]
    joined = frame.left_join(values, conds)
    out = joined.select(
        joined.period,
        *[joined[c] for c in by],
        *[joined[c].fill_null(0).name(c) for c in value_columns],
    )
    return out.order_by(["period", *by])


def period_frame(spine: ibis.Table, by: list[str], *sources: ibis.Table) -> ibis.Table:
    """Rows (period, *by): every period of the spine crossed with every `by` combination seen in
    any of `sources` (just the periods when `by` is empty)."""
    frame = spine.select("period")
    if not by:
        return frame
    keys = ibis.union(*(s.select(*by) for s in sources), distinct=True)
    return frame.cross_join(keys)
