"""First times and signup times per user and account."""

from __future__ import annotations

from tests.stories import account, day, journeys, user
from uptake.definitions import EventSelector
from uptake.metrics.milestones import first_times, signup_times

STORY = journeys(
    {
        "ann": [("login", day(2)), ("export", day(5)), ("export", day(3))],
        "bob": [("login", day(4)), ("export", day(6))],
        "cat": [("login", day(1))],
    },
    users={
        "ann": user(account="acme", created=day(0)),  # profile date wins over first event
        "bob": user(account="acme"),  # no date: first event (day 4)
        "dan": user(account="globex", created=day(9)),  # profile only, no events
        "eve": user(account="globex"),  # no date, no events: left out
    },
    accounts={"acme": account(created=day(-10), started=day(-5)), "globex": account()},
    account_of={"cat": "globex"},
)


def rows(table):
    return sorted(tuple(r.values()) for r in table.to_pyarrow().to_pylist())


def test_first_time_of_an_event_per_user(tables_for):
    tables = tables_for(STORY)
    got = rows(first_times(tables, "user", EventSelector(events=["export"]), []))
    assert got == [("ann", day(3)), ("bob", day(6))]


def test_first_time_per_account_is_the_earliest_of_its_users(tables_for):
    tables = tables_for(STORY)
    got = rows(first_times(tables, "account", None, []))
    # acme: ann day 2, bob day 4 -> day 2; globex: cat day 1.
    assert got == [("acme", day(2)), ("globex", day(1))]


def test_signup_is_profile_date_else_first_event(tables_for):
    tables = tables_for(STORY)
    got = rows(signup_times(tables, "user", []))
    assert got == [("ann", day(0)), ("bob", day(4)), ("cat", day(1)), ("dan", day(9))]


def test_account_signup_is_started_at_else_created_else_first_event(tables_for):
    tables = tables_for(STORY)
    got = rows(signup_times(tables, "account", []))
    # acme: started_at day -5; globex: no dates -> first event (cat, day 1).
    assert got == [("acme", day(-5)), ("globex", day(1))]
