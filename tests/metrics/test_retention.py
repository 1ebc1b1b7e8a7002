"""Retention triangles checked by hand, every cell and the weighted mean rows: first-time and
recurring cohorts, "on" and "on or after", the periods cap, start and return events, and
spec errors. Periods other than Sunday weeks: test_retention_periods.py; units, breakdowns and
filters: test_retention_segments.py; invariants: test_retention_properties.py."""

from __future__ import annotations

import pytest

from tests.metrics.retention_story import COLUMNS, STORY, WEEKS, triangle
from tests.stories import date, day, journeys
from uptake.errors import SpecError
from uptake.metrics import kinds, parse_spec
from uptake.service import compute


def test_output_columns(run):
    result = run(STORY, WEEKS)
    assert [c.name for c in result.columns] == list(COLUMNS)
    assert [c.type for c in result.columns] == [
        "date",
        "integer",
        "integer",
        "integer",
        "number",
        "boolean",
    ]


def test_first_time_on(run):
    # Cohorts by first-ever login: W0 = bob, cat, gus (ann first logged in before `from`);
    # W1 = dan (ann's day 8 is not her first); W2 = eve; W3 = fay.
    # W0: k1 = bob (day 9); k2 = cat (day 17); k3 = bob (day 23); gus's day 26 is after `to`.
    # W1: k1 = dan (day 16); k2 = nobody. W2: k1 = nobody. W3: only k0 starts by `to`.
    # Mean: k0 6/6; k1 over W0-W2 (1+1+0)/(3+1+1); k2 over W0-W1 (1+0)/(3+1); k3 W0 only 1/3.
    result = run(STORY, WEEKS)
    assert triangle(result) == [
        (date(0), 3, 0, 3, 1.0, False),
        (date(0), 3, 1, 1, 0.3333, False),
        (date(0), 3, 2, 1, 0.3333, False),
        (date(0), 3, 3, 1, 0.3333, False),
        (date(7), 1, 0, 1, 1.0, False),
        (date(7), 1, 1, 1, 1.0, False),
        (date(7), 1, 2, 0, 0.0, False),
        (date(14), 1, 0, 1, 1.0, False),
        (date(14), 1, 1, 0, 0.0, False),
        (date(21), 1, 0, 1, 1.0, False),
        (None, 6, 0, 6, 1.0, True),
        (None, 5, 1, 2, 0.4, True),
        (None, 4, 2, 1, 0.25, True),
        (None, 3, 3, 1, 0.3333, True),
    ]
    # `from` is a Sunday (no cut first week); `to` is a Wednesday, so the last week is cut.
    assert result.warnings == [
        "The last week (from 2026-01-25) ends after `to` (2026-01-28): its cells count return "
        "events up to `to` only and may still grow."
    ]


def test_first_time_on_or_after(run):
    # Last return before `to`: bob W3 (k3), cat W2 (k2), gus none; dan W2 (k1 of W1); eve none.
    # W0: k1 = bob, cat; k2 = bob, cat; k3 = bob. W1: k1 = dan; k2 = 0. W2: k1 = 0.
    # Mean: k1 (2+1+0)/5; k2 (2+0)/4; k3 1/3.
    result = run(STORY, {**WEEKS, "retention": "on_or_after"})
    assert triangle(result) == [
        (date(0), 3, 0, 3, 1.0, False),
        (date(0), 3, 1, 2, 0.6667, False),
        (date(0), 3, 2, 2, 0.6667, False),
        (date(0), 3, 3, 1, 0.3333, False),
        (date(7), 1, 0, 1, 1.0, False),
        (date(7), 1, 1, 1, 1.0, False),
        (date(7), 1, 2, 0, 0.0, False),
        (date(14), 1, 0, 1, 1.0, False),
        (date(14), 1, 1, 0, 0.0, False),
        (date(21), 1, 0, 1, 1.0, False),
        (None, 6, 0, 6, 1.0, True),
        (None, 5, 1, 3, 0.6, True),
        (None, 4, 2, 2, 0.5, True),
        (None, 3, 3, 1, 0.3333, True),
    ]


