"""Funnel invariants on random small stories, against a small reference implementation of
the documented rules (ordered, strict, unordered)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import date, day, journeys
from uptake.service import compute

# Properties on random small stories (DuckDB only: they run many queries). Hours 22-40 run
# from day 0 22:00 to day 1 16:00 and the range starts on day 1, so some events fall before
# it. Names repeat, hours collide and windows are a few whole hours, so steps sharing an
# instant, events matching several steps and steps exactly at the window's end all occur.
NAMES = ("a", "b", "c", "x")
RANDOM_RANGE = {"from": str(date(1)), "to": str(date(2))}
IN_RANGE_HOURS = range(24, 72)

stories = st.dictionaries(
    st.sampled_from(["u0", "u1", "u2", "u3"]),
    st.lists(st.tuples(st.sampled_from(NAMES), st.integers(22, 40)), max_size=10),
    min_size=1,
)
step_lists = st.lists(st.sampled_from(("a", "b", "c")), min_size=2, max_size=4)


def _walk(events, steps):
    """An entity's events sorted as the funnel walks them: by time, then funnel order."""
    n = len(steps)

    def key(name):
        return sum(2 ** (n - 1 - j) for j, s in enumerate(steps) if s == name)

    return sorted(events, key=lambda e: (e[1], -key(e[0])))


def _ordered_reach(seq, steps, window):
    """Brute force: the most steps any increasing choice of events reaches from a step-1
    event, each within `window` hours of it."""

    def deeper(pos, done, start):
        if done == len(steps):
            return done
        return max([done] + [
            deeper(j, done + 1, start) for j in range(pos + 1, len(seq))
            if seq[j][0] == steps[done] and seq[j][1] <= start + window
        ])  # fmt: skip

    return max([0] + [deeper(i, 1, t) for i, (name, t) in enumerate(seq) if name == steps[0]])


def _strict_reach(seq, steps, window):
    best = 0
    for i, (name, start) in enumerate(seq):
        if name != steps[0]:
            continue
        done = 1
        while (
            done < len(steps)
            and i + done < len(seq)
            and seq[i + done][0] == steps[done]
            and seq[i + done][1] <= start + window
        ):
            done += 1
        best = max(best, done)
    return best


def _matching(steps, names):
    """Maximum matching of steps to distinct events (augmenting paths)."""
    owner: dict[int, int] = {}

    def place(step, seen):
        for e, name in enumerate(names):
            if name == steps[step] and e not in seen:
                seen.add(e)
                if e not in owner or place(owner[e], seen):
                    owner[e] = step
                    return True
        return False

    return sum(place(s, set()) for s in range(len(steps)))


def _unordered_reach(events, steps, window):
    anchors = [t for name, t in events if name in steps]
    return max([0] + [
        _matching(steps, [name for name, t in events if a <= t <= a + window and name in steps])
        for a in anchors
    ])  # fmt: skip


def _counts(reaches, steps):
    return [sum(r >= k for r in reaches) for k in range(1, len(steps) + 1)]


@settings(max_examples=25, deadline=None)
@given(paths=stories, steps=step_lists, window_hours=st.sampled_from([1, 2, 3, 6]))
def test_funnel_properties_on_duckdb(paths, steps, window_hours):
    story = journeys({u: [(name, day(h // 24, h % 24)) for name, h in evs]
                      for u, evs in paths.items()})  # fmt: skip
    spec = {"kind": "funnel", "steps": steps, **RANDOM_RANGE, "conversion_window": window_hours,
            "conversion_window_unit": "hour"}  # fmt: skip
    with duckdb_tables(story) as tables:
        got = {order: compute(spec | {"order": order}, tables).column("entities")
               for order in ("ordered", "strict", "unordered")}  # fmt: skip

    for counts in got.values():
        assert all(a >= b for a, b in itertools.pairwise(counts))  # never rise
    assert all(s <= o for s, o in zip(got["strict"], got["ordered"], strict=True))
    assert all(u >= o for u, o in zip(got["unordered"], got["ordered"], strict=True))
    starters = {u for u, evs in paths.items()
                for name, h in evs if name == steps[0] and h in IN_RANGE_HOURS}  # fmt: skip
    assert got["ordered"][0] == len(starters)

    # The same numbers from brute force over each user's events in the range.
    in_range = {
        u: [(name, h) for name, h in evs if h in IN_RANGE_HOURS] for u, evs in paths.items()
    }
    ordered = [_ordered_reach(_walk([e for e in evs if e[0] in steps], steps), steps, window_hours)
               for evs in in_range.values()]  # fmt: skip
    strict = [_strict_reach(_walk(evs, steps), steps, window_hours) for evs in in_range.values()]
    unordered = [_unordered_reach(evs, steps, window_hours) for evs in in_range.values()]
    assert got["ordered"] == _counts(ordered, steps)
    assert got["strict"] == _counts(strict, steps)
    if len(set(steps)) == len(steps):
        # No event can match two steps: the unordered count is an exact matching.
        assert got["unordered"] == _counts(unordered, steps)
    else:
        assert all(g >= b for g, b in zip(got["unordered"], _counts(unordered, steps), strict=True))
