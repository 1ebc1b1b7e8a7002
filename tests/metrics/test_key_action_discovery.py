"""Key-action discovery: the cohort, the early events, retention at period K and the lift,
every count worked out by hand from the story below; the intervals from statsmodels."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep

from tests.conftest import duckdb_tables
from tests.stories import account, date, day, journeys, user
from uptake.errors import SpecError
from uptake.service import compute

# Day 0 is Sunday 2026-01-04. A user's signup is its first event here (no profile dates), so
# day 0 after signup is the first event's day. Defaults: candidates on days 0-6 after signup,
# retained = active on days 28-34 after signup.
#
#   ann  signup d0, invite d2 (+2), report d6 (+6), login d30 (+30: retained)
#   bob  signup d0, invite d3 (+3), report d28 (+28: retained; too late to be a candidate)
#   cat  signup d1, report d7 (+6, the window's last day), login d36 (+35: one day too late)
#   dan  signup d1, invite d8 (+7: just outside the window), login d29 (+28: retained)
#   eve  signup d2, login d2 (the login is not ranked by default), login d20 (+18: not retained)
#   fay  signup d2, invite d2 (+0), export d4 (+2), login d36 (+34: retained, last day)
#   ivy  signup d7 and nothing else; the data ends d41, 34 days later: just old enough
#   jon  signup d8: 33 days before the data ends, too young to judge
#   gus  signup d40, login d41 (the latest day with data): too young
#   hal  signup d-3, before `from`: not in the cohort whatever it does
STORY = journeys(
    {
        "ann": [("signup", day(0)), ("invite", day(2)), ("report", day(6)), ("login", day(30))],
        "bob": [("signup", day(0)), ("invite", day(3)), ("report", day(28))],
        "cat": [("signup", day(1)), ("report", day(7)), ("login", day(36))],
        "dan": [("signup", day(1)), ("invite", day(8)), ("login", day(29))],
        "eve": [("signup", day(2)), ("login", day(2, 13)), ("login", day(20))],
        "fay": [("signup", day(2)), ("invite", day(2, 13)), ("export", day(4)), ("login", day(36))],
        "ivy": [("signup", day(7))],
        "jon": [("signup", day(8))],
        "gus": [("signup", day(40)), ("login", day(41))],
        "hal": [("signup", day(-3)), ("invite", day(-1)), ("login", day(30))],
    }
)
RANGE = {"from": str(date(0)), "to": str(date(40))}
SPEC = {"kind": "key_action_discovery", **RANGE}

# The mature cohort: ann, bob, cat, dan, eve, fay, ivy (7); retained: ann, bob, dan, fay (4).
COHORT, RETAINED = 7, 4


def interval(
    did: tuple[int, int], others: tuple[int, int], method: str = "newcomb"
) -> tuple[float, float]:
    """statsmodels' interval for retained/units of those who did minus those who did not."""
    low, high = confint_proportions_2indep(
        did[0], did[1], others[0], others[1], method=method, compare="diff"
    )
    return float(low), float(high)


def ranked(result: Any) -> list[tuple[Any, ...]]:
    keys = (
        "event", "reach", "units_did", "retained_did", "retention_did", "units_not",
        "retained_not", "retention_not", "lift", "relative_lift",
    )  # fmt: skip
    return [tuple(row[k] for k in keys) for row in result.rows]


def test_ranking_by_lift(run: Any) -> None:
    result = run(STORY, SPEC)
    # invite: ann, bob, fay did it in their first week (dan's came on day +7), all retained:
    #   3/3 = 1 vs cat, dan, eve, ivy: 1/4 (dan). Lift 0.75; relative 4.
    # export: fay alone, retained: 1/1 vs 3/6 = 0.5. Lift 0.5; relative 2. Reach 1/7 >= 5%.
    # report: ann (+6) and cat (+6; bob's came on +28): 1/2 vs bob, dan, eve, fay, ivy 3/5.
    #   Lift -0.1; relative 0.5 / 0.6.
    # signup: everyone did it: 4/7 vs nobody, so no lift (ranked last). The login is left out.
    assert ranked(result) == [
        ("invite", pytest.approx(3 / 7), 3, 3, 1.0, 4, 1, 0.25, 0.75, 4.0),
        ("export", pytest.approx(1 / 7), 1, 1, 1.0, 6, 3, 0.5, 0.5, 2.0),
        (
            "report",
            pytest.approx(2 / 7),
            2,
            1,
            0.5,
            5,
            3,
            0.6,
            pytest.approx(-0.1),
            pytest.approx(5 / 6),
        ),
        ("signup", 1.0, 7, 4, pytest.approx(4 / 7), 0, 0, None, None, None),
    ]
    bounds = [(row["lift_low"], row["lift_high"]) for row in result.rows]
    assert bounds == [
        pytest.approx(interval((3, 3), (1, 4))),
        pytest.approx(interval((1, 1), (3, 6))),
        pytest.approx(interval((1, 2), (3, 5))),
        (None, None),
    ]
    assert result.summary == {
        "cohort_units": COHORT,
        "retained_units": RETAINED,
        "retention_rate": pytest.approx(4 / 7),
        "too_young_units": 2,  # jon and gus
        "events_below_min_reach": 0,
        "window_days": 7,
        "retention_first_day": 28,
        "retention_last_day": 34,
        "confidence": 0.95,
    }
    assert result.warnings[0].startswith("This ranking shows correlation, not causation")
    assert result.warnings[1:] == [
        "2 users who signed up in the range left out: the data does not yet reach day 34 "
        "after their signup, so their retention cannot be judged"
    ]