def test_recurring_on(run):
    # A cohort is everyone with a login that week inside the range, first or not:
    # W0 = ann (day 1), bob, cat, gus; W1 = ann (day 8), bob, dan; W2 = cat, dan, eve;
    # W3 = bob (day 23), fay (day 22); the day-26 logins are after `to`.
    # Active weeks: ann W0 W1; bob W0 W1 W3; cat W0 W2; dan W1 W2; eve W2; fay W3; gus W0.
    # W0: k1 (W1) ann, bob; k2 (W2) cat; k3 (W3) bob.  W1: k1 (W2) dan; k2 (W3) bob.
    # W2: k1 (W3) nobody.  Mean: k0 12/12; k1 (2+1+0)/(4+3+3); k2 (1+1)/(4+3); k3 1/4.
    result = run(STORY, {**WEEKS, "cohort": "recurring"})
    assert triangle(result) == [
        (date(0), 4, 0, 4, 1.0, False),
        (date(0), 4, 1, 2, 0.5, False),
        (date(0), 4, 2, 1, 0.25, False),
        (date(0), 4, 3, 1, 0.25, False),
        (date(7), 3, 0, 3, 1.0, False),
        (date(7), 3, 1, 1, 0.3333, False),
        (date(7), 3, 2, 1, 0.3333, False),
        (date(14), 3, 0, 3, 1.0, False),
        (date(14), 3, 1, 0, 0.0, False),
        (date(21), 2, 0, 2, 1.0, False),
        (None, 12, 0, 12, 1.0, True),
        (None, 10, 1, 3, 0.3, True),
        (None, 7, 2, 2, 0.2857, True),
        (None, 4, 3, 1, 0.25, True),
    ]


def test_recurring_on_or_after(run):
    # W0 (ann, bob, cat, gus): last returns ann k1, bob k3, cat k2, gus none -> 3, 2, 1.
    # W1 (ann, bob, dan): ann's last week is W1 itself (no return), bob W3 = k2, dan W2 = k1
    # -> k1 2, k2 1.  W2 (cat, dan, eve): nobody is back after W2 -> 0.
    # Mean: k1 (3+2+0)/10; k2 (2+1)/7; k3 1/4.
    result = run(STORY, {**WEEKS, "cohort": "recurring", "retention": "on_or_after"})
    assert triangle(result) == [
        (date(0), 4, 0, 4, 1.0, False),
        (date(0), 4, 1, 3, 0.75, False),
        (date(0), 4, 2, 2, 0.5, False),
        (date(0), 4, 3, 1, 0.25, False),
        (date(7), 3, 0, 3, 1.0, False),
        (date(7), 3, 1, 2, 0.6667, False),
        (date(7), 3, 2, 1, 0.3333, False),
        (date(14), 3, 0, 3, 1.0, False),
        (date(14), 3, 1, 0, 0.0, False),
        (date(21), 2, 0, 2, 1.0, False),
        (None, 12, 0, 12, 1.0, True),
        (None, 10, 1, 5, 0.5, True),
        (None, 7, 2, 3, 0.4286, True),
        (None, 4, 3, 1, 0.25, True),
    ]


def test_periods_caps_the_triangle_and_cells_past_to_are_absent(run):
    # periods=1: only k0 and k1 per cohort. W3's k1 would start on day 28, after `to` (day 24):
    # no row at all (not a zero). Same cohorts and k1 cells as test_first_time_on.
    result = run(STORY, {**WEEKS, "periods": 1})
    assert triangle(result, ("cohort", "period", "retained", "is_mean")) == [
        (date(0), 0, 3, False),
        (date(0), 1, 1, False),
        (date(7), 0, 1, False),
        (date(7), 1, 1, False),
        (date(14), 0, 1, False),
        (date(14), 1, 0, False),
        (date(21), 0, 1, False),
        (None, 0, 6, True),
        (None, 1, 2, True),
    ]


