"""Unordered funnels: how many distinct steps each entity completed, in any order, within one
conversion window."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from uptake.metrics.funnel_events import step_flag


def unordered_reach(rows: ibis.Table, steps: int, window: ir.IntervalValue) -> ibis.Table:
    """Rows (entity, reached): the most steps an entity completed within `window` of one of its
    step events (the anchor; inclusive at both ends).

    From each anchor, a step counts when some event in [anchor time, anchor time + window]
    matches it, and never more steps count than there are such events: one event cannot
    complete two steps by itself. That is exact whenever no event matches two steps; when
    some do, it can overcount (see docs/metrics.md, "Funnels").
    """
    span = ibis.range_window(
        group_by=rows.entity, order_by=rows.timestamp, preceding=0, following=window
    )
    found = sum(
        (rows[step_flag(j)].cast("int64").max().over(span) for j in range(1, steps + 1)),
        start=ibis.literal(0, "int64"),
    )
    events = rows.timestamp.count().over(span)
    anchors = rows.select(entity=rows.entity, reached=ibis.least(found, events))
    return anchors.group_by("entity").agg(reached=anchors.reached.max())