def test_rare_events_are_dropped_and_counted(run: Any) -> None:
    # export reaches 1/7 = 14% of the cohort: below 20%, dropped; the rest stay as they were.
    result = run(STORY, {**SPEC, "min_reach": 0.2})
    assert [row["event"] for row in result.rows] == ["invite", "report", "signup"]
    assert result.summary["events_below_min_reach"] == 1
    assert "1 event done by fewer than 20% of the cohort not ranked" in result.warnings[2]


def test_login_is_ranked_only_when_asked_and_patterns_exclude(run: Any) -> None:
    # eve's login on her signup day: 0/1 retained vs the other six's 4/6. Lift -2/3.
    result = run(STORY, {**SPEC, "include_login": True, "exclude": ["sign*", "rep?rt"]})
    assert ranked(result) == [
        ("invite", pytest.approx(3 / 7), 3, 3, 1.0, 4, 1, 0.25, 0.75, 4.0),
        ("export", pytest.approx(1 / 7), 1, 1, 1.0, 6, 3, 0.5, 0.5, 2.0),
        (
            "login",
            pytest.approx(1 / 7),
            1,
            0,
            0.0,
            6,
            4,
            pytest.approx(2 / 3),
            pytest.approx(-2 / 3),
            0.0,
        ),
    ]


def test_day_retention_with_a_shorter_window_and_wald(run: Any) -> None:
    # Candidates on days 0-2; retained = active exactly on day 28 after signup: bob (d28) and
    # dan (d29 = +28); ann's +30 and fay's +34 no longer count. Units must be observed for 28
    # days: jon (signup d8, 33 days before the data ends) joins; gus stays too young.
    # Cohort 8 (ann bob cat dan eve fay ivy jon), retained 2.
    # export: fay (+2), 0/1 vs 2/7. invite: ann (+2) and fay (+0); bob's +3 is out: 0/2 vs 2/6.
    spec = {**SPEC, "window_days": 3, "retention_period": "day", "retention_offset": 28,
            "interval": "wald", "confidence": 0.9}  # fmt: skip
    result = run(STORY, spec)
    assert ranked(result) == [
        ("export", 1 / 8, 1, 0, 0.0, 7, 2, pytest.approx(2 / 7), pytest.approx(-2 / 7), 0.0),
        ("invite", 2 / 8, 2, 0, 0.0, 6, 2, pytest.approx(1 / 3), pytest.approx(-1 / 3), 0.0),
        ("signup", 1.0, 8, 2, 0.25, 0, 0, None, None, None),
    ]
    wald = [confint_proportions_2indep(0, n, r, m, method="wald", compare="diff", alpha=0.1)
            for n, r, m in ((1, 2, 7), (2, 2, 6))]  # fmt: skip
    assert [(row["lift_low"], row["lift_high"]) for row in result.rows[:2]] == [
        pytest.approx((float(w[0]), float(w[1]))) for w in wald
    ]
    assert result.summary["too_young_units"] == 1
    assert result.summary["retention_last_day"] == 28


def test_accounts_start_when_they_become_customers(run: Any) -> None:
    # a1 became a customer on day 0 at 09:00; u1's invite on day -2 was lead activity (before
    # the signup day: not counted), its report at 08:00 on day 0 is on the signup day (day 0
    # counts whole). a2 started day 1. a3 has no dates: its first event (d5) is its signup.
    # Retained (days 28-34): a1 (u1 on d30), a3 (u4 on d39 = +34); a2 not.
    #   report: a1, a3: 2/2 vs a2 0/1. export: a1 1/1 vs 1/2. signup: a3 1/1 vs 1/2.
    #   invite: a2 (u3 on d2 = +1) 0/1 vs 2/2.
    story = journeys(
        {
            "u1": [("invite", day(-2)), ("report", day(0, 8)), ("login", day(30))],
            "u2": [("export", day(3))],
            "u3": [("invite", day(2))],
            "u4": [("signup", day(5)), ("report", day(6)), ("login", day(39))],
        },
        users={"u1": user(account="a1"), "u2": user(account="a1"), "u3": user(account="a2"),
               "u4": user(account="a3")},
        accounts={"a1": account(started=day(0, 9)), "a2": account(started=day(1))},
    )  # fmt: skip
    result = run(story, {**SPEC, "unit": "account", "to": str(date(10))})
    assert ranked(result) == [
        ("report", pytest.approx(2 / 3), 2, 2, 1.0, 1, 0, 0.0, 1.0, None),
        ("export", pytest.approx(1 / 3), 1, 1, 1.0, 2, 1, 0.5, 0.5, 2.0),
        ("signup", pytest.approx(1 / 3), 1, 1, 1.0, 2, 1, 0.5, 0.5, 2.0),
        ("invite", pytest.approx(1 / 3), 1, 0, 0.0, 2, 2, 1.0, -1.0, 0.0),
    ]
    assert result.summary["cohort_units"] == 3


