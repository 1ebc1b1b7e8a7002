"""Trends: totals, uniques, DAU, rolling WAU / MAU, breakdowns and filters, checked by hand."""

from __future__ import annotations

import pytest

from tests.stories import date, day, journeys, user

# Weeks start Sunday: week 1 = days 0-6 (Jan 4-10), week 2 = days 7-13, week 3 = days 14-20.
STORY = journeys(
    {
        "ann": [
            ("login", day(0)),
            ("login", day(1)),
            ("export", day(3), {"format": "pdf"}),
            ("login", day(8)),
        ],
        "bob": [("login", day(1)), ("login", day(15))],
        "cat": [("login", day(9, 8)), ("login", day(9, 17)), ("export", day(9), {"format": "csv"})],
    },
    users={
        "ann": user(account="acme", department="Sales"),
        "bob": user(account="acme", department="Sales"),
    },
    account_of={"cat": "globex"},
)
WEEKS = {"from": str(date(0)), "to": str(date(20)), "period": "week"}


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def test_unique_users_per_week(run):
    # wk1: ann, bob; wk2: ann (day 8), cat (day 9); wk3: bob (day 15).
    result = run(STORY, {"kind": "trend", "measure": "unique", **WEEKS})
    assert values(result, "period", "value") == [(date(0), 2), (date(7), 2), (date(14), 1)]


def test_total_events_per_week(run):
    # wk1: ann 3 + bob 1; wk2: ann 1 + cat 3; wk3: bob 1.
    result = run(STORY, {"kind": "trend", "measure": "total", **WEEKS})
    assert values(result, "period", "value") == [(date(0), 4), (date(7), 4), (date(14), 1)]


def test_dau_is_mean_daily_uniques_over_the_period(run):
    # wk1 daily uniques: d0 1, d1 2, d3 1 -> 4 / 7 days; wk2: d8 1, d9 1 -> 2/7; wk3: 1/7.
    result = run(STORY, {"kind": "trend", "measure": "dau", **WEEKS})
    assert values(result, "period") == [(date(0),), (date(7),), (date(14),)]
    assert result.column("value") == pytest.approx([4 / 7, 2 / 7, 1 / 7])


def test_rolling_wau_per_day_counts_activity_before_the_range(run):
    # WAU(d) = distinct users in [d-6, d]. d2..d7 see ann and bob (bob's day 1 stays in the
    # window until day 7); d8: only ann (bob's day 1 fell out); d9, d10: ann and cat.
    spec = {
        "kind": "trend",
        "measure": "wau",
        "from": str(date(2)),
        "to": str(date(10)),
        "period": "day",
    }
    result = run(STORY, spec)
    assert values(result, "period", "value") == [
        (date(2), 2),
        (date(3), 2),
        (date(4), 2),
        (date(5), 2),
        (date(6), 2),
        (date(7), 2),
        (date(8), 1),
        (date(9), 2),
        (date(10), 2),
    ]


def test_mau_per_month_is_sampled_at_the_last_day_in_range(run):
    # One month bucket (Jan 1), sampled on Jan 20 (= `to`): 30 days back covers everyone.
    spec = {
        "kind": "trend",
        "measure": "mau",
        "from": str(date(0)),
        "to": str(date(16)),
        "period": "month",
    }
    result = run(STORY, spec)
    assert values(result, "period", "value") == [(date(-3), 3)]


def test_breakdown_by_user_trait_fills_missing_with_zero(run):
    # cat has no profile -> "(none)". "(none)" sorts before "Sales".
    result = run(
        STORY, {"kind": "trend", "measure": "unique", "breakdown": "user.department", **WEEKS}
    )
    assert values(result, "period", "breakdown", "value") == [
        (date(0), "(none)", 0),
        (date(0), "Sales", 2),
        (date(7), "(none)", 1),
        (date(7), "Sales", 1),
        (date(14), "(none)", 0),
        (date(14), "Sales", 1),
    ]


def test_filter_on_event_name(run):
    spec = {
        "kind": "trend",
        "measure": "total",
        **WEEKS,
        "filters": [{"property": "event", "op": "eq", "value": "export"}],
    }
    assert values(run(STORY, spec), "value") == [(1,), (1,), (0,)]


def test_unique_accounts(run):
    # wk1: acme; wk2: acme (ann) + globex (cat); wk3: acme (bob).
    result = run(STORY, {"kind": "trend", "measure": "unique", "unit": "account", **WEEKS})
    assert values(result, "value") == [(1,), (2,), (1,)]


def test_breakdown_by_event_property_reads_raw_events(run):
    spec = {
        "kind": "trend",
        "measure": "total",
        "events": ["export"],
        "breakdown": "event.format",
        **WEEKS,
    }
    assert values(run(STORY, spec), "period", "breakdown", "value") == [
        (date(0), "csv", 0),
        (date(0), "pdf", 1),
        (date(7), "csv", 1),
        (date(7), "pdf", 0),
        (date(14), "csv", 0),
        (date(14), "pdf", 0),
    ]


def test_monday_weeks_move_the_buckets(run):
    # Monday weeks: Dec 29-Jan 4 holds day 0; Jan 5-11 holds days 1-7; Jan 12-18 days 8-14.
    spec = {"kind": "trend", "measure": "total", **WEEKS, "week_start": "monday"}
    assert values(run(STORY, spec), "period", "value") == [
        (date(-6), 1),
        (date(1), 3),
        (date(8), 4),
        (date(15), 1),
    ]


def test_filters_on_the_own_ids_match_people_and_accounts_seen_only_on_events(run):
    # cat has no profile and globex no account row: both are known from cat's events alone.
    # cat's events: 3 on day 9 (week 2). Before, a user.user_id filter read the users table
    # and found nobody.
    by_user = {"property": "user.user_id", "op": "eq", "value": "cat"}
    by_account = {"property": "account.account_id", "op": "eq", "value": "globex"}
    for spec_filter in (by_user, by_account):
        spec = {"kind": "trend", "measure": "total", "filters": [spec_filter], **WEEKS}
        result = run(STORY, spec)
        assert values(result, "period", "value") == [(date(0), 0), (date(7), 3), (date(14), 0)]