def test_on_or_after_counts_returns_beyond_the_last_reported_period(run):
    # periods=1, cumulative: W0 k1 = bob (back in W1 and W3) and cat (back only in W2, k2,
    # which is not reported but still means "returned on or after k1"); gus never returns
    # by `to`. W1 k1 = dan (W2). W2 k1 = nobody. Mean k1: (2+1+0)/(3+1+1).
    result = run(STORY, {**WEEKS, "periods": 1, "retention": "on_or_after"})
    assert triangle(result) == [
        (date(0), 3, 0, 3, 1.0, False),
        (date(0), 3, 1, 2, 0.6667, False),
        (date(7), 1, 0, 1, 1.0, False),
        (date(7), 1, 1, 1, 1.0, False),
        (date(14), 1, 0, 1, 1.0, False),
        (date(14), 1, 1, 0, 0.0, False),
        (date(21), 1, 0, 1, 1.0, False),
        (None, 6, 0, 6, 1.0, True),
        (None, 5, 1, 3, 0.6, True),
    ]


# Start with "signup", come back with "export" (a login is not a return here).
#   hal  signup day 1, export day 1 (same week: not a return), export day 9
#   ivy  signup day 2, login day 10 (not a return event), export day 20
#   jon  signup day 8, export day 9 (same week), export day 16
#   kim  export day 0, never signs up: in no cohort
#   leo  signup day -3 (before `from`), export day 9: in no first-time cohort
SIGNUPS = journeys(
    {
        "hal": [("signup", day(1)), ("export", day(1)), ("export", day(9))],
        "ivy": [("signup", day(2)), ("login", day(10)), ("export", day(20))],
        "jon": [("signup", day(8)), ("export", day(9)), ("export", day(16))],
        "kim": [("export", day(0))],
        "leo": [("signup", day(-3)), ("export", day(9))],
    }
)


@pytest.mark.parametrize(
    "returning",
    [{"return_events": ["export"]}, {"return_events": ["exp*"]}, {"return_feature": "reports"}],
    ids=["names", "pattern", "feature"],
)
def test_return_event_differs_from_start_event(run, returning):
    # Days 0-20: W0 = hal, ivy; W1 = jon; W2 = nobody signs up.
    # W0: k1 (W1) hal exports day 9; k2 (W2) ivy exports day 20.  W1: k1 (W2) jon day 16.
    # W2 has no members: size 0 and no rate (0/0 is undefined, not 0%).
    # Mean: k0 3/3; k1 over W0-W1 (1+1)/(2+1); k2 W0 only 1/2.
    spec = {
        "kind": "retention",
        "from": str(date(0)),
        "to": str(date(20)),
        "periods": 2,
        "start_events": ["signup"],
        **returning,
    }
    definitions = {"features": [{"name": "reports", "events": ["export"]}]}
    result = run(SIGNUPS, spec, definitions)
    assert triangle(result) == [
        (date(0), 2, 0, 2, 1.0, False),
        (date(0), 2, 1, 1, 0.5, False),
        (date(0), 2, 2, 1, 0.5, False),
        (date(7), 1, 0, 1, 1.0, False),
        (date(7), 1, 1, 1, 1.0, False),
        (date(14), 0, 0, 0, None, False),
        (None, 3, 0, 3, 1.0, True),
        (None, 3, 1, 2, 0.6667, True),
        (None, 2, 2, 1, 0.5, True),
    ]
    # Days 0-20 are three whole Sunday weeks: nothing to warn about.
    assert result.warnings == []


def test_retention_is_a_registered_kind():
    assert "retention" in kinds()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"start_events": ["a"], "start_feature": "f"},
            "give `start_events` or `start_feature`, not both",
        ),
        (
            {"return_events": ["a"], "return_feature": "f"},
            "give `return_events` or `return_feature`, not both",
        ),
        ({"start_events": []}, "`start_events` must not be empty"),
        ({"periods": 0}, "periods: Input should be greater than or equal to 1"),
        ({"periods": 53}, "periods: Input should be less than or equal to 52"),
        ({"cohort": "first"}, "cohort: Input should be 'first_time' or 'recurring'"),
        ({"retention": "after"}, "retention: Input should be 'on' or 'on_or_after'"),
    ],
)
def test_invalid_specs_read_well(spec, message):
    with pytest.raises(SpecError, match="invalid retention spec") as caught:
        parse_spec({"kind": "retention", **spec})
    assert message in str(caught.value)


def test_unknown_feature_reads_well(tables_for):
    tables = tables_for(SIGNUPS)
    with pytest.raises(SpecError, match="unknown feature 'nope'"):
        compute({"kind": "retention", "return_feature": "nope"}, tables)
