"""Journeys: a workspace journey's stage funnel (how many users or accounts reached each stage,
the conversion between stages, the median days spent in each, who is in it now and who is
stalled) and the list of stalled users or accounts, each linking to its own page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.definitions import Criterion, Journey
from uptake.result import Result
from uptake.web.pages.charts import PALETTE, Chart, Series, series_chart
from uptake.web.pages.page import Page
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page("journeys", "Journeys", "/journeys", order=47)
router = APIRouter(include_in_schema=False)

DEFAULT_STALLED_DAYS = 14
# Whom the page counts (the metrics' `cohort`), as the selector names them.
COHORTS = {
    "entered_in_range": "Who entered the journey in the range",
    "all": "Everyone in the journey by the end of the range",
}
MAX_STALLED_DAYS = 3650
# The stalled list shows the longest-stalled first, at most this many.
STALLED_ROWS = 200

# What the empty state offers to paste into uptake.toml.
TEMPLATE_SNIPPETS = {
    "adoption": '[[journeys]]\nname = "Adoption"\ntemplate = "adoption"',
    "customer": '[[journeys]]\nname = "Customers"\nunit = "account"\ntemplate = "customer"',
}
CUSTOM_SNIPPET = """[[journeys]]
name = "Onboarding"

[[journeys.stages]]
name = "Signed up"
criteria = [{ field = "user.created_at" }]

[[journeys.stages]]
name = "Habit"
criteria = [{ active = true, count = "days", min_count = 3, within_days = 7 }]"""


@dataclass(frozen=True)
class JourneyForm:
    """The page's own controls: which journey, and after how many days someone is stalled."""

    journey: str
    stalled_after_days: int
    cohort: str = "entered_in_range"
    errors: tuple[str, ...] = ()

    def params(self) -> dict[str, str]:
        """The query parameters that reproduce the controls."""
        return {
            "journey": self.journey,
            "stalled_after_days": str(self.stalled_after_days),
            "cohort": self.cohort,
        }


def parse_form(query: Mapping[str, str], journeys: list[Journey]) -> JourneyForm:
    """The controls from the query string; a value that cannot be used falls back to the
    default (the first journey, 14 days) and says why."""
    errors: list[str] = []
    names = [j.name for j in journeys]
    journey = query.get("journey", "").strip()
    if journey and journey not in names:
        known = ", ".join(names) or "none"
        errors.append(f"there is no journey {journey!r} in uptake.toml (journeys: {known})")
        journey = ""
    if not journey:
        journey = names[0] if names else ""
    text = query.get("stalled_after_days", "").strip()
    days = DEFAULT_STALLED_DAYS
    if text:
        if text.isdigit() and 1 <= int(text) <= MAX_STALLED_DAYS:
            days = int(text)
        else:
            errors.append(
                f"`stalled_after_days` must be a whole number of days from 1 to "
                f"{MAX_STALLED_DAYS}, not {text!r}: using {DEFAULT_STALLED_DAYS}"
            )
    cohort = query.get("cohort", "").strip() or "entered_in_range"
    if cohort not in COHORTS:
        errors.append(f"`cohort` must be {' or '.join(COHORTS)}, not {cohort!r}")
        cohort = "entered_in_range"
    return JourneyForm(journey, days, cohort, tuple(errors))


def describe(criterion: Criterion) -> str:
    """A criterion in words, for the list of stages."""
    match criterion.kind:
        case "events":
            what = "did " + " or ".join(criterion.events or [])
            if criterion.where:
                what += (
                    " ("
                    + ", ".join(f"{f.property} {f.op} {f.value}" for f in criterion.where)
                    + ")"
                )
        case "active":
            what = "was active"
        case "feature":
            what = "used any feature" if criterion.feature == "*" else f"used {criterion.feature}"
        case "key_action":
            what = (
                "did any key action"
                if criterion.key_action == "*"
                else f"did the key action {criterion.key_action}"
            )
        case "value_moment":
            what = "reached the value moment"
        case "field":
            return f"{criterion.field} has passed"
        case "property":
            f = criterion.condition()
            return f"{f.property} {f.op}" + ("" if f.value is None else f" {f.value}")
    n = criterion.min_count
    if criterion.count == "days":
        what += f" on {n} different days" if n > 1 else " on a day"
    elif n > 1:
        what += f" {n} times"
    if criterion.within_days is not None:
        what += f" within {criterion.within_days} days"
    if criterion.after_previous_days is not None:
        what += f", {criterion.after_previous_days}+ days after the previous stage"
    return what


