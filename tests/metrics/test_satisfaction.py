"""NPS, CSAT and task completion from survey answers, checked by hand.

NPS interval: nps ± z x se, se = sqrt((pP + pD - (pP - pD)^2) / n) x 100, clipped to
[-100, 100]; z(0.95) = 1.959964, z(0.90) = 1.644854.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import account, date, day, journeys, response, user
from uptake.errors import SpecError
from uptake.metrics import parse_spec
from uptake.service import compute

# Weeks start Sunday: week 1 = days 0-6, week 2 = days 7-13, week 3 = days 14-20.
USERS = {
    "ann": user(account="acme", department="Sales"),
    "bob": user(account="acme", department="Sales"),
    "cat": user(account="globex", department="Support"),
    "dan": user(account="globex", department="Support"),
    # eve has no profile: no department, no account.
}
ACCOUNTS = {"acme": account(plan="pro"), "globex": account(plan="free")}

NPS_STORY = journeys(
    {},
    users=USERS,
    accounts=ACCOUNTS,
    responses=[
        response("ann", "nps", day(-1), 0),  # before the range: not counted
        # Week 1.
        response("ann", "nps", day(1), 6),  # replaced by ann's later 9 under dedupe=latest
        response("ann", "nps", day(4), 9),
        response("bob", "nps", day(2), 10),
        response("cat", "nps", day(3), 7),
        response("dan", "nps", day(5), 3),
        response("dan", "nps", day(6), 12),  # invalid: does not replace dan's 3
        response("eve", "nps", day(2), 8),
        response("ann", "csat", day(2), 1),  # another survey
        # Week 2.
        response("ann", "nps", day(8), 10),
        response("bob", "nps", day(9), None),  # no score: invalid
        response("cat", "nps", day(10, 9), 9),
        response("cat", "nps", day(10, 18), 5),  # cat's latest in week 2
        response("eve", "nps", day(13, 23, 59, 59), 10),  # last second of `to`: counted
        response("eve", "nps", day(14), 0),  # after the range
    ],
)
WEEKS = {"from": str(date(0)), "to": str(date(13)), "period": "week"}
NPS_COLUMNS = (
    "period",
    "responses",
    "promoters",
    "passives",
    "detractors",
    "invalid_scores",
    "nps",
    "nps_ci_low",
    "nps_ci_high",
)


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def near(x: float) -> object:
    """Equal to two decimals, as the interval numbers are worked out by hand."""
    return pytest.approx(x, abs=0.005)


def test_nps_counts_each_users_latest_answer_per_period(run):
    # Week 1, latest valid answer per user: ann 9 (P), bob 10 (P), cat 7 (passive), dan 3 (D;
    # his later 12 is invalid), eve 8 (passive): n=5, P=2, passives=2, D=1.
    # nps = 40 - 20 = 20; se = sqrt((.4 + .2 - .2^2) / 5) = sqrt(.112) = 33.4664;
    # 1.959964 x 33.4664 = 65.5929 -> [-45.59, 85.59].
    # Week 2: ann 10 (P), cat 5 (D; her 9 came earlier that day), eve 10 (P); bob's answer has
    # no score (invalid). n=3, P=2, D=1: nps = 66.67 - 33.33 = 33.33;
    # se = sqrt((2/3 + 1/3 - 1/9) / 3) = sqrt(8/27) = 54.4331; margin 106.6870
    # -> [-73.35, 140.02], clipped to 100.
    result = run(NPS_STORY, {"kind": "nps", **WEEKS})
    assert values(result, *NPS_COLUMNS) == [
        (date(0), 5, 2, 2, 1, 1, near(20.0), near(-45.59), near(85.59)),
        (date(7), 3, 2, 0, 1, 1, near(33.33), near(-73.35), 100.0),
    ]


def test_nps_dedupe_all_counts_every_answer(run):
    # Week 1, every valid answer: ann 6 (D) and 9 (P), bob P, cat passive, dan D, eve passive:
    # n=6, P=2, passives=2, D=2 -> nps 0; se = sqrt((1/3 + 1/3 - 0) / 6) = 1/3 -> 33.3333;
    # margin 65.3321 -> [-65.33, 65.33].
    # Week 2: ann P, cat P and D, eve P: n=4, P=3, D=1 -> nps 75 - 25 = 50;
    # se = sqrt((.75 + .25 - .25) / 4) = 43.3013; margin 84.8689 -> [-34.87, 134.87] -> 100.
    result = run(NPS_STORY, {"kind": "nps", "dedupe": "all", **WEEKS})
    assert values(result, *NPS_COLUMNS) == [
        (date(0), 6, 2, 2, 2, 1, near(0.0), near(-65.33), near(65.33)),
        (date(7), 4, 3, 0, 1, 1, near(50.0), near(-34.87), 100.0),
    ]


def test_nps_confidence_level_sets_the_width(run):
    # Week 1 as in the first test, at 90%: 1.644854 x 33.4664 = 55.0473 -> [-35.05, 75.05].
    spec = {"kind": "nps", "confidence": 0.9, "from": str(date(0)), "to": str(date(6))}
    assert values(run(NPS_STORY, spec), "nps", "nps_ci_low", "nps_ci_high") == [
        (near(20.0), near(-35.05), near(75.05)),
    ]


def test_nps_breakdown_by_account_plan(run):
    # Week 1 only. (none): eve 8 -> n=1, one passive: nps 0, se 0 -> [0, 0].
    # free (globex): cat 7, dan 3 (+ dan's invalid 12): nps 0 - 50 = -50;
    # se = sqrt((0 + .5 - .25) / 2) = 35.3553; margin 69.2952 -> [-119.30, 19.30] -> -100.
    # pro (acme): ann 9, bob 10: nps 100, se = sqrt((1 + 0 - 1) / 2) = 0 -> [100, 100].
    spec = {"kind": "nps", "breakdown": "account.plan", "from": str(date(0)), "to": str(date(6))}
    result = run(NPS_STORY, spec)
    assert values(result, "breakdown", *NPS_COLUMNS[1:]) == [
        ("(none)", 1, 0, 1, 0, 0, near(0.0), near(0.0), near(0.0)),
        ("free", 2, 0, 1, 1, 1, near(-50.0), -100.0, near(19.30)),
        ("pro", 2, 2, 0, 0, 0, near(100.0), near(100.0), near(100.0)),
    ]


def test_nps_user_filter_and_empty_period(run):
    # Support = cat and dan. Week 1: cat 7, dan 3 (and his invalid 12) -> nps -50 as above.
    # Week 2: cat 5 -> one detractor: nps -100, se = sqrt((0 + 1 - 1) / 1) = 0.
    # Week 3 has no answers in range: zeros and no score.
    spec = {
        "kind": "nps",
        "from": str(date(0)),
        "to": str(date(20)),
        "filters": [{"property": "user.department", "op": "eq", "value": "Support"}],
    }
    assert values(run(NPS_STORY, spec), *NPS_COLUMNS) == [
        (date(0), 2, 0, 1, 1, 1, near(-50.0), -100.0, near(19.30)),
        (date(7), 1, 0, 0, 1, 0, near(-100.0), near(-100.0), near(-100.0)),
        (date(14), 0, 0, 0, 0, 0, None, None, None),
    ]


def _whuber_sample() -> list[float]:
    # whuber's worked example, Cross Validated q. 18603 ("How can I calculate margin of error
    # in a NPS result?", https://stats.stackexchange.com/q/18603): 1/2 promoters, 1/3 passives,
    # 1/6 detractors, n = 324 -> NPS 1/3 ("about 33%") with a standard error "of about 4.1%"
    # (sqrt(5/9) / 18 = 4.14%).
    return [10.0] * 162 + [7.0] * 108 + [2.0] * 54


def _survey_story(scores: list[float]):
    return journeys(
        {}, responses=[response(f"u{i}", "nps", day(1), s) for i, s in enumerate(scores)]
    )


def test_nps_interval_matches_a_published_worked_example(run):
    # se = 4.14 (whuber), 95%: 33.33 ± 1.959964 x 4.1409 = [25.22, 41.45].
    spec = {"kind": "nps", "from": str(date(0)), "to": str(date(6))}
    [row] = run(_survey_story(_whuber_sample()), spec).rows
    assert (row["responses"], row["promoters"], row["passives"], row["detractors"]) == (
        324,
        162,
        108,
        54,
    )
    assert row["nps"] == near(33.33)
    assert (row["nps_ci_low"], row["nps_ci_high"]) == (near(25.22), near(41.45))
    se = (row["nps_ci_high"] - row["nps_ci_low"]) / 2 / 1.959964
    assert round(se, 1) == 4.1


def test_nps_interval_agrees_with_a_bootstrap(run):
    # An independent check: resample a fixed sample of 60 answers 20,000 times (seeded) and take
    # the 2.5% / 97.5% percentiles of the resampled NPS. 25 P, 15 passives, 20 D: nps 8.33,
    # se = sqrt((25/60 + 20/60 - (5/60)^2) / 60) = 11.1285; margin 21.8115 -> [-13.48, 30.14].
    scores = [9.0] * 25 + [8.0] * 15 + [4.0] * 20
    spec = {"kind": "nps", "from": str(date(0)), "to": str(date(6))}
    [row] = run(_survey_story(scores), spec).rows
    assert (row["nps"], row["nps_ci_low"], row["nps_ci_high"]) == (
        near(8.33),
        near(-13.48),
        near(30.14),
    )
    tickets = np.array([1] * 25 + [0] * 15 + [-1] * 20)
    rng = np.random.default_rng(20260104)
    draws = rng.choice(tickets, size=(20_000, tickets.size), replace=True).mean(axis=1) * 100
    low, high = np.percentile(draws, [2.5, 97.5])
    # A normal interval and a percentile bootstrap agree to about a point at n = 60.
    assert row["nps_ci_low"] == pytest.approx(low, abs=1.5)
    assert row["nps_ci_high"] == pytest.approx(high, abs=1.5)
    assert draws.std() == pytest.approx(11.1285, rel=0.03)


CSAT_STORY = journeys(
    {},
    users=USERS,
    accounts=ACCOUNTS,
    responses=[
        # Week 1: ann twice (both count: no dedupe), bob, cat; eve 6 and dan 0 are off the scale.
        response("ann", "csat", day(1), 5),
        response("ann", "csat", day(3), 2),
        response("bob", "csat", day(2), 4),
        response("cat", "csat", day(2), 3),
        response("eve", "csat", day(4), 6),
        response("dan", "csat", day(5), 0),
        # Week 2.
        response("ann", "csat", day(8), 4),
        response("bob", "csat", day(9), 5),
        response("cat", "csat", day(10), 3),
        # A 1-7 survey under its own name.
        response("ann", "support_csat", day(1), 7),
        response("bob", "support_csat", day(1), 6),
        response("cat", "support_csat", day(2), 5),
        response("dan", "support_csat", day(2), 8),
        response("ann", "task", day(2), 1),
    ],
)
CSAT_COLUMNS = ("period", "responses", "satisfied", "invalid_scores", "csat_percent")


def test_csat_is_the_share_of_4_and_5_answers(run):
    # Week 1: 5, 2, 4, 3 valid -> 2 satisfied of 4 = 50%; 6 and 0 invalid.
    # Week 2: 4, 5, 3 -> 2 of 3 = 66.67%. Week 3: nothing.
    result = run(CSAT_STORY, {"kind": "csat", "from": str(date(0)), "to": str(date(20))})
    assert values(result, *CSAT_COLUMNS) == [
        (date(0), 4, 2, 2, 50.0),
        (date(7), 3, 2, 0, pytest.approx(200 / 3)),
        (date(14), 0, 0, 0, None),
    ]


def test_csat_satisfied_min_moves_the_threshold(run):
    # satisfied_min=3: week 1 5, 4, 3 of 4 -> 75%; week 2 all three -> 100%.
    result = run(CSAT_STORY, {"kind": "csat", "satisfied_min": 3, **WEEKS})
    assert values(result, *CSAT_COLUMNS) == [
        (date(0), 4, 3, 2, 75.0),
        (date(7), 3, 3, 0, 100.0),
    ]


def test_csat_on_a_seven_point_survey(run):
    # 1-7 scale, satisfied from 6: 7 and 6 of 7, 6, 5 -> 66.67%; dan's 8 is off the scale.
    spec = {
        "kind": "csat",
        "survey": "support_csat",
        "scale_max": 7,
        "satisfied_min": 6,
        "from": str(date(0)),
        "to": str(date(6)),
    }
    assert values(run(CSAT_STORY, spec), *CSAT_COLUMNS) == [
        (date(0), 3, 2, 1, pytest.approx(200 / 3)),
    ]


TASK_STORY = journeys(
    {},
    users=USERS,
    accounts=ACCOUNTS,
    responses=[
        # Week 1: ann done, bob not, cat done, dan done; eve's 0.5 is neither.
        response("ann", "task", day(1), 1),
        response("bob", "task", day(1), 0),
        response("cat", "task", day(2), 1),
        response("dan", "task", day(3), 1),
        response("eve", "task", day(3), 0.5),
        # Week 2: ann fails.
        response("ann", "task", day(8), 0),
        response("bob", "nps", day(8), 1),
    ],
)


def test_task_completion_rate(run):
    # Week 1: 3 completed of 4 attempts = 0.75; week 2: 0 of 1; week 3: no attempts.
    result = run(TASK_STORY, {"kind": "task_completion", "from": str(date(0)), "to": str(date(20))})
    assert values(
        result, "period", "attempts", "completed", "invalid_scores", "task_completion_rate"
    ) == [
        (date(0), 4, 3, 1, 0.75),
        (date(7), 1, 0, 0, 0.0),
        (date(14), 0, 0, 0, None),
    ]


def test_task_completion_breakdown_by_user_department(run):
    # Week 1: (none) = eve's invalid answer only; Sales: ann 1, bob 0 -> 0.5; Support: cat 1,
    # dan 1 -> 1.0. Week 2: Sales: ann 0 -> 0.0; the others have no attempts.
    spec = {"kind": "task_completion", "breakdown": "user.department", **WEEKS}
    assert values(
        run(TASK_STORY, spec),
        "period",
        "breakdown",
        "attempts",
        "completed",
        "invalid_scores",
        "task_completion_rate",
    ) == [
        (date(0), "(none)", 0, 0, 1, None),
        (date(0), "Sales", 2, 1, 0, 0.5),
        (date(0), "Support", 2, 2, 0, 1.0),
        (date(7), "(none)", 0, 0, 0, None),
        (date(7), "Sales", 1, 0, 0, 0.0),
        (date(7), "Support", 0, 0, 0, None),
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "nps", "unit": "account"}, "unit must be 'user'"),
        ({"kind": "nps", "confidence": 1.5}, "confidence"),
        ({"kind": "csat", "satisfied_min": 6}, "satisfied_min (6) is above"),
        (
            {
                "kind": "task_completion",
                "filters": [{"property": "event", "op": "eq", "value": "login"}],
            },
            "survey answers are not events",
        ),
        ({"kind": "nps", "breakdown": "event.plan"}, "breakdown 'event.plan' must be one of"),
    ],
)
def test_invalid_specs_read_well(spec, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_spec(spec)


ANSWERS = st.lists(
    st.tuples(
        st.sampled_from(["ann", "bob", "cat", "dan"]),
        st.integers(min_value=0, max_value=13),
        st.one_of(st.none(), st.integers(min_value=-2, max_value=12).map(float)),
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=ANSWERS, dedupe=st.sampled_from(["latest", "all"]))
def test_nps_properties_on_duckdb(answers, dedupe):
    story = journeys({}, responses=[response(u, "nps", day(d), s) for u, d, s in answers])
    with duckdb_tables(story) as tables:
        result = compute({"kind": "nps", "dedupe": dedupe, **WEEKS}, tables)
    invalid = sum(1 for _, _, s in answers if s is None or not 0 <= s <= 10)
    assert sum(result.column("invalid_scores")) == invalid
    for row in result.rows:
        assert row["promoters"] + row["passives"] + row["detractors"] == row["responses"]
        if row["responses"] == 0:
            assert row["nps"] is None
            continue
        assert -100 <= row["nps_ci_low"] <= row["nps"] + 1e-9
        assert row["nps"] - 1e-9 <= row["nps_ci_high"] <= 100
