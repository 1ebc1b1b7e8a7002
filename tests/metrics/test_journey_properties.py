"""Journey invariants on random small stories (DuckDB only): stage entries equal a small
reference implementation of the documented rules, entered never rises along the stages, and
the current counts add up to the units that entered the first stage."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import date, day, journeys
from uptake.metrics.journey_stages import stage_entries, unit_table
from uptake.service import compute

# Events over days 0-9 at whole hours; "x" is passive (not activity).
DEFINITIONS = {
    "activity": {"events": ["*"], "exclude": ["x"]},
    "journeys": [
        {
            "name": "J",
            "stages": [
                {"name": "Seen", "criteria": [{"events": ["*"]}]},
                {
                    "name": "Two a",
                    "criteria": [{"events": ["a"], "min_count": 2, "within_days": 2}],
                },
                {
                    "name": "Two days",
                    "criteria": [
                        {"active": True, "count": "days", "min_count": 2, "within_days": 3}
                    ],
                },
                {"name": "Later b", "criteria": [{"events": ["b"], "after_previous_days": 1}]},
            ],
        }
    ],
}
TO = 9
END = day(TO + 1, 0)
RANGE = {"journey": "J", "from": str(date(0)), "to": str(date(TO))}

stories = st.dictionaries(
    st.sampled_from(["u0", "u1", "u2", "u3", "u4"]),
    st.lists(st.tuples(st.sampled_from(("a", "b", "x")), st.integers(0, 24 * 11 - 1)), max_size=9),
    min_size=1,
)


def _at(hours: int) -> dt.datetime:
    return day(0, 0) + dt.timedelta(hours=hours)


def _counted(times: list[dt.datetime], n: int, within: dt.timedelta | None) -> dt.datetime | None:
    """The n-th of a run of n times spanning at most `within` (None: any span)."""
    times = sorted(times)
    for k in range(n - 1, len(times)):
        if within is None or times[k] - times[k - n + 1] <= within:
            return times[k]
    return None


def _two_days(times: list[dt.datetime]) -> dt.datetime | None:
    """The first event of the 2nd of 2 distinct days at most 3 calendar days apart."""
    firsts: dict[dt.date, dt.datetime] = {}
    for t in sorted(times):
        firsts.setdefault(t.date(), t)
    days = sorted(firsts)
    for k in range(1, len(days)):
        if (days[k] - days[k - 1]).days <= 2:
            return firsts[days[k]]
    return None


def reference(events: list[tuple[str, dt.datetime]]) -> list[dt.datetime]:
    """The documented rules, for one user: each stage at the latest of its criterion's time and
    the previous stage's entry; only events before the end of `to`."""
    events = [(name, t) for name, t in events if t < END]
    entered: list[dt.datetime] = []
    seen = _counted([t for _, t in events], 1, None)
    if seen is None:
        return entered
    entered.append(seen)
    two_a = _counted([t for n, t in events if n == "a"], 2, dt.timedelta(days=2))
    if two_a is None:
        return entered
    entered.append(max(entered[-1], two_a))
    two_days = _two_days([t for n, t in events if n != "x"])
    if two_days is None:
        return entered
    entered.append(max(entered[-1], two_days))
    later = _counted(
        [t for n, t in events if n == "b" and t >= entered[-1] + dt.timedelta(1)], 1, None
    )
    if later is None:
        return entered
    entered.append(max(entered[-1], later))
    return entered


@settings(max_examples=25, deadline=None)
@given(paths=stories)
def test_stage_entries_follow_the_documented_rules(paths):
    story = journeys({u: [(name, _at(h)) for name, h in steps] for u, steps in paths.items()})
    with duckdb_tables(story, DEFINITIONS) as tables:
        journey = tables.definitions.journey("J")
        expr = stage_entries(tables, journey, "user", date(TO), unit_table(tables, "user"))
        got: dict[str, list[dt.datetime]] = {}
        for row in sorted(expr.to_pyarrow().to_pylist(), key=lambda r: r["stage_index"]):
            got.setdefault(row["entity"], []).append(row["entered_at"])
    expected = {}
    for user_id, steps in paths.items():
        entered = reference([(name, _at(h)) for name, h in steps])
        if entered:
            expected[user_id] = entered
    assert got == expected


@settings(max_examples=25, deadline=None)
@given(paths=stories, stalled_after_days=st.integers(1, 5))
def test_funnel_counts_never_rise_and_current_counts_add_up(paths, stalled_after_days):
    story = journeys({u: [(name, _at(h)) for name, h in steps] for u, steps in paths.items()})
    spec = {**RANGE, "stalled_after_days": stalled_after_days}
    with duckdb_tables(story, DEFINITIONS) as tables:
        funnel = compute({"kind": "journey_funnel", **spec}, tables)
        members = compute({"kind": "journey_members", **spec}, tables)
    entered = funnel.column("entered")
    assert all(later <= earlier for earlier, later in itertools.pairwise(entered))
    assert sum(funnel.column("current")) == entered[0]
    # The members list is the funnel's current and stalled, unit by unit.
    per_stage = [0] * len(entered)
    stalled = [0] * len(entered)
    for row in members.rows:
        per_stage[row["stage_index"] - 1] += 1
        stalled[row["stage_index"] - 1] += row["stalled"]
        assert row["stalled"] == (
            row["stage_index"] < 4 and row["days_in_stage"] > stalled_after_days
        )
    assert per_stage == funnel.column("current")
    assert stalled == funnel.column("stalled")
    assert all(
        s <= c for s, c in zip(funnel.column("stalled"), funnel.column("current"), strict=True)
    )
