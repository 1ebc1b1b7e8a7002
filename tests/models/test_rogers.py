"""Rogers' adopter categories: hand-made adoption times, a published diffusion study, and the
normal-curve shares the categories are built on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from uptake.models.rogers import CATEGORIES, ROGERS_SHARES, boundaries, category_of, classify


def test_every_category_with_a_time_on_each_boundary():
    # Times 0, 1, 8, 9, 10, 11 x5, 12, 13: sum 108, n 12 -> mean 9. Deviations -9, -8, -1, 0,
    # 1, 2 x5, 3, 4 -> squares 81 + 64 + 1 + 0 + 1 + 20 + 9 + 16 = 192; 192 / 12 = 16 -> sd 4.
    # Cut-offs 9 - 8 = 1, 9 - 4 = 5, 9, 9 + 4 = 13. 0 < 1: innovator; 1 is on x̄-2sd: early
    # adopter (ties go later); 8 in [5, 9): early majority; 9 on the mean: late majority, as
    # are 10, 11 and 12; 13 on x̄+sd: laggard.
    times = [11, 0, 13, 1, 11, 8, 9, 11, 10, 11, 12, 11]
    fit = classify(times)
    assert fit is not None
    assert fit.mean == 9.0
    assert fit.sd == 4.0
    assert fit.boundaries == (1.0, 5.0, 9.0, 13.0)
    assert fit.categories == (
        "late_majority",
        "innovators",
        "laggards",
        "early_adopters",
        "late_majority",
        "early_majority",
        "late_majority",
        "late_majority",
        "late_majority",
        "late_majority",
        "late_majority",
        "late_majority",
    )
    assert fit.counts == {
        "innovators": 1,
        "early_adopters": 1,
        "early_majority": 1,
        "late_majority": 8,
        "laggards": 1,
    }
    assert fit.shares() == pytest.approx(
        {
            "innovators": 1 / 12,
            "early_adopters": 1 / 12,
            "early_majority": 1 / 12,
            "late_majority": 8 / 12,
            "laggards": 1 / 12,
        }
    )


def test_ties_at_the_mean_and_at_mean_minus_sd_go_to_the_later_category():
    # 0, 3, 5 x3, 6 x3, 7 x2: sum 50, n 10 -> mean 5; squares 25 + 4 + 0 + 3 x 1 + 2 x 4 = 40;
    # 40 / 10 = 4 -> sd 2 (population sd: ddof 0). Cut-offs 1, 3, 5, 7. Nobody in [1, 3).
    fit = classify([0, 3, 5, 5, 5, 6, 6, 6, 7, 7])
    assert fit is not None
    assert (fit.mean, fit.sd) == (5.0, 2.0)
    assert fit.counts == {
        "innovators": 1,  # 0
        "early_adopters": 0,
        "early_majority": 1,  # 3, on x̄-sd
        "late_majority": 6,  # 5 x3 on the mean, 6 x3
        "laggards": 2,  # 7 x2 on x̄+sd
    }


def test_fractional_days_within_float_rounding_of_a_boundary_count_as_on_it():
    # Times 0.1, 0.2, 0.3: mean 0.2 (floats make it 0.20000000000000004, so a strict
    # comparison would put 0.2 below the mean), sd sqrt((0.01 + 0 + 0.01) / 3) = 0.08165.
    # Cut-offs 0.0367, 0.1184, 0.2, 0.2816: 0.1 in [0.0367, 0.1184) is an early adopter; 0.2 on
    # the mean is late majority; 0.3 >= 0.2816 is a laggard.
    fit = classify([0.1, 0.2, 0.3])
    assert fit is not None
    assert fit.mean > 0.2  # the rounding this test is about
    assert fit.categories == ("early_adopters", "late_majority", "laggards")


def test_category_of_each_side_of_each_cut():
    cuts = boundaries(mean=10.0, sd=2.0)
    assert cuts == (6.0, 8.0, 10.0, 12.0)
    assert [category_of(t, cuts) for t in (5.99, 6, 7.99, 8, 9.99, 10, 11.99, 12, 40)] == [
        "innovators",
        "early_adopters",
        "early_adopters",
        "early_majority",
        "early_majority",
        "late_majority",
        "late_majority",
        "laggards",
        "laggards",
    ]


@pytest.mark.parametrize("times", [[], [3.0], [2.5, 2.5, 2.5]])
def test_too_few_or_identical_times_cannot_be_classified(times):
    # Fewer than 2 adopters, or sd = 0: the cut-offs would all coincide.
    assert classify(times) is None


def test_nan_is_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="NaN"):
        classify([1.0, float("nan")])


# Coleman, J. S., Katz, E. & Menzel, H. (1957), "The Diffusion of an Innovation Among
# Physicians", Sociometry 20(4): 253-270 (the "Medical Innovation" study, data as prepared by
# Burt, R. S. (1987), "Social Contagion and Innovation: Cohesion Versus Structural Equivalence",
# AJS 92: 1287-1335). Month in which each physician of Peoria, Bloomington, Quincy and
# Galesburg first prescribed tetracycline: 1 = November 1953 ... 17 = February 1955.
# Counted here from the `adoption_date` column of ckm_nodes.csv (the Carnegie Mellon 36-402
# course copy of Burt's file), found in github.com/czh9632147/Date-Science-with-R, data/
# ckm_nodes.csv at commit bb35eedeaf9c9c36d361f2853da822fc9919578a; its codebook (code 18 "no
# prescriptions found", written Inf there; 98 "no prescription data obtained", NA) is quoted in
# a course README citing the same two papers. 109 physicians adopted; 16 never did; the rest
# have no data and are left out.
CKM_ADOPTERS_PER_MONTH = {
    1: 11, 2: 9, 3: 9, 4: 11, 5: 11, 6: 11, 7: 13, 8: 7, 9: 4,
    10: 1, 11: 5, 12: 3, 13: 3, 14: 4, 15: 4, 16: 2, 17: 1,
}  # fmt: skip
CKM_NEVER = 16


def test_medical_innovation_study_categories_by_month():
    months = [m for m, n in CKM_ADOPTERS_PER_MONTH.items() for _ in range(n)]
    # By hand from the table: n = 109; sum of months = 11 + 18 + 27 + 44 + 55 + 66 + 91 + 56
    # + 36 + 10 + 55 + 36 + 39 + 56 + 60 + 32 + 17 = 709; sum of squares = 11 + 36 + 81 + 176
    # + 275 + 396 + 637 + 448 + 324 + 100 + 605 + 432 + 507 + 784 + 900 + 512 + 289 = 6513.
    # mean = 709 / 109 = 6.50459; variance = 6513 / 109 - mean^2 = 59.75229 - 42.30970
    # = 17.44260; sd = 4.17644. Cut-offs: x̄-2sd = -1.84829, x̄-sd = 2.32815, x̄ = 6.50459,
    # x̄+sd = 10.68103.
    fit = classify(months)
    assert fit is not None
    assert fit.adopters == 109
    assert fit.mean == pytest.approx(709 / 109)
    assert fit.sd == pytest.approx(4.17644, abs=1e-5)
    assert fit.boundaries == pytest.approx((-1.84829, 2.32815, 6.50459, 10.68103), abs=1e-5)
    # Months 1-2 are early adopters (none earlier than -1.85: no innovators, since adoption
    # times start at month 1 and the curve is skewed right); 3-6 early majority; 7-10 late
    # majority; 11-17 laggards.
    by_month = {m: category_of(float(m), fit.boundaries) for m in CKM_ADOPTERS_PER_MONTH}
    assert by_month == {
        1: "early_adopters", 2: "early_adopters",
        3: "early_majority", 4: "early_majority", 5: "early_majority", 6: "early_majority",
        7: "late_majority", 8: "late_majority", 9: "late_majority", 10: "late_majority",
        11: "laggards", 12: "laggards", 13: "laggards", 14: "laggards", 15: "laggards",
        16: "laggards", 17: "laggards",
    }  # fmt: skip
    # 11 + 9 = 20; 9 + 11 + 11 + 11 = 42; 13 + 7 + 4 + 1 = 25; 5 + 3 + 3 + 4 + 4 + 2 + 1 = 22.
    assert fit.counts == {
        "innovators": 0,
        "early_adopters": 20,
        "early_majority": 42,
        "late_majority": 25,
        "laggards": 22,
    }
    # Empirical shares next to Rogers' 2.5 / 13.5 / 34 / 34 / 16 %: 0 / 18.3 / 38.5 / 22.9 /
    # 20.2 %. With the 16 who never adopted counted as laggards: 38 / 125 = 30.4 %.
    assert fit.shares() == pytest.approx(
        {
            "innovators": 0.0,
            "early_adopters": 20 / 109,
            "early_majority": 42 / 109,
            "late_majority": 25 / 109,
            "laggards": 22 / 109,
        }
    )
    assert (fit.counts["laggards"] + CKM_NEVER) / (fit.adopters + CKM_NEVER) == pytest.approx(0.304)


def test_normal_adoption_times_give_rogers_shares():
    # Rogers' shares are the areas of a normal curve cut at x̄-2sd, x̄-sd, x̄, x̄+sd:
    # 2.28 / 13.59 / 34.13 / 34.13 / 15.87 % (scipy's normal CDF), rounded by Rogers to
    # 2.5 / 13.5 / 34 / 34 / 16. Normal quantiles at (i + 0.5) / n stand in for a sample.
    n = 200_000
    times = norm.ppf((np.arange(n) + 0.5) / n, loc=30.0, scale=7.0)
    fit = classify(times)
    assert fit is not None
    cdf = norm.cdf([-2.0, -1.0, 0.0, 1.0])
    expected = [cdf[0], cdf[1] - cdf[0], cdf[2] - cdf[1], cdf[3] - cdf[2], 1 - cdf[3]]
    assert expected == pytest.approx([0.0228, 0.1359, 0.3413, 0.3413, 0.1587], abs=1e-4)
    shares = fit.shares()
    assert [shares[c] for c in CATEGORIES] == pytest.approx(expected, abs=2e-3)
    assert [ROGERS_SHARES[c] for c in CATEGORIES] == pytest.approx(expected, abs=0.005)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=2, max_size=60))
def test_counts_sum_to_adopters_and_categories_follow_time(times):
    fit = classify(times)
    if fit is None:
        # Only identical times (sd = 0) are unclassifiable once there are 2 or more.
        assert max(times) - min(times) < 1e-6
        return
    assert sum(fit.counts.values()) == len(times)
    assert sum(fit.shares().values()) == pytest.approx(1.0)
    # An earlier time never lands in a later category than a later time.
    order = sorted(range(len(times)), key=lambda i: times[i])
    ranks = [CATEGORIES.index(fit.categories[i]) for i in order]
    assert ranks == sorted(ranks)
