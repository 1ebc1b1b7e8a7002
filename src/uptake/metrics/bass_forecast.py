"""The Bass forecast: new adopters per period counted in the engine, the Bass diffusion model
fitted to them in Python (models/bass.py), and the fitted curve carried forward with a band."""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Any, ClassVar, Literal, assert_never

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from uptake.metrics.adoption_times import DiffusionSpec, adoption_times
from uptake.metrics.periods import Period, next_period, period_number
from uptake.metrics.spine import fill_periods, numbered_spine
from uptake.metrics.tables import Tables
from uptake.models.bass import BassFit, adoptions, fit_bass, forecast, milestone_period

# Milestones further away than this are reported as None ("not in any useful future").
MILESTONE_YEARS = 100
PERIODS_PER_YEAR = {"day": 365.25, "week": 365.25 / 7, "month": 12.0}
MILESTONES = (0.5, 0.8, 0.95)

SCHEMA = pa.schema(
    [
        ("period", pa.date32()),
        ("adopters", pa.int64()),
        ("cumulative", pa.int64()),
        ("fitted_adopters", pa.float64()),
        ("fitted_cumulative", pa.float64()),
        ("cumulative_low", pa.float64()),
        ("cumulative_high", pa.float64()),
        ("forecast", pa.bool_()),
        ("in_fit", pa.bool_()),
    ]
)


@functools.lru_cache(maxsize=64)
def _fit(observed: tuple[int, ...], confidence: float) -> BassFit:
    """finish, summarize and warnings each need the fit of the same small series: fit once."""
    return fit_bass(observed, confidence)


