"""Difference in differences on per-unit changes, with a Welch confidence interval.

Each unit (user or account) has one outcome before and one after an event (a launch); its
change is after - before. The difference in differences is the mean change of the treated
group (adopters) minus the mean change of the comparison group (non-adopters).

Why per-unit changes and Welch: with one before and one after value per unit (a balanced
two-period panel), the OLS regression y = a + b*treated + c*after + d*treated*after gives
exactly d = that difference of mean changes, and standard errors clustered by unit are then a
comparison of the changes' spread within each group. Welch's two-sample t interval on the
changes is that comparison with the usual small-sample treatment: unequal variances per group
and Satterthwaite's degrees of freedom (B. L. Welch (1947), "The generalization of Student's
problem when several different population variances are involved", Biometrika 34, 28-35).
Its variance s1^2/n1 + s2^2/n2 uses the unbiased within-group variances; the cluster-robust
(CR0) variance of the OLS form is the same sum with (n - 1)/n^2 in place of 1/n, so the two
agree as groups grow and Welch's is slightly wider (more honest) for small ones. The tests
check the estimate against statsmodels OLS with unit-clustered errors, the interval against
statsmodels' CompareMeans (unequal variances) and the p-value against scipy's Welch t-test.

Only group summaries are needed (size, mean and standard deviation of the changes), so the
engine reduces any number of units to two rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import t as student_t


@dataclass(frozen=True)
class GroupChanges:
    """A group's per-unit changes: how many units, their mean and sample standard deviation
    (ddof 1; None for fewer than 2 units)."""

    units: int
    mean: float | None
    sd: float | None

    @classmethod
    def of(cls, changes: Sequence[float]) -> GroupChanges:
        """The summary of a list of per-unit changes (mean None when empty)."""
        n = len(changes)
        if n == 0:
            return cls(0, None, None)
        mean = math.fsum(changes) / n
        if n < 2:
            return cls(1, mean, None)
        variance = math.fsum((c - mean) ** 2 for c in changes) / (n - 1)
        return cls(n, mean, math.sqrt(variance))


@dataclass(frozen=True)
class DifferenceInDifferences:
    """The estimate (treated mean change - comparison mean change, in the outcome's units), its
    standard error, Welch degrees of freedom, `confidence` interval and two-sided p-value
    (None when both groups have no spread: the estimate is then exact or meaningless)."""

    estimate: float
    standard_error: float
    degrees_of_freedom: float | None
    low: float
    high: float
    p_value: float | None
    confidence: float


def difference_in_differences(
    treated: GroupChanges, comparison: GroupChanges, confidence: float = 0.95
) -> DifferenceInDifferences | None:
    """Welch's interval for treated.mean - comparison.mean; None when a group has fewer than 2
    units (no spread to estimate the uncertainty from)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), not {confidence}")
    groups = (treated, comparison)
    if any(g.units < 2 or g.mean is None or g.sd is None for g in groups):
        return None
    assert treated.mean is not None and comparison.mean is not None
    estimate = treated.mean - comparison.mean
    shares = [g.sd**2 / g.units for g in groups if g.sd is not None]
    variance = math.fsum(shares)
    if variance == 0:
        # Every unit of each group changed by the same amount: no sampling spread to speak of.
        return DifferenceInDifferences(estimate, 0.0, None, estimate, estimate, None, confidence)
    # Welch-Satterthwaite degrees of freedom.
    df = variance**2 / math.fsum(
        share**2 / (g.units - 1) for share, g in zip(shares, groups, strict=True)
    )
    se = math.sqrt(variance)
    quantile = float(student_t.ppf(0.5 + confidence / 2, df))
    p_value = float(2 * student_t.sf(abs(estimate) / se, df))
    return DifferenceInDifferences(
        estimate, se, df, estimate - quantile * se, estimate + quantile * se, p_value, confidence
    )
