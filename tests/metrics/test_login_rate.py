"""Login rate: the three denominators (licensed flags, seats, known users), accounts and
breakdowns, checked by hand."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import Story, account, date, day, journeys, user
from uptake.metrics.login_rate import FALLBACK_WARNING, SEATS_SPLIT_WARNING
from uptake.service import compute

# Sunday weeks: wk1 = days 0-6, wk2 = days 7-13.
#
# ann (Sales, licensed) logs in twice in wk1 and once in wk2; she also exports (not a login).
# bob (Sales, licensed, signs up day 5) logs in only in wk2.
# cat (Support, NOT licensed) logs in in wk1.
# dan (Support, licensed, signs up day 12) never logs in.
# eve has no profile (so no flag); she first shows up with a login on day 10.
PATHS = {
    "ann": [("login", day(1)), ("login", day(2)), ("export", day(4)), ("login", day(8))],
    "bob": [("login", day(9))],
    "cat": [("login", day(3))],
    "eve": [("login", day(10))],
}
WEEKS = {"from": str(date(0)), "to": str(date(13)), "period": "week"}
COLUMNS = ("period", "logged_in", "licensed", "login_rate", "licensed_source")


def story(flags: bool) -> Story:
    """The login story, with `licensed` flags on the profiles or without any."""

    def flag(value: bool) -> bool | None:
        return value if flags else None

    return journeys(
        PATHS,
        users={
            "ann": user(account="acme", created=day(-5), licensed=flag(True), department="Sales"),
            "bob": user(account="acme", created=day(5), licensed=flag(True), department="Sales"),
            "cat": user(
                account="globex", created=day(0), licensed=flag(False), department="Support"
            ),
            "dan": user(
                account="globex", created=day(12), licensed=flag(True), department="Support"
            ),
        },
        accounts={
            "acme": account(started=day(-30)),
            "globex": account(started=day(2)),
            "initech": account(started=day(10)),
        },
    )


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def approx_rows(rows):
    return [tuple(pytest.approx(v) if isinstance(v, float) else v for v in r) for r in rows]


def test_licensed_flags_are_the_denominator_when_profiles_carry_them(run):
    # Licensed: ann, bob, dan = 3 in every week (the flag is today's state; cat is false).
    # wk1 logins: ann, cat = 2 (ann's two logins count once) -> 2/3.
    # wk2 logins: ann, bob, eve = 3 -> 3/3; eve and cat hold no license but their logins count.
    result = run(story(flags=True), {"kind": "login_rate", **WEEKS})
    assert [c.name for c in result.columns] == list(COLUMNS)
    assert values(result, *COLUMNS) == approx_rows(
        [
            (date(0), 2, 3, 2 / 3, "licensed_flag"),
            (date(7), 3, 3, 1.0, "licensed_flag"),
        ]
    )
    assert result.warnings == []


def test_seats_are_the_denominator_when_no_profile_carries_a_flag(run):
    # Same logins, no flags, the workspace declares 10 seats: 2/10 and 3/10.
    result = run(story(flags=False), {"kind": "login_rate", **WEEKS}, {"seats": {"licensed": 10}})
    assert values(result, *COLUMNS) == approx_rows(
        [
            (date(0), 2, 10, 0.2, "seats"),
            (date(7), 3, 10, 0.3, "seats"),
        ]
    )
    assert result.warnings == []


def test_flags_win_over_seats(run):
    # Both are there: the flags (3 licensed users) are the more precise denominator.
    result = run(story(flags=True), {"kind": "login_rate", **WEEKS}, {"seats": {"licensed": 10}})
    assert values(result, "licensed", "licensed_source") == [
        (3, "licensed_flag"),
        (3, "licensed_flag"),
    ]


def test_known_users_are_the_fallback_with_a_warning(run):
    # No flags, no seats: users known by the week's end. wk1 (day 6): ann (-5), bob (5),
    # cat (0) = 3 -> 2/3. wk2 (day 13): + dan (12), eve (first event day 10) = 5 -> 3/5.
    result = run(story(flags=False), {"kind": "login_rate", **WEEKS})
    assert values(result, *COLUMNS) == approx_rows(
        [
            (date(0), 2, 3, 2 / 3, "known_users"),
            (date(7), 3, 5, 0.6, "known_users"),
        ]
    )
    assert result.warnings == [
        "No user profile carries a `licensed` flag and the workspace sets no `seats.licensed`: "
        "the denominator fell back to all users known by each period's end."
    ]
    assert result.warnings == [FALLBACK_WARNING]


def test_the_login_event_comes_from_the_workspace(run):
    # With login_event = "export" only ann's day-4 export counts: wk1 1/3, wk2 0/3.
    result = run(
        story(flags=True), {"kind": "login_rate", **WEEKS}, {"activity": {"login_event": "export"}}
    )
    assert values(result, "logged_in", "licensed", "login_rate") == approx_rows(
        [
            (1, 3, 1 / 3),
            (0, 3, 0.0),
        ]
    )


def test_breakdown_by_department_with_flags(run):
    # Licensed per department: Sales ann, bob = 2; Support dan = 1 (cat is not licensed);
    # (none) = eve, no profile, no license.
    # wk1: Sales ann 1/2; Support cat 1/1; (none) nobody 0/0 -> null.
    # wk2: Sales ann, bob 2/2; Support nobody 0/1; (none) eve 1/0 -> null.
    spec = {"kind": "login_rate", "breakdown": "user.department", **WEEKS}
    cols = ("period", "breakdown", *COLUMNS[1:])
    assert values(run(story(flags=True), spec), *cols) == approx_rows(
        [
            (date(0), "(none)", 0, 0, None, "licensed_flag"),
            (date(0), "Sales", 1, 2, 0.5, "licensed_flag"),
            (date(0), "Support", 1, 1, 1.0, "licensed_flag"),
            (date(7), "(none)", 1, 0, None, "licensed_flag"),
            (date(7), "Sales", 2, 2, 1.0, "licensed_flag"),
            (date(7), "Support", 0, 1, 0.0, "licensed_flag"),
        ]
    )


def test_filter_on_users_narrows_flags_and_logins(run):
    # Sales only: licensed ann, bob; wk1 ann 1/2, wk2 ann, bob 2/2.
    spec = {
        "kind": "login_rate",
        **WEEKS,
        "filters": [{"property": "user.department", "op": "eq", "value": "Sales"}],
    }
    assert values(run(story(flags=True), spec), "logged_in", "licensed", "login_rate") == (
        approx_rows([(1, 2, 0.5), (2, 2, 1.0)])
    )


def test_seats_cannot_be_split_by_a_breakdown(run):
    # 10 seats for the whole workspace say nothing about Sales alone: licensed is left empty
    # and a warning says why; the login counts are still there.
    spec = {"kind": "login_rate", "breakdown": "user.department", **WEEKS}
    result = run(story(flags=False), spec, {"seats": {"licensed": 10}})
    assert values(result, "period", "breakdown", "logged_in", "licensed", "login_rate") == [
        (date(0), "(none)", 0, None, None),
        (date(0), "Sales", 1, None, None),
        (date(0), "Support", 1, None, None),
        (date(7), "(none)", 1, None, None),
        (date(7), "Sales", 2, None, None),
        (date(7), "Support", 0, None, None),
    ]
    assert result.warnings == [SEATS_SPLIT_WARNING]


def test_accounts_with_a_login_over_customers_started_by_the_period_end(run):
    # Customers: acme since day -30, globex since day 2, initech since day 10 (no users).
    # wk1: acme (ann) and globex (cat) logged in; customers by day 6: acme, globex -> 2/2.
    # wk2: acme (ann, bob) logged in; eve has no account; customers by day 13: 3 -> 1/3.
    spec = {"kind": "login_rate", "unit": "account", **WEEKS}
    result = run(story(flags=True), spec)
    assert values(result, *COLUMNS) == approx_rows(
        [
            (date(0), 2, 2, 1.0, "accounts"),
            (date(7), 1, 3, 1 / 3, "accounts"),
        ]
    )
    assert result.warnings == []


# Property (DuckDB only): when every user who logs in holds a license, 0 <= login_rate <= 1.

USERS = ["u0", "u1", "u2", "u3", "u4"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    logins=st.dictionaries(st.sampled_from(USERS), st.lists(st.integers(0, 20), max_size=4)),
    others=st.dictionaries(st.sampled_from(USERS), st.booleans()),
    period=st.sampled_from(["day", "week", "month"]),
)
def test_login_rate_stays_between_0_and_1_when_every_login_is_licensed(logins, others, period):
    # Users who log in are licensed; the others carry a random flag.
    profiles = {u: user(licensed=True if logins.get(u) else others.get(u, False)) for u in USERS}
    story = journeys(
        {u: [("login", day(d)) for d in days] for u, days in logins.items()}, users=profiles
    )
    spec = {"kind": "login_rate", "from": str(date(0)), "to": str(date(20)), "period": period}
    with duckdb_tables(story) as tables:
        result = compute(spec, tables)
    for row in result.rows:
        assert row["licensed_source"] == "licensed_flag"
        if row["licensed"] == 0:
            assert row["logged_in"] == 0 and row["login_rate"] is None
        else:
            assert 0.0 <= row["login_rate"] <= 1.0
