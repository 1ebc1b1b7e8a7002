"""Journey members: each unit's current stage, since when, days in it and whether it is
stalled, worked out by hand from the stories in test_journey_stages.py."""

from __future__ import annotations

import pytest

from tests.metrics.test_journey_stages import (
    CUSTOMER,
    CUSTOMER_STORY,
    ONBOARDING,
    ONBOARDING_STORY,
)
from tests.stories import date, day
from uptake.errors import SpecError

RANGE = {"journey": "Onboarding", "from": str(date(0)), "to": str(date(13))}
COLUMNS = ["entity", "current_stage", "stage_index", "entered_at", "days_in_stage", "stalled"]


def rows(result):
    return [tuple(row[c] for c in COLUMNS) for row in result.rows]


def test_current_stage_of_everyone_longest_in_their_stage_first(run):
    # At the end of d13 (d14 00:00): dan in Explored since d3 10:00 (10 days 14 hours), bob in
    # Habit since d7 12:00 (6.5 days), ann in Won since d12 12:00 (1.5 days).
    result = run(ONBOARDING_STORY, {"kind": "journey_members", **RANGE}, ONBOARDING)
    assert [c.name for c in result.columns] == COLUMNS
    assert [c.type for c in result.columns] == [
        "text", "text", "integer", "timestamp", "number", "boolean",
    ]  # fmt: skip
    got = rows(result)
    assert [r[:4] for r in got] == [
        ("dan", "Explored", 2, day(3, 10)),
        ("bob", "Habit", 3, day(7)),
        ("ann", "Won", 5, day(12)),
    ]
    assert [r[4] for r in got] == pytest.approx([10 + 14 / 24, 6.5, 1.5])
    assert [r[5] for r in got] == [False, False, False]


def test_stalled_only_and_one_stage(run):
    # Over 5 days: dan (10.6) and bob (6.5); ann is in the last stage, never stalled.
    spec = {"kind": "journey_members", **RANGE, "stalled_after_days": 5}
    stalled = run(ONBOARDING_STORY, {**spec, "stalled_only": True}, ONBOARDING)
    assert [(r[0], r[1], r[5]) for r in rows(stalled)] == [
        ("dan", "Explored", True),
        ("bob", "Habit", True),
    ]
    habit = run(ONBOARDING_STORY, {**spec, "stage": "Habit"}, ONBOARDING)
    assert [r[0] for r in rows(habit)] == ["bob"]
    # A stage nobody is in now: no rows.
    assert run(ONBOARDING_STORY, {**spec, "stage": "Pro"}, ONBOARDING).rows == []
    limited = run(ONBOARDING_STORY, {**spec, "limit": 1}, ONBOARDING)
    assert [r[0] for r in rows(limited)] == ["dan"]


def test_cohort_all_and_an_earlier_to(run):
    # to = d9 (end d10 00:00): ann has not won yet, she is in Pro since d6 12:00 (3.5 days);
    # bob in Habit since d7 12:00 (2.5); dan in Explored since d3 10:00 (6 days 14 hours); with
    # cohort=all eve too, in Explored since d-4 12:00 (13.5 days: not over 14).
    spec = {"kind": "journey_members", **RANGE, "to": str(date(9)), "cohort": "all"}
    got = rows(run(ONBOARDING_STORY, spec, ONBOARDING))
    assert [r[:4] for r in got] == [
        ("eve", "Explored", 2, day(-4)),
        ("dan", "Explored", 2, day(3, 10)),
        ("ann", "Pro", 4, day(6)),
        ("bob", "Habit", 3, day(7)),
    ]
    assert [r[4] for r in got] == pytest.approx([13.5, 6 + 14 / 24, 3.5, 2.5])
    assert [r[5] for r in got] == [False, False, False, False]


def test_accounts_in_the_customer_journey(run):
    # End of d40 (d41 00:00): a4 in Acquisition since d2 12:00 (38.5 days), a2 in Conversion
    # since d3 (37.5), a1 in Loyalty since d35 12:00 (5.5, the last stage), a3 in Retention
    # since d40 12:00 (0.5).
    spec = {
        "kind": "journey_members",
        "journey": "Customers",
        "unit": "account",
        "from": str(date(-14)),
        "to": str(date(40)),
    }
    got = rows(run(CUSTOMER_STORY, spec, CUSTOMER))
    assert [r[:4] for r in got] == [
        ("a4", "Acquisition", 2, day(2)),
        ("a2", "Conversion", 3, day(3)),
        ("a1", "Loyalty", 5, day(35)),
        ("a3", "Retention", 4, day(40)),
    ]
    assert [r[4] for r in got] == pytest.approx([38.5, 37.5, 5.5, 0.5])
    assert [r[5] for r in got] == [True, True, False, False]


def test_an_unknown_stage_names_the_stages(run):
    with pytest.raises(
        SpecError,
        match=r"journey 'Onboarding' has no stage 'Paid'; stages: Signed up, Explored, Habit, "
        r"Pro, Won",
    ):
        run(ONBOARDING_STORY, {"kind": "journey_members", **RANGE, "stage": "Paid"}, ONBOARDING)
