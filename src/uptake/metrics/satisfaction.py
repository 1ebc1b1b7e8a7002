"""Survey metrics read from the responses table: NPS, CSAT and task completion.

Survey names are free text; each metric reads one survey (`survey`, matched exactly) and the
answers whose timestamp falls in [from, to]. Answers whose score is missing or outside the
survey's scale are not counted as answers; they are reported in `invalid_scores`, never
silently dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field, field_validator, model_validator

from uptake.definitions import Filter
from uptake.metrics.filters import entity_filters, with_breakdown
from uptake.metrics.periods import bucket
from uptake.metrics.ratios import ratio
from uptake.metrics.spec import MetricSpec
from uptake.metrics.spine import fill_periods, period_spine
from uptake.metrics.tables import Tables

Dedupe = Literal["latest", "all"]


class SurveyMetric(MetricSpec):
    """Base of the metrics over one survey's answers; breakdowns by user.<key> or
    account.<key> (the account the answer was given for)."""

    unit: Literal["user"] = Field(
        default="user",
        description="Always user: answers are people's; break down by account.<key> instead.",
    )
    survey: str = Field(min_length=1, description="Survey name in the responses table.")

    @field_validator("unit", mode="before")
    @classmethod
    def _people_only(cls, v: Any) -> Any:
        if v != "user":
            raise ValueError(
                f"survey answers are counted per person, so unit must be 'user' (got {v!r}); "
                "break down by account.<key> to compare accounts"
            )
        return v

    @field_validator("filters")
    @classmethod
    def _no_event_filters(cls, v: list[Filter]) -> list[Filter]:
        for f in v:
            if f.namespace == "event" or f.key is None:
                raise ValueError(
                    f"{f.property!r}: survey answers are not events; filter on user.<key> or "
                    "account.<key> properties"
                )
        return v

    def answers(self, tables: Tables) -> ibis.Table:
        """This survey's answers in [from, to] passing the filters, with `period` (and
        `breakdown` when asked for)."""
        r = tables.responses
        end = self.date_to + dt.timedelta(days=1)
        r = r.filter(
            r.survey == self.survey,
            r.timestamp >= ibis.timestamp(self.date_from.isoformat()),
            r.timestamp < ibis.timestamp(end.isoformat()),
        )
        r = entity_filters(r, self.filters, tables)
        week_start = self.resolved_week_start(tables.definitions)
        r = r.mutate(period=bucket(r.timestamp, self.period, week_start))
        if self.breakdown is None:
            return r
        namespace = self.breakdown.partition(".")[0]
        # An account breakdown uses the answer's own account (set at ingest from the user's
        # profile when the answer carried none), a user breakdown the answering user.
        keyed = r.mutate(entity=r.user_id if namespace == "user" else r.account_id)
        return with_breakdown(keyed, tables, namespace, self.breakdown).drop("entity")

    def spine(self, tables: Tables) -> ibis.Table:
        """One row per period of the range."""
        week_start = self.resolved_week_start(tables.definitions)
        return period_spine(self.date_from, self.date_to, self.period, week_start)

    def by(self) -> list[str]:
        """Grouping columns besides the period."""
        return ["breakdown"] if self.breakdown else []


def _valid(score: ir.NumericValue, low: float, high: float) -> ir.BooleanValue:
    return score.notnull() & (score >= low) & (score <= high)


class Nps(SurveyMetric):
    """Net Promoter Score per period from a 0-10 survey, with a confidence interval.

    promoters score 9-10, passives 7-8, detractors 0-6 (a fractional score falls in the band
    of its lower threshold: 8.5 is a passive). nps = % promoters - % detractors (-100..100).
    The interval is nps ± z x se with se = sqrt((pP + pD - (pP - pD)^2) / n) x 100, the
    standard error of a difference of two proportions of one multinomial sample, clipped to
    [-100, 100]. With dedupe='latest' each user's latest valid answer in a period is the only
    one counted. nps and its interval are None when a period has no valid answers.
    """

    title: ClassVar[str] = "Net Promoter Score per period with a confidence interval"

    kind: Literal["nps"] = "nps"
    survey: str = Field(default="nps", min_length=1, description="Survey name (0-10 scores).")
    dedupe: Dedupe = Field(
        default="latest",
        description="latest: count each user's latest answer per period; all: every answer.",
    )
    confidence: float = Field(
        default=0.95, gt=0, lt=1, description="Confidence level of the interval (0-1)."
    )

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], responses, promoters, passives, detractors,
        invalid_scores, nps, nps_ci_low, nps_ci_high)."""
        # Imported here: scipy.stats adds about a second to every start of the CLI.
        from scipy.stats import norm

        by = self.by()
        rows = self.answers(tables)
        rows = rows.mutate(valid=_valid(rows.score, 0, 10))
        match self.dedupe:
            case "latest":
                # Ranked apart from invalid answers, so that an invalid latest answer does not
                # hide a valid earlier one; ties on the timestamp fall to the larger
                # response_id, so the pick is stable.
                newest = ibis.row_number().over(
                    group_by=["user_id", "period", "valid"],
                    order_by=[ibis.desc("timestamp"), ibis.desc("response_id")],
                )
                counted = rows.valid & (newest == 0)
            case "all":
                counted = rows.valid
        rows = rows.mutate(counted=counted)
        score = rows.score
        counts = rows.group_by(["period", *by]).agg(
            responses=rows.count(where=rows.counted),
            promoters=rows.count(where=rows.counted & (score >= 9)),
            passives=rows.count(where=rows.counted & (score >= 7) & (score < 9)),
            detractors=rows.count(where=rows.counted & (score < 7)),
            invalid_scores=rows.count(where=~rows.valid),
        )
        columns = ["responses", "promoters", "passives", "detractors", "invalid_scores"]
        out = fill_periods(counts, self.spine(tables), columns, by)
        z = float(norm.ppf(0.5 + self.confidence / 2))
        p_promoters = ratio(out.promoters, out.responses)
        p_detractors = ratio(out.detractors, out.responses)
        net = p_promoters - p_detractors
        se = ((p_promoters + p_detractors - net * net) / out.responses).sqrt() * 100.0
        nps = net * 100.0
        low, high = nps - z * se, nps + z * se
        # Clipped with `cases`, not greatest/least: those skip a null on DuckDB, which would
        # turn the missing interval of an empty period into [-100, 100].
        out = out.mutate(
            nps=nps,
            nps_ci_low=ibis.cases((low < -100.0, -100.0), else_=low),
            nps_ci_high=ibis.cases((high > 100.0, 100.0), else_=high),
        )
        return out.order_by(["period", *by])


