"""Retention with Monday weeks, calendar months and days, checked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.metrics.retention_story import STORY, WEEKS, triangle
from tests.stories import date, day, journeys


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
