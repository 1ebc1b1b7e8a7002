"""Stickiness (entities by number of active periods) and the DAU/WAU, DAU/MAU ratio, checked by
hand, plus properties of the distribution."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import account, date, day, journeys, user
from uptake.errors import SpecError
from uptake.metrics import parse_spec
from uptake.service import compute

# Sunday weeks: W1 = days 0-6, W2 = days 7-13, W3 = days 14-20, W4 = days 21-27.
STORY = journeys(
    {
        # Days 0, 1 (twice), 8: 3 active days, 2 active weeks.
        "ann": [("login", day(0)), ("login", day(1, 9)), ("export", day(1, 15)), ("login", day(8))],
        # Days 2, 3, 4: 3 active days, 1 active week.
        "bob": [("login", day(2)), ("login", day(3)), ("export", day(4))],
        # Day -1 is before the range; day 12: 1 active day, 1 active week.
        "cat": [("login", day(-1)), ("login", day(12))],
        # Day 20 only: outside the two-week range, inside the four-week one.
        "dan": [("login", day(20))],
    },
    users={
        "ann": user(account="acme", department="Sales"),
        "bob": user(account="acme", department="Sales"),
        "cat": user(account="globex"),
        "dan": user(account="globex"),
    },
    accounts={"acme": account(plan="pro"), "globex": account(plan="free")},
)
TWO_WEEKS = {"kind": "stickiness", "from": str(date(0)), "to": str(date(13))}


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def test_days_active_exactly_n_of_fourteen(run):
    result = run(STORY, {**TWO_WEEKS, "period": "day"})
    assert [c.name for c in result.columns] == ["active_periods", "entities", "share"]
    # cat 1 day; ann and bob 3 days each; 3 active people. Every n from 1 to 14 is present.
    assert values(result, "active_periods", "entities") == [(1, 1), (2, 0), (3, 2)] + [
        (n, 0) for n in range(4, 15)
    ]
    assert result.column("share") == pytest.approx([1 / 3, 0, 2 / 3] + [0] * 11)


def test_days_active_n_or_more_is_cumulative(run):
    result = run(STORY, {**TWO_WEEKS, "period": "day", "cumulative": True})
    # 1+ days: all 3; 2+ and 3+: ann and bob; 4+: nobody.
    assert values(result, "active_periods", "entities") == [(1, 3), (2, 2), (3, 2)] + [
        (n, 0) for n in range(4, 15)
    ]
    assert result.column("share") == pytest.approx([1, 2 / 3, 2 / 3] + [0] * 11)


def test_weeks_active_exact_and_cumulative(run):
    # bob (W1) and cat (W2) 1 week; ann W1 and W2.
    exact = run(STORY, {**TWO_WEEKS, "period": "week"})
    assert values(exact, "active_periods", "entities") == [(1, 2), (2, 1)]
    assert exact.column("share") == pytest.approx([2 / 3, 1 / 3])
    cumulative = run(STORY, {**TWO_WEEKS, "period": "week", "cumulative": True})
    assert values(cumulative, "active_periods", "entities") == [(1, 3), (2, 1)]
    assert cumulative.column("share") == pytest.approx([1, 1 / 3])


def test_partial_weeks_count_as_buckets_and_only_days_in_range_count(run):
    # Days 3-9 touch W1 (days 3-6) and W2 (days 7-9): N = 2. ann: day 8 only (days 0, 1 are
    # before `from`) -> 1; bob: days 3, 4 -> 1; cat's day 12 is after `to`.
    spec = {"kind": "stickiness", "from": str(date(3)), "to": str(date(9)), "period": "week"}
    result = run(STORY, spec)
    assert values(result, "active_periods", "entities", "share") == [(1, 2, 1.0), (2, 0, 0.0)]


def test_nobody_active_gives_zero_rows_and_no_share(run):
    spec = {"kind": "stickiness", "from": str(date(30)), "to": str(date(32)), "period": "day"}
    assert values(run(STORY, spec), "active_periods", "entities", "share") == [
        (1, 0, None),
        (2, 0, None),
        (3, 0, None),
    ]


def test_breakdown_shares_are_within_each_value(run):
    # Sales = ann (2 weeks), bob (1 week); cat has no department -> "(none)", 1 week.
    spec = {**TWO_WEEKS, "period": "week", "breakdown": "user.department"}
    result = run(STORY, spec)
    assert [c.name for c in result.columns] == ["active_periods", "breakdown", "entities", "share"]
    assert values(result, "active_periods", "breakdown", "entities", "share") == [
        (1, "(none)", 1, 1.0),
        (1, "Sales", 1, 0.5),
        (2, "(none)", 0, 0.0),
        (2, "Sales", 1, 0.5),
    ]


def test_accounts_and_chosen_events(run):
    # Exports only: acme (ann day 1, bob day 4) -> 1 week; globex never exports.
    spec = {**TWO_WEEKS, "period": "week", "unit": "account", "events": ["export"]}
    assert values(run(STORY, spec), "active_periods", "entities", "share") == [
        (1, 1, 1.0),
        (2, 0, 0.0),
    ]


# --- DAU/WAU and DAU/MAU --------------------------------------------------------------------

FOUR_WEEKS = {
    "kind": "stickiness_ratio",
    "from": str(date(0)),
    "to": str(date(27)),
    "period": "week",
}


def test_dau_over_wau_per_week_with_an_empty_week(run):
    result = run(STORY, FOUR_WEEKS)
    assert [c.name for c in result.columns] == ["period", "average_daily_active", "active", "ratio"]
    # Entity-days: W1 ann 0, 1 + bob 2, 3, 4 = 5 over 7 days, 2 active -> 5/7 / 2 = 5/14.
    # W2: ann 8, cat 12 -> 2/7, 2 active -> 1/7. W3: dan 20 -> 1/7, 1 active -> 1/7.
    # W4: nobody -> average 0, active 0, ratio None (not an error).
    assert values(result, "period", "active") == [
        (date(0), 2),
        (date(7), 2),
        (date(14), 1),
        (date(21), 0),
    ]
    assert result.column("average_daily_active") == pytest.approx([5 / 7, 2 / 7, 1 / 7, 0])
    assert result.column("ratio")[:3] == pytest.approx([5 / 14, 1 / 7, 1 / 7])
    assert result.column("ratio")[3] is None


def test_dau_over_mau_is_the_default_and_uses_days_inside_the_range(run):
    spec = {"kind": "stickiness_ratio", "from": str(date(0)), "to": str(date(31))}
    result = run(STORY, spec)
    # January: Jan 4-31 are in range (28 days): 5 + 2 + 1 = 8 entity-days -> 8/28 = 2/7;
    # 4 active -> ratio 1/14. February: Feb 1-4, nobody -> ratio None.
    assert values(result, "period", "active") == [
        (dt.date(2026, 1, 1), 4),
        (dt.date(2026, 2, 1), 0),
    ]
    assert result.column("average_daily_active") == pytest.approx([2 / 7, 0])
    assert result.column("ratio")[0] == pytest.approx(1 / 14)
    assert result.column("ratio")[1] is None


def test_ratio_for_accounts_broken_down_by_plan(run):
    spec = {**FOUR_WEEKS, "to": str(date(13)), "unit": "account", "breakdown": "account.plan"}
    result = run(STORY, spec)
    # acme (pro): W1 days 0-4 (ann 0, 1; bob 2, 3, 4) = 5 account-days -> 5/7, ratio 5/7;
    # W2: day 8 -> 1/7, ratio 1/7. globex (free): W1 nothing (cat's day -1 is before the
    # range) -> ratio None; W2 day 12 -> 1/7, ratio 1/7.
    assert values(result, "period", "breakdown", "active") == [
        (date(0), "free", 0),
        (date(0), "pro", 1),
        (date(7), "free", 1),
        (date(7), "pro", 1),
    ]
    assert result.column("average_daily_active") == pytest.approx([0, 5 / 7, 1 / 7, 1 / 7])
    assert result.column("ratio") == [
        None,
        pytest.approx(5 / 7),
        pytest.approx(1 / 7),
        pytest.approx(1 / 7),
    ]


def test_day_ratio_is_refused_with_a_clear_message():
    with pytest.raises(SpecError, match=r"invalid stickiness_ratio spec: period: .*'week'"):
        parse_spec({"kind": "stickiness_ratio", "period": "day"})


# --- properties (DuckDB only) ---------------------------------------------------------------

PEOPLE = ["u0", "u1", "u2", "u3", "u4", "u5"]


activity = st.dictionaries(
    st.sampled_from(PEOPLE), st.lists(st.integers(-5, 40), min_size=1, max_size=8), min_size=1
)
ranges = st.sampled_from(
    [
        ("day", date(0), date(9)),
        ("week", date(2), date(30)),
        ("month", date(0), date(40)),
    ]
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths=activity, window=ranges)
def test_distribution_adds_up_and_cumulative_never_rises(paths, window):
    period, date_from, date_to = window
    story = journeys({who: [("login", day(n)) for n in days] for who, days in paths.items()})
    spec = {"kind": "stickiness", "period": period, "from": str(date_from), "to": str(date_to)}
    with duckdb_tables(story) as tables:
        exact = compute(spec, tables).column("entities")
        cumulative = compute({**spec, "cumulative": True}, tables).column("entities")
    active = sum(1 for days in paths.values() if any(date_from <= date(n) <= date_to for n in days))
    assert sum(exact) == active
    assert cumulative[0] == active
    assert all(a >= b for a, b in itertools.pairwise(cumulative))
    # n or more = the exact counts from n on.
    assert cumulative == [sum(exact[i:]) for i in range(len(exact))]
