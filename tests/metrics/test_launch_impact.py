"""Launch impact: adopters vs non-adopters before and after a launch (difference in
differences), every per-unit count worked out by hand from the story below."""

from __future__ import annotations

import math
from typing import Any

import pytest
from scipy.stats import t as student_t

from tests.stories import date, day, journeys, user
from uptake.errors import SpecError
from uptake.service import compute

# Day 0 is Sunday 2026-01-04. Reports launch on day 14. With window_days = 7 the before window
# is days 7-13, the after window days 15-21; the launch day is in neither, but using the
# feature that day makes an adopter. One week per window, so per-week means are plain counts.
#
#          before (d7-13)             after (d15-21)                  active days   events
#   ann    login d8 x2, export d10   report d15, login d16 x2        2 -> 2 (0)    3 -> 3 (0)
#   bob    login d9                  report d14 (launch day), login  1 -> 3 (+2)   1 -> 3 (+2)
#                                    d18, d19, d20
#   cat    login d7, login d13,      report d21 (the last day)       2 -> 1 (-1)   3 -> 1 (-2)
#          export d13
#   dan    login d7, d11             login d15 x3                    2 -> 1 (-1)   2 -> 3 (+1)
#   eve    login d12                 -                               1 -> 0 (-1)   1 -> 0 (-1)
#   fay    login d6 (too early), d13 login d22 (too late)            1 -> 0 (-1)   1 -> 0 (-1)
#   hal    report d10 (a beta user), login d15                       1 -> 1 (0)    2 -> 1 (-1)
#          login d10
#   gus    -                         report d16                      a new adopter: left out
#   ivy    login d14 (launch day)    login d15                       never active before: out
#
# Adopters (used Reports on days 14-21, active before): ann, bob, cat. Non-adopters: dan, eve,
# fay, hal (hal's report came before the launch).
STORY = journeys(
    {
        "ann": [("login", day(8, 9)), ("login", day(8, 15)), ("export", day(10)),
                ("report", day(15)), ("login", day(16, 9)), ("login", day(16, 15))],
        "bob": [("login", day(9)), ("report", day(14)), ("login", day(18)), ("login", day(19)),
                ("login", day(20))],
        "cat": [("login", day(7)), ("login", day(13, 9)), ("export", day(13)),
                ("report", day(21, 23))],
        "dan": [("login", day(7)), ("login", day(11)), ("login", day(15, 8)),
                ("login", day(15, 9)), ("login", day(15, 10))],
        "eve": [("login", day(12))],
        "fay": [("login", day(6)), ("login", day(13)), ("login", day(22))],
        "hal": [("report", day(10, 9)), ("login", day(10)), ("login", day(15))],
        "gus": [("report", day(16))],
        "ivy": [("login", day(14)), ("login", day(15))],
    },
    users={
        "ann": user(account="a1"), "bob": user(account="a1"), "cat": user(account="a2"),
        "dan": user(account="a2"), "eve": user(account="a3"), "fay": user(account="a3"),
        "hal": user(account="a3"),
    },
)  # fmt: skip
DEFINITIONS = {
    "features": [{"name": "Reports", "events": ["report"], "released_at": str(date(14))}],
    "kpis": [{"name": "Exports", "events": ["export"]}],
}
SPEC = {"kind": "launch_impact", "feature": "Reports", "window_days": 7, "to": str(date(21))}


def rows(result: Any) -> list[tuple[Any, ...]]:
    keys = ("group", "units", "before", "after", "change", "change_sd")
    return [tuple(row[k] for k in keys) for row in result.rows]


def test_active_days_per_week(run: Any) -> None:
    result = run(STORY, SPEC, DEFINITIONS)
    # Adopters' changes 0, +2, -1: mean 1/3, sd sqrt(7/3) (squared deviations 42/9 over 2).
    # Non-adopters' -1, -1, -1, 0: mean -3/4, sd 1/2 (squares 12/16 over 3).
    assert rows(result) == [
        (
            "adopters",
            3,
            pytest.approx(5 / 3),
            2.0,
            pytest.approx(1 / 3),
            pytest.approx(math.sqrt(7 / 3)),
        ),
        ("non_adopters", 4, 1.25, 0.5, -0.75, pytest.approx(0.5)),
    ]
    # did = 1/3 + 3/4 = 13/12; its variance 7/3/3 + 1/4/4 = 121/144 (se 11/12); Welch's df as
    # in tests/models/test_difference_in_differences.py.
    df = (121 / 144) ** 2 / ((7 / 9) ** 2 / 2 + (1 / 16) ** 2 / 3)
    half = student_t.ppf(0.975, df) * 11 / 12
    assert result.summary == {
        "did": pytest.approx(13 / 12),
        "did_low": pytest.approx(13 / 12 - half),
        "did_high": pytest.approx(13 / 12 + half),
        "p_value": pytest.approx(2 * student_t.sf(13 / 11, df)),
        "standard_error": pytest.approx(11 / 12),
        "adopters": 3,
        "non_adopters": 4,
        "new_adopters": 1,
        "launch_date": str(date(14)),
        "confidence": 0.95,
    }
    assert result.warnings == [
        "Adopters chose to adopt: they may have been busier, keener or differently placed "
        "before the launch, and the difference in differences assumes both groups would "
        "otherwise have changed alike. Read it as correlation, not as the effect of the feature.",
        "only 3 adopters (users): with fewer than 10 per group the estimate is fragile and its "
        "interval wide (or missing below 2)",
        "only 4 non-adopters (users): with fewer than 10 per group the estimate is fragile and "
        "its interval wide (or missing below 2)",
        "1 adopting user not active in the 7 days before the launch left out: no 'before' to "
        "compare",
    ]


