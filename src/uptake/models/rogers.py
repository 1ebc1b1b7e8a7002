"""Rogers' adopter categories: classify adoption times by their mean and standard deviation.

Rogers (2003), *Diffusion of Innovations*, 5th ed., Free Press, pp. 280-281, partitions adopters
on the time of adoption with the mean (x̄) and standard deviation (sd) of the adopters' times:

- innovators:      t < x̄ - 2sd            (Rogers: 2.5% under a normal curve)
- early_adopters:  x̄ - 2sd <= t < x̄ - sd  (13.5%)
- early_majority:  x̄ - sd  <= t < x̄       (34%)
- late_majority:   x̄       <= t < x̄ + sd  (34%)
- laggards:        t >= x̄ + sd            (16%)

Every category is closed on its early side: a time exactly on a boundary goes to the LATER
category (someone adopting exactly at the mean is in the late majority, "at or after the
mean"). Times within `TOLERANCE` of a boundary count as on it, so that float rounding of
x̄ ± sd never flips a hand-checkable case.

The sd is the population standard deviation (ddof=0): the adopters are the whole system being
described, not a sample from which to estimate a larger one (Rogers' categories describe the
members of one social system). With fewer than 2 adopters, or when all adopted at the same
time (sd = 0), the cut-offs are undefined: `classify` returns None and callers report the
adopters as unclassified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Category = Literal["innovators", "early_adopters", "early_majority", "late_majority", "laggards"]

CATEGORIES: tuple[Category, ...] = (
    "innovators",
    "early_adopters",
    "early_majority",
    "late_majority",
    "laggards",
)

# Rogers' rounded shares of a normal curve cut at x̄ - 2sd, x̄ - sd, x̄, x̄ + sd.
ROGERS_SHARES: dict[Category, float] = {
    "innovators": 0.025,
    "early_adopters": 0.135,
    "early_majority": 0.34,
    "late_majority": 0.34,
    "laggards": 0.16,
}

# In the units of the times (days for uptake's metrics: about 0.09 ms).
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Classification:
    """Adoption times sorted into Rogers' categories.

    `boundaries` are (x̄ - 2sd, x̄ - sd, x̄, x̄ + sd) in the times' units; `categories` holds one
    category per input time, in input order; `counts` has every category (0 when empty).
    """

    mean: float
    sd: float
    boundaries: tuple[float, float, float, float]
    categories: tuple[Category, ...]
    counts: dict[Category, int]

    @property
    def adopters(self) -> int:
        """How many times were classified."""
        return len(self.categories)

    def shares(self) -> dict[Category, float]:
        """Each category's fraction of the adopters (0-1; they sum to 1)."""
        return {c: self.counts[c] / self.adopters for c in CATEGORIES}


def boundaries(mean: float, sd: float) -> tuple[float, float, float, float]:
    """The four cut-offs (x̄ - 2sd, x̄ - sd, x̄, x̄ + sd)."""
    return (mean - 2 * sd, mean - sd, mean, mean + sd)


def category_of(time: float, cuts: tuple[float, float, float, float]) -> Category:
    """The category of one time given the cut-offs; a time on a cut-off goes to the later one."""
    # Index of the first cut-off strictly above the time (with the tolerance on the cut-off).
    for index, cut in enumerate(cuts):
        if time < cut - TOLERANCE:
            return CATEGORIES[index]
    return CATEGORIES[-1]


def classify(times: Sequence[float] | np.ndarray) -> Classification | None:
    """Rogers' categories of the adopters' times (any unit; NaN not allowed); None with fewer
    than 2 times or when they are all equal (sd = 0), where the cut-offs mean nothing."""
    values = np.asarray(times, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError("adoption times must be a flat sequence of numbers")
    if np.isnan(values).any():
        raise ValueError("adoption times must not contain NaN (leave non-adopters out)")
    if values.size < 2:
        return None
    mean = float(values.mean())
    sd = float(values.std(ddof=0))
    if sd <= TOLERANCE:
        return None
    cuts = boundaries(mean, sd)
    # Vectorized `category_of`: how many cut-offs lie at or below each time.
    lowered = np.asarray(cuts, dtype=np.float64) - TOLERANCE
    indexes = np.searchsorted(lowered, values, side="right")
    categories = tuple(CATEGORIES[i] for i in indexes.tolist())
    tally = np.bincount(indexes, minlength=len(CATEGORIES))
    counts: dict[Category, int] = {c: int(n) for c, n in zip(CATEGORIES, tally, strict=True)}
    return Classification(mean=mean, sd=sd, boundaries=cuts, categories=categories, counts=counts)