def shift_periods(start: dt.date, count: int, period: Period) -> dt.date:
    """The first day of the period `count` periods after the one starting at `start`."""
    match period:
        case "day":
            return start + dt.timedelta(days=count)
        case "week":
            return start + dt.timedelta(days=7 * count)
        case "month":
            months = start.year * 12 + start.month - 1 + count
            return dt.date(months // 12, months % 12 + 1, 1)
        case _:
            assert_never(period)


class BassForecast(DiffusionSpec):
    """The Bass diffusion model fitted to new adopters per period, and its forecast.

    New adopters per period (a unit's first-ever use of the events, counted at its launch if it
    came earlier) are fitted by nonlinear least squares to X_k = m [F(k) - F(k-1)] (Srinivasan &
    Mason 1986), F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}); t = 0 is the start of the
    launch's period for launch='release' / 'date', else of the first period with an adopter.

    - p: coefficient of innovation (outside influence), per period; q: of imitation (word of
      mouth), per period; m: the total number of eventual adopters.
    - Rows: every period from the start to `to` (adopters, cumulative observed) then
      `forecast_periods` more (forecast true, observed values None); fitted values, and the
      cumulative band (`confidence`, parametric bootstrap) for all. An incomplete last period
      (cut by `to`) is shown but left out of the fit (in_fit false).
    - The summary holds p, q, m with intervals, the peak period, the 50 / 80 / 95% dates,
      goodness of fit and a status: ok, not_identified (see warnings) or failed.
    """

    title: ClassVar[str] = "Bass diffusion: innovation p, imitation q, potential m and forecast"

    kind: Literal["bass_forecast"] = "bass_forecast"
    forecast_periods: int = Field(
        default=12, ge=0, le=520, description="Periods to forecast after `to` (0-520)."
    )
    confidence: float = Field(
        default=0.95, gt=0.5, lt=1.0, description="Level of the intervals and band (0.5-1)."
    )

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, adopters): new adopters per period from the start to `to`."""
        week_start = self.resolved_week_start(tables.definitions)
        fixed = self.fixed_launch(tables)
        start = fixed if fixed is not None else self.date_from
        rows = adoption_times(self, tables)
        adopted = rows.filter(rows.adopted_at.notnull())
        # Use before the launch (a beta) counts at the launch, as adoption_days does.
        at = ibis.cases(
            (adopted.adopted_at < adopted.launch_at, adopted.launch_at), else_=adopted.adopted_at
        )
        number = period_number(at, self.period, week_start).name("number")
        counts = adopted.group_by(number).agg(adopters=adopted.entity.count())
        spine = numbered_spine(start, self.date_to, self.period, week_start)
        return fill_periods(counts, spine, ["adopters"], [], on="number")

    def _series(self, table: pa.Table) -> tuple[list[dt.date], list[int], int]:
        """Periods and adopters from the start of the diffusion, and how many periods the fit
        uses (all but an incomplete last one)."""
        periods: list[dt.date] = table.column("period").to_pylist()
        counts = [int(v) for v in table.column("adopters").to_pylist()]
        if self.launch not in ("release", "date") and any(counts):
            first = next(i for i, v in enumerate(counts) if v > 0)
            periods, counts = periods[first:], counts[first:]
        used = len(counts)
        if periods and next_period(periods[-1], self.period) - dt.timedelta(days=1) > self.date_to:
            used -= 1
        return periods, counts, used

    def _fit_of(self, table: pa.Table) -> BassFit:
        """The fit behind a raw or finished table (finished: the in_fit rows)."""
        if "in_fit" in table.column_names:
            rows = table.filter(table.column("in_fit")).column("adopters").to_pylist()
            return _fit(tuple(int(v) for v in rows), self.confidence)
        _, counts, used = self._series(table)
        return _fit(tuple(counts[:used]), self.confidence)

    def finish(self, table: pa.Table) -> pa.Table:
        """Observed periods with the fitted curve, then the forecast periods."""
        periods, counts, used = self._series(table)
        fit = _fit(tuple(counts[:used]), self.confidence)
        ahead = self.forecast_periods if fit.p is not None else 0
        # The incomplete last period is forecast too (it is outside the fit).
        curve = forecast(fit, ahead + len(counts) - used)
        total = len(counts) + ahead
        cumulative = [sum(counts[: i + 1]) for i in range(len(counts))]
        out: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
        for i in range(total):
            observed = i < len(counts)
            out["period"].append(
                periods[i] if observed else shift_periods(periods[0], i, self.period)
            )
            out["adopters"].append(counts[i] if observed else None)
            out["cumulative"].append(cumulative[i] if observed else None)
            out["forecast"].append(not observed)
            out["in_fit"].append(i < used)
            for name, values in (
                ("fitted_adopters", curve.adopters if curve else None),
                ("fitted_cumulative", curve.cumulative if curve else None),
                ("cumulative_low", curve.cumulative_low if curve else None),
                ("cumulative_high", curve.cumulative_high if curve else None),
            ):
                out[name].append(values[i] if values is not None else None)
        return pa.table(out, schema=SCHEMA)

    def summarize(self, table: pa.Table) -> dict[str, Any]:
        """p, q, m with intervals, the peak, the 50 / 80 / 95% dates, fit quality and status;
        values are None when there is no fit (dates None when beyond 100 years)."""
        fit = self._fit_of(table)
        start: dt.date | None = table.column("period")[0].as_py() if table.num_rows else None
        horizon = MILESTONE_YEARS * PERIODS_PER_YEAR[self.period]

        def period_date(index: int | None) -> str | None:
            if index is None or start is None:
                return None
            return shift_periods(start, index - 1, self.period).isoformat()

        peak_index: int | None = None
        peak_adopters: float | None = None
        if fit.p is not None and fit.q is not None and fit.m is not None:
            t_peak = math.log(fit.q / fit.p) / (fit.p + fit.q) if fit.q > fit.p else 0.0
            peak_index = max(1, math.ceil(t_peak))
            if peak_index <= horizon:
                peak_adopters = float(adoptions(peak_index, fit.p, fit.q, fit.m)[-1])
            else:
                peak_index = None
        summary: dict[str, Any] = {
            "p": fit.p,
            "p_low": fit.p_interval[0] if fit.p_interval else None,
            "p_high": fit.p_interval[1] if fit.p_interval else None,
            "q": fit.q,
            "q_low": fit.q_interval[0] if fit.q_interval else None,
            "q_high": fit.q_interval[1] if fit.q_interval else None,
            "m": fit.m,
            "m_low": fit.m_interval[0] if fit.m_interval else None,
            "m_high": fit.m_interval[1] if fit.m_interval else None,
            "peak_period": period_date(peak_index),
            "peak_adopters": peak_adopters,
        }
        for share in MILESTONES:
            key = f"reached_{round(share * 100)}"
            summary[key] = period_date(milestone_period(fit, share, horizon))
        summary.update(
            r_squared=fit.r_squared,
            rmse=fit.rmse,
            mape=fit.mape,
            periods_used=fit.periods_used,
            confidence=fit.confidence,
            status=fit.status,
        )
        return summary

    def warnings(self, table: pa.Table) -> list[str]:
        """Why the model is not identified or failed, q <= p, and an incomplete last period."""
        notes = list(self._fit_of(table).warnings)
        if "in_fit" in table.column_names:
            observed = table.filter(pc.invert(table.column("forecast")))
            if observed.num_rows and not observed.column("in_fit")[-1].as_py():
                last = observed.column("period")[-1].as_py()
                notes.append(
                    f"The last period (starting {last}) is incomplete: `to` ends inside it, so "
                    "it is shown but left out of the fit."
                )
        return notes