@dataclass
class JourneysContent:
    """The funnel (chart and table) and the stalled list, or why they are missing."""

    journey: Journey | None = None
    chart: Chart | None = None
    funnel: TableView | None = None
    stalled: TableView | None = None
    problems: dict[str, str] = field(default_factory=dict)
    tables: dict[str, Computed] = field(default_factory=dict)


def member_path(unit: str, entity: str) -> str:
    """The path (under the project) of a user's or an account's own page."""
    return ("/users/" if unit == "user" else "/accounts/") + quote(entity, safe="")


def _timestamp(value: Any) -> Any:
    """A timestamp to the minute ("2026-01-10 12:00"), as people read it."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def _funnel(view: View, result: Result, who: str) -> tuple[Chart, TableView]:
    stages = result.column("stage")
    chart = series_chart(
        "chart-journey",
        f"{who} per stage",
        stages,
        [
            Series(f"Reached the stage by {view.filters.date_to}", result.column("entered"),
                   "bar", PALETTE[0]),
            Series("In it now", result.column("current"), "bar", PALETTE[1]),
            Series("Stalled in it", result.column("stalled"), "bar", PALETTE[3]),
        ],
        who,
    )  # fmt: skip
    if max(result.column("entered"), default=0) < 5:
        # Whole numbers only: a ",d" axis of a few units would repeat ticks (0, 0, 1, 1).
        chart.figure["layout"]["yaxis"]["dtick"] = 1
    table = table_view(
        "funnel", "Stage funnel", result,
        [ColumnView("stage", "Stage"),
         ColumnView("entered", "Reached", "count"),
         ColumnView("conversion_from_previous", "From previous stage", "fraction"),
         ColumnView("conversion_from_first", "From first stage", "fraction"),
         ColumnView("median_days_in_stage", "Median days in stage", "days"),
         ColumnView("current", "In it now", "count"),
         ColumnView("stalled", "Stalled", "count")],
        view.csv_url("funnel"),
    )  # fmt: skip
    return chart, table


def _stalled(view: View, result: Result, who: str) -> TableView:
    unit = view.filters.unit
    shown = [{**row, "entered_at": _timestamp(row["entered_at"])} for row in result.rows]
    table = table_view(
        "stalled", f"Stalled {who.lower()}", result,
        [ColumnView("entity", "User" if unit == "user" else "Account"),
         ColumnView("current_stage", "Stage"),
         ColumnView("entered_at", "In it since (UTC)"),
         ColumnView("days_in_stage", "Days in stage", "days")],
        view.csv_url("stalled"),
        link=lambda row: view.url(path=member_path(unit, str(row["entity"]))),
        rows=shown,
    )  # fmt: skip
    return replace(
        table, empty=f"Nobody is stalled: no {who.lower()} stayed longer than that in a stage."
    )


def build(view: View, form: JourneyForm) -> JourneysContent:
    """The funnel and the stalled list (blocking: runs in a worker thread)."""
    journeys = view.project.workspace.definitions.journeys
    content = JourneysContent()
    if view.facts.latest is None or not journeys:
        return content
    content.journey = next(j for j in journeys if j.name == form.journey)
    who = "Users" if view.filters.unit == "user" else "Accounts"
    common = {
        "journey": form.journey,
        "stalled_after_days": form.stalled_after_days,
        "cohort": form.cohort,
    }
    funnel = view.compute(view.filters.spec("journey_funnel", **common))
    content.tables["funnel"] = funnel
    if funnel.result is None:
        content.problems["funnel"] = funnel.error or "The funnel could not be computed."
    else:
        content.chart, content.funnel = _funnel(view, funnel.result, who)
    stalled = view.compute(
        view.filters.spec("journey_members", **common, stalled_only=True, limit=STALLED_ROWS)
    )
    content.tables["stalled"] = stalled
    if stalled.result is None:
        content.problems["stalled"] = stalled.error or "The stalled list could not be computed."
    else:
        content.stalled = _stalled(view, stalled.result, who)
    return content


@router.get("/projects/{project}/journeys")
async def journeys_page(request: Request, project: str) -> Response:
    """The Journeys page."""
    view = await open_view(request, project, PAGE)
    journeys = list(view.project.workspace.definitions.journeys)
    form = parse_form(request.query_params, journeys)
    if journeys:
        view.extra.update(form.params())
    content = await view.run(lambda: build(view, form))
    return respond(
        view, "journeys.html", content.tables, content=content, form=form, journeys=journeys,
        heading="Journeys", charts=content.chart is not None, snippets=TEMPLATE_SNIPPETS,
        custom_snippet=CUSTOM_SNIPPET, stalled_rows=STALLED_ROWS, describe=describe,
        cohorts=COHORTS,
    )  # fmt: skip