def test_a_user_filter_narrows_the_cohort(run: Any) -> None:
    # Only Sales: ann, cat, fay. Retained: ann, fay. invite: ann, fay 2/2 vs cat 0/1;
    # report: ann, cat 1/2 vs fay 1/1; export: fay 1/1 vs 1/2; signup: all three.
    story = journeys(
        _paths(),
        users={name: user(department="Sales") for name in ("ann", "cat", "fay")},
    )
    spec = {**SPEC, "filters": [{"property": "user.department", "op": "eq", "value": "Sales"}]}
    assert ranked(run(story, spec)) == [
        ("invite", pytest.approx(2 / 3), 2, 2, 1.0, 1, 0, 0.0, 1.0, None),
        ("export", pytest.approx(1 / 3), 1, 1, 1.0, 2, 1, 0.5, 0.5, 2.0),
        ("report", pytest.approx(2 / 3), 2, 1, 0.5, 1, 1, 1.0, -0.5, 0.5),
        ("signup", 1.0, 3, 2, pytest.approx(2 / 3), 0, 0, None, None, None),
    ]


def _paths() -> dict[str, list[tuple[Any, ...]]]:
    """The story's paths again (its Arrow tables cannot be re-profiled)."""
    events = STORY.events.to_pylist()
    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in events:
        out.setdefault(row["user_id"], []).append((row["event"], row["timestamp"]))
    return out


def test_an_empty_cohort_says_what_to_do(run: Any) -> None:
    # Signups from day 20 to 40: only gus (and jon is earlier); gus is too young.
    result = run(STORY, {**SPEC, "from": str(date(20))})
    assert result.rows == []
    assert result.summary["cohort_units"] == 0
    assert result.summary["retention_rate"] is None
    assert result.warnings[1:] == [
        "1 user who signed up in the range left out: the data does not yet reach day 34 "
        "after their signup, so their retention cannot be judged",
        f"no users who signed up from {date(20)} to {date(40)} can be observed 34 days after "
        "signup: choose an earlier range",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"retention_offset": 0}, "retention_offset: Input should be greater than or equal to 1"),
        (
            {"window_days": 30},
            "the retention period starts on day 28 after signup, inside the first 30 days",
        ),
        ({"breakdown": "user.department"}, "key_action_discovery has no breakdown"),
        ({"min_reach": 1.5}, "min_reach: Input should be less than or equal to 1"),
        ({"interval": "exact"}, "interval: Input should be 'newcombe' or 'wald'"),
    ],
)
def test_bad_specs_read_well(tables_for: Any, change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match="invalid key_action_discovery spec") as error:
        compute({**SPEC, **change}, tables_for(STORY))
    assert message in str(error.value)


# Property test (DuckDB only): on any small story, both groups add up to the mature cohort for
# every event, the interval holds the lift, and reach stays at or above min_reach.
names = st.sampled_from(["a", "b", "c", "login"])
steps = st.lists(st.tuples(names, st.integers(0, 45)), min_size=1, max_size=6)
stories = st.dictionaries(st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]), steps, min_size=1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths=stories, min_reach=st.sampled_from([0.0, 0.3]))
def test_groups_always_add_up_to_the_cohort(
    paths: dict[str, list[tuple[str, int]]], min_reach: float
) -> None:
    story = journeys({u: [(e, day(d)) for e, d in s] for u, s in paths.items()})
    spec = {**SPEC, "min_reach": min_reach}
    with duckdb_tables(story) as tables:
        result = compute(spec, tables)
    cohort, retained = result.summary["cohort_units"], result.summary["retained_units"]
    for row in result.rows:
        assert row["units_did"] + row["units_not"] == cohort
        assert row["retained_did"] + row["retained_not"] == retained
        assert row["reach"] >= min_reach
        if row["lift"] is not None:
            assert row["lift_low"] - 1e-12 <= row["lift"] <= row["lift_high"] + 1e-12
    assert cohort + result.summary["too_young_units"] <= len(paths)
