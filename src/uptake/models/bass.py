"""The Bass diffusion model: fit p, q and m to adoptions per period, with intervals and forecasts.

Cumulative share adopted by time t (t = 0 at the start of the first period, in periods):

    F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})

Adoptions in period k (covering (k-1, k]) are X_k = m [F(k) - F(k-1)]: the discrete-interval
form of Srinivasan & Mason (1986), "Nonlinear Least Squares Estimation of New Product Diffusion
Models", Marketing Science 5(2):169-178, which avoids the time-interval bias of Bass's (1969)
OLS regression. p, q and m are fitted by nonlinear least squares on X_k with p, q > 0 and m at
least the adopters seen so far; intervals come from the asymptotic covariance with a t
distribution on n - 3 degrees of freedom.
"""

from __future__ import annotations

import math
import warnings as pywarnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

Status = Literal["ok", "not_identified", "failed"]
FloatArray = npt.NDArray[np.float64]

# Three parameters plus at least two residual degrees of freedom: with fewer the error variance
# (and so every interval) rests on one or no spare observation, and a three-parameter curve
# passes through almost any three or four points.
MIN_PERIODS = 5
# m's interval reaching past this multiple of the adopters seen so far means the data do not
# say how large the market is.
M_SPREAD_LIMIT = 10.0
# Parametric bootstrap for the forecast band: draws and a fixed seed, so a page shows the same
# band on every reload.
BAND_DRAWS = 2000
BAND_SEED = 1969
# Upper bounds that keep the optimizer in a sensible region (per-period rates above 1 mean the
# period is far too long for the process; m above 1000x the adopters is "unbounded").
P_MAX = 1.0
Q_MAX = 5.0
M_FACTOR_MAX = 1000.0


