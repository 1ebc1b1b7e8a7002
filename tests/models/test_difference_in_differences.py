"""Difference in differences on per-unit changes: by hand, and against statsmodels (OLS on the
long panel with unit-clustered errors; CompareMeans with unequal variances) and scipy's Welch
t-test, three implementations that share no code with ours."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import t as student_t
from scipy.stats import ttest_ind
from statsmodels.stats.weightstats import CompareMeans

from uptake.models.difference_in_differences import GroupChanges, difference_in_differences


def test_by_hand() -> None:
    # Treated changes 0, 2, -1: mean 1/3, squared deviations 1/9 + 25/9 + 16/9 = 42/9, variance
    # 42/9 / 2 = 7/3. Comparison -1, -1, -1, 0: mean -3/4, squares 3 * 1/16 + 9/16 = 12/16,
    # variance 12/16 / 3 = 1/4. Estimate 1/3 + 3/4 = 13/12. Variance of the estimate
    # 7/3/3 + 1/4/4 = 7/9 + 1/16 = 121/144, so the standard error is 11/12. Welch's df:
    # (121/144)^2 / ((7/9)^2 / 2 + (1/16)^2 / 3).
    treated = GroupChanges.of([0, 2, -1])
    comparison = GroupChanges.of([-1, -1, -1, 0])
    assert (treated.units, treated.mean, treated.sd) == (
        3,
        pytest.approx(1 / 3),
        pytest.approx(math.sqrt(7 / 3)),
    )
    assert (comparison.units, comparison.mean, comparison.sd) == (4, -0.75, 0.5)
    got = difference_in_differences(treated, comparison)
    assert got is not None
    df = (121 / 144) ** 2 / ((7 / 9) ** 2 / 2 + (1 / 16) ** 2 / 3)
    half = student_t.ppf(0.975, df) * 11 / 12
    assert got.estimate == pytest.approx(13 / 12)
    assert got.standard_error == pytest.approx(11 / 12)
    assert got.degrees_of_freedom == pytest.approx(df)
    assert (got.low, got.high) == pytest.approx((13 / 12 - half, 13 / 12 + half))
    assert got.p_value == pytest.approx(2 * student_t.sf((13 / 12) / (11 / 12), df))


def _panel(seed: int, n_treated: int, n_comparison: int, effect: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    before_t = rng.poisson(3, n_treated).astype(float)
    after_t = before_t + rng.normal(effect + 0.3, 1.2, n_treated)
    before_c = rng.poisson(2, n_comparison).astype(float)
    after_c = before_c + rng.normal(0.3, 0.6, n_comparison)
    return {"bt": before_t, "at": after_t, "bc": before_c, "ac": after_c}


@pytest.mark.parametrize(
    ("seed", "n_treated", "n_comparison", "effect"),
    [(1, 15, 22, 1.0), (2, 40, 300, 0.0), (3, 5, 8, -0.5), (4, 120, 90, 0.25)],
)
def test_agrees_with_statsmodels_and_scipy(
    seed: int, n_treated: int, n_comparison: int, effect: float
) -> None:
    p = _panel(seed, n_treated, n_comparison, effect)
    change_t, change_c = p["at"] - p["bt"], p["ac"] - p["bc"]
    treated, comparison = GroupChanges.of(list(change_t)), GroupChanges.of(list(change_c))
    got = difference_in_differences(treated, comparison, confidence=0.9)
    assert got is not None

    # The long panel: one row per unit and window; y = a + b*treated + c*after + d*both.
    y = np.concatenate([p["bt"], p["at"], p["bc"], p["ac"]])
    is_treated = np.r_[np.ones(2 * n_treated), np.zeros(2 * n_comparison)]
    after = np.r_[
        np.zeros(n_treated), np.ones(n_treated), np.zeros(n_comparison), np.ones(n_comparison)
    ]
    unit = np.r_[np.tile(np.arange(n_treated), 2), np.tile(np.arange(n_comparison) + n_treated, 2)]
    design = sm.add_constant(np.column_stack([is_treated, after, is_treated * after]))
    ols = sm.OLS(y, design).fit(
        cov_type="cluster", cov_kwds={"groups": unit, "use_correction": False}
    )
    # The interaction coefficient is the difference in differences, exactly.
    assert got.estimate == pytest.approx(ols.params[3], abs=1e-9)
    # Clustered by unit (CR0), its variance is sum over groups of sd^2 (n - 1) / n^2: Welch's
    # s1^2/n1 + s2^2/n2 with (n - 1)/n^2 in place of 1/n (see the module's docstring).
    assert treated.sd is not None and comparison.sd is not None
    cr0 = sum(g.sd**2 * (g.units - 1) / g.units**2 for g in (treated, comparison))  # type: ignore[operator]
    assert ols.bse[3] ** 2 == pytest.approx(cr0, rel=1e-9)
    assert got.standard_error**2 == pytest.approx(
        treated.sd**2 / treated.units + comparison.sd**2 / comparison.units, rel=1e-12
    )

    # Welch's interval and p-value, from two other implementations.
    low, high = CompareMeans.from_data(change_t, change_c).tconfint_diff(
        alpha=0.1, usevar="unequal"
    )
    assert (got.low, got.high) == pytest.approx((low, high), rel=1e-9)
    welch = ttest_ind(change_t, change_c, equal_var=False)
    assert got.p_value == pytest.approx(welch.pvalue, rel=1e-9)
    assert got.degrees_of_freedom == pytest.approx(welch.df, rel=1e-9)


def test_a_group_of_one_has_no_interval() -> None:
    assert difference_in_differences(GroupChanges.of([1.0]), GroupChanges.of([0.0, 1.0])) is None
    assert difference_in_differences(GroupChanges.of([]), GroupChanges.of([0.0, 1.0])) is None
    assert GroupChanges.of([]) == GroupChanges(0, None, None)
    assert GroupChanges.of([2.5]) == GroupChanges(1, 2.5, None)


def test_no_spread_gives_a_point() -> None:
    # Every treated unit gained 2, every comparison unit 1: estimate 1, nothing uncertain.
    got = difference_in_differences(GroupChanges.of([2, 2]), GroupChanges.of([1, 1, 1]))
    assert got is not None
    assert (got.estimate, got.low, got.high, got.standard_error, got.p_value) == (1, 1, 1, 0, None)


def test_confidence_must_be_a_level() -> None:
    with pytest.raises(ValueError, match="confidence"):
        difference_in_differences(GroupChanges.of([1, 2]), GroupChanges.of([1, 2]), 1.0)
