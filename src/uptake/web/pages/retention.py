"""Retention: of the users (or accounts) who started in a period, how many came back in each
period after, as a cohort heatmap, a retention curve (the weighted mean of the cohorts) and the
triangle as a table; the `retention` metric with its options in the URL.

Page parameters (beside the shared filter bar's; period is the filter bar's):
`start` and `return` (an event name or pattern, `feature:<name>`, or empty for the workspace's
activity events), `cohort` (first_time | recurring), `retention` (on | on_or_after) and
`periods` (1-52).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast, get_args

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.metrics.retention import CohortType, RetentionCriterion
from uptake.web.pages import cohort_heatmap
from uptake.web.pages.charts import Chart
from uptake.web.pages.event_choices import (
    FEATURE_PREFIX,
    EventChoices,
    choice_label,
    event_choices,
)
from uptake.web.pages.page import Page
from uptake.web.pages.tables import TableView
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page(
    "retention", "Retention", "/retention", order=40, periods=("day", "week", "month"),
    default_period="week",
)  # fmt: skip
router = APIRouter(include_in_schema=False)

COHORTS: tuple[CohortType, ...] = get_args(CohortType)
CRITERIA: tuple[RetentionCriterion, ...] = get_args(RetentionCriterion)
DEFAULT_PERIODS = 8
MAX_PERIODS = 52
ROLES = {"start": "Start event", "return": "Return event"}


@dataclass(frozen=True)
class RetentionOptions:
    """The page's own options: start and return events ("" = activity, an event name or
    pattern, or `feature:<name>`), cohort type, criterion and number of periods."""

    start: str = ""
    back: str = ""
    cohort: CohortType = "first_time"
    retention: RetentionCriterion = "on"
    periods: int = DEFAULT_PERIODS
    errors: tuple[str, ...] = ()

    def spec(self) -> dict[str, Any]:
        """The `retention` spec parameters these options stand for."""
        out: dict[str, Any] = {
            "cohort": self.cohort,
            "retention": self.retention,
            "periods": self.periods,
        }
        for role, choice in (("start", self.start), ("return", self.back)):
            if choice.startswith(FEATURE_PREFIX):
                out[f"{role}_feature"] = choice[len(FEATURE_PREFIX) :]
            elif choice:
                out[f"{role}_events"] = [choice]
        return out

    def params(self) -> dict[str, str]:
        """The query parameters that differ from the defaults (what a link must carry)."""
        out = {
            "start": self.start,
            "return": self.back,
            "cohort": "" if self.cohort == "first_time" else self.cohort,
            "retention": "" if self.retention == "on" else self.retention,
            "periods": "" if self.periods == DEFAULT_PERIODS else str(self.periods),
        }
        return {k: v for k, v in out.items() if v}


def parse_options(query: Mapping[str, str]) -> RetentionOptions:
    """The options from the query string; a value that cannot be used is reported in `errors`
    and replaced by its default (the events are checked against the project later)."""
    errors: list[str] = []
    cohort = query.get("cohort", "").strip() or "first_time"
    if cohort not in COHORTS:
        errors.append(f"`cohort` must be first_time or recurring, not {cohort!r}")
        cohort = "first_time"
    criterion = query.get("retention", "").strip() or "on"
    if criterion not in CRITERIA:
        errors.append(f"`retention` must be on or on_or_after, not {criterion!r}")
        criterion = "on"
    periods = DEFAULT_PERIODS
    text = query.get("periods", "").strip()
    if text:
        if text.isdigit() and 1 <= int(text) <= MAX_PERIODS:
            periods = int(text)
        else:
            errors.append(
                f"`periods` must be a whole number from 1 to {MAX_PERIODS}, not {text!r}: "
                f"showing {DEFAULT_PERIODS}"
            )
    return RetentionOptions(
        start=query.get("start", "").strip(),
        back=query.get("return", "").strip(),
        cohort=cast(CohortType, cohort),
        retention=cast(RetentionCriterion, criterion),
        periods=periods,
        errors=tuple(errors),
    )


def checked(options: RetentionOptions, choices: EventChoices) -> RetentionOptions:
    """The options with start / return events this project cannot match replaced by activity
    (and the reason in `errors`)."""
    errors = list(options.errors)
    start, back = options.start, options.back
    if start and (problem := choices.problem(start)):
        errors.append(f"{ROLES['start']}: {problem}; showing activity instead")
        start = ""
    if back and (problem := choices.problem(back)):
        errors.append(f"{ROLES['return']}: {problem}; showing activity instead")
        back = ""
    return replace(options, start=start, back=back, errors=tuple(errors))


@dataclass
class RetentionContent:
    """What the page shows: the options and their lists, then the charts and the table, or
    why there are none."""

    options: RetentionOptions
    choices: EventChoices | None = None
    heatmap: Chart | None = None
    curve: Chart | None = None
    table: TableView | None = None
    cohorts: int = 0
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    tables: dict[str, Computed] = field(default_factory=dict)

    def options_of(self, choice: str) -> list[tuple[str, str]]:
        """(value, label) pairs for an event select: features, then the project's events;
        `choice` is kept even when it is not offered (typed into the URL)."""
        values = self.choices.values() if self.choices else []
        if choice and choice not in values:
            values = [choice, *values]
        return [(v, choice_label(v)) for v in values]

    @staticmethod
    def label_of(choice: str) -> str:
        """How a start or return choice reads in a sentence ("" is any activity)."""
        return choice_label(choice) if choice else "any activity"


def build(view: View, asked: RetentionOptions) -> RetentionContent:
    """The page's content (blocking: runs in a worker thread)."""
    content = RetentionContent(asked)
    if view.facts.latest is None:
        return content
    choices = view.project.read(event_choices)
    options = checked(asked, choices)
    content.options, content.choices = options, choices
    # Links (CSV, the filter bar's hidden fields) carry the options actually shown.
    view.extra = options.params()
    f = view.filters
    computed = view.compute(f.spec("retention", **options.spec()))
    content.tables["retention"] = computed
    if computed.result is None:
        content.problem = computed.error
        return content
    result = computed.result
    content.notes = list(result.warnings)
    period = f.period or "week"
    who = "users" if f.unit == "user" else "accounts"
    rows = cohort_heatmap.cohort_rows(result)
    content.cohorts = sum(1 for row in rows if not row.mean and row.size)
    if content.cohorts:
        content.heatmap = cohort_heatmap.heatmap(rows, period, who)
        content.curve = cohort_heatmap.curve(rows, period)
    content.table = cohort_heatmap.triangle_table(rows, period, who, view.csv_url("retention"))
    return content


@router.get("/projects/{project}/retention")
async def retention_page(request: Request, project: str) -> Response:
    """The Retention page."""
    asked = parse_options(request.query_params)
    view = await open_view(request, project, PAGE, asked.params())
    content = await view.run(lambda: build(view, asked))
    for error in content.options.errors:
        view.filters = view.filters.with_error(error)
    return respond(
        view,
        "retention.html",
        content.tables,
        content=content,
        heading="Retention",
        charts=True,
        cohorts=COHORTS,
        criteria=CRITERIA,
        max_periods=MAX_PERIODS,
    )
