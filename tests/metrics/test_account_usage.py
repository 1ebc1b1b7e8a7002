"""Account usage: one row per account (users, active users, seats used, features adopted,
events, the previous range, last activity), every column worked out by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import account, date, day, journeys, user
from uptake.errors import SpecError
from uptake.metrics import parse_spec
from uptake.service import compute

# Day 0 is Sunday 2026-01-04. The range is days 7-13 (Jan 11-17), so the previous range of the
# same length is days 0-6 (Jan 4-10).
RANGE = {"from": str(date(7)), "to": str(date(13))}

DEFINITIONS = {
    # email_opened is passive: it makes no one active.
    "activity": {"events": ["*"], "exclude": ["email_opened"]},
    "features": [
        {"name": "Reports", "events": ["report_*"]},  # a glob: read on the rollup's names
        {"name": "Export", "events": ["export"]},  # an exact name
        # An event-property condition: read from raw events.
        {
            "name": "PDF export",
            "events": ["export"],
            "where": [{"property": "event.format", "op": "eq", "value": "pdf"}],
        },
        {"name": "Sharing", "events": ["share"]},  # nobody shares
    ],
}

STORY = journeys(
    {
        # Acme Corp.
        "ann": [
            ("login", day(2)),
            ("login", day(8)),
            ("report_viewed", day(9)),
            ("export", day(9), {"format": "pdf"}),
            ("login", day(15)),  # after `to`: not in any column
        ],
        "bob": [("login", day(3)), ("login", day(12, 15)), ("email_opened", day(13))],
        "cal": [("email_opened", day(10))],  # known, never active
        # Globex (no seats).
        "dan": [("login", day(1)), ("login", day(10))],
        "eve": [
            ("login", day(7)),
            ("report_shared", day(11, 9)),
            ("export", day(11), {"format": "csv"}),
        ],
        # Initech (churned on day 10); gus has no profile, his events carry the account.
        "fay": [("login", day(4)), ("login", day(9, 18))],
        "gus": [("login", day(8)), ("report_viewed", day(8))],
        # Hooli is known only from hal's events (no row in the accounts table).
        "hal": [("login", day(5))],
        # kim's events carry no account: no account row gets them.
        "kim": [("login", day(8))],
    },
    users={
        "ann": user(account="acme", licensed=True, department="Sales"),
        "bob": user(account="acme", licensed=True, department="Support"),
        "cal": user(account="acme", licensed=False, department="Sales"),
        "zed": user(account="acme", created=day(20), licensed=True),  # arrives after `to`
        "dan": user(account="globex", department="Sales"),  # no licensed flag
        "eve": user(account="globex", licensed=True, department="Support"),
        "fay": user(account="initech", licensed=True, department="Support"),
        "uma": user(account="umbrella", created=day(-5), licensed=True),
    },
    accounts={
        "acme": account(
            name="Acme Corp", plan="pro", seats=3, started=day(-100), renewal=day(200), mrr=300.0
        ),
        "globex": account(name="Globex", plan="basic", started=day(-50), mrr=50.0),
        "initech": account(
            name="Initech", plan="pro", seats=2, started=day(-200), churned=day(10), mrr=100.0
        ),
        "umbrella": account(name="Umbrella", plan="free", seats=5, started=day(-30)),
    },
    account_of={"gus": "initech", "hal": "hooli", "kim": ""},
)

COLUMNS = (
    "account_id", "name", "plan", "seats", "started_at", "renewal_at", "churned_at", "mrr",
    "users", "active_users", "seats_used", "seat_utilization", "features_adopted",
    "features_total", "events", "active_users_previous", "active_users_change",
    "last_active_at", "seats_used_source",
)  # fmt: skip


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def spec(**more: Any) -> dict[str, Any]:
    return {"kind": "account_usage", **RANGE, **more}


def at(n: int, hour: int = 12) -> dt.datetime:
    return day(n, hour)


def test_every_column_of_every_account(run):
    # Sorted by active users (most first), then account id.
    #
    # acme: known users ann, bob, cal (zed's profile is created after `to`) = 3. Active in the
    #   range: ann (days 8, 9) and bob (day 12); cal only opened an email (passive). Events:
    #   ann 3 (login, report_viewed, export on days 8-9; her day-15 login is after `to`) + bob 1
    #   (his email on day 13 is passive) = 4. Previous range (days 0-6): ann day 2, bob day 3
    #   = 2, so the change is 0. Both actives are licensed: seats used 2 of 3. Features:
    #   Reports (report_viewed), Export and PDF export (a pdf export) = 3 of 4 (nobody
    #   shares). Last active: bob's login on day 12 at 15:00.
    # globex: no seats. dan and eve = 2 users, both active (dan day 10, eve days 7 and 11),
    #   events 1 + 3 = 4; previous: dan (day 1) = 1, change (2 - 1) / 1 = 1. Seats used: eve
    #   only (dan's profile has no flag). Features: Reports (report_shared matches report_*),
    #   Export (a csv export, so not PDF export) = 2. Last active: eve's export, day 11 noon.
    # initech: churned on day 10. fay (profile) and gus (no profile, his events carry the
    #   account) = 2 users, both active; events fay 1 + gus 2 = 3; previous fay (day 4) = 1,
    #   change 1. Seats used: fay (gus has no profile, so no licence) = 1 of 2. Features:
    #   Reports (gus). Last active: fay, day 9 at 18:00.
    # hooli: no accounts row, known from hal's day-5 login: 1 user, none active now, 1 before,
    #   change -1; no seats, so no utilization; last active day 5.
    # umbrella: uma's profile but no events at all: zeros, utilization 0 of 5 seats, no change
    #   (nobody was active before either), never active.
    # kim's events carry no account and count nowhere.
    result = run(STORY, spec(), DEFINITIONS)
    assert values(result, *COLUMNS) == [
        ("acme", "Acme Corp", "pro", 3, at(-100), at(200), None, 300.0,
         3, 2, 2, pytest.approx(2 / 3), 3, 4, 4, 2, 0.0, at(12, 15), "licensed_flag"),
        ("globex", "Globex", "basic", None, at(-50), None, None, 50.0,
         2, 2, 1, None, 2, 4, 4, 1, 1.0, at(11), "licensed_flag"),
        ("initech", "Initech", "pro", 2, at(-200), None, at(10), 100.0,
         2, 2, 1, 0.5, 1, 4, 3, 1, 1.0, at(9, 18), "licensed_flag"),
        ("hooli", None, None, None, None, None, None, None,
         1, 0, 0, None, 0, 4, 0, 1, -1.0, at(5), "licensed_flag"),
        ("umbrella", "Umbrella", "free", 5, at(-30), None, None, None,
         1, 0, 0, 0.0, 0, 4, 0, 0, None, None, "licensed_flag"),
    ]  # fmt: skip
    assert [c.name for c in result.columns] == list(COLUMNS)
    assert result.warnings == []


def test_user_filter_counts_only_those_users_and_keeps_every_account(run):
    # Sales: ann and cal (acme), dan (globex). acme: users ann, cal = 2; active ann = 1 with
    # her 3 events; previous ann = 1 (change 0); seats used ann = 1 of 3; her features are the
    # same 3; last active day 9 noon. globex: dan, active (day 10, 1 event), also before
    # (day 1); not licensed, so 0 seats used (the workspace has flags); he used no feature.
    # initech, hooli, umbrella have no Sales user (gus and hal have no profile): zeros.
    result = run(
        STORY,
        spec(filters=[{"property": "user.department", "op": "eq", "value": "Sales"}]),
        DEFINITIONS,
    )
    assert values(
        result, "account_id", "users", "active_users", "events", "active_users_previous",
        "active_users_change", "seats_used", "seat_utilization", "features_adopted",
        "last_active_at",
    ) == [
        ("acme", 2, 1, 3, 1, 0.0, 1, pytest.approx(1 / 3), 3, at(9)),
        ("globex", 1, 1, 1, 1, 0.0, 0, None, 0, at(10)),
        ("hooli", 0, 0, 0, 0, None, 0, None, 0, None),
        ("initech", 0, 0, 0, 0, None, 0, 0.0, 0, None),
        ("umbrella", 0, 0, 0, 0, None, 0, 0.0, 0, None),
    ]  # fmt: skip


def test_account_filter_picks_the_accounts(run):
    # Plan pro: acme and initech (hooli has no plan: a positive filter cannot match it).
    result = run(
        STORY, spec(filters=[{"property": "account.plan", "op": "eq", "value": "pro"}]), DEFINITIONS
    )
    assert values(result, "account_id", "active_users", "events") == [
        ("acme", 2, 4),
        ("initech", 2, 3),
    ]


def test_one_account_by_id(run):
    # What an account's page asks for: the facts row of one account.
    result = run(
        STORY,
        spec(filters=[{"property": "account.account_id", "op": "eq", "value": "globex"}]),
        DEFINITIONS,
    )
    assert values(result, "account_id", "name", "users", "active_users") == [
        ("globex", "Globex", 2, 2)
    ]


def test_a_feature_as_the_events(run):
    # Reports events only (report_*): ann day 9, eve day 11 at 09:00, gus day 8; none in the
    # previous range, so no change anywhere. Seats used follow the same actives.
    result = run(STORY, spec(feature="Reports"), DEFINITIONS)
    assert values(
        result, "account_id", "active_users", "events", "active_users_previous",
        "active_users_change", "seats_used", "last_active_at",
    ) == [
        ("acme", 1, 1, 0, None, 1, at(9)),
        ("globex", 1, 1, 0, None, 1, at(11, 9)),
        ("initech", 1, 1, 0, None, 0, at(8)),
        ("hooli", 0, 0, 0, None, 0, None),
        ("umbrella", 0, 0, 0, None, 0, None),
    ]  # fmt: skip


def test_events_by_name_including_passive_ones(run):
    # email_opened is not activity, but asked for by name it counts: bob (day 13) and cal
    # (day 10) at acme; bob's is the latest, day 13 noon.
    result = run(STORY, spec(events=["email_opened"]), DEFINITIONS)
    assert values(result, "account_id", "active_users", "events", "last_active_at")[:2] == [
        ("acme", 2, 2, at(13)),
        ("globex", 0, 0, None),
    ]


NO_FLAGS = journeys(
    {"ann": [("login", day(8))], "bob": [("login", day(9))], "cal": [("login", day(1))]},
    users={"ann": user(account="a1"), "bob": user(account="a1"), "cal": user(account="a1")},
    accounts={"a1": account(name="A1", seats=4)},
)


def test_without_licensed_flags_seats_used_are_the_active_users(run):
    # Nobody carries a licensed flag: seats used fall back to the 2 active users (ann, bob),
    # 2 of 4 seats; no features are defined. Both are said in warnings.
    result = run(NO_FLAGS, spec())
    assert values(
        result, "account_id", "users", "active_users", "seats_used", "seat_utilization",
        "features_adopted", "features_total", "active_users_previous", "active_users_change",
        "seats_used_source",
    ) == [("a1", 3, 2, 2, 0.5, 0, 0, 1, 1.0, "active_users")]  # fmt: skip
    assert result.warnings == [
        "No user profile carries a `licensed` flag, so seats_used counts every active user of "
        "the account (set `licensed` on user profiles to count licensed seats only).",
        "No features are defined, so features_adopted and features_total are 0: add "
        "[[features]] entries to uptake.toml.",
    ]


def test_an_empty_workspace_has_no_rows(run):
    result = run(journeys({}), spec())
    assert result.rows == []
    assert result.warnings == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"unit": "user"},
            "unit: Value error, account_usage has one row per account, so unit must be "
            "'account' (got 'user')",
        ),
        (
            {"period": "week"},
            "period: Value error, account_usage covers the whole range in one row per account: "
            "leave out `period` (use a trend filtered on account.account_id for usage over "
            "time)",
        ),
        (
            {"breakdown": "account.plan"},
            "breakdown: Value error, account_usage has one row per account already: filter on "
            "account.<key> instead of a breakdown",
        ),
        (
            {"filters": [{"property": "event.format", "op": "eq", "value": "pdf"}]},
            "filters: Value error, 'event.format': account_usage filters on account.<key> and "
            "user.<key> properties; choose the events with `events` or `feature`",
        ),
    ],
)
def test_spec_errors_read_well(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_spec(spec(**extra))
    assert str(error.value) == f"invalid account_usage spec: {message}"


ids = st.sampled_from(["u1", "u2", "u3", "u4", "u5"])
accounts_ = st.sampled_from(["a1", "a2", "a3"])
events_ = st.sampled_from(["login", "export", "email_opened", "report_viewed"])


@st.composite
def stories(draw: st.DrawFn) -> Any:
    """Random users (some without a profile, some licensed), accounts (some without seats) and
    events on days -10..20 around the range (days 7-13)."""
    profiles = {
        u: user(account=draw(accounts_), licensed=draw(st.sampled_from([True, False, None])))
        for u in draw(st.sets(ids))
    }
    paths = {
        u: [
            (draw(events_), day(draw(st.integers(-10, 20)))) for _ in range(draw(st.integers(1, 4)))
        ]
        for u in draw(st.sets(ids, min_size=1))
    }
    # Users without a profile put their events on a random account.
    account_of = {u: draw(accounts_) for u in paths if u not in profiles}
    accounts = {
        a: account(name=a.upper(), seats=draw(st.one_of(st.none(), st.integers(0, 3))))
        for a in draw(st.sets(accounts_))
    }
    return journeys(paths, users=profiles, accounts=accounts, account_of=account_of)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story=stories())
def test_counts_nest(story: Any) -> None:
    # Invariants: an active user is a known user; a seat used is an active (licensed) user;
    # an adopted feature is one of the workspace's features; with seats, utilization is
    # seats_used / seats.
    with duckdb_tables(story, DEFINITIONS) as tables:
        result = compute(spec(), tables)
    for row in result.rows:
        assert 0 <= row["active_users"] <= row["users"]
        assert 0 <= row["seats_used"] <= row["active_users"]
        assert 0 <= row["features_adopted"] <= row["features_total"] == 4
        if row["seats"]:
            assert row["seat_utilization"] == pytest.approx(row["seats_used"] / row["seats"])
        else:
            assert row["seat_utilization"] is None
