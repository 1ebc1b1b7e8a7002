"""Overview: the KPI cards (DAU / WAU / MAU, stickiness, adoption rate, login rate, time to
value, NPS, churn), each with its sparkline and change against the period before, then the
feature adoption table and mean retention: `uptake report`'s overview (report.py), on the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.definitions import Definitions
from uptake.errors import UptakeError
from uptake.report import KpiCard, Overview, overview
from uptake.result import Result
from uptake.web.pages.charts import Chart, Series, series_chart
from uptake.web.pages.formatting import Format, change_tone, format_change, format_value
from uptake.web.pages.page import Page
from uptake.web.pages.sparkline import Sparkline, sparkline
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page("overview", "Overview", "", order=10, periods=("week", "month"), default_period="week")
router = APIRouter(include_in_schema=False)

# What to do when a card has no value, by card key.
HINTS = {
    "dau": "No activity in this range: widen the dates, or check [activity] in uptake.toml.",
    "wau": "No activity in this range: widen the dates, or check [activity] in uptake.toml.",
    "mau": "No activity in this range: widen the dates, or check [activity] in uptake.toml.",
    "stickiness": "Needs daily and monthly actives: no activity in this range.",
    "adoption_rate": "Needs users: send identify calls or events with a userId.",
    "login_rate": "Needs the login event ([activity] login_event in uptake.toml) and licensed "
    "users ([seats] licensed, or a `licensed` flag on users).",
    "time_to": "Nobody who signed up in this range has got there yet: widen the range, or "
    "declare [value_moment] or [[key_actions]] in uptake.toml.",
    "nps": 'No NPS answers in the last 12 months: import survey responses (survey = "nps").',
    "churn_rate": "Needs accounts with a start date (and churned_at when they leave): send "
    "group calls or import accounts.",
}


@dataclass(frozen=True)
class CardView:
    """A KPI card as the page shows it."""

    key: str
    label: str
    value: str
    change: str | None
    tone: str | None
    arrow: str
    period: str
    previous: str
    sparkline: Sparkline
    hint: str | None
    spec: dict[str, Any] | None


@dataclass
class OverviewContent:
    """What the overview shows; `problem` when it could not be computed."""

    cards: list[CardView] = field(default_factory=list)
    features: TableView | None = None
    retention: TableView | None = None
    retention_chart: Chart | None = None
    notes: list[str] = field(default_factory=list)
    problem: str | None = None
    tables: dict[str, Computed] = field(default_factory=dict)


class _SegmentedSource:
    """The report's numbers from the project, every spec narrowed to the view's segment."""

    def __init__(self, view: View) -> None:
        self.view = view

    @property
    def definitions(self) -> Definitions:
        return self.view.project.workspace.definitions

    def compute(self, spec: Mapping[str, Any]) -> Result:
        segment = self.view.filters.segment
        if segment is not None:
            spec = {**spec, "filters": [*spec.get("filters", []), segment.to_filter()]}
        return self.view.project.compute(spec)


def _period_label(start: dt.date, period: str) -> str:
    if period == "month":
        return start.strftime("%B %Y")
    if period == "week":
        return f"week of {start:%b} {start.day}, {start.year}"
    return start.isoformat()


def _card(card: KpiCard, view: View) -> CardView:
    fmt: Format = card.format
    segment = view.filters.segment
    spec: dict[str, Any] | None = dict(card.spec)
    if card.key == "stickiness":
        # Not one spec: the ratio of the DAU and MAU cards' results.
        spec = None
    elif spec is not None and segment is not None:
        spec["filters"] = [*spec.get("filters", []), segment.to_filter()]
    latest = card.series[-1][0] if card.series and card.value is not None else None
    hint = None
    if card.value is None:
        hint = " ".join(x for x in (card.note, HINTS.get(card.key)) if x)
    return CardView(
        key=card.key,
        label=card.label,
        value=format_value(card.value, fmt),
        change=format_change(card.change, card.previous, fmt),
        tone=change_tone(card.change, card.higher_is_better),
        arrow="▲" if (card.change or 0) > 0 else "▼" if (card.change or 0) < 0 else "■",
        period=_period_label(latest, card.period) if latest else "",
        previous=format_value(card.previous, fmt),
        sparkline=sparkline([v for _, v in card.series]),
        hint=hint,
        spec=spec,
    )


def _features(view: View, result: Result) -> TableView:
    who = "Users" if view.filters.unit == "user" else "Accounts"
    columns = [
        ColumnView("feature", "Feature"),
        ColumnView("users", who, "count"),
        ColumnView("adoption_rate", "Adoption", "fraction"),
        ColumnView("first_time_users", "New", "count"),
        ColumnView("median_days_to_first_use", "Days to first use", "days"),
    ]
    return table_view("features", "Feature adoption", result, columns, view.csv_url("features"))


def _retention(view: View, result: Result) -> tuple[TableView, Chart]:
    mean = [r for r in result.rows if r.get("is_mean")]
    period = str(result.spec.get("period", "week"))
    columns = [
        ColumnView("period", f"{period.capitalize()}s after the first"),
        ColumnView("cohort_size", "Cohort size", "count"),
        ColumnView("retained", "Retained", "count"),
        ColumnView("retention_rate", "Retention", "fraction"),
    ]
    title = "Retention (mean of cohorts)"
    table = table_view("retention", title, result, columns, view.csv_url("retention"), rows=mean)
    chart = series_chart(
        "chart-retention",
        title,
        [r["period"] for r in mean],
        [Series("Retained", [r["retention_rate"] for r in mean])],
        y_title="Retained",
        y_format="fraction",
        x_title=f"{period.capitalize()}s since first activity",
    )
    return table, chart


def build(view: View) -> OverviewContent:
    """The cards and tables (blocking: runs in a worker thread)."""
    f = view.filters
    if view.facts.latest is None:
        return OverviewContent()
    try:
        report: Overview = overview(
            _SegmentedSource(view),
            f.date_from,
            f.date_to,
            unit=f.unit,
            period="month" if f.period == "month" else "week",
        )
    except UptakeError as exc:
        return OverviewContent(problem=str(exc))
    content = OverviewContent(
        cards=[_card(c, view) for c in report.cards], notes=list(report.notes)
    )
    if report.features is not None:
        content.features = _features(view, report.features)
        content.tables["features"] = Computed(report.features)
    if report.retention is not None:
        content.retention, content.retention_chart = _retention(view, report.retention)
        content.tables["retention"] = Computed(report.retention)
    return content


@router.get("/projects/{project}")
async def overview_page(request: Request, project: str) -> Response:
    """The Overview page."""
    view = await open_view(request, project, PAGE)
    content = await view.run(lambda: build(view))
    return respond(
        view, "overview.html", content.tables, content=content, heading="Overview", charts=True
    )
