"""Ordered and strict funnels: every step-1 event starts an attempt; each entity counts by its
furthest attempt (the earliest one when several tie).

Ordered attempts are matched greedily: from the step-1 event, the first step-2 event after it,
then the first step-3 event after that, and so on. Taking the earliest match is never worse
for the later steps, and the window only ever closes, so greedy finds the furthest reach of
each attempt. Strict attempts need no search: step k+1 must be the very next event.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from uptake.metrics.funnel_events import step_flag, walk_order

# Attempts are ranked by one number: (steps missed) * 2^40 + ordinal of the first step.
# Ordinals count an entity's events in the range; 2^40 of them is out of reach.
_ORDINAL_SPAN = 2**40


def step_time(step: int) -> str:
    """Name of the column holding when an attempt reached `step` (null: it did not)."""
    return f"at_{step}"


def seconds_to(step: int) -> str:
    """Name of the column holding the seconds from step `step - 1` to `step`."""
    return f"seconds_to_{step}"


def _seen(step: int) -> str:
    return f"seen_{step}"


def ordered_attempts(rows: ibis.Table, steps: int, window: ir.IntervalValue) -> ibis.Table:
    """Rows (entity, start, at_1..at_n): one attempt per step-1 event; `at_k` is when the
    attempt reached step k within `window` of its step-1 event (inclusive), else null.

    A later step may share the previous step's timestamp but must be a later event in
    `walk_order`, so one event never counts for two steps.
    """
    # One sorted pass numbers each step's events: seen_j counts the entity's step-j events
    # up to and including this one. "The first step-j event after this one" is then the
    # step-j event numbered seen_j + 1, so chaining an attempt from step to step takes only
    # equality joins on (entity, number), never a range join or a second sort. Step 1 needs no
    # count: an attempt is ranked by its event's position in the walk. On DuckDB a filtered
    # count is cheaper than a sum of casts and a row number cheaper still (the window over the
    # 10M benchmark's 503k step events: 0.43 s of CPU instead of 0.59 s).
    walk = ibis.window(group_by=rows.entity, order_by=walk_order(rows), rows=(None, 0))
    rows = rows.mutate(
        position=ibis.row_number().over(walk),
        **{_seen(j): rows.count(where=rows[step_flag(j)]).over(walk) for j in range(2, steps + 1)},
    )
    starts = rows.filter(rows[step_flag(1)])
    attempts = starts.select(
        entity=starts.entity,
        start=starts.position,
        deadline=starts.timestamp + window,
        wanted=starts[_seen(2)] + 1,
        **{step_time(1): starts.timestamp},
    )
    for k in range(2, steps + 1):
        hop = rows.filter(rows[step_flag(k)]).select(
            hop_entity=rows.entity,
            hop_seen=rows[_seen(k)],
            hop_at=rows.timestamp,
            hop_wants=rows[_seen(k + 1)] + 1 if k < steps else ibis.null("int64"),
        )
        # A view, so that Ibis starts a new join instead of extending the previous chain
        # (where these predicates would not resolve).
        a = attempts.view()
        joined = a.left_join(hop, (a.entity == hop.hop_entity) & (a.wanted == hop.hop_seen))
        # Past the deadline the attempt stops: later steps only come later still. A null
        # `wanted` matches nothing, so the steps after stay null too.
        in_time = joined.hop_at <= joined.deadline
        attempts = joined.select(
            *[joined[c] for c in attempts.columns if c != "wanted"],
            wanted=ibis.cases((in_time, joined.hop_wants)),
            **{step_time(k): ibis.cases((in_time, joined.hop_at))},
        )
    return attempts.select("entity", "start", *[step_time(k) for k in range(1, steps + 1)])


def strict_attempts(rows: ibis.Table, steps: int, window: ir.IntervalValue) -> ibis.Table:
    """Rows (entity, start, at_1..at_n) for strict funnels: step k+1 must be the entity's very
    next event after step k (`rows` holds every event, not only step events), within `window`
    of the step-1 event (inclusive)."""
    walk = ibis.window(group_by=rows.entity, order_by=walk_order(rows))
    following = {}
    for k in range(1, steps):
        following[f"then_matches_{k}"] = rows[step_flag(k + 1)].lead(k).over(walk)
        following[f"then_at_{k}"] = rows.timestamp.lead(k).over(walk)
    rows = rows.mutate(position=ibis.row_number().over(walk), **following)

    starts = rows.filter(rows[step_flag(1)])
    deadline = starts.timestamp + window
    unbroken: ir.BooleanValue = ibis.literal(True)
    times = {step_time(1): starts.timestamp}
    for k in range(1, steps):
        then_at = starts[f"then_at_{k}"]
        unbroken = unbroken & starts[f"then_matches_{k}"].fill_null(False) & (then_at <= deadline)
        times[step_time(k + 1)] = ibis.cases((unbroken, then_at))
    return starts.select(entity=starts.entity, start=starts.position, **times)


def best_attempts(attempts: ibis.Table, steps: int) -> ibis.Table:
    """Rows (entity, reached, seconds_to_2..seconds_to_n): each entity's furthest attempt (the
    earliest of those that tie), how many steps it reached, and the seconds between its
    consecutive steps (null beyond `reached`)."""
    reached = sum(
        (attempts[step_time(k)].notnull().cast("int64") for k in range(2, steps + 1)),
        start=ibis.literal(1, "int64"),
    )
    attempts = attempts.mutate(reached=reached)
    rank = (steps - attempts.reached) * _ORDINAL_SPAN + attempts.start
    seconds = {
        seconds_to(k): (
            attempts[step_time(k)].delta(attempts[step_time(k - 1)], unit="microsecond") / 1e6
        ).argmin(rank)
        for k in range(2, steps + 1)
    }
    return attempts.group_by("entity").agg(reached=attempts.reached.max(), **seconds)