def test_events_per_week(run: Any) -> None:
    result = run(STORY, {**SPEC, "outcome": "events"}, DEFINITIONS)
    # Adopters 3->3, 1->3, 3->1: before 7/3, after 7/3, changes 0, +2, -2 (sd 2).
    # Non-adopters 2->3, 1->0, 1->0, 2->1: before 1.5, after 1, changes +1, -1, -1, -1
    # (mean -1/2, squares 9/4 + 3/4 over 3: sd 1). did = 0 + 1/2.
    assert rows(result) == [
        ("adopters", 3, pytest.approx(7 / 3), pytest.approx(7 / 3), 0.0, 2.0),
        ("non_adopters", 4, 1.5, 1.0, -0.5, 1.0),
    ]
    assert result.summary["did"] == 0.5
    assert result.summary["standard_error"] == pytest.approx(math.sqrt(4 / 3 + 1 / 4))


def test_a_kpi_as_the_outcome(run: Any) -> None:
    # Exports: ann 1 -> 0, bob 0 -> 0, cat 1 -> 0; every non-adopter 0 -> 0. Adopters' changes
    # -1, 0, -1: mean -2/3, sd sqrt(1/3). Non-adopters: no spread, so se = sqrt(1/3 / 3) = 1/3
    # and Welch's df = (1/9)^2 / ((1/9)^2 / 2) = 2.
    result = run(STORY, {**SPEC, "outcome": "kpi", "kpi": "Exports"}, DEFINITIONS)
    assert rows(result) == [
        (
            "adopters",
            3,
            pytest.approx(2 / 3),
            0.0,
            pytest.approx(-2 / 3),
            pytest.approx(math.sqrt(1 / 3)),
        ),
        ("non_adopters", 4, 0.0, 0.0, 0.0, 0.0),
    ]
    half = student_t.ppf(0.975, 2) / 3
    assert (result.summary["did"], result.summary["did_low"], result.summary["did_high"]) == (
        pytest.approx(-2 / 3),
        pytest.approx(-2 / 3 - half),
        pytest.approx(-2 / 3 + half),
    )


def test_accounts_and_a_launch_date_without_a_release(run: Any) -> None:
    # a1 (ann, bob): before days {8, 9, 10} = 3, after {15, 16, 18, 19, 20} = 5: +2, adopter.
    # a2 (cat, dan): before {7, 11, 13} = 3, after {15, 21} = 2: -1, adopter (cat).
    # a3 (eve, fay, hal): before {10, 12, 13} = 3, after {15} = 1: -2, not an adopter.
    # gus and ivy have no account. One non-adopter: no interval.
    definitions = {"features": [{"name": "Reports", "events": ["report"]}]}
    spec = {**SPEC, "unit": "account", "launch_date": str(date(14))}
    result = run(STORY, spec, definitions)
    assert rows(result) == [
        ("adopters", 2, 3.0, 3.5, 0.5, pytest.approx(math.sqrt(4.5))),
        ("non_adopters", 1, 3.0, 1.0, -2.0, None),
    ]
    summary = result.summary
    assert (summary["did"], summary["did_low"], summary["p_value"]) == (2.5, None, None)
    assert (summary["adopters"], summary["non_adopters"], summary["new_adopters"]) == (2, 1, 0)


def test_longer_windows_are_per_week(run: Any) -> None:
    # window_days 14: before days 0-13, after 15-28 (two weeks each). fay's day 6 and day 22
    # now count: 2 -> 1 active days over two weeks = 1.0 -> 0.5 per week. Nobody else has
    # activity in the added days, so every other count is halved; gus is still new.
    result = run(STORY, {**SPEC, "window_days": 14, "to": str(date(28))}, DEFINITIONS)
    assert rows(result) == [
        (
            "adopters",
            3,
            pytest.approx(5 / 6),
            1.0,
            pytest.approx(1 / 6),
            pytest.approx(math.sqrt(7 / 3) / 2),
        ),
        ("non_adopters", 4, 0.75, 0.375, -0.375, pytest.approx(0.25)),
    ]


@pytest.mark.parametrize(
    ("change", "definitions", "message"),
    [
        ({"to": str(date(20))}, DEFINITIONS,
         f"the after window ends on {date(21)}, after `to` ({date(20)})"),
        ({"feature": "Exports"}, DEFINITIONS, "unknown feature 'Exports'"),
        ({}, {"features": [{"name": "Reports", "events": ["report"]}]},
         "feature 'Reports' has no released_at: give `launch_date`"),
        ({"outcome": "kpi", "kpi": "Deals"}, DEFINITIONS, "unknown kpi 'Deals'"),
    ],
)  # fmt: skip
def test_problems_found_with_the_definitions(
    tables_for: Any, change: dict[str, Any], definitions: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        compute({**SPEC, **change}, tables_for(STORY, definitions))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outcome": "kpi"}, "outcome='kpi' needs `kpi`"),
        ({"kpi": "Exports"}, "`kpi` only applies to outcome='kpi'"),
        ({"window_days": 3}, "window_days: Input should be greater than or equal to 7"),
        ({"breakdown": "user.department"}, "launch_impact has no breakdown"),
        ({"from": str(date(30))}, "is before `from`"),
    ],
)
def test_bad_specs_read_well(change: dict[str, Any], message: str) -> None:
    from uptake.metrics import parse_spec

    with pytest.raises(SpecError, match="invalid launch_impact spec") as error:
        parse_spec({**SPEC, **change})
    assert message in str(error.value)
