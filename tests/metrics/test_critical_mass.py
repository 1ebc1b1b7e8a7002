"""Critical mass: cumulative adopters per period over the population, checked by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import date, day, journeys, user
from uptake.errors import SpecError
from uptake.metrics import parse_spec
from uptake.service import compute

EXPORT = {"features": [{"name": "export", "events": ["export"], "released_at": str(date(1))}]}

# Ten users signed up a month before `export` was released (day 1). Weeks start Sunday:
# week 1 = days 0-6, week 2 = days 7-13, week 3 = days 14-20. First exports: p0 on day -2 (a
# beta user, before the range), p1 day 2, p2 day 9 08:00, p3 day 9 20:00, p4 day 10, p5 day
# 16; p6-p9 never. p0-p4 and p9 hold a licence.
FIRST_EXPORT = {
    "p0": day(-2),
    "p1": day(2),
    "p2": day(9, 8),
    "p3": day(9, 20),
    "p4": day(10),
    "p5": day(16),
}
PEOPLE = [f"p{i}" for i in range(10)]
LICENSED = {"p0", "p1", "p2", "p3", "p4", "p9"}
STORY = journeys(
    {p: [("login", day(-5)), *([("export", FIRST_EXPORT[p])] if p in FIRST_EXPORT else [])]
     for p in PEOPLE},
    users={p: user(created=day(-30), licensed=p in LICENSED) for p in PEOPLE},
)  # fmt: skip
SPEC = {
    "kind": "critical_mass",
    "feature": "export",
    "launch": "release",
    "from": str(date(0)),
    "to": str(date(20)),
    "period": "week",
}
COLUMNS = (
    "period", "new_adopters", "cumulative_adopters", "population", "adopted_share", "reached",
)  # fmt: skip


def rows(result):
    return [tuple(row[k] for k in COLUMNS) for row in result.rows]


def test_weekly_cumulative_share_and_the_day_it_is_reached(run):
    # Week 1: p1 is new; p0 (before the range) already counts -> 2 of 10 = 0.2 < 0.3.
    # Week 2: p2, p3, p4 -> 5 = 0.5. Week 3: p5 -> 6 = 0.6.
    # 30% of 10 = 3 adopters: in time order p0, p1, p2 -> reached on day 9 (p2's first use),
    # not on the week's first day. 3 / 10 equals 0.3 exactly: reaching the share counts.
    result = run(STORY, {**SPEC, "share": 0.3}, EXPORT)
    assert rows(result) == [
        (date(0), 1, 2, 10, 0.2, False),
        (date(7), 3, 5, 10, 0.5, True),
        (date(14), 1, 6, 10, 0.6, True),
    ]
    assert result.summary == {"share": 0.3, "reached_on": str(date(9)), "population": 10}
    assert result.warnings == []


def test_default_share_is_rogers_sixteen_percent(run):
    # 16% of 10 = 1.6 -> the 2nd adopter (p1, day 2); 1 / 10 = 0.1 falls short.
    result = run(STORY, SPEC, EXPORT)
    assert result.summary == {"share": 0.16, "reached_on": str(date(2)), "population": 10}
    assert [row["reached"] for row in result.rows] == [True, True, True]


def test_licensed_population(run):
    # Licensed: p0-p4 and p9 -> 6. Week 1: p0 (prior) + p1 = 2 -> 1/3; week 2: + p2, p3, p4 =
    # 5 -> 5/6; week 3: p5 has no licence -> still 5. 16% of 6 = 0.96 -> the first adopter,
    # p0, on day -2: reached before the range.
    result = run(STORY, {**SPEC, "population": "licensed"}, EXPORT)
    assert rows(result) == [
        (date(0), 1, 2, 6, pytest.approx(2 / 6), True),
        (date(7), 3, 5, 6, pytest.approx(5 / 6), True),
        (date(14), 0, 5, 6, pytest.approx(5 / 6), True),
    ]
    assert result.summary["reached_on"] == str(date(-2))


def test_share_not_reached_by_to(run):
    # 90% of 10 = 9 adopters; only 6 ever adopt.
    result = run(STORY, {**SPEC, "share": 0.9}, EXPORT)
    assert [row["reached"] for row in result.rows] == [False, False, False]
    assert result.summary == {"share": 0.9, "reached_on": None, "population": 10}


def test_accounts_by_day_with_go_live_date(run):
    # acme (ann, bob) and globex (cat) go live on day 3; ann's login on day 4 makes acme an
    # adopter; globex never logs in. initech's only user (dan) is first seen on day 30, after
    # `to`: not in the population. Days 3-5: 0, 1, 1 of 2 accounts.
    story = journeys(
        {"ann": [("login", day(4))], "bob": [("login", day(5))], "dan": [("login", day(30))]},
        users={
            "ann": user(account="acme", created=day(-9)),
            "bob": user(account="acme", created=day(-9)),
            "cat": user(account="globex", created=day(-9)),
            "dan": user(account="initech"),
        },
    )
    spec = {
        "kind": "critical_mass",
        "unit": "account",
        "launch": "date",
        "launch_date": str(date(3)),
        "share": 0.5,
        "from": str(date(3)),
        "to": str(date(5)),
        "period": "day",
    }
    result = run(story, spec)
    assert rows(result) == [
        (date(3), 0, 0, 2, 0.0, False),
        (date(4), 1, 1, 2, 0.5, True),
        (date(5), 0, 1, 2, 0.5, True),
    ]
    assert result.summary["reached_on"] == str(date(4))


def test_licensed_population_needs_users():
    with pytest.raises(SpecError, match="population='licensed' needs unit='user'"):
        parse_spec({**SPEC, "unit": "account", "population": "licensed"})


@pytest.mark.parametrize("share", [0, 1.5])
def test_share_must_be_a_fraction(share):
    with pytest.raises(SpecError, match="share"):
        parse_spec({**SPEC, "share": share})


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(min_value=-5, max_value=25)), max_size=8))
def test_cumulative_adopters_never_decrease_nor_exceed_the_population(first_uses):
    story = journeys(
        {f"u{i}": [("export", day(d))] if d is not None else [] for i, d in enumerate(first_uses)},
        users={f"u{i}": user(created=day(-10)) for i in range(len(first_uses))},
    )
    with duckdb_tables(story, EXPORT) as tables:
        result = compute({**SPEC, "period": "day"}, tables)
    cumulative = result.column("cumulative_adopters")
    assert cumulative == sorted(cumulative)
    assert all(c <= len(first_uses) for c in cumulative)
    # The last day holds everyone who adopted by `to` (day 20).
    assert cumulative[-1] == sum(d is not None and d <= 20 for d in first_uses)
    assert set(result.column("population")) == {len(first_uses)}
