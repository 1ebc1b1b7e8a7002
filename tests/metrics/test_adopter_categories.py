"""Adopter categories (Rogers) over narrated stories, every number worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import account, date, day, journeys, user
from uptake.errors import SpecError
from uptake.metrics import parse_spec
from uptake.service import compute

EXPORT = {"features": [{"name": "export", "events": ["export"], "released_at": str(date(1))}]}
RANGE = {"from": str(date(0)), "to": str(date(20))}

# `export` is released on day 1 (midnight); everyone signed up a month before, so each launch
# is day 1 at 00:00. Adoption days: u0 used it on day -2 as a beta user (clipped to 0); u3
# 3 days after; u5a-c 5; u6a-c 6; u7a-b 7. n1 and n2 never export.
# Sum 0 + 3 + 15 + 18 + 14 = 50, n 10 -> mean 5; squares of deviations 25 + 4 + 0 + 3 + 8 = 40
# -> population sd sqrt(40 / 10) = 2. Cut-offs 1, 3, 5, 7 (days).
FIRST_EXPORT = {
    "u0": day(-2),
    "u3": day(4, 0),
    "u5a": day(6, 0),
    "u5b": day(6, 0),
    "u5c": day(6, 0),
    "u6a": day(7, 0),
    "u6b": day(7, 0),
    "u6c": day(7, 0),
    "u7a": day(8, 0),
    "u7b": day(8, 0),
}
SALES = {"u0", "u3", "u5a", "u6a", "u7a", "n1"}
RELEASE_STORY = journeys(
    {
        **{u: [("login", day(-3)), ("export", at)] for u, at in FIRST_EXPORT.items()},
        "n1": [("login", day(2))],
        "n2": [("login", day(3))],
    },
    users={
        u: user(created=day(-30), department="Sales" if u in SALES else "Eng")
        for u in [*FIRST_EXPORT, "n1", "n2"]
    },
)
RELEASE = {"kind": "adopter_categories", "feature": "export", "launch": "release", **RANGE}


def table(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


CATEGORY_COLUMNS = ("category", "units", "share", "rogers_share", "from_days", "to_days")


def test_release_launch_categories_with_non_adopters_apart(run):
    # innovators: u0 (0 < 1); early adopters: none in [1, 3); early majority: u3 (3 is on
    # x̄-sd, ties go later); late majority: the 5s (on the mean) and the 6s; laggards: the 7s
    # (on x̄+sd). Shares of the 10 adopters; non-adopters 2 of the 12 in the population.
    result = run(RELEASE_STORY, RELEASE, EXPORT)
    assert table(result, *CATEGORY_COLUMNS) == [
        ("innovators", 1, 0.1, 0.025, None, 1.0),
        ("early_adopters", 0, 0.0, 0.135, 1.0, 3.0),
        ("early_majority", 1, 0.1, 0.34, 3.0, 5.0),
        ("late_majority", 6, 0.6, 0.34, 5.0, 7.0),
        ("laggards", 2, 0.2, 0.16, 7.0, None),
        ("non_adopters", 2, pytest.approx(2 / 12), None, None, None),
    ]
    assert result.summary == {
        "mean_days": 5.0,
        "sd_days": 2.0,
        "adopters": 10,
        "non_adopters": 2,
        "population": 12,
        "boundaries_days": [1.0, 3.0, 5.0, 7.0],
        "classified": True,
    }
    assert result.warnings == [
        "1 users used it before their launch (e.g. beta users): their adoption time counts as "
        "0 days"
    ]


def test_non_adopters_as_laggards_share_the_whole_population(run):
    # Same cut-offs (they come from the adopters); n1 and n2 join the 2 laggards: 4 of 12.
    result = run(RELEASE_STORY, {**RELEASE, "non_adopters": "laggards"}, EXPORT)
    assert table(result, "category", "units", "share") == [
        ("innovators", 1, pytest.approx(1 / 12)),
        ("early_adopters", 0, 0.0),
        ("early_majority", 1, pytest.approx(1 / 12)),
        ("late_majority", 6, 0.5),
        ("laggards", 4, pytest.approx(4 / 12)),
    ]


def test_adopters_output_lists_everyone_by_adoption_time(run):
    result = run(RELEASE_STORY, {**RELEASE, "output": "adopters"}, EXPORT)
    launch = day(1, 0)
    assert [c.name for c in result.columns] == [
        "entity", "launch_at", "adopted_at", "adoption_days", "category",
    ]  # fmt: skip
    assert table(result, "entity", "launch_at", "adopted_at", "adoption_days", "category") == [
        ("u0", launch, day(-2), 0.0, "innovators"),
        ("u3", launch, day(4, 0), 3.0, "early_majority"),
        ("u5a", launch, day(6, 0), 5.0, "late_majority"),
        ("u5b", launch, day(6, 0), 5.0, "late_majority"),
        ("u5c", launch, day(6, 0), 5.0, "late_majority"),
        ("u6a", launch, day(7, 0), 6.0, "late_majority"),
        ("u6b", launch, day(7, 0), 6.0, "late_majority"),
        ("u6c", launch, day(7, 0), 6.0, "late_majority"),
        ("u7a", launch, day(8, 0), 7.0, "laggards"),
        ("u7b", launch, day(8, 0), 7.0, "laggards"),
        ("n1", launch, None, None, "non_adopters"),
        ("n2", launch, None, None, "non_adopters"),
    ]


def test_user_filter_narrows_the_population(run):
    # Sales: u0 0, u3 3, u5a 5, u6a 6, u7a 7 and n1. Mean 21 / 5 = 4.2; deviations -4.2,
    # -1.2, 0.8, 1.8, 2.8 -> squares 17.64 + 1.44 + 0.64 + 3.24 + 7.84 = 30.8; sd
    # sqrt(6.16) = 2.48193. Cut-offs -0.76387, 1.71807, 4.2, 6.68193: 0 is an early adopter,
    # 3 early majority, 5 and 6 late majority, 7 a laggard; n1 the one non-adopter of 6.
    spec = {
        **RELEASE,
        "filters": [{"property": "user.department", "op": "eq", "value": "Sales"}],
    }
    result = run(RELEASE_STORY, spec, EXPORT)
    assert table(result, "category", "units") == [
        ("innovators", 0),
        ("early_adopters", 1),
        ("early_majority", 1),
        ("late_majority", 2),
        ("laggards", 1),
        ("non_adopters", 1),
    ]
    assert result.summary["mean_days"] == pytest.approx(4.2)
    assert result.summary["sd_days"] == pytest.approx(2.48193, abs=1e-5)
    assert result.summary["population"] == 6


# Accounts. acme started day -10 (noon): a1 exports day -8, a2 day -5 -> the account adopted
# 2 days in. globex has no start, created day 2: g1 exports day 6 -> 4 days. initech has no
# dates: its earliest user (i1) was created day 3, and i2 exports day 9 -> 6 days. hooli
# (started day 0) only logs in. Adopters 2, 4, 6: mean 4, sd sqrt(8 / 3) = 1.63299; cut-offs
# 0.73401, 2.36701, 4, 5.63299 -> 2 early adopters, 4 (on the mean) late majority, 6 laggards.
ACCOUNT_STORY = journeys(
    {
        "a1": [("export", day(-8))],
        "a2": [("export", day(-5))],
        "g1": [("export", day(6))],
        "i1": [("login", day(5))],
        "i2": [("export", day(9))],
        "h1": [("login", day(1))],
    },
    users={
        "a1": user(account="acme"),
        "a2": user(account="acme"),
        "g1": user(account="globex"),
        "i1": user(account="initech", created=day(3)),
        "i2": user(account="initech", created=day(4)),
        "h1": user(account="hooli"),
    },
    accounts={
        "acme": account(started=day(-10)),
        "globex": account(created=day(2)),
        "initech": account(name="Initech"),
        "hooli": account(started=day(0)),
    },
)


def test_accounts_adopt_at_their_first_users_use_from_their_signup(run):
    spec = {
        "kind": "adopter_categories",
        "unit": "account",
        "events": ["export"],
        "launch": "signup",
        "from": str(date(-20)),
        "to": str(date(20)),
        "output": "adopters",
    }
    result = run(ACCOUNT_STORY, spec)
    assert table(result, "entity", "launch_at", "adoption_days", "category") == [
        ("acme", day(-10), 2.0, "early_adopters"),
        ("globex", day(2), 4.0, "late_majority"),
        ("initech", day(3), 6.0, "laggards"),
        ("hooli", day(0), None, "non_adopters"),
    ]
    assert result.summary["sd_days"] == pytest.approx(1.63299, abs=1e-5)


# Seat assignment as the launch (trait seat_assigned_at). s1: seat Jan 5 (day 1, midnight),
# exports day 2 noon -> 1.5 days. s2: seat Jan 6 06:00, exports day 3 18:00 -> 1.5. s5: seat
# Jan 4, exports day 6 noon -> 6.5. s3's seat is not a date (left out, warned); s4 has no seat;
# s6 got a seat before `from` (outside the launch cohort). Adopters 1.5, 1.5, 6.5: mean
# 9.5 / 3 = 3.16667; squares 2.77778 x 2 + 11.11111 = 16.66667 -> sd sqrt(5.55556) = 2.35702;
# cut-offs -1.54738, 0.80964, 3.16667, 5.52369: the 1.5s early majority, 6.5 a laggard.
SEAT_STORY = journeys(
    {
        "s1": [("export", day(2))],
        "s2": [("export", day(3, 18))],
        "s3": [("export", day(2))],
        "s4": [("export", day(2))],
        "s5": [("export", day(6))],
        "s6": [("export", day(2))],
        "s7": [("login", day(2))],
    },
    users={
        "s1": user(created=day(-30), seat_assigned_at="2026-01-05"),
        "s2": user(created=day(-30), seat_assigned_at="2026-01-06T06:00:00"),
        "s3": user(created=day(-30), seat_assigned_at="soon"),
        "s4": user(created=day(-30)),
        "s5": user(created=day(-30), seat_assigned_at="2026-01-04"),
        "s6": user(created=day(-30), seat_assigned_at="2025-12-01"),
        "s7": user(created=day(-30), seat_assigned_at="2026-01-08"),
    },
)


def test_seat_assignment_trait_as_launch(run):
    spec = {
        "kind": "adopter_categories",
        "events": ["export"],
        "launch": "trait",
        "launch_trait": "seat_assigned_at",
        "from": str(date(-3)),
        "to": str(date(20)),
        "output": "adopters",
    }
    result = run(SEAT_STORY, spec)
    assert table(result, "entity", "launch_at", "adoption_days", "category") == [
        ("s1", day(1, 0), 1.5, "early_majority"),
        ("s2", day(2, 6), 1.5, "early_majority"),
        ("s5", day(0, 0), 6.5, "laggards"),
        ("s7", day(4, 0), None, "non_adopters"),
    ]
    assert result.summary["mean_days"] == pytest.approx(9.5 / 3)
    assert result.summary["boundaries_days"] == pytest.approx(
        [-1.54738, 0.80964, 3.16667, 5.52369], abs=1e-5
    )
    assert result.warnings == [
        "1 users were left out: their trait 'seat_assigned_at' is not a date (use YYYY-MM-DD "
        "or an ISO timestamp)"
    ]


# A rollout going live on day 2 (midnight), adoption = first activity of any kind. r1 and r2
# were created long before: r1 is first active day 2 06:00 (0.25 days), r2 day 3 00:00 (1.0).
# r3 signed up after the go-live (day 4 noon) and was active at 18:00: 0.25 from its own
# signup. r5 was active on day -1 (a pilot user): clipped to 0. r4 signs up after `to`: not in
# the population.
# Adopters 0.25, 1.0, 0.25, 0: mean 1.5 / 4 = 0.375; deviations -0.125, 0.625, -0.125, -0.375
# -> squares 0.015625 + 0.390625 + 0.015625 + 0.140625 = 0.5625; sd sqrt(0.140625) = 0.375.
# Cut-offs -0.375, 0, 0.375, 0.75: r5 (0, on x̄-sd) early majority; r1, r3 (0.25) early
# majority; r2 (1.0) a laggard.
ROLLOUT_STORY = journeys(
    {
        "r1": [("login", day(2, 6))],
        "r2": [("open_record", day(3, 0))],
        "r3": [("login", day(4, 18))],
        "r4": [("login", day(25))],
        "r5": [("login", day(-1)), ("login", day(2, 9))],
    },
    users={
        "r1": user(created=day(-10)),
        "r2": user(created=day(-10)),
        "r3": user(created=day(4)),
        "r4": user(created=day(25)),
        "r5": user(created=day(-10)),
    },
)


def test_go_live_date_launch_for_product_adoption(run):
    spec = {
        "kind": "adopter_categories",
        "launch": "date",
        "launch_date": str(date(2)),
        **RANGE,
        "output": "adopters",
    }
    result = run(ROLLOUT_STORY, spec)
    assert table(result, "entity", "launch_at", "adoption_days", "category") == [
        ("r5", day(2, 0), 0.0, "early_majority"),
        ("r1", day(2, 0), 0.25, "early_majority"),
        ("r3", day(4), 0.25, "early_majority"),
        ("r2", day(2, 0), 1.0, "laggards"),
    ]
    assert result.summary["mean_days"] == 0.375
    assert result.summary["sd_days"] == 0.375
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("1 users used it before their launch")


def test_one_adopter_is_unclassified_with_a_warning(run):
    story = journeys(
        {"ann": [("export", day(3))], "bob": [("login", day(3))]},
        users={"ann": user(created=day(-5)), "bob": user(created=day(-5))},
    )
    result = run(story, RELEASE, EXPORT)
    assert table(result, "category", "units", "share") == [
        ("innovators", 0, 0.0),
        ("early_adopters", 0, 0.0),
        ("early_majority", 0, 0.0),
        ("late_majority", 0, 0.0),
        ("laggards", 0, 0.0),
        ("unclassified", 1, 1.0),
        ("non_adopters", 1, 0.5),
    ]
    assert result.summary["boundaries_days"] is None
    assert result.summary["classified"] is False
    assert result.warnings == [
        "the 1 adopter(s) are unclassified: Rogers' categories need at least 2 adopters with "
        "different adoption times"
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"launch": "release"}, "launch='release' needs `feature`"),
        ({"launch": "date"}, "launch='date' needs `launch_date`"),
        ({"launch": "trait"}, "launch='trait' needs `launch_trait`"),
        ({"launch_date": "2026-01-01"}, "`launch_date` only applies to launch='date'"),
        ({"breakdown": "user.department"}, "does not support `breakdown`"),
        ({"launch": "date", "launch_date": "2027-01-01"}, "is after `to`"),
        ({"non_adopters": "ignored"}, "non_adopters"),
    ],
)
def test_invalid_specs_read_well(spec, message):
    with pytest.raises(SpecError, match=message):
        parse_spec({"kind": "adopter_categories", "from": "2026-01-01", "to": "2026-06-30", **spec})


def test_release_launch_needs_a_release_date():
    definitions = {"features": [{"name": "export", "events": ["export"]}]}
    spec = {"kind": "adopter_categories", "feature": "export", "launch": "release", **RANGE}
    with (
        duckdb_tables(RELEASE_STORY, definitions) as tables,
        pytest.raises(SpecError, match="released_at on feature 'export'"),
    ):
        compute(spec, tables)


ADOPTION_DAY = st.one_of(st.none(), st.integers(min_value=-3, max_value=30))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(ADOPTION_DAY, min_size=1, max_size=8),
    st.sampled_from(["separate", "laggards"]),
)
def test_counts_sum_and_shares_sum_to_one(first_uses, non_adopters):
    """Category units add up to the adopters (plus non-adopters where they are laggards), and
    the shares of the categories sum to 1 whenever there are adopters."""
    story = journeys(
        {f"u{i}": [("export", day(d))] if d is not None else [] for i, d in enumerate(first_uses)},
        users={f"u{i}": user(created=day(-10)) for i in range(len(first_uses))},
    )
    spec = {**RELEASE, "non_adopters": non_adopters}
    with duckdb_tables(story, EXPORT) as tables:
        result = compute(spec, tables)
    # First uses after `to` (day 20) do not count.
    adopters = sum(d is not None and d <= 20 for d in first_uses)
    units = {row["category"]: row["units"] for row in result.rows}
    assert sum(units.values()) == len(first_uses)
    assert result.summary["adopters"] == adopters
    if non_adopters == "separate":
        assert units["non_adopters"] == len(first_uses) - adopters
    if adopters:
        # Of the adopters (separate) or of everyone (laggards, no non_adopters row).
        shares = [r["share"] for r in result.rows if r["category"] != "non_adopters"]
        assert sum(shares) == pytest.approx(1.0)