class Csat(SurveyMetric):
    """Customer satisfaction per period: % of answers at or above `satisfied_min`.

    Answers are scores from 1 to `scale_max` (default 1-5); satisfied answers score at least
    `satisfied_min` (default 4, i.e. 4 or 5 on a 1-5 scale). Every answer counts (no dedupe).
    csat_percent = satisfied / responses x 100 (0-100); None when a period has no answers.
    """

    title: ClassVar[str] = "CSAT per period: share of satisfied answers (%)"

    kind: Literal["csat"] = "csat"
    survey: str = Field(default="csat", min_length=1, description="Survey name (1-N scores).")
    satisfied_min: float = Field(
        default=4, ge=1, description="Lowest score that counts as satisfied (inclusive)."
    )
    scale_max: float = Field(default=5, gt=1, description="Highest score of the scale (1-N).")

    @model_validator(mode="after")
    def _threshold_on_scale(self) -> Csat:
        if self.satisfied_min > self.scale_max:
            raise ValueError(
                f"satisfied_min ({self.satisfied_min:g}) is above the scale's maximum "
                f"scale_max ({self.scale_max:g})"
            )
        return self

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], responses, satisfied, invalid_scores, csat_percent)."""
        by = self.by()
        rows = self.answers(tables)
        valid = _valid(rows.score, 1, self.scale_max)
        counts = rows.group_by(["period", *by]).agg(
            responses=rows.count(where=valid),
            satisfied=rows.count(where=valid & (rows.score >= self.satisfied_min)),
            invalid_scores=rows.count(where=~valid),
        )
        columns = ["responses", "satisfied", "invalid_scores"]
        filled = fill_periods(counts, self.spine(tables), columns, by)
        out = filled.mutate(csat_percent=ratio(filled.satisfied, filled.responses) * 100.0)
        return out.order_by(["period", *by])


class TaskCompletion(SurveyMetric):
    """Task completion rate per period: completed / attempts from a task survey.

    Each answer is one attempt: score 1 = completed, 0 = not completed; any other score is
    invalid. task_completion_rate is a fraction 0-1; None when a period has no attempts.
    """

    title: ClassVar[str] = "Task completion rate per period (completed / attempts)"

    kind: Literal["task_completion"] = "task_completion"
    survey: str = Field(default="task", min_length=1, description="Survey name (1 / 0 scores).")

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], attempts, completed, invalid_scores,
        task_completion_rate)."""
        by = self.by()
        rows = self.answers(tables)
        valid = rows.score.notnull() & rows.score.isin([0.0, 1.0])
        counts = rows.group_by(["period", *by]).agg(
            attempts=rows.count(where=valid),
            completed=rows.count(where=valid & (rows.score == 1.0)),
            invalid_scores=rows.count(where=~valid),
        )
        columns = ["attempts", "completed", "invalid_scores"]
        filled = fill_periods(counts, self.spine(tables), columns, by)
        out = filled.mutate(task_completion_rate=ratio(filled.completed, filled.attempts))
        return out.order_by(["period", *by])
