"""Retention per account, broken down by a user trait, and under user and event-property
filters, checked by hand."""

from __future__ import annotations

from tests.metrics.retention_story import STORY, WEEKS, triangle
from tests.stories import date, day, journeys, user

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
