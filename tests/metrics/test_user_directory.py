"""user_search: finding people by id, trait or account name, with their activity, checked by
hand on a small story."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import account, date, day, journeys, user
from uptake.errors import SpecError
from uptake.metrics import parse_spec
from uptake.service import compute

# Range: days 0-6 (Sunday 2026-01-04 to Saturday 2026-01-10).
#   ann (profile, Acme Corp, Sales / Lead, licensed): login d-3 08:00 (before the range),
#       login d1 09:00, export d1 10:00, login d3 17:30, login d20 (after `to`)
#   bob (profile, Beta Ltd, Support / Agent, site Lyon): login d2 12:00, login d2 13:00,
#       report d5 12:00
#   Cara.Smith (profile only, Acme Corp, Engineering): no events at all
#   zed (no profile): login d4 11:00 on account b2 (Beta Ltd)
#   late (no profile): first event on day 30, after `to`: not known yet
STORY = journeys(
    {
        "ann": [
            ("login", day(-3, 8)),
            ("login", day(1, 9)),
            ("export", day(1, 10)),
            ("login", day(3, 17, 30)),
            ("login", day(20)),
        ],
        "bob": [("login", day(2, 12)), ("login", day(2, 13)), ("report", day(5))],
        "zed": [("login", day(4, 11))],
        "late": [("login", day(30))],
    },
    users={
        "ann": user(
            account="a1", created=day(-10, 9), licensed=True, department="Sales", role="Lead"
        ),
        "bob": user(account="b2", licensed=False, department="Support", role="Agent", site="Lyon"),
        "Cara.Smith": user(account="a1", department="Engineering"),
    },
    accounts={"a1": account(name="Acme Corp", plan="pro"), "b2": account(name="Beta Ltd")},
    account_of={"zed": "b2", "late": "b2"},
)
RANGE = {"from": str(date(0)), "to": str(date(6))}

# Every person's row (default traits: department, role), as worked out above.
ANN = {
    "user_id": "ann",
    "account_id": "a1",
    "account_name": "Acme Corp",
    "created_at": day(-10, 9),
    "licensed": True,
    "department": "Sales",
    "role": "Lead",
    # First event ever (day -3 counts: it is before `to`); the latest on or before `to` is
    # d3 17:30 (d20 is after it).
    "first_seen_at": day(-3, 8),
    "last_seen_at": day(3, 17, 30),
    "events_in_range": 3,  # d1 login + export, d3 login
    "active_days_in_range": 2,  # d1, d3
}
BOB = {
    "user_id": "bob",
    "account_id": "b2",
    "account_name": "Beta Ltd",
    "created_at": None,
    "licensed": False,
    "department": "Support",
    "role": "Agent",
    "first_seen_at": day(2, 12),
    "last_seen_at": day(5),
    "events_in_range": 3,  # two logins on d2, report on d5
    "active_days_in_range": 2,  # d2, d5
}
ZED = {
    # No profile: the account comes from zed's events, the name from the accounts table.
    "user_id": "zed",
    "account_id": "b2",
    "account_name": "Beta Ltd",
    "created_at": None,
    "licensed": None,
    "department": None,
    "role": None,
    "first_seen_at": day(4, 11),
    "last_seen_at": day(4, 11),
    "events_in_range": 1,
    "active_days_in_range": 1,
}
CARA = {
    "user_id": "Cara.Smith",
    "account_id": "a1",
    "account_name": "Acme Corp",
    "created_at": None,
    "licensed": None,
    "department": "Engineering",
    "role": None,
    "first_seen_at": None,
    "last_seen_at": None,
    "events_in_range": 0,
    "active_days_in_range": 0,
}


def search(run, **params):
    return run(STORY, {"kind": "user_search", **RANGE, **params})


def rows_of(result):
    return [{k: v for k, v in row.items() if k != "matches"} for row in result.rows]


def test_everyone_sorted_by_last_seen_newest_first_never_seen_last(run):
    # Last seen: bob d5, zed d4, ann d3; Cara never. `late` is only seen after `to`.
    result = search(run)
    assert [c.name for c in result.columns] == [
        "user_id", "account_id", "account_name", "created_at", "licensed", "department", "role",
        "first_seen_at", "last_seen_at", "events_in_range", "active_days_in_range", "matches",
    ]  # fmt: skip
    assert rows_of(result) == [BOB, ZED, ANN, CARA]
    assert result.column("matches") == [4, 4, 4, 4]
    assert result.summary == {"matches": 4}
    assert result.warnings == []


def test_q_matches_the_account_name_case_insensitively(run):
    # "beta" is in Beta Ltd, the account of bob (profile) and zed (from his events).
    result = search(run, q="bETa")
    assert rows_of(result) == [BOB, ZED]
    assert result.summary == {"matches": 2}


def test_q_matches_any_trait_value_even_one_not_shown(run):
    # Only bob's `site` trait holds "Lyon"; `site` is not one of the listed trait columns.
    assert rows_of(search(run, q="lyon")) == [BOB]


def test_q_matches_the_user_id(run):
    assert rows_of(search(run, q="SMITH")) == [CARA]


def test_q_is_text_not_a_pattern(run):
    # `%` and `_` are LIKE wildcards: as text, nobody's id, trait or account holds them.
    for q in ("%", "_"):
        result = search(run, q=q)
        assert result.rows == []
        assert result.summary == {"matches": 0}


def test_limit_keeps_the_newest_and_says_how_many_matched(run):
    result = search(run, limit=2)
    assert rows_of(result) == [BOB, ZED]
    assert result.column("matches") == [4, 4]
    assert result.summary == {"matches": 4}
    assert result.warnings == [
        "showing 2 of 4 matching users: narrow the search or raise `limit` (at most 1000)"
    ]


def test_listed_traits_become_columns(run):
    result = search(run, traits=["site"], q="b")
    # "b" is in bob's id and in Beta Ltd (bob, zed).
    assert [c.name for c in result.columns][5] == "site"
    assert [(r["user_id"], r["site"]) for r in result.rows] == [("bob", "Lyon"), ("zed", None)]


def test_filters_on_user_and_account_properties(run):
    sales = search(run, filters=[{"property": "user.department", "op": "eq", "value": "Sales"}])
    assert rows_of(sales) == [ANN]
    # The account filter reads each person's account: zed's comes from his events.
    beta = search(run, filters=[{"property": "account.name", "op": "eq", "value": "Beta Ltd"}])
    assert rows_of(beta) == [BOB, ZED]


def test_exact_user_ids(run):
    # An id nobody has simply finds nothing; `late` is not known by `to`.
    assert rows_of(search(run, user_ids=["zed", "nobody", "late"])) == [ZED]


def test_range_moves_the_counts_and_last_seen(run):
    # Days 0-1: ann's d1 login and export; the latest event by the end of day 1 is hers at
    # 10:00, bob and zed have not been seen yet (their first events come later). The never
    # seen sort by user id, byte by byte: "C" (0x43) comes before "b" (0x62).
    result = run(STORY, {"kind": "user_search", "from": str(date(0)), "to": str(date(1))})
    assert [
        (r["user_id"], r["last_seen_at"], r["events_in_range"], r["active_days_in_range"])
        for r in result.rows
    ] == [("ann", day(1, 10), 2, 1), ("Cara.Smith", None, 0, 0), ("bob", None, 0, 0)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "account"}, "unit must be 'user'"),
        ({"traits": ["user_id"]}, "trait 'user_id' has the name of a column"),
        ({"traits": ["role", "role"]}, "`traits` names a trait twice"),
        ({"limit": 1001}, "limit: Input should be less than or equal to 1000"),
        ({"breakdown": "user.department"}, "leave out `breakdown`"),
        (
            {"filters": [{"property": "event", "op": "eq", "value": "login"}]},
            "people and their answers are not events",
        ),
        ({"user_ids": []}, "`user_ids` must not be empty"),
    ],
)
def test_bad_specs_say_what_is_wrong(change, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_spec({"kind": "user_search", **change})


def test_defaults():
    spec = parse_spec({"kind": "user_search"})
    assert (spec.q, spec.traits, spec.limit, spec.user_ids) == (
        "",
        ["department", "role"],
        100,
        None,
    )
    assert spec.date_to - spec.date_from == dt.timedelta(days=89)


# Small random worlds for the invariants: a few people (some with a profile), a few events
# each on days -3..10 and hours 0..23, a department trait.
PEOPLE = ["ann", "Bob", "cy", "dee"]
WORLDS = st.fixed_dictionaries(
    {
        "events": st.dictionaries(
            st.sampled_from(PEOPLE),
            st.lists(
                st.tuples(
                    st.sampled_from(["login", "export"]),
                    st.integers(min_value=-3, max_value=10),
                    st.integers(min_value=0, max_value=23),
                ),
                min_size=1,
                max_size=5,
            ),
        ),
        "profiles": st.dictionaries(
            st.sampled_from(PEOPLE), st.sampled_from(["Sales", "Ops"]), max_size=4
        ),
        "q": st.sampled_from(["", "a", "B", "sales", "zz"]),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=WORLDS)
def test_search_invariants_on_duckdb(world):
    """A search returns a subset of everyone with the same values; active days never exceed
    events or the days of the range; a person's events_in_range is the length of their
    timeline over the same range."""
    story = journeys(
        {
            who: [(name, day(d, hour)) for name, d, hour in steps]
            for who, steps in world["events"].items()
        },
        users={who: user(account="a1", department=dep) for who, dep in world["profiles"].items()},
        accounts={"a1": account(name="Acme")},
    )
    with duckdb_tables(story) as tables:
        everyone = compute({"kind": "user_search", **RANGE, "limit": 1000}, tables)
        found = compute({"kind": "user_search", **RANGE, "q": world["q"]}, tables)
        by_id = {row["user_id"]: row for row in rows_of(everyone)}
        assert len(by_id) == everyone.summary["matches"] == len(everyone.rows)
        assert found.summary["matches"] == len(found.rows)
        for row in rows_of(found):
            assert row == by_id[row["user_id"]]
        for row in everyone.rows:
            assert row["active_days_in_range"] <= min(row["events_in_range"], 7)
            events = compute(
                {"kind": "user_timeline", "user_id": row["user_id"], **RANGE, "limit": 2000},
                tables,
            )
            assert len(events.rows) == row["events_in_range"]
