"""Retention: whole triangles (every cell and the weighted mean rows) checked by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import Story, date, day, journeys, user
from uptake.errors import SpecError
from uptake.metrics import kinds, parse_spec
from uptake.service import compute

# Sunday weeks: W0 = days 0-6 (Jan 4-10), W1 = days 7-13, W2 = days 14-20, W3 = days 21-27.
# The range ends on day 24 (Wed Jan 28), so W3 is cut short and days 25-27 are after `to`.
#
#   ann  logins day -10 (before the range), 1, 8     first-ever login before `from`
#   bob  logins day 0, 9, 23                         first in W0; back in W1 and W3
#   cat  logins day 3, 17                            first in W0; back in W2
#   dan  logins day 10, 12, 16                       first in W1; back in W2
#   eve  login  day 15                               first in W2; never back
#   fay  logins day 22, 26                           first in W3; day 26 is after `to`
#   gus  logins day 5, 26                            first in W0; day 26 is after `to`
STORY = journeys(
    {
        "ann": [("login", day(-10)), ("login", day(1)), ("login", day(8))],
        "bob": [("login", day(0)), ("login", day(9)), ("login", day(23))],
        "cat": [("login", day(3)), ("login", day(17))],
        "dan": [("login", day(10)), ("login", day(12)), ("login", day(16))],
        "eve": [("login", day(15))],
        "fay": [("login", day(22)), ("login", day(26))],
        "gus": [("login", day(5)), ("login", day(26))],
    },
    users={
        "bob": user(department="Sales"),
        "cat": user(department="Sales"),
        "dan": user(department="Ops"),
        "eve": user(department="Ops"),
    },
)
WEEKS = {
    "kind": "retention",
    "from": str(date(0)),
    "to": str(date(24)),
    "period": "week",
    "periods": 3,
}
COLUMNS = ("cohort", "cohort_size", "period", "retained", "retention_rate", "is_mean")


def triangle(result, columns=COLUMNS):
    """Rows as tuples, rates rounded to 4 places so fractions can be written literally."""
    out = []
    for row in result.rows:
        values = []
        for c in columns:
            v = row[c]
            values.append(round(v, 4) if isinstance(v, float) else v)
        out.append(tuple(values))
    return out


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


@pytest.mark.parametrize(
    ("spec_part", "definitions"),
    [({"week_start": "monday"}, None), ({}, {"week_start": "monday"})],
    ids=["spec", "workspace"],
)
def test_monday_weeks(run, spec_part, definitions):
    # Monday weeks: M0 = Dec 29-Jan 4 (days -6..0), M1 = days 1-7, M2 = days 8-14,
    # M3 = days 15-21, M4 = days 22-28 (cut at day 24). periods=2.
    # First logins: bob day 0 -> M0; cat day 3, gus day 5 -> M1; dan day 10 -> M2;
    # eve day 15 -> M3; fay day 22 -> M4.
    # M0 (bob): k1 (M1) 0; k2 (M2) bob day 9.  M1 (cat, gus): k1 (M2) 0; k2 (M3) cat day 17.
    # M2 (dan): k1 (M3) dan day 16; k2 (M4) 0.  M3 (eve): k1 (M4) 0; k2 would start day 29.
    # Mean: k0 6/6; k1 over M0-M3 (0+0+1+0)/(1+2+1+1); k2 over M0-M2 (1+1+0)/(1+2+1).
    result = run(STORY, {**WEEKS, "periods": 2, **spec_part}, definitions)
    assert triangle(result) == [
        (date(-6), 1, 0, 1, 1.0, False),
        (date(-6), 1, 1, 0, 0.0, False),
        (date(-6), 1, 2, 1, 1.0, False),
        (date(1), 2, 0, 2, 1.0, False),
        (date(1), 2, 1, 0, 0.0, False),
        (date(1), 2, 2, 1, 0.5, False),
        (date(8), 1, 0, 1, 1.0, False),
        (date(8), 1, 1, 1, 1.0, False),
        (date(8), 1, 2, 0, 0.0, False),
        (date(15), 1, 0, 1, 1.0, False),
        (date(15), 1, 1, 0, 0.0, False),
        (date(22), 1, 0, 1, 1.0, False),
        (None, 6, 0, 6, 1.0, True),
        (None, 5, 1, 1, 0.2, True),
        (None, 4, 2, 2, 0.5, True),
    ]


# Months: Jan 2026 holds days -3..27, Feb days 28-55, Mar days 56-86. The range is
# Jan 4 (day 0) to Mar 15 (day 70).
#   pat  logins day -2 (Jan 2: in January but before `from`), 5, 40
#   quinn logins day 10, 30, 60
#   rae  logins day 27 (Jan 31), 28 (Feb 1: the very next day is the next month)
#   sam  logins day 35, 75 (Mar 20: after `to`)
#   tia  login  day 65
MONTHS_STORY = journeys(
    {
        "pat": [("login", day(-2)), ("login", day(5)), ("login", day(40))],
        "quinn": [("login", day(10)), ("login", day(30)), ("login", day(60))],
        "rae": [("login", day(27)), ("login", day(28))],
        "sam": [("login", day(35)), ("login", day(75))],
        "tia": [("login", day(65))],
    }
)
MONTHS = {
    "kind": "retention",
    "from": str(date(0)),
    "to": str(date(70)),
    "period": "month",
    "periods": 2,
}
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def test_first_time_months(run):
    # Jan: quinn, rae (pat's first login, Jan 2, is before `from` although in January).
    # Jan k1 (Feb): quinn day 30, rae day 28; k2 (Mar): quinn day 60.
    # Feb: sam; k1 (Mar): nothing before `to` (day 75 is after it).  Mar: tia.
    # Mean: k0 4/4; k1 (2+0)/(2+1); k2 1/2.
    result = run(MONTHS_STORY, MONTHS)
    assert triangle(result) == [
        (JAN, 2, 0, 2, 1.0, False),
        (JAN, 2, 1, 2, 1.0, False),
        (JAN, 2, 2, 1, 0.5, False),
        (FEB, 1, 0, 1, 1.0, False),
        (FEB, 1, 1, 0, 0.0, False),
        (MAR, 1, 0, 1, 1.0, False),
        (None, 4, 0, 4, 1.0, True),
        (None, 3, 1, 2, 0.6667, True),
        (None, 2, 2, 1, 0.5, True),
    ]
    # January starts before Jan 4 and March ends after Mar 15: both are cut by the range.
    assert result.warnings == [
        "The first month (from 2026-01-01) starts before `from` (2026-01-04): its cohort holds "
        "only start events from 2026-01-04 on.",
        "The last month (from 2026-03-01) ends after `to` (2026-03-15): its cells count return "
        "events up to `to` only and may still grow.",
    ]


def test_recurring_months_count_someone_who_started_before_the_range(run):
    # Logins inside the range: Jan = pat (day 5), quinn, rae; Feb = pat (day 40), quinn, rae
    # (day 28), sam; Mar = quinn (day 60), tia. pat is in Jan and Feb cohorts here.
    # Jan k1 (Feb): pat, quinn, rae; k2 (Mar): quinn.  Feb k1 (Mar): quinn.
    # Mean: k0 9/9; k1 (3+1)/(3+4); k2 1/3.
    assert triangle(run(MONTHS_STORY, {**MONTHS, "cohort": "recurring"})) == [
        (JAN, 3, 0, 3, 1.0, False),
        (JAN, 3, 1, 3, 1.0, False),
        (JAN, 3, 2, 1, 0.3333, False),
        (FEB, 4, 0, 4, 1.0, False),
        (FEB, 4, 1, 1, 0.25, False),
        (MAR, 2, 0, 2, 1.0, False),
        (None, 9, 0, 9, 1.0, True),
        (None, 7, 1, 4, 0.5714, True),
        (None, 3, 2, 1, 0.3333, True),
    ]


# Accounts: acme = ann + bob, globex = cat, initech = dan; zed has no account.
#   ann  login day 0            bob  login day 9             cat  logins day 8, 16
#   dan  logins day -5, 2       zed  logins day 1, 10
ACCOUNTS_STORY = journeys(
    {
        "ann": [("login", day(0))],
        "bob": [("login", day(9))],
        "cat": [("login", day(8)), ("login", day(16))],
        "dan": [("login", day(-5)), ("login", day(2))],
        "zed": [("login", day(1)), ("login", day(10))],
    },
    users={
        "ann": user(account="acme"),
        "bob": user(account="acme"),
        "cat": user(account="globex"),
        "dan": user(account="initech"),
    },
)
THREE_WEEKS = {"kind": "retention", "from": str(date(0)), "to": str(date(20)), "periods": 2}


def test_unit_account(run):
    # Accounts: acme first active day 0 (ann) -> W0, back in W1 through bob (day 9) although
    # ann never returns; globex first day 8 -> W1, back in W2 (day 16); initech started
    # before `from` (day -5): no cohort; zed's events have no account: left out. W2 is empty.
    # Mean: k0 2/2; k1 (1+1)/(1+1); k2 W0 only 0/1.
    result = run(ACCOUNTS_STORY, {**THREE_WEEKS, "unit": "account"})
    assert triangle(result) == [
        (date(0), 1, 0, 1, 1.0, False),
        (date(0), 1, 1, 1, 1.0, False),
        (date(0), 1, 2, 0, 0.0, False),
        (date(7), 1, 0, 1, 1.0, False),
        (date(7), 1, 1, 1, 1.0, False),
        (date(14), 0, 0, 0, None, False),
        (None, 2, 0, 2, 1.0, True),
        (None, 2, 1, 2, 1.0, True),
        (None, 1, 2, 0, 0.0, True),
    ]
    # Per user the same story differs: W0 = ann, zed (dan started day -5), W1 = bob, cat.
    # W0 k1: zed (day 10); k2: 0.  W1 k1: cat (day 16).  Mean k1 (1+1)/4; k2 0/2.
    result = run(ACCOUNTS_STORY, THREE_WEEKS)
    assert triangle(result) == [
        (date(0), 2, 0, 2, 1.0, False),
        (date(0), 2, 1, 1, 0.5, False),
        (date(0), 2, 2, 0, 0.0, False),
        (date(7), 2, 0, 2, 1.0, False),
        (date(7), 2, 1, 1, 0.5, False),
        (date(14), 0, 0, 0, None, False),
        (None, 4, 0, 4, 1.0, True),
        (None, 4, 1, 2, 0.5, True),
        (None, 2, 2, 0, 0.0, True),
    ]


def test_breakdown_by_user_trait_splits_cohorts(run):
    # Days 0-13 (W0, W1), periods=1. Departments: bob, cat Sales; dan Ops; gus no profile.
    # W0 members: bob (Sales), cat (Sales), gus ("(none)"); W1: dan (Ops).
    # Every cohort gets every value seen ("(none)" sorts first): W0/(none) gus, k1 0;
    # W0/Ops empty; W0/Sales 2, k1 bob (day 9); W1/(none) empty; W1/Ops dan; W1/Sales empty.
    # Mean rows per value: (none) k1 0/1; Ops k1 0/0 (W0/Ops is empty, W1's k1 starts day 14,
    # after `to`) -> no rate; Sales k1 1/2.
    spec = {
        "kind": "retention",
        "from": str(date(0)),
        "to": str(date(13)),
        "periods": 1,
        "breakdown": "user.department",
    }
    columns = (
        "cohort",
        "breakdown",
        "cohort_size",
        "period",
        "retained",
        "retention_rate",
        "is_mean",
    )
    result = run(STORY, spec)
    assert [c.name for c in result.columns] == list(columns)
    assert triangle(result, columns) == [
        (date(0), "(none)", 1, 0, 1, 1.0, False),
        (date(0), "(none)", 1, 1, 0, 0.0, False),
        (date(0), "Ops", 0, 0, 0, None, False),
        (date(0), "Ops", 0, 1, 0, None, False),
        (date(0), "Sales", 2, 0, 2, 1.0, False),
        (date(0), "Sales", 2, 1, 1, 0.5, False),
        (date(7), "(none)", 0, 0, 0, None, False),
        (date(7), "Ops", 1, 0, 1, 1.0, False),
        (date(7), "Sales", 0, 0, 0, None, False),
        (None, "(none)", 1, 0, 1, 1.0, True),
        (None, "(none)", 1, 1, 0, 0.0, True),
        (None, "Ops", 1, 0, 1, 1.0, True),
        (None, "Ops", 0, 1, 0, None, True),
        (None, "Sales", 2, 0, 2, 1.0, True),
        (None, "Sales", 2, 1, 1, 0.5, True),
    ]


def test_user_filter(run):
    # Only Sales users (bob, cat): W0 = bob, cat; k1 bob (day 9), k2 cat (day 17), k3 bob
    # (day 23). W1-W3 have no Sales newcomers. Mean: k1 1/(2+0+0), k2 1/(2+0), k3 1/2.
    spec = {**WEEKS, "filters": [{"property": "user.department", "op": "eq", "value": "Sales"}]}
    assert triangle(run(STORY, spec)) == [
        (date(0), 2, 0, 2, 1.0, False),
        (date(0), 2, 1, 1, 0.5, False),
        (date(0), 2, 2, 1, 0.5, False),
        (date(0), 2, 3, 1, 0.5, False),
        (date(7), 0, 0, 0, None, False),
        (date(7), 0, 1, 0, None, False),
        (date(7), 0, 2, 0, None, False),
        (date(14), 0, 0, 0, None, False),
        (date(14), 0, 1, 0, None, False),
        (date(21), 0, 0, 0, None, False),
        (None, 2, 0, 2, 1.0, True),
        (None, 2, 1, 1, 0.5, True),
        (None, 2, 2, 1, 0.5, True),
        (None, 2, 3, 1, 0.5, True),
    ]


# Logins from two clients; only web logins count under the filter below.
#   uma  web day 0, mobile day 8, web day 15
#   vic  mobile day 1, web day 2, web day 9
#   wes  mobile day 2, web day 9     (first web login is in W1, not W0)
CLIENTS = journeys(
    {
        "uma": [
            ("login", day(0), {"client": "web"}),
            ("login", day(8), {"client": "mobile"}),
            ("login", day(15), {"client": "web"}),
        ],
        "vic": [
            ("login", day(1), {"client": "mobile"}),
            ("login", day(2), {"client": "web"}),
            ("login", day(9), {"client": "web"}),
        ],
        "wes": [("login", day(2), {"client": "mobile"}), ("login", day(9), {"client": "web"})],
    }
)


def test_event_property_filter_applies_to_start_and_return(run):
    # Web logins only: uma days 0, 15; vic days 2, 9; wes day 9.
    # W0 = uma, vic: k1 vic (day 9; uma's day 8 is mobile), k2 uma (day 15).
    # W1 = wes (its first web login); k1: nothing. W2: empty.
    # Mean: k0 3/3; k1 (1+0)/(2+1); k2 1/2.
    spec = {**THREE_WEEKS, "filters": [{"property": "event.client", "op": "eq", "value": "web"}]}
    assert triangle(run(CLIENTS, spec)) == [
        (date(0), 2, 0, 2, 1.0, False),
        (date(0), 2, 1, 1, 0.5, False),
        (date(0), 2, 2, 1, 0.5, False),
        (date(7), 1, 0, 1, 1.0, False),
        (date(7), 1, 1, 0, 0.0, False),
        (date(14), 0, 0, 0, None, False),
        (None, 3, 0, 3, 1.0, True),
        (None, 3, 1, 1, 0.3333, True),
        (None, 2, 2, 1, 0.5, True),
    ]


def test_day_periods(run):
    # Days 0-3, periods=2, recurring. Active days: ann 1; bob 0; cat 3.
    # D0 (bob): k1 (day 1) 0, k2 (day 2) 0.  D1 (ann): k1 0, k2 (day 3) 0.
    # D2: empty; k1 (day 3) 0.  D3 (cat).  Mean: k0 3/3; k1 0/(1+1+0); k2 0/(1+1).
    spec = {
        "kind": "retention",
        "from": str(date(0)),
        "to": str(date(3)),
        "period": "day",
        "periods": 2,
        "cohort": "recurring",
    }
    assert triangle(run(STORY, spec)) == [
        (date(0), 1, 0, 1, 1.0, False),
        (date(0), 1, 1, 0, 0.0, False),
        (date(0), 1, 2, 0, 0.0, False),
        (date(1), 1, 0, 1, 1.0, False),
        (date(1), 1, 1, 0, 0.0, False),
        (date(1), 1, 2, 0, 0.0, False),
        (date(2), 0, 0, 0, None, False),
        (date(2), 0, 1, 0, None, False),
        (date(3), 1, 0, 1, 1.0, False),
        (None, 3, 0, 3, 1.0, True),
        (None, 2, 1, 0, 0.0, True),
        (None, 2, 2, 0, 0.0, True),
    ]


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


# --- properties (DuckDB only) -------------------------------------------------------------

USERS = [f"u{i}" for i in range(5)]
paths = st.dictionaries(
    st.sampled_from(USERS),
    st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(-10, 40)), min_size=1, max_size=6),
    min_size=1,
)
specs = st.fixed_dictionaries(
    {
        "cohort": st.sampled_from(["first_time", "recurring"]),
        "period": st.sampled_from(["day", "week", "month"]),
        "periods": st.integers(1, 4),
        "from": st.integers(-5, 10).map(lambda n: str(date(n))),
        "to": st.integers(11, 40).map(lambda n: str(date(n))),
    },
    optional={"return_events": st.just(["b"]), "start_events": st.just(["a"])},
)


def _story(story_paths: dict[str, list[tuple[str, int]]]) -> Story:
    # Every user alone in an account of its own, so user and account grain must agree.
    return journeys(
        {uid: [(name, day(n)) for name, n in steps] for uid, steps in story_paths.items()},
        users={uid: user(account=f"acct-{uid}") for uid in story_paths},
    )


def _computed(
    story_paths: dict[str, list[tuple[str, int]]],
    spec: dict[str, Any],
    variants: list[dict[str, Any]],
) -> list[list[dict[str, Any]]]:
    """Rows of the spec with each variant, on a fresh DuckDB store holding the story."""
    with duckdb_tables(_story(story_paths)) as tables:
        return [compute({"kind": "retention", **spec, **v}, tables).rows for v in variants]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story_paths=paths, spec=specs)
def test_properties_of_cells(story_paths, spec):
    on, after = _computed(story_paths, spec, [{"retention": "on"}, {"retention": "on_or_after"}])
    assert [(r["cohort"], r["period"]) for r in on] == [(r["cohort"], r["period"]) for r in after]
    for row, cumulative in zip(on, after, strict=True):
        # Period 0 is the cohort itself; no cell can hold more than its cohort.
        if row["period"] == 0:
            assert row["retained"] == row["cohort_size"]
        assert 0 <= row["retained"] <= row["cohort_size"]
        # Cumulative retention counts everyone "on" counts, and maybe more.
        assert row["retained"] <= cumulative["retained"] <= cumulative["cohort_size"]
    cohort_rows = [r for r in after if not r["is_mean"]]
    for prev, row in itertools.pairwise(cohort_rows):
        if row["cohort"] == prev["cohort"]:
            # on_or_after never rises with k.
            assert row["retained"] <= prev["retained"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story_paths=paths, spec=specs)
def test_user_and_account_grain_agree_when_accounts_have_one_user(story_paths, spec):
    per_user, per_account = _computed(story_paths, spec, [{"unit": "user"}, {"unit": "account"}])
    assert per_user == per_account
