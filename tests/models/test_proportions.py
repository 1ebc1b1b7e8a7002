"""The difference of two proportions: Newcombe's hybrid score interval and Wald's, checked by
hand, against the published examples of Newcombe (1998) and against statsmodels."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from uptake.models.proportions import proportion_difference, wilson_interval

# Confidence with z = 2 exactly, so the hand computation below has round numbers.
Z2 = 2 * norm.cdf(2) - 1


def test_newcombe_by_hand_with_z_two() -> None:
    # z = 2. Group a: 2 of 4, p = 1/2. Wilson: centre (p + z^2/2n) = 1/2 + 4/8 = 1, spread
    # z * sqrt(p(1-p)/n + z^2/4n^2) = 2 * sqrt(1/16 + 1/16) = sqrt(1/2), scale 1 + z^2/n = 2:
    # (1 - sqrt(1/2)) / 2 = 1/2 - sqrt(1/8) to 1/2 + sqrt(1/8).
    # Group b: 0 of 4, p = 0. Centre 0 + 1/2, spread 2 * sqrt(0 + 1/16) = 1/2, scale 2: 0 to 1/2.
    # Difference 1/2. Low: 1/2 - sqrt((p_a - l_a)^2 + (u_b - p_b)^2) = 1/2 - sqrt(1/8 + 1/4);
    # high: 1/2 + sqrt((u_a - p_a)^2 + (p_b - l_b)^2) = 1/2 + sqrt(1/8 + 0).
    a = wilson_interval(2, 4, Z2)
    assert a is not None
    assert (a.estimate, a.low, a.high) == pytest.approx(
        (0.5, 0.5 - math.sqrt(1 / 8), 0.5 + math.sqrt(1 / 8))
    )
    got = proportion_difference(2, 4, 0, 4, Z2)
    assert got is not None
    assert (got.estimate, got.low, got.high) == pytest.approx(
        (0.5, 0.5 - math.sqrt(3 / 8), 0.5 + math.sqrt(1 / 8))
    )


def test_wald_by_hand_with_z_two() -> None:
    # 3/4 - 1/4 = 1/2; variance 3/16/4 + 3/16/4 = 3/32; z * sqrt(3/32) = 2 * 0.30619 = 0.61237.
    got = proportion_difference(3, 4, 1, 4, Z2, method="wald")
    assert got is not None
    spread = 2 * math.sqrt(3 / 32)
    assert (got.estimate, got.low, got.high) == pytest.approx((0.5, 0.5 - spread, 0.5 + spread))


@pytest.mark.parametrize(
    ("counts", "published"),
    [
        # Newcombe (1998), Statistics in Medicine 17, 873-890, Table II, method 10 (score
        # interval, no continuity correction), to the 4 decimals printed there.
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((6, 7, 2, 7), (0.0582, 0.8062)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ],
)
def test_newcombe_matches_the_published_examples(
    counts: tuple[int, int, int, int], published: tuple[float, float]
) -> None:
    got = proportion_difference(*counts)
    assert got is not None
    assert (round(got.low, 4), round(got.high, 4)) == published


CASES = [
    (56, 70, 48, 80),
    (9, 10, 3, 10),
    (5, 56, 0, 29),
    (0, 10, 0, 20),  # both zero: Wald collapses to a point, the score interval does not
    (10, 10, 0, 20),  # extremes
    (1, 3, 2, 3),
    (412, 1000, 380, 1100),
]


@pytest.mark.parametrize("counts", CASES)
@pytest.mark.parametrize(("ours", "theirs"), [("newcombe", "newcomb"), ("wald", "wald")])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_agrees_with_statsmodels(
    counts: tuple[int, int, int, int], ours: str, theirs: str, confidence: float
) -> None:
    got = proportion_difference(*counts, confidence=confidence, method=ours)  # type: ignore[arg-type]
    low, high = confint_proportions_2indep(
        *counts, method=theirs, compare="diff", alpha=1 - confidence
    )
    assert got is not None
    assert got.estimate == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert (got.low, got.high) == pytest.approx((float(low), float(high)), abs=1e-12)


@pytest.mark.parametrize(("successes", "trials"), [(0, 5), (3, 5), (5, 5), (17, 230)])
def test_wilson_agrees_with_statsmodels(successes: int, trials: int) -> None:
    got = wilson_interval(successes, trials)
    low, high = proportion_confint(successes, trials, alpha=0.05, method="wilson")
    assert got is not None
    assert (got.low, got.high) == pytest.approx((low, high), abs=1e-12)


def test_an_empty_group_has_no_difference() -> None:
    assert proportion_difference(0, 0, 3, 4) is None
    assert proportion_difference(3, 4, 0, 0) is None
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    "bad", [(5, 4, 1, 4), (-1, 4, 1, 4), (1, 4, 1, -4)], ids=["over", "negative", "trials"]
)
def test_impossible_counts_are_refused(bad: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="successes <= trials"):
        proportion_difference(*bad)


@pytest.mark.parametrize("confidence", [0, 1, 1.5])
def test_confidence_must_be_a_level(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        proportion_difference(1, 2, 1, 2, confidence)


counts = st.integers(min_value=1, max_value=400).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@settings(max_examples=40, deadline=None)
@given(a=counts, b=counts, confidence=st.sampled_from([0.8, 0.95, 0.99]))
def test_score_interval_holds_the_estimate_within_minus_one_to_one(
    a: tuple[int, int], b: tuple[int, int], confidence: float
) -> None:
    # Invariants of method 10: the estimate lies inside, the bounds inside [-1, 1], and a
    # higher confidence never gives a narrower interval.
    got = proportion_difference(a[0], a[1], b[0], b[1], confidence)
    wider = proportion_difference(a[0], a[1], b[0], b[1], 0.999)
    assert got is not None and wider is not None
    assert -1 - 1e-12 <= got.low <= got.estimate + 1e-12
    assert got.estimate - 1e-12 <= got.high <= 1 + 1e-12
    assert wider.low <= got.low + 1e-12 and wider.high >= got.high - 1e-12