def cumulative_share(t: FloatArray | float, p: float, q: float) -> FloatArray:
    """F(t): the share of the potential m adopted by time t (periods since the start, >= 0)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    return np.asarray((1.0 - e) / (1.0 + (q / p) * e), dtype=np.float64)


def adoptions(periods: int, p: float, q: float, m: float) -> FloatArray:
    """Expected adopters in periods 1..`periods`: m [F(k) - F(k-1)]."""
    edges = cumulative_share(np.arange(periods + 1, dtype=np.float64), p, q)
    return np.asarray(m * np.diff(edges), dtype=np.float64)


def peak_time(p: float, q: float) -> float | None:
    """t* = ln(q/p) / (p+q), in periods since the start; None when q <= p (adoption is highest
    at launch and only falls: no S-shape)."""
    if q <= p:
        return None
    return math.log(q / p) / (p + q)


def peak_rate(p: float, q: float, m: float) -> float:
    """Adopters per period at the peak, m f(t*) = m (p+q)^2 / (4q) when q > p; m p at launch
    when q <= p (the rate only falls from there)."""
    if q <= p:
        return m * p
    return m * (p + q) ** 2 / (4.0 * q)


def time_to_share(share: float, p: float, q: float) -> float:
    """Periods until the fraction `share` (0 <= share < 1) of m has adopted: F^-1(share) =
    ln((1 + (q/p) share) / (1 - share)) / (p+q)."""
    if not 0.0 <= share < 1.0:
        raise ValueError(f"share must be in [0, 1), got {share}")
    return math.log((1.0 + (q / p) * share) / (1.0 - share)) / (p + q)


@dataclass(frozen=True)
class BassFit:
    """A Bass fit to adopters per period. Parameters are None when no fit was possible (too few
    periods, or the optimizer failed); intervals are None when the covariance could not be
    estimated. Rates p and q are per period of the input."""

    status: Status
    observed: tuple[float, ...]
    p: float | None = None
    q: float | None = None
    m: float | None = None
    p_interval: tuple[float, float] | None = None
    q_interval: tuple[float, float] | None = None
    m_interval: tuple[float, float] | None = None
    covariance: tuple[tuple[float, ...], ...] | None = None
    confidence: float = 0.95
    r_squared: float | None = None
    rmse: float | None = None
    mape: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def periods_used(self) -> int:
        """How many periods of data the fit saw."""
        return len(self.observed)

    @property
    def adopters_so_far(self) -> float:
        """Observed adopters over all the periods used."""
        return float(sum(self.observed))


@dataclass(frozen=True)
class Forecast:
    """Fitted and forecast values for periods 1..n+h: adopters and cumulative adopters, and the
    cumulative band (None when the fit has no covariance)."""

    adopters: tuple[float, ...]
    cumulative: tuple[float, ...]
    cumulative_low: tuple[float, ...] | None
    cumulative_high: tuple[float, ...] | None


def _ols_start(x: FloatArray) -> tuple[float, float, float] | None:
    """Bass's (1969) regression X_k = a + b N_{k-1} + c N_{k-1}^2, solved for (p, q, m); None
    when its estimates are not a valid Bass curve."""
    lagged = np.concatenate([[0.0], np.cumsum(x)[:-1]])
    design = np.column_stack([np.ones_like(lagged), lagged, lagged**2])
    (a, b, c), *_ = np.linalg.lstsq(design, x, rcond=None)
    if c >= 0 or b * b - 4 * a * c < 0:
        return None
    m = (-b - math.sqrt(b * b - 4 * a * c)) / (2 * c)
    if m <= 0:
        return None
    p = a / m
    q = b + p
    if not (0 < p < P_MAX and 0 < q < Q_MAX):
        return None
    return float(p), float(q), float(m)


def _profiled_m(x: FloatArray, p: float, q: float) -> float:
    """The least-squares m for fixed p and q: X is linear in m."""
    shape = adoptions(len(x), p, q, 1.0)
    return float(shape @ x / (shape @ shape))


def _grid_start(x: FloatArray) -> tuple[float, float, float]:
    """The best (p, q, m) over a coarse grid of p and q, m profiled out for each."""
    best: tuple[float, tuple[float, float, float]] | None = None
    floor = float(x.sum())
    for p in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3):
        for q in (0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5):
            m = max(_profiled_m(x, p, q), floor)
            sse = float(np.sum((x - adoptions(len(x), p, q, m)) ** 2))
            if best is None or sse < best[0]:
                best = (sse, (p, q, m))
    assert best is not None
    return best[1]


def _sse(x: FloatArray, theta: tuple[float, float, float]) -> float:
    return float(np.sum((x - adoptions(len(x), *theta)) ** 2))


def fit_bass(observed: Sequence[float], confidence: float = 0.95) -> BassFit:
    """Fit p, q, m to adopters per period (period 1 first, nobody adopted before it) by
    nonlinear least squares; status "not_identified" when the data cannot pin the curve down
    (see `warnings`), "failed" when the optimizer did not converge."""
    x = np.asarray(observed, dtype=np.float64)
    n = len(x)
    so_far = float(x.sum())
    if n < MIN_PERIODS or so_far <= 0:
        reason = (
            f"Only {n} period(s) with data: the Bass model needs at least {MIN_PERIODS} "
            "(three parameters and two more to measure the error). Choose a shorter period "
            "(week instead of month) or wait for more data."
            if so_far > 0
            else "Nobody has adopted yet, so there is nothing to fit."
        )
        return BassFit(
            status="not_identified", observed=tuple(x), confidence=confidence, warnings=(reason,)
        )

    starts = [_grid_start(x)]
    ols = _ols_start(x)
    if ols is not None:
        starts.append((ols[0], ols[1], max(ols[2], so_far * 1.0001)))
    start = min(starts, key=lambda theta: _sse(x, theta))
    lower = [1e-7, 1e-7, so_far]
    upper = [P_MAX, Q_MAX, so_far * M_FACTOR_MAX]
    start_inside = [
        min(max(v, lo * 1.0001), hi * 0.9999) for v, lo, hi in zip(start, lower, upper, strict=True)
    ]

    def model(k: FloatArray, p: float, q: float, m: float) -> FloatArray:
        return np.asarray(m * (cumulative_share(k, p, q) - cumulative_share(k - 1, p, q)))

    periods = np.arange(1, n + 1, dtype=np.float64)
    try:
        with pywarnings.catch_warnings():
            # An inestimable covariance is reported by us (intervals None), not as a warning.
            pywarnings.simplefilter("ignore", optimize.OptimizeWarning)
            theta, cov = optimize.curve_fit(
                model,
                periods,
                x,
                p0=start_inside,
                bounds=(lower, upper),
                max_nfev=20000,
                x_scale=[1e-2, 1e-1, max(so_far, 1.0)],
            )
    except (RuntimeError, ValueError) as exc:
        return BassFit(
            status="failed",
            observed=tuple(x),
            confidence=confidence,
            warnings=(f"The Bass fit did not converge ({exc}); the curve cannot be estimated.",),
        )
    p, q, m = (float(v) for v in theta)
    return _assess(x, p, q, m, np.asarray(cov, dtype=np.float64), confidence)


def _assess(
    x: FloatArray, p: float, q: float, m: float, cov: FloatArray, confidence: float
) -> BassFit:
    """Intervals, goodness of fit and identification checks for a converged fit."""
    n = len(x)
    so_far = float(x.sum())
    fitted = adoptions(n, p, q, m)
    resid = x - fitted
    sse = float(resid @ resid)
    sst = float(np.sum((x - x.mean()) ** 2))
    positive = x > 0
    notes: list[str] = []
    status: Status = "ok"

    intervals: list[tuple[float, float]] | None = None
    covariance: tuple[tuple[float, ...], ...] | None = None
    if np.all(np.isfinite(cov)):
        t_crit = float(stats.t.ppf(0.5 + confidence / 2.0, n - 3))
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        floors = (0.0, 0.0, so_far)  # p, q > 0 and m >= adopters so far: clip the interval
        intervals = [
            (max(float(v - t_crit * s), lo), float(v + t_crit * s))
            for v, s, lo in zip((p, q, m), se, floors, strict=True)
        ]
        covariance = tuple(tuple(float(c) for c in row) for row in cov)
    else:
        notes.append(
            "The data do not determine the parameters' uncertainty (the fit is flat in some "
            "direction): no intervals or forecast band."
        )
        status = "not_identified"

    peak = int(np.argmax(x))
    fitted_peak = peak_time(p, q)
    if peak == n - 1 or (fitted_peak is not None and fitted_peak > n):
        notes.append(
            "Adoption per period is still rising at the end of the data (no peak yet): the "
            "total potential m is barely identified, so m, the milestones and the forecast "
            "are guesses with wide intervals. Refit after adoption per period has turned down."
        )
        status = "not_identified"
    if m >= so_far * M_FACTOR_MAX * 0.999:
        notes.append(
            f"The fitted potential m ran into its limit ({M_FACTOR_MAX:g}x the adopters so "
            "far): the data do not bound the market size."
        )
        status = "not_identified"
    if intervals is not None and intervals[2][1] > M_SPREAD_LIMIT * so_far:
        notes.append(
            f"The interval for m reaches {intervals[2][1]:,.0f}, more than {M_SPREAD_LIMIT:g}x "
            f"the {so_far:,.0f} adopters so far: the market size is not pinned down."
        )
        status = "not_identified"
    if q <= p:
        notes.append(
            "q is not above p: adoption is driven by outside influence (innovation) alone, "
            "with no word-of-mouth S-shape; adoption per period only falls from the start."
        )
    return BassFit(
        status=status,
        observed=tuple(float(v) for v in x),
        p=p,
        q=q,
        m=m,
        p_interval=intervals[0] if intervals else None,
        q_interval=intervals[1] if intervals else None,
        m_interval=intervals[2] if intervals else None,
        covariance=covariance,
        confidence=confidence,
        r_squared=1.0 - sse / sst if sst > 0 else None,
        rmse=math.sqrt(sse / n),
        mape=float(np.mean(np.abs(resid[positive]) / x[positive])),
        warnings=tuple(notes),
    )


def forecast(fit: BassFit, horizon: int) -> Forecast | None:
    """Fitted values for the observed periods and `horizon` more, with a cumulative band from a
    parametric bootstrap: (p, q, m) drawn from the estimated normal, draws outside p, q, m > 0
    dropped, the (1 - confidence)/2 and (1 + confidence)/2 percentiles of
    m F(k) taken per period (seed fixed). None when the fit has no parameters."""
    if fit.p is None or fit.q is None or fit.m is None:
        return None
    total = fit.periods_used + horizon
    periods = np.arange(1, total + 1, dtype=np.float64)
    adopters = adoptions(total, fit.p, fit.q, fit.m)
    cumulative = fit.m * cumulative_share(periods, fit.p, fit.q)
    low: tuple[float, ...] | None = None
    high: tuple[float, ...] | None = None
    if fit.covariance is not None:
        rng = np.random.default_rng(BAND_SEED)
        draws = rng.multivariate_normal(
            [fit.p, fit.q, fit.m], np.asarray(fit.covariance), size=BAND_DRAWS, check_valid="ignore"
        )
        # Only p, q, m > 0 are required of a draw: also requiring m >= the adopters so far
        # would cut one tail of m and push the band off the point forecast late in a diffusion.
        valid = draws[(draws[:, 0] > 0) & (draws[:, 1] > 0) & (draws[:, 2] > 0)]
        if len(valid) >= BAND_DRAWS // 10:
            e = np.exp(-np.outer(valid[:, 0] + valid[:, 1], periods))
            curves = valid[:, 2:3] * (1.0 - e) / (1.0 + (valid[:, 1:2] / valid[:, 0:1]) * e)
            tail = (1.0 - fit.confidence) / 2.0 * 100.0
            low = tuple(float(v) for v in np.percentile(curves, tail, axis=0))
            high = tuple(float(v) for v in np.percentile(curves, 100.0 - tail, axis=0))
    return Forecast(
        adopters=tuple(float(v) for v in adopters),
        cumulative=tuple(float(v) for v in cumulative),
        cumulative_low=low,
        cumulative_high=high,
    )


def milestone_period(fit: BassFit, share: float, max_periods: float) -> int | None:
    """The period (1-based: period k covers (k-1, k]) in which the fraction `share` of m is
    reached; None without a fit or when it lies beyond `max_periods`."""
    if fit.p is None or fit.q is None:
        return None
    t = time_to_share(share, fit.p, fit.q)
    if t > max_periods:
        return None
    return max(1, math.ceil(t))
