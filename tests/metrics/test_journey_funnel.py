"""The journey funnel: reached, conversion, median days in stage, current and stalled per stage,
worked out by hand from the stories in test_journey_stages.py (every entry listed there)."""

from __future__ import annotations

import pytest

from tests.metrics.test_journey_stages import (
    ADOPTION,
    ADOPTION_STORY,
    CUSTOMER,
    CUSTOMER_STORY,
    ONBOARDING,
    ONBOARDING_STORY,
)
from tests.stories import date
from uptake.errors import SpecError

STAGES = ["Signed up", "Explored", "Habit", "Pro", "Won"]
COLUMNS = [
    "stage_index",
    "stage",
    "entered",
    "conversion_from_previous",
    "conversion_from_first",
    "median_days_in_stage",
    "current",
    "stalled",
]


def test_funnel_of_the_cohort_that_signed_up_in_range(run):
    # Range d0..d13 (end: d14 00:00). eve signed up on d-5, before the range; cat never:
    # the cohort is ann, bob, dan.
    # Entered: all 3 signed up and explored; ann and bob got the habit; ann went Pro and Won.
    # Days in stage, for those who moved on:
    #   Signed up: ann d0 09:00 -> d6 12:00 = 6.125, bob d2 10:00 -> d5 13:00 = 3.125,
    #     dan d3 08:00 -> d3 10:00 = 1/12: median 3.125.
    #   Explored: ann 0 (Habit at the same moment), bob d5 13:00 -> d7 12:00 = 1 + 23/24:
    #     median (0 + 47/24) / 2 = 47/48.
    #   Habit: ann 0. Pro: ann d6 -> d12 = 6. Won: the last stage, nobody moves on.
    # Current: dan in Explored, bob in Habit, ann in Won. Nobody is 14+ days anywhere.
    spec = {"journey": "Onboarding", "from": str(date(0)), "to": str(date(13))}
    result = run(ONBOARDING_STORY, {"kind": "journey_funnel", **spec}, ONBOARDING)
    assert [c.name for c in result.columns] == COLUMNS
    assert result.column("stage_index") == [1, 2, 3, 4, 5]
    assert result.column("stage") == STAGES
    assert result.column("entered") == [3, 3, 2, 1, 1]
    assert result.column("conversion_from_previous") == pytest.approx(
        [None, 1.0, 2 / 3, 1 / 2, 1.0]
    )
    assert result.column("conversion_from_first") == pytest.approx([1.0, 1.0, 2 / 3, 1 / 3, 1 / 3])
    assert result.column("median_days_in_stage") == pytest.approx([3.125, 47 / 48, 0.0, 6.0, None])
    assert result.column("current") == [0, 1, 1, 0, 1]
    assert result.column("stalled") == [0, 0, 0, 0, 0]


def test_stalled_after_a_shorter_threshold(run):
    # At the end of d13: dan in Explored since d3 10:00 = 10 days 14 hours, bob in Habit
    # since d7 12:00 = 6.5 days: both over 5 days. ann is in the last stage: never stalled.
    spec = {
        "journey": "Onboarding",
        "from": str(date(0)),
        "to": str(date(13)),
        "stalled_after_days": 5,
    }
    result = run(ONBOARDING_STORY, {"kind": "journey_funnel", **spec}, ONBOARDING)
    assert result.column("current") == [0, 1, 1, 0, 1]
    assert result.column("stalled") == [0, 1, 1, 0, 0]
    # 7 days: only dan (10.6 days); bob's 6.5 days are not more than 7.
    result = run(
        ONBOARDING_STORY,
        {"kind": "journey_funnel", **spec, "stalled_after_days": 7},
        ONBOARDING,
    )
    assert result.column("stalled") == [0, 1, 0, 0, 0]


def test_cohort_all_takes_everyone_who_entered_the_first_stage_by_to(run):
    # eve joins (signed up d-5): Signed up -> Explored took her 1 day; she is in Explored since
    # d-4 12:00, 17.5 days at the end of d13: stalled.
    # Signed up medians over 0.0833, 1, 3.125, 6.125: (1 + 3.125) / 2 = 2.0625.
    spec = {"journey": "Onboarding", "from": str(date(0)), "to": str(date(13)), "cohort": "all"}
    result = run(ONBOARDING_STORY, {"kind": "journey_funnel", **spec}, ONBOARDING)
    assert result.column("entered") == [4, 4, 2, 1, 1]
    assert result.column("conversion_from_previous") == pytest.approx([None, 1.0, 0.5, 0.5, 1.0])
    assert result.column("conversion_from_first") == pytest.approx([1.0, 1.0, 0.5, 0.25, 0.25])
    assert result.column("median_days_in_stage") == pytest.approx([2.0625, 47 / 48, 0.0, 6.0, None])
    assert result.column("current") == [0, 2, 1, 0, 1]
    assert result.column("stalled") == [0, 1, 0, 0, 0]


def test_filters_keep_the_units_with_the_property(run):
    # Sales: ann and bob (eve is Sales too but signed up before the range; dan is Support).
    spec = {
        "journey": "Onboarding",
        "from": str(date(0)),
        "to": str(date(13)),
        "filters": [{"property": "user.department", "op": "eq", "value": "Sales"}],
    }
    result = run(ONBOARDING_STORY, {"kind": "journey_funnel", **spec}, ONBOARDING)
    assert result.column("entered") == [2, 2, 2, 1, 1]
    assert result.column("conversion_from_previous") == pytest.approx([None, 1.0, 1.0, 0.5, 1.0])
    # Signed up: ann 6.125, bob 3.125; Explored: ann 0, bob 47/24.
    assert result.column("median_days_in_stage") == pytest.approx([4.625, 47 / 48, 0.0, 6.0, None])
    assert result.column("current") == [0, 0, 1, 0, 1]


