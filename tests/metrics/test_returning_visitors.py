"""Returning visitors: active in a period and active before it (history before `from` counts)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import date, day, journeys, user
from uptake.service import compute

# Weeks start Sunday: week 1 = days 0-6, week 2 = days 7-13, week 3 = days 14-20.
MOBILE = {"device": "mobile"}
STORY = journeys(
    {
        "ann": [("login", day(-30), MOBILE), ("login", day(2)), ("login", day(9), MOBILE)],
        "bob": [("login", day(3)), ("login", day(5)), ("login", day(10), MOBILE)],
        "cat": [("pageview", day(8)), ("login", day(15))],
        "dan": [("login", day(16))],
        "eve": [("email_opened", day(-10)), ("login", day(4))],
        "fay": [("login", day(12)), ("login", day(19), MOBILE)],
        "gus": [("login", day(1)), ("login", day(4))],
    },
    users={
        "ann": user(account="acme", department="Sales"),
        "bob": user(account="acme", department="Sales"),
        "cat": user(account="globex", department="Support"),
        "dan": user(account="globex"),
        # eve, fay and gus have no profile and no account.
    },
)
WEEKS = {"from": str(date(0)), "to": str(date(20)), "period": "week"}
COLUMNS = ("period", "visitors", "returning_visitors", "new_visitors", "returning_visitor_rate")


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def test_returning_visitors_count_history_before_the_range(run):
    # Week 1: ann (first seen day -30), bob (day 3), eve (email on day -10), gus (day 1);
    # returning: ann and eve, whose first activity is before `from` -> 2/4.
    # Week 2: ann, bob (first day 3 < 7), cat (first day 8), fay (day 12) -> 2/4.
    # Week 3: cat (first day 8), dan (day 16), fay (day 12) -> 2/3.
    result = run(STORY, {"kind": "returning_visitors", **WEEKS})
    assert values(result, *COLUMNS) == [
        (date(0), 4, 2, 2, 0.5),
        (date(7), 4, 2, 2, 0.5),
        (date(14), 3, 2, 1, pytest.approx(2 / 3)),
    ]


def test_passive_events_excluded_from_activity_do_not_make_a_visitor_returning(run):
    # With email_opened excluded, eve's first activity is her login on day 4: new in week 1,
    # which leaves ann alone returning -> 1/4. Weeks 2 and 3 do not involve eve.
    definitions = {"activity": {"exclude": ["email_opened"]}}
    result = run(STORY, {"kind": "returning_visitors", **WEEKS}, definitions)
    assert values(result, *COLUMNS) == [
        (date(0), 4, 1, 3, 0.25),
        (date(7), 4, 2, 2, 0.5),
        (date(14), 3, 2, 1, pytest.approx(2 / 3)),
    ]


def test_events_narrow_both_visits_and_history(run):
    # Logins only. Week 1: ann (first login day -30), bob, eve (first login day 4), gus
    # (day 1) -> 1/4. Week 2: ann, bob, fay (cat only viewed a page) -> 2/3.
    # Week 3: cat (first login day 15: new), dan (new), fay (day 12) -> 1/3.
    result = run(STORY, {"kind": "returning_visitors", "events": ["login"], **WEEKS})
    assert values(result, *COLUMNS) == [
        (date(0), 4, 1, 3, 0.25),
        (date(7), 3, 2, 1, pytest.approx(2 / 3)),
        (date(14), 3, 1, 2, pytest.approx(1 / 3)),
    ]


def test_a_period_cut_by_from_starts_on_from(run):
    # From Wednesday day 3, week 1 covers days 3-6: bob (days 3, 5; first day 3: new), eve
    # (first day -10), gus (first day 1, before day 3: returning); ann's day 2 is out of range.
    spec = {"kind": "returning_visitors", "from": str(date(3)), "to": str(date(13))}
    assert values(run(STORY, spec), *COLUMNS) == [
        (date(0), 3, 2, 1, pytest.approx(2 / 3)),
        (date(7), 4, 2, 2, 0.5),
    ]


def test_returning_accounts(run):
    # acme = ann + bob, globex = cat + dan; eve, fay, gus have no account and are left out.
    # Week 1: acme (first day -30) -> 1/1. Week 2: acme, globex (cat's first day 8) -> 1/2.
    # Week 3: globex -> 1/1.
    result = run(STORY, {"kind": "returning_visitors", "unit": "account", **WEEKS})
    assert values(result, *COLUMNS) == [
        (date(0), 1, 1, 0, 1.0),
        (date(7), 2, 1, 1, 0.5),
        (date(14), 1, 1, 0, 1.0),
    ]


def test_breakdown_by_user_department(run):
    # (none) = dan (no department), eve, fay, gus. Week 1: (none) eve ret, gus new; Sales ann
    # ret, bob new. Week 2: (none) fay new; Sales ann, bob ret; Support cat new.
    # Week 3: (none) dan new, fay ret; Support cat ret.
    spec = {"kind": "returning_visitors", "breakdown": "user.department", **WEEKS}
    assert values(run(STORY, spec), "period", "breakdown", *COLUMNS[1:]) == [
        (date(0), "(none)", 2, 1, 1, 0.5),
        (date(0), "Sales", 2, 1, 1, 0.5),
        (date(0), "Support", 0, 0, 0, None),
        (date(7), "(none)", 1, 0, 1, 0.0),
        (date(7), "Sales", 2, 2, 0, 1.0),
        (date(7), "Support", 1, 0, 1, 0.0),
        (date(14), "(none)", 2, 1, 1, 0.5),
        (date(14), "Sales", 0, 0, 0, None),
        (date(14), "Support", 1, 1, 0, 1.0),
    ]


def test_event_property_filter_applies_to_history_too(run):
    # Mobile logins only: ann (days -30, 9), bob (day 10), fay (day 19). Week 1: nobody.
    # Week 2: ann (first mobile day -30) returning, bob (first mobile day 10) new -> 1/2.
    # Week 3: fay (first mobile day 19) new -> 0/1.
    spec = {
        "kind": "returning_visitors",
        **WEEKS,
        "filters": [{"property": "event.device", "op": "eq", "value": "mobile"}],
    }
    assert values(run(STORY, spec), *COLUMNS) == [
        (date(0), 0, 0, 0, None),
        (date(7), 2, 1, 1, 0.5),
        (date(14), 1, 0, 1, 0.0),
    ]


VISITS = st.lists(
    st.tuples(
        st.sampled_from(["ann", "bob", "cat", "dan"]), st.integers(min_value=-15, max_value=20)
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(visits=VISITS, unit=st.sampled_from(["user", "account"]))
def test_returning_never_exceeds_visitors_on_duckdb(visits, unit):
    paths: dict[str, list[tuple[object, ...]]] = {}
    for who, d in visits:
        paths.setdefault(who, []).append(("login", day(d)))
    story = journeys(
        paths,
        users={
            "ann": user(account="acme"),
            "bob": user(account="acme"),
            "cat": user(account="globex"),
        },
    )
    with duckdb_tables(story) as tables:
        result = compute({"kind": "returning_visitors", "unit": unit, **WEEKS}, tables)
    for row in result.rows:
        assert 0 <= row["returning_visitors"] <= row["visitors"]
        assert row["new_visitors"] == row["visitors"] - row["returning_visitors"]
    if unit == "user":
        # Oracle for people: each (user, week) with a visit in range is one visitor, returning
        # when the user's first visit ever is before the week's first day.
        first = {who: min(d for w, d in visits if w == who) for who, _ in visits}
        weeks = {(who, d // 7) for who, d in visits if d >= 0}
        assert sum(result.column("visitors")) == len(weeks)
        assert sum(result.column("returning_visitors")) == sum(
            1 for who, week in weeks if first[who] < 7 * week
        )
