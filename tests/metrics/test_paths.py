"""Paths: every edge count and share of a small story worked out by hand, after and before the
anchor, with and without collapsed repeats, "(end)", "(other)" with ties, accounts; the spec's
errors; and the flow invariants as property tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import date, day, journeys, user
from uptake.errors import SpecError
from uptake.metrics import parse_spec
from uptake.metrics.catalog import describe
from uptake.service import compute

# Day 0 is Sunday 2026-01-04. Everyone's events, in time order:
#   ann (a1, Sales):   signup d0 9:00, view 10:00, view 11:00, export 12:00, share 13:00
#   bob (a1, Support): view d0 8:00, signup 9:00, export 10:00, export 11:00
#   cat (a2, Sales):   signup d1 9:00
#   dan (a2, Sales):   login d1 8:00, view 8:30, signup 9:00, view 10:00, share 11:00
#   eve (a1):          view d2 12:00 (never signs up: no path)
#   fay (no account):  signup d2 9:00, signup d3 9:00, view d3 10:00
# Five users signed up in the range, so every share is units / 5.
STORY = journeys(
    {
        "ann": [
            ("signup", day(0, 9)),
            ("view", day(0, 10)),
            ("view", day(0, 11)),
            ("export", day(0, 12)),
            ("share", day(0, 13)),
        ],
        "bob": [
            ("view", day(0, 8)),
            ("signup", day(0, 9)),
            ("export", day(0, 10)),
            ("export", day(0, 11)),
        ],
        "cat": [("signup", day(1, 9))],
        "dan": [
            ("login", day(1, 8)),
            ("view", day(1, 8, 30)),
            ("signup", day(1, 9)),
            ("view", day(1, 10)),
            ("share", day(1, 11)),
        ],
        "eve": [("view", day(2))],
        "fay": [("signup", day(2, 9)), ("signup", day(3, 9)), ("view", day(3, 10))],
    },
    users={
        "ann": user(account="a1", department="Sales"),
        "bob": user(account="a1", department="Support"),
        "cat": user(account="a2", department="Sales"),
        "dan": user(account="a2", department="Sales"),
        "eve": user(account="a1"),
    },
)
RANGE = {"from": str(date(0)), "to": str(date(6))}
SIGNUP = {"kind": "paths", "event": "signup", **RANGE}


def edges(result: Any) -> list[tuple[int, str, str, int, float]]:
    return [
        (r["step"], r["from_event"], r["to_event"], r["units"], r["share"]) for r in result.rows
    ]


def test_after_the_first_signup_with_repeats_collapsed(run):
    # Paths (repeats collapsed, 3 steps):
    #   ann: signup > view (two views count once) > export > share
    #   bob: signup > export (twice, once) > (end)
    #   cat: signup > (end)
    #   dan: signup > view > share > (end)        (his login and view came before)
    #   fay: signup > view > (end)                (her second signup repeats the anchor)
    result = run(STORY, SIGNUP)
    assert result.columns[0].name == "step"
    assert [c.name for c in result.columns] == ["step", "from_event", "to_event", "units", "share"]
    # Rows: by step, most units first, then names ("(" sorts before letters).
    assert edges(result) == [
        (1, "signup", "view", 3, 0.6),  # ann, dan, fay
        (1, "signup", "(end)", 1, 0.2),  # cat
        (1, "signup", "export", 1, 0.2),  # bob
        (2, "export", "(end)", 1, 0.2),  # bob
        (2, "view", "(end)", 1, 0.2),  # fay
        (2, "view", "export", 1, 0.2),  # ann
        (2, "view", "share", 1, 0.2),  # dan
        (3, "export", "share", 1, 0.2),  # ann
        (3, "share", "(end)", 1, 0.2),  # dan
    ]
    assert result.summary == {"anchor": "signup", "anchor_units": 5}
    assert result.warnings == []


def test_every_repeat_is_a_step_without_collapsing(run):
    #   ann: signup > view > view > export
    #   bob: signup > export > export > (end)
    #   cat: signup > (end)
    #   dan: signup > view > share > (end)
    #   fay: signup > signup (her second one, d3) > view > (end)
    result = run(STORY, {**SIGNUP, "collapse_repeats": False})
    assert edges(result) == [
        (1, "signup", "view", 2, 0.4),  # ann, dan
        (1, "signup", "(end)", 1, 0.2),  # cat
        (1, "signup", "export", 1, 0.2),  # bob
        (1, "signup", "signup", 1, 0.2),  # fay
        (2, "export", "export", 1, 0.2),  # bob
        (2, "signup", "view", 1, 0.2),  # fay
        (2, "view", "share", 1, 0.2),  # dan
        (2, "view", "view", 1, 0.2),  # ann
        (3, "export", "(end)", 1, 0.2),  # bob
        (3, "share", "(end)", 1, 0.2),  # dan
        (3, "view", "(end)", 1, 0.2),  # fay
        (3, "view", "export", 1, 0.2),  # ann
    ]


def test_before_the_first_signup_walks_back_in_time(run):
    # Walking back from each first signup (step 1 is the event just before it):
    #   ann, cat, fay: nothing before (fay's only earlier events are none) > (end)
    #   bob: signup < view < (end)
    #   dan: signup < view < login < (end)
    result = run(STORY, {**SIGNUP, "direction": "before"})
    assert edges(result) == [
        (1, "signup", "(end)", 3, 0.6),  # ann, cat, fay
        (1, "signup", "view", 2, 0.4),  # bob, dan
        (2, "view", "(end)", 1, 0.2),  # bob
        (2, "view", "login", 1, 0.2),  # dan
        (3, "login", "(end)", 1, 0.2),  # dan
    ]


def test_a_path_ends_at_the_end_of_the_range(run):
    # Up to day 2: fay's second signup and view (day 3) are outside, so her path ends at once.
    result = run(STORY, {**SIGNUP, "to": str(date(2)), "steps": 1})
    assert edges(result) == [
        (1, "signup", "(end)", 2, 0.4),  # cat, fay
        (1, "signup", "view", 2, 0.4),  # ann, dan
        (1, "signup", "export", 1, 0.2),  # bob
    ]


def test_a_path_ends_at_a_gap_longer_than_within_hours(run):
    # Everyone's events follow each other within an hour, except fay's second signup, a day
    # after her first: the gap ends her path before it (and before her view).
    result = run(STORY, {**SIGNUP, "within_hours": 1.5, "steps": 2})
    assert edges(result) == [
        (1, "signup", "(end)", 2, 0.4),  # cat, fay
        (1, "signup", "view", 2, 0.4),  # ann, dan
        (1, "signup", "export", 1, 0.2),  # bob
        (2, "export", "(end)", 1, 0.2),  # bob
        (2, "view", "export", 1, 0.2),  # ann
        (2, "view", "share", 1, 0.2),  # dan
    ]


def test_rarer_events_are_grouped_as_other_with_ties_broken_by_name(run):
    # top=1: step 1 has view (3) and export (1): export becomes (other). Step 2 has export
    # (ann) and share (dan), one each: the tie keeps "export" (first by name), share is
    # (other). Step 3 has only share (ann), kept. An (other) node leads on like any other.
    result = run(STORY, {**SIGNUP, "top": 1})
    assert edges(result) == [
        (1, "signup", "view", 3, 0.6),
        (1, "signup", "(end)", 1, 0.2),  # cat
        (1, "signup", "(other)", 1, 0.2),  # bob's export
        (2, "(other)", "(end)", 1, 0.2),  # bob
        (2, "view", "(end)", 1, 0.2),  # fay
        (2, "view", "(other)", 1, 0.2),  # dan's share
        (2, "view", "export", 1, 0.2),  # ann
        (3, "(other)", "(end)", 1, 0.2),  # dan
        (3, "export", "share", 1, 0.2),  # ann
    ]


def test_excluded_events_leave_the_path(run):
    # Without views: ann signup > export > share; bob signup > export > (end); cat (end);
    # dan signup > share > (end); fay signup (her second collapses into it) > (end).
    result = run(STORY, {**SIGNUP, "exclude": ["vie*"], "steps": 2})
    assert edges(result) == [
        (1, "signup", "(end)", 2, 0.4),  # cat, fay
        (1, "signup", "export", 2, 0.4),  # ann, bob
        (1, "signup", "share", 1, 0.2),  # dan
        (2, "export", "(end)", 1, 0.2),  # bob
        (2, "export", "share", 1, 0.2),  # ann
        (2, "share", "(end)", 1, 0.2),  # dan
    ]


def test_only_the_chosen_events_make_the_path(run):
    # Only shares count after the signup: ann and dan shared, the other three did not.
    result = run(STORY, {**SIGNUP, "events": ["share"], "steps": 2})
    assert edges(result) == [
        (1, "signup", "(end)", 3, 0.6),
        (1, "signup", "share", 2, 0.4),
        (2, "share", "(end)", 2, 0.4),
    ]


def test_a_feature_as_the_anchor(run):
    # Feature "Sharing" is the share event; before it (repeats collapsed):
    #   ann: share < export < view (two views, once); dan: share < view < signup.
    definitions = {"features": [{"name": "Sharing", "events": ["share"]}]}
    spec = {"kind": "paths", "feature": "Sharing", "direction": "before", "steps": 2, **RANGE}
    result = run(STORY, spec, definitions)
    assert edges(result) == [
        (1, "Sharing", "export", 1, 0.5),
        (1, "Sharing", "view", 1, 0.5),
        (2, "export", "view", 1, 0.5),
        (2, "view", "signup", 1, 0.5),
    ]
    assert result.summary == {"anchor": "Sharing", "anchor_units": 2}


def test_accounts_interleave_their_users_events(run):
    # a1's events in time order (ties at an instant by name): bob view 8:00, ann and bob
    # signup 9:00, bob export 10:00, ann view 10:00, bob export 11:00, ann view 11:00, ann
    # export 12:00, ann share 13:00 (eve's view on day 2 later). After the first signup the
    # second collapses into it: a1 signup > export > view > export.
    # a2: dan login 8:00 and view 8:30, cat and dan signup 9:00 (d1), dan view 10:00, share
    # 11:00: a2 signup > view > share > (end). fay has no account and is left out.
    result = run(STORY, {**SIGNUP, "unit": "account"})
    assert edges(result) == [
        (1, "signup", "export", 1, 0.5),  # a1
        (1, "signup", "view", 1, 0.5),  # a2
        (2, "export", "view", 1, 0.5),  # a1
        (2, "view", "share", 1, 0.5),  # a2
        (3, "share", "(end)", 1, 0.5),  # a2
        (3, "view", "export", 1, 0.5),  # a1
    ]


def test_filters_narrow_who_is_counted(run):
    # Sales: ann (> view), cat (> end), dan (> view); fay has no profile, so no department.
    spec = {
        **SIGNUP,
        "steps": 1,
        "filters": [{"property": "user.department", "op": "eq", "value": "Sales"}],
    }
    result = run(STORY, spec)
    assert edges(result) == [
        (1, "signup", "view", 2, pytest.approx(2 / 3)),
        (1, "signup", "(end)", 1, pytest.approx(1 / 3)),
    ]


def test_nobody_did_the_anchor(run):
    result = run(STORY, {**SIGNUP, "event": "purchase"})
    assert result.rows == []
    assert result.summary == {"anchor": "purchase", "anchor_units": 0}
    assert result.warnings == [
        "no user did 'purchase' between 2026-01-04 and 2026-01-10: no paths to show"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event": None}, "choose the anchor: `event`"),
        ({"feature": "Sharing"}, "choose the anchor: `event`"),
        ({"steps": 0}, "steps: Value error, must be 1 to 10, got 0"),
        ({"steps": 11}, "steps: Value error, must be 1 to 10, got 11"),
        ({"top": 0}, "top: Value error, must be 1 to 50, got 0"),
        ({"within_hours": 0}, "within_hours: Value error, must be more than 0"),
        ({"event": "sign*"}, "'sign*' is a pattern: the anchor is one event name"),
        ({"events": []}, "events: Value error, must not be empty"),
        ({"exclude": [" view"]}, "exclude: Value error, event name or pattern ' view' is empty"),
        ({"breakdown": "user.department"}, "paths have no breakdown"),
        ({"direction": "sideways"}, "direction: Input should be 'after' or 'before'"),
        ({"occurrence": "every"}, "occurrence: Input should be 'first'"),
    ],
)
def test_spec_errors_read_well(change: dict[str, Any], message: str) -> None:
    spec = {k: v for k, v in {**SIGNUP, **change}.items() if v is not None}
    with pytest.raises(SpecError) as caught:
        parse_spec(spec)
    assert message in str(caught.value)
    assert str(caught.value).startswith("invalid paths spec: ")


def test_uptake_metrics_lists_the_parameters() -> None:
    (info,) = [i for i in describe() if i.kind == "paths"]
    defaults = {p.name: p.default for p in info.parameters}
    assert {k: defaults[k] for k in ("event", "direction", "steps", "collapse_repeats", "top")} == {
        "event": None,
        "direction": "after",
        "steps": 3,
        "collapse_repeats": True,
        "top": 8,
    }
    assert info.definition.startswith("What users (or accounts) do next after an event")


def test_an_unknown_feature_is_named(run):
    with pytest.raises(SpecError, match="Nope"):
        run(STORY, {"kind": "paths", "feature": "Nope", **RANGE})


# Property tests: random small stories on DuckDB.
EVENTS = ["a", "b", "c", "d"]
START = dt.datetime(2026, 1, 4, 0, 0)


@st.composite
def stories(draw: st.DrawFn) -> tuple[Any, set[str]]:
    users: dict[str, list[tuple[str, dt.datetime]]] = {}
    anchored = set()
    for i in range(draw(st.integers(1, 6))):
        steps = draw(st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(0, 72)), max_size=8))
        uid = f"u{i}"
        # Distinct hours per user, so that no two of a user's events tie.
        seen: dict[int, str] = {}
        for name, hour in steps:
            seen.setdefault(hour, name)
        users[uid] = [(name, START + dt.timedelta(hours=h)) for h, name in seen.items()]
        if any(name == "a" for name, _ in users[uid]):
            anchored.add(uid)
    return journeys({u: p for u, p in users.items() if p}), anchored


@settings(max_examples=30, deadline=None)
@given(
    story=stories(),
    direction=st.sampled_from(["after", "before"]),
    steps=st.integers(1, 4),
    collapse=st.booleans(),
    top=st.integers(1, 3),
)
def test_flow_is_conserved_from_step_to_step(
    story: tuple[Any, set[str]], direction: str, steps: int, collapse: bool, top: int
) -> None:
    data, anchored = story
    spec = {
        "kind": "paths",
        "event": "a",
        "direction": direction,
        "steps": steps,
        "collapse_repeats": collapse,
        "top": top,
        "from": "2026-01-04",
        "to": "2026-01-08",
    }
    with duckdb_tables(data) as tables:
        rows = compute(spec, tables).rows
    # Step 1's edges hold every unit that did the anchor, once.
    assert sum(r["units"] for r in rows if r["step"] == 1) == len(anchored)
    assert all(r["from_event"] == "a" for r in rows if r["step"] == 1)
    for k in range(1, steps):
        arrived = sum(r["units"] for r in rows if r["step"] == k and r["to_event"] != "(end)")
        left = sum(r["units"] for r in rows if r["step"] == k + 1)
        assert left == arrived
        # Each node of step k+1's edges is a node that step k's edges arrived at.
        reached = {r["to_event"] for r in rows if r["step"] == k}
        assert {r["from_event"] for r in rows if r["step"] == k + 1} <= reached - {"(end)"}
    # At most `top` named events per step, plus (other) and (end).
    for k in range(1, steps + 1):
        named = {r["to_event"] for r in rows if r["step"] == k} - {"(end)", "(other)"}
        assert len(named) <= top
    assert all(r["share"] == pytest.approx(r["units"] / len(anchored)) for r in rows)
