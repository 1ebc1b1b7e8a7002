"""Adoption rate and product adoption rate, checked by hand on narrated stories."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import Story, account, date, day, journeys, user
from uptake.errors import SpecError
from uptake.service import compute

# Sunday weeks: wk1 = days 0-6 (Jan 4-10), wk2 = days 7-13, wk3 = days 14-20.
#
# ann signed up long ago and was active before the range (day -3); she first exports on day 2.
# bob signs up on day 1, is active at once, and first exports on day 9.
# cat has no profile: her first event (day 8) is her signup and her first activity.
# dan signs up on day 3 and never does anything.
# eve signs up on day 12 and first shows up (and exports) on day 16.
STORY = journeys(
    {
        "ann": [("login", day(-3)), ("export", day(2))],
        "bob": [("login", day(1)), ("export", day(9)), ("export", day(10))],
        "cat": [("login", day(8))],
        "eve": [("login", day(16)), ("export", day(16))],
    },
    users={
        "ann": user(account="acme", created=day(-10), department="Sales"),
        "bob": user(account="acme", created=day(1), department="Sales"),
        "dan": user(account="acme", created=day(3), department="Support"),
        "eve": user(account="initech", created=day(12), department="Support"),
    },
    accounts={"acme": account(started=day(-20)), "initech": account(started=day(14))},
    account_of={"cat": "globex"},
)
WEEKS = {"from": str(date(0)), "to": str(date(20)), "period": "week"}
COLUMNS = (
    "period", "new_adopters", "cumulative_adopters", "total_users", "adoption_rate_percent",
    "cumulative_adoption_percent",
)  # fmt: skip


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def approx_rows(rows):
    return [tuple(pytest.approx(v) if isinstance(v, float) else v for v in r) for r in rows]


def test_product_adoption_counts_first_ever_activity_against_known_users(run):
    # First activity: ann day -3 (before the range: never new in it), bob 1, cat 8, eve 16.
    # new: wk1 bob, wk2 cat, wk3 eve. Cumulative (all history): wk1 ann+bob = 2, wk2 3, wk3 4.
    # Known users by the week's end: wk1 ann, bob, dan = 3; wk2 + cat (8), eve (12) = 5; wk3 5.
    result = run(STORY, {"kind": "adoption_rate", **WEEKS})
    assert [c.name for c in result.columns] == list(COLUMNS)
    assert values(result, *COLUMNS) == approx_rows(
        [
            (date(0), 1, 2, 3, 100 / 3, 200 / 3),
            (date(7), 1, 3, 5, 20.0, 60.0),
            (date(14), 1, 4, 5, 20.0, 80.0),
        ]
    )


def test_feature_adoption_counts_the_feature_first_use(run):
    # First export: ann day 2, bob day 9 (his day-10 export is not new), eve day 16.
    # Same known users as the product: 3, 5, 5.
    definitions = {"features": [{"name": "Exports", "events": ["export"]}]}
    result = run(STORY, {"kind": "adoption_rate", "feature": "Exports", **WEEKS}, definitions)
    assert values(result, *COLUMNS) == approx_rows(
        [
            (date(0), 1, 1, 3, 100 / 3, 100 / 3),
            (date(7), 1, 2, 5, 20.0, 40.0),
            (date(14), 1, 3, 5, 20.0, 60.0),
        ]
    )


def test_explicit_event_patterns_work_like_a_feature(run):
    # `exp*` matches only `export`: the same numbers as the Exports feature.
    result = run(STORY, {"kind": "adoption_rate", "events": ["exp*"], **WEEKS})
    assert values(result, "new_adopters", "cumulative_adopters", "total_users") == [
        (1, 1, 3),
        (1, 2, 5),
        (1, 3, 5),
    ]


def test_breakdown_by_department(run):
    # (none) = cat only: signs up and adopts in wk2 -> wk1 0/0 (null), wk2 1/1, wk3 0/1.
    # Sales = ann (adopted before the range) + bob (wk1); both known from wk1.
    # Support = dan (known wk1, never adopts) + eve (known wk2, adopts wk3).
    spec = {"kind": "adoption_rate", "breakdown": "user.department", **WEEKS}
    cols = ("period", "breakdown", *COLUMNS[1:])
    assert values(run(STORY, spec), *cols) == approx_rows(
        [
            (date(0), "(none)", 0, 0, 0, None, None),
            (date(0), "Sales", 1, 2, 2, 50.0, 100.0),
            (date(0), "Support", 0, 0, 1, 0.0, 0.0),
            (date(7), "(none)", 1, 1, 1, 100.0, 100.0),
            (date(7), "Sales", 0, 2, 2, 0.0, 100.0),
            (date(7), "Support", 0, 0, 2, 0.0, 0.0),
            (date(14), "(none)", 0, 1, 1, 0.0, 100.0),
            (date(14), "Sales", 0, 2, 2, 0.0, 100.0),
            (date(14), "Support", 1, 1, 2, 50.0, 50.0),
        ]
    )


def test_accounts_adopt_with_their_first_user(run):
    # acme: customer since day -20, first activity day -3 (ann): adopted before the range.
    # globex: no profile, known from cat's first event (day 8), adopts then (wk2).
    # initech: customer since day 14, adopts with eve on day 16 (wk3).
    result = run(STORY, {"kind": "adoption_rate", "unit": "account", **WEEKS})
    assert values(result, *COLUMNS) == approx_rows(
        [
            (date(0), 0, 1, 1, 0.0, 100.0),
            (date(7), 1, 2, 2, 50.0, 100.0),
            (date(14), 1, 3, 3, 100 / 3, 100.0),
        ]
    )


def test_range_starting_mid_week_counts_only_days_inside_it(run):
    # From day 2 (Tuesday): wk1 is Jan 4-10 but only days 2-6 count as new; bob's first
    # activity on day 1 is before the range, so wk1 has no new adopter; cumulative still counts
    # him (and ann). To day 9: the last week ends on day 9, so eve (day 12) is not yet known.
    spec = {"kind": "adoption_rate", "from": str(date(2)), "to": str(date(9)), "period": "week"}
    assert values(run(STORY, spec), *COLUMNS) == approx_rows(
        [
            (date(0), 0, 2, 3, 0.0, 200 / 3),
            (date(7), 1, 3, 4, 25.0, 75.0),
        ]
    )


def test_both_events_and_feature_is_a_clear_error(run):
    with pytest.raises(SpecError, match="give `events` or `feature`, not both"):
        run(STORY, {"kind": "adoption_rate", "events": ["export"], "feature": "Exports", **WEEKS})


def test_unknown_feature_is_a_clear_error(run):
    with pytest.raises(SpecError, match="unknown feature 'Reports'"):
        run(STORY, {"kind": "adoption_rate", "feature": "Reports", **WEEKS})


# Months: Jan 1 = day -3, Feb 1 = day 28, Mar 1 = day 56, Apr 1 = day 87.
#
# ann signs up in January and is active at once.
# bob signs up in January but first becomes active in February.
# cat signs up in January and first becomes active in March.
# dan has no profile: his first event (Feb) is both his signup and his first activity.
# fay has no profile: her first event is a passive `email_opened` in January (her signup);
#   she first logs in in February.
# eve signs up in March and never does anything.
MONTH_STORY = journeys(
    {
        "ann": [("login", day(2))],
        "bob": [("login", day(30))],
        "cat": [("login", day(60))],
        "dan": [("login", day(35))],
        "fay": [("email_opened", day(20)), ("login", day(31))],
    },
    users={
        "ann": user(account="acme", created=day(0)),
        "bob": user(account="acme", created=day(5)),
        "cat": user(account="globex", created=day(10)),
        "eve": user(account="globex", created=day(60)),
    },
    accounts={"acme": account(started=day(0)), "globex": account(started=day(40))},
)
MONTHS = {"from": "2026-01-01", "to": "2026-04-30"}
PASSIVE = {"activity": {"exclude": ["email_opened"]}}
MONTH_COLUMNS = ("period", "new_active", "signups", "product_adoption_rate_percent")


def test_product_adoption_rate_is_monthly_and_can_exceed_100(run):
    # Jan: signups ann, bob, cat, fay = 4; new active ann -> 25%.
    # Feb: signups dan = 1; new active bob, dan, fay (her January email does not count as
    #      activity) = 3 -> 300%: people signed up earlier became active now.
    # Mar: signups eve = 1; new active cat -> 100%.  Apr: nothing -> 0 / 0 = null.
    result = run(MONTH_STORY, {"kind": "product_adoption_rate", **MONTHS}, PASSIVE)
    assert [c.name for c in result.columns] == list(MONTH_COLUMNS)
    assert values(result, *MONTH_COLUMNS) == approx_rows(
        [
            (dt.date(2026, 1, 1), 1, 4, 25.0),
            (dt.date(2026, 2, 1), 3, 1, 300.0),
            (dt.date(2026, 3, 1), 1, 1, 100.0),
            (dt.date(2026, 4, 1), 0, 0, None),
        ]
    )


def test_product_adoption_rate_per_account(run):
    # acme: customer since Jan (day 0), active Jan (ann). globex: customer since Feb (day 40),
    # first active in Mar (cat). dan and fay have no account and are left out.
    spec = {"kind": "product_adoption_rate", "unit": "account", **MONTHS}
    assert values(run(MONTH_STORY, spec, PASSIVE), *MONTH_COLUMNS) == approx_rows(
        [
            (dt.date(2026, 1, 1), 1, 1, 100.0),
            (dt.date(2026, 2, 1), 0, 1, 0.0),
            (dt.date(2026, 3, 1), 1, 0, None),
            (dt.date(2026, 4, 1), 0, 0, None),
        ]
    )


def test_product_adoption_rate_by_week_and_breakdown(run):
    # Weeks of Feb 1-14 (days 28-41), by the user's account: acme = ann, bob;
    # globex = cat, eve; (none) = dan, fay. Week Feb 1-7 (days 28-34): bob and fay become
    # active, nobody signs up. Week Feb 8-14 (days 35-41): dan signs up and becomes active.
    spec = {
        "kind": "product_adoption_rate",
        "period": "week",
        "from": str(date(28)),
        "to": str(date(41)),
        "breakdown": "account.account_id",
    }
    assert values(run(MONTH_STORY, spec, PASSIVE), "period", "breakdown", *MONTH_COLUMNS[1:]) == (
        approx_rows(
            [
                (date(28), "(none)", 1, 0, None),
                (date(28), "acme", 1, 0, None),
                (date(28), "globex", 0, 0, None),
                (date(35), "(none)", 1, 1, 100.0),
                (date(35), "acme", 0, 0, None),
                (date(35), "globex", 0, 0, None),
            ]
        )
    )


# Properties (DuckDB only): small random stories, a fresh store per example.

USERS = ["u0", "u1", "u2", "u3", "u4", "u5"]
steps = st.lists(
    st.tuples(st.sampled_from(["login", "export", "view"]), st.integers(0, 40)),
    max_size=6,
)


def _compute(story: Story, spec: dict, definitions: dict | None = None):
    with duckdb_tables(story, definitions) as tables:
        return compute(spec, tables)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paths=st.dictionaries(st.sampled_from(USERS), steps, min_size=1),
    events=st.sampled_from([None, ["export"]]),
)
def test_new_adopters_over_all_periods_sum_to_everyone_who_ever_used_it(paths, events):
    story = journeys({u: [(name, day(d)) for name, d in s] for u, s in paths.items()})
    used = {u for u, s in paths.items() for name, _ in s if events is None or name in events}
    spec = {
        "kind": "adoption_rate",
        "from": str(date(0)),
        "to": str(date(40)),
        "period": "week",
        **({"events": events} if events else {}),
    }
    result = _compute(story, spec)
    assert sum(result.column("new_adopters")) == len(used)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paths=st.dictionaries(st.sampled_from(USERS), steps, min_size=1),
    signed_up=st.dictionaries(st.sampled_from(USERS), st.integers(-30, -1)),
    period=st.sampled_from(["day", "week", "month"]),
)
def test_cumulative_adoption_never_falls_while_nobody_signs_up(paths, signed_up, period):
    # Everyone has a profile dated before the range, so total_users is constant inside it.
    profiles = {u: user(created=day(signed_up.get(u, -31))) for u in USERS}
    story = journeys(
        {u: [(name, day(d)) for name, d in s] for u, s in paths.items()}, users=profiles
    )
    spec = {"kind": "adoption_rate", "from": str(date(0)), "to": str(date(40)), "period": period}
    percents = _compute(story, spec).column("cumulative_adoption_percent")
    assert all(a <= b for a, b in itertools.pairwise(percents))


def test_an_account_filter_keeps_the_users_of_matching_accounts(run):
    # acme is on "pro", initech on "free"; cat's account (globex) has no profile. With
    # account.plan = pro only acme's users count: ann (active before the range), bob (first
    # active day 1) and dan (signed up day 3, never active). new: wk1 bob; cumulative ann+bob
    # = 2 throughout; known users 3 throughout (dan's profile counts from day 3).
    story = journeys(
        {
            "ann": [("login", day(-3)), ("export", day(2))],
            "bob": [("login", day(1)), ("export", day(9)), ("export", day(10))],
            "cat": [("login", day(8))],
            "eve": [("login", day(16)), ("export", day(16))],
        },
        users={
            "ann": user(account="acme", created=day(-10)),
            "bob": user(account="acme", created=day(1)),
            "dan": user(account="acme", created=day(3)),
            "eve": user(account="initech", created=day(12)),
        },
        accounts={
            "acme": account(started=day(-20), plan="pro"),
            "initech": account(started=day(14), plan="free"),
        },
        account_of={"cat": "globex"},
    )
    pro = [{"property": "account.plan", "op": "eq", "value": "pro"}]
    result = run(story, {"kind": "adoption_rate", "filters": pro, **WEEKS})
    assert values(result, *COLUMNS) == approx_rows(
        [
            (date(0), 1, 2, 3, 100 / 3, 200 / 3),
            (date(7), 0, 2, 3, 0.0, 200 / 3),
            (date(14), 0, 2, 3, 0.0, 200 / 3),
        ]
    )