def test_customer_template_per_account(run):
    # Cohort: every account reached (first event) in d-14..d40: a1, a2, a3, a4.
    # Entered: Reach 4, Acquisition 4, Conversion 3 (not the lead a4), Retention 2 (a1, a3),
    #   Loyalty 1 (a1; a3 churned).
    # Days in stage for those who moved on: Reach 0 for all four (Acquisition at the same
    #   time); Acquisition a1 d-8 -> d0 = 8, a2 d1 13:00 -> d3 12:00 = 47/24, a3 d-2 13:00 ->
    #   d-1 12:00 = 23/24: median 47/24; Conversion a1 d0 -> d35 = 35, a3 d-1 -> d40 = 41:
    #   38; Retention a1 0.
    # Current at the end of d40 (d41 00:00): a4 Acquisition since d2 (38.5 days, stalled), a2
    #   Conversion since d3 (37.5 days, stalled), a3 Retention since d40 12:00 (half a day),
    #   a1 Loyalty (the last stage).
    spec = {"journey": "Customers", "unit": "account", "from": str(date(-14)), "to": str(date(40))}
    result = run(CUSTOMER_STORY, {"kind": "journey_funnel", **spec}, CUSTOMER)
    assert result.column("stage") == ["Reach", "Acquisition", "Conversion", "Retention", "Loyalty"]
    assert result.column("entered") == [4, 4, 3, 2, 1]
    assert result.column("conversion_from_previous") == pytest.approx([None, 1.0, 0.75, 2 / 3, 0.5])
    assert result.column("conversion_from_first") == pytest.approx([1.0, 1.0, 0.75, 0.5, 0.25])
    assert result.column("median_days_in_stage") == pytest.approx([0.0, 47 / 24, 38.0, 0.0, None])
    assert result.column("current") == [0, 1, 1, 1, 1]
    assert result.column("stalled") == [0, 1, 1, 0, 0]


def test_the_journeys_unit_is_the_default_and_the_spec_can_override_it(run):
    # The customer journey declared per account: without `unit` the spec counts accounts.
    defs = {"journeys": [{"name": "Customers", "template": "customer", "unit": "account"}]}
    spec = {"kind": "journey_funnel", "journey": "Customers", "from": str(date(-14)),
            "to": str(date(40))}  # fmt: skip
    assert run(CUSTOMER_STORY, spec, defs).column("entered") == [4, 4, 3, 2, 1]
    # Per user (entries in test_journey_stages.py): u1..u6 reached; u5, u6 never converted
    # (no paying account); only u4 was active 30+ days after conversion; no one is loyal
    # (u4's account churned).
    per_user = run(CUSTOMER_STORY, {**spec, "unit": "user"}, defs)
    assert per_user.column("entered") == [6, 6, 4, 1, 0]
    assert per_user.column("conversion_from_previous") == pytest.approx(
        [None, 1.0, 4 / 6, 1 / 4, 0.0]
    )


def test_a_stage_nobody_reached_has_zero_and_the_range_can_be_empty(run):
    # Nobody reached Adoption by d10 (ann won on d13); Trial on d11 is also out.
    # Entered: ann, bob, cat reached Awareness in range; Interest: ann (d2); Evaluation ann.
    spec = {"journey": "Adoption", "from": str(date(0)), "to": str(date(10))}
    result = run(ADOPTION_STORY, {"kind": "journey_funnel", **spec}, ADOPTION)
    assert result.column("entered") == [3, 1, 1, 0, 0]
    assert result.column("conversion_from_previous") == pytest.approx([None, 1 / 3, 1.0, 0.0, None])
    # A range before anyone: every stage 0, rates unknown.
    empty = run(
        ADOPTION_STORY,
        {"kind": "journey_funnel", "journey": "Adoption", "from": "2025-01-01", "to": "2025-01-31"},
        ADOPTION,
    )
    assert empty.column("entered") == [0, 0, 0, 0, 0]
    assert empty.column("conversion_from_first") == [None, None, None, None, None]
    assert empty.column("median_days_in_stage") == [None, None, None, None, None]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"journey": "Nope"}, r"unknown journey 'Nope'; defined: \['Onboarding'\]"),
        (
            {"journey": "Onboarding", "breakdown": "user.department"},
            r"breakdown: .*journey metrics have no breakdown",
        ),
        (
            {
                "journey": "Onboarding",
                "filters": [{"property": "event.format", "op": "eq", "value": "pdf"}],
            },
            r"put event conditions in the stage criteria",
        ),
        (
            {
                "journey": "Onboarding",
                "unit": "account",
                "filters": [{"property": "user.department", "op": "eq", "value": "Sales"}],
            },
            r"with unit='account', filter by account.<key> properties",
        ),
        ({"journey": "Onboarding", "stalled_after_days": 0}, r"stalled_after_days: Input should"),
    ],
)
def test_spec_errors_read_well(run, spec, message):
    with pytest.raises(SpecError, match=message):
        run(ONBOARDING_STORY, {"kind": "journey_funnel", **spec}, ONBOARDING)


def test_no_journeys_declared(run):
    with pytest.raises(SpecError, match=r"no journeys are defined: add \[\[journeys\]\]"):
        run(ONBOARDING_STORY, {"kind": "journey_funnel", "journey": "Onboarding"})
