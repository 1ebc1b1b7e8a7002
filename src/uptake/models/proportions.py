"""The difference of two independent proportions with a confidence interval.

Two intervals:

- newcombe (default): Newcombe's hybrid score interval, method 10 of R. G. Newcombe (1998),
  "Interval estimation for the difference between independent proportions: comparison of
  eleven methods", Statistics in Medicine 17(8), 873-890. It combines the Wilson score interval
  of each proportion (E. B. Wilson (1927), JASA 22(158), 209-212), keeps within [-1, 1] and
  stays sensible for small groups and rates near 0 or 1, where the Wald interval collapses to a
  single point or spills outside [-1, 1].
- wald: the textbook p1 - p2 +/- z * sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2), for comparison
  with tools that report it.

Both match statsmodels' `confint_proportions_2indep(..., compare="diff")` with
method="newcomb" / "wald" (checked in tests/models/test_proportions.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, assert_never

from scipy.stats import norm

IntervalMethod = Literal["newcombe", "wald"]


@dataclass(frozen=True)
class Interval:
    """An estimate with the bounds of its confidence interval (same units as the estimate)."""

    estimate: float
    low: float
    high: float


def _z(confidence: float) -> float:
    """The two-sided standard normal quantile for `confidence` (0.95 -> 1.95996...)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), not {confidence}")
    return float(norm.ppf(0.5 + confidence / 2))


def _check_counts(successes: int, trials: int) -> None:
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> Interval | None:
    """The proportion successes / trials (0-1) with its Wilson score interval; None when
    `trials` is 0 (no proportion to estimate)."""
    _check_counts(successes, trials)
    if trials == 0:
        return None
    z = _z(confidence)
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    scale = 1 + z2 / trials
    # Clamp float noise only: the bounds are within [0, 1] analytically.
    low = max(0.0, (centre - spread) / scale)
    high = min(1.0, (centre + spread) / scale)
    return Interval(p, low, high)


def proportion_difference(
    successes_a: int,
    trials_a: int,
    successes_b: int,
    trials_b: int,
    confidence: float = 0.95,
    method: IntervalMethod = "newcombe",
) -> Interval | None:
    """p_a - p_b (each successes / trials, 0-1) with a `confidence` interval (bounds within
    [-1, 1]); None when either group is empty (trials 0)."""
    _check_counts(successes_a, trials_a)
    _check_counts(successes_b, trials_b)
    if trials_a == 0 or trials_b == 0:
        return None
    p_a, p_b = successes_a / trials_a, successes_b / trials_b
    difference = p_a - p_b
    match method:
        case "newcombe":
            a = wilson_interval(successes_a, trials_a, confidence)
            b = wilson_interval(successes_b, trials_b, confidence)
            assert a is not None and b is not None
            # Newcombe (1998), method 10: each side's distance from the estimate combines the
            # Wilson distances of the two proportions in the direction that side moves them.
            low = difference - math.sqrt((p_a - a.low) ** 2 + (b.high - p_b) ** 2)
            high = difference + math.sqrt((a.high - p_a) ** 2 + (p_b - b.low) ** 2)
        case "wald":
            z = _z(confidence)
            spread = z * math.sqrt(p_a * (1 - p_a) / trials_a + p_b * (1 - p_b) / trials_b)
            low, high = difference - spread, difference + spread
        case _:
            assert_never(method)
    return Interval(difference, low, high)
