"""bass_forecast: new adopters per period counted by hand, the shape of the fitted and forecast
rows, and the identification warnings. The fit itself is checked in tests/models/test_bass.py;
here the summary must be that model's fit of the counted series."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.stories import date, day, journeys
from uptake.errors import SpecError
from uptake.metrics.catalog import parse_spec
from uptake.models.bass import fit_bass

# Reports is released on day 0 (Sunday 2026-01-04, midnight UTC): week k (k = 0, 1, ...) is
# days 7k..7k+6, starting date(7k).
DEFINITIONS = {
    "features": [{"name": "Reports", "events": ["report_viewed"], "released_at": str(date(0))}]
}


def diffusion(per_week: list[int], extra: dict[str, list[tuple[Any, ...]]] | None = None):
    """A story where per_week[k] users first view a report during week k (user i on day
    7k + 1 + i % 6, at 8:00 + i // 6 hours, after logging in on day -30), plus `extra`."""
    paths: dict[str, list[tuple[Any, ...]]] = {}
    for week, count in enumerate(per_week):
        for i in range(count):
            first = day(7 * week + 1 + i % 6, hour=8 + i // 6)
            paths[f"u{week}_{i}"] = [("login", day(-30)), ("report_viewed", first)]
    paths.update(extra or {})
    return journeys(paths)


# 1, 3, 6, 4, 2, 1 first viewers in weeks 0-5 (17 adopters; rising then falling), plus:
# - beta: viewed on day -3, before the release -> adopts at the launch, week 0;
# - late: first views on day 45, after `to` (day 41) -> not an adopter yet;
# - never: only logs in -> a non-adopter.
STORY = diffusion(
    [1, 3, 6, 4, 2, 1],
    {
        "beta": [("login", day(-30)), ("report_viewed", day(-3)), ("report_viewed", day(2))],
        "late": [("login", day(-30)), ("report_viewed", day(45))],
        "never": [("login", day(-30)), ("login", day(20))],
    },
)
SPEC = {
    "kind": "bass_forecast",
    "feature": "Reports",
    "launch": "release",
    "from": str(date(0)),
    "to": str(date(41)),  # Saturday: six complete weeks
    "period": "week",
    "forecast_periods": 3,
}
OBSERVED = [2, 3, 6, 4, 2, 1]  # week 0 holds beta and u0_0


def test_counts_new_adopters_per_week_from_the_release(run):
    result = run(STORY, SPEC, DEFINITIONS)
    observed = [r for r in result.rows if not r["forecast"]]
    assert [(r["period"], r["adopters"], r["cumulative"], r["in_fit"]) for r in observed] == [
        (date(0), 2, 2, True),
        (date(7), 3, 5, True),
        (date(14), 6, 11, True),
        (date(21), 4, 15, True),
        (date(28), 2, 17, True),
        (date(35), 1, 18, True),
    ]


def test_forecast_rows_follow_the_observed_weeks(run):
    result = run(STORY, SPEC, DEFINITIONS)
    assert result.column("period")[6:] == [date(42), date(49), date(56)]
    assert result.column("forecast") == [False] * 6 + [True] * 3
    assert result.column("adopters")[6:] == [None, None, None]
    assert result.column("cumulative")[6:] == [None, None, None]
    assert result.column("in_fit")[6:] == [False, False, False]
    assert [c.name for c in result.columns] == [
        "period",
        "adopters",
        "cumulative",
        "fitted_adopters",
        "fitted_cumulative",
        "cumulative_low",
        "cumulative_high",
        "forecast",
        "in_fit",
    ]


def test_summary_is_the_model_fit_of_the_counted_series(run):
    result = run(STORY, SPEC, DEFINITIONS)
    fit = fit_bass(OBSERVED)
    s = result.summary
    assert (s["p"], s["q"], s["m"]) == pytest.approx((fit.p, fit.q, fit.m))
    assert s["periods_used"] == 6
    assert s["status"] == fit.status
    assert s["r_squared"] == pytest.approx(fit.r_squared)
    # Fitted adopters are the model's m [F(k) - F(k-1)] and add up to the fitted cumulative.
    fitted = result.column("fitted_adopters")
    assert sum(fitted[:6]) == pytest.approx(result.column("fitted_cumulative")[5])
    # A peak and the milestones are period starts (Sundays) on or after the launch week.
    for key in ("peak_period", "reached_50", "reached_80", "reached_95"):
        if s[key] is not None:
            when = dt.date.fromisoformat(s[key])
            assert when >= date(0) and (when - date(0)).days % 7 == 0


def test_too_few_weeks_warns_and_does_not_forecast(run):
    # Four complete weeks (to = day 27): counts 2, 3, 6, 4 and no fit.
    spec = {**SPEC, "to": str(date(27))}
    result = run(STORY, spec, DEFINITIONS)
    assert result.column("adopters") == [2, 3, 6, 4]
    assert result.column("forecast") == [False] * 4
    assert result.column("fitted_adopters") == [None] * 4
    assert result.summary["status"] == "not_identified"
    assert result.summary["p"] is None and result.summary["peak_period"] is None
    assert result.warnings == [
        "Only 4 period(s) with data: the Bass model needs at least 5 (three parameters and two "
        "more to measure the error). Choose a shorter period (week instead of month) or wait "
        "for more data."
    ]


def test_still_rising_adoption_warns_that_m_is_not_identified(run):
    # 1, 2, 3, 5, 8 per week: the last week is the highest, no inflection yet.
    story = diffusion([1, 2, 3, 5, 8])
    spec = {**SPEC, "to": str(date(34))}
    result = run(story, spec, DEFINITIONS)
    assert result.column("adopters")[:5] == [1, 2, 3, 5, 8]
    assert result.summary["status"] == "not_identified"
    assert any("still rising at the end of the data" in w for w in result.warnings)


def test_incomplete_last_week_is_shown_but_left_out_of_the_fit(run):
    # to = day 38 (Thursday of week 5): u5_0 adopted on day 36, inside the cut week.
    spec = {**SPEC, "to": str(date(38))}
    result = run(STORY, spec, DEFINITIONS)
    observed = [r for r in result.rows if not r["forecast"]]
    assert [(r["adopters"], r["in_fit"]) for r in observed] == [
        (2, True),
        (3, True),
        (6, True),
        (4, True),
        (2, True),
        (1, False),
    ]
    assert result.summary["periods_used"] == 5
    assert (
        f"The last period (starting {date(35)}) is incomplete: `to` ends inside it, so it is "
        "shown but left out of the fit." in result.warnings
    )
    # The cut week still gets a fitted value: it is the first forecast step of the curve.
    assert observed[-1]["fitted_adopters"] is not None


def test_signup_launch_starts_at_the_first_week_with_an_adopter(run):
    # Launch at signup (the default): the cohort signs up in the range. Users who first log
    # in on day 8 and view reports in weeks 2-7; the range starts two weeks earlier, which
    # holds no adopters and is dropped from the series.
    paths = {}
    for week, count in enumerate([0, 0, 2, 4, 5, 3, 2, 1]):
        for i in range(count):
            paths[f"s{week}_{i}"] = [("login", day(8)), ("report_viewed", day(7 * week + 1 + i))]
    spec = {**SPEC, "launch": "signup", "to": str(date(55))}
    result = run(journeys(paths), spec, DEFINITIONS)
    observed = [r for r in result.rows if not r["forecast"]]
    assert [(r["period"], r["adopters"]) for r in observed] == [
        (date(14), 2),
        (date(21), 4),
        (date(28), 5),
        (date(35), 3),
        (date(42), 2),
        (date(49), 1),
    ]


def test_spec_errors_read_well():
    with pytest.raises(SpecError, match="forecast_periods: Input should be greater than or equal"):
        parse_spec({**SPEC, "forecast_periods": -1})
    with pytest.raises(SpecError, match="launch='release' needs `feature`"):
        parse_spec({"kind": "bass_forecast", "launch": "release"})
    with pytest.raises(SpecError, match="confidence"):
        parse_spec({**SPEC, "confidence": 1.5})
