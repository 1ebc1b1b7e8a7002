"""Counting first occurrences per period: new ones in each period and the running total."""

from __future__ import annotations

import datetime as dt

import ibis

from uptake.metrics.periods import Period, WeekStart, bucket


def count_by_period(
    rows: ibis.Table,
    frame: ibis.Table,
    by: list[str],
    date_from: dt.date,
    date_to: dt.date,
    period: Period,
    week_start: WeekStart,
) -> ibis.Table:
    """Rows (period, *by, new, cumulative) for each row of `frame`, from rows (entity, at, *by):
    `new` counts entities whose `at` falls in the period and in [date_from, date_to];
    `cumulative` counts those whose `at` is on or before the period's last day inside the range
    (all history before `date_from` included)."""
    day = rows.at.date()
    start = ibis.date(date_from.isoformat())
    # Entities before the range seed the running total; a window sum then adds each period's
    # new ones, so no period x entity cross join is needed.
    prior = (
        rows.group_by(by).agg(prior=rows.entity.nunique(where=day < start))
        if by
        else rows.aggregate(prior=rows.entity.nunique(where=day < start))
    )
    inside = rows.filter(day >= start, day <= ibis.date(date_to.isoformat()))
    inside = inside.mutate(period=bucket(inside.at.date(), period, week_start))
    new = inside.group_by(["period", *by]).agg(new=inside.entity.nunique())

    joined = frame.left_join(new, [frame.period == new.period, *[frame[c] == new[c] for c in by]])
    counted = joined.select(joined.period, *[joined[c] for c in by], new=joined.new.fill_null(0))
    if by:
        seeded = counted.left_join(prior, [counted[c] == prior[c] for c in by])
        seeded = seeded.select(
            seeded.period, *[seeded[c] for c in by], seeded.new,
            prior=seeded.prior.fill_null(0),
        )  # fmt: skip
    else:
        seeded = counted.cross_join(prior)
    running = seeded.new.sum().over(
        ibis.window(group_by=by or None, order_by="period", rows=(None, 0))
    )
    return seeded.select("period", *by, "new", cumulative=(seeded.prior + running).cast("int64"))
