"""Activity: active users per period (and the daily average), the lifecycle (new, returning,
resurrecting as stacked bars, dormant below zero), stickiness (how many periods people were
active in) and the DAU/WAU or DAU/MAU ratio."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.result import Result
from uptake.web.pages.charts import PALETTE, Chart, Series, series_chart
from uptake.web.pages.page import Page
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page(
    "activity", "Activity", "/activity", order=30, periods=("day", "week", "month"),
    default_period="week",
)  # fmt: skip
router = APIRouter(include_in_schema=False)

# Lifecycle statuses in stacking order, with their Okabe-Ito colours.
STATUSES = {
    "new": PALETTE[2],
    "returning": PALETTE[0],
    "resurrecting": PALETTE[1],
    "dormant": PALETTE[3],
}


@dataclass
class Section:
    """A chart with the tables behind it, or why it could not be drawn."""

    chart: Chart | None = None
    tables: list[TableView] = field(default_factory=list)
    problem: str | None = None


@dataclass
class ActivityContent:
    """The page's sections, in order."""

    sections: list[Section] = field(default_factory=list)
    tables: dict[str, Computed] = field(default_factory=dict)


def _section(
    view: View,
    content: ActivityContent,
    specs: dict[str, dict[str, object]],
    draw: Callable[[dict[str, Result]], tuple[Chart, list[TableView]]],
) -> None:
    results: dict[str, Result] = {}
    for name, spec in specs.items():
        computed = view.compute(spec)
        content.tables[name] = computed
        if computed.result is None:
            content.sections.append(Section(problem=computed.error))
            return
        results[name] = computed.result
    chart, tables = draw(results)
    content.sections.append(Section(chart, tables))


def build(view: View) -> ActivityContent:
    """The page's charts and tables (blocking: runs in a worker thread)."""
    f = view.filters
    content = ActivityContent()
    if view.facts.latest is None:
        return content
    period = f.period or "week"
    who = "users" if f.unit == "user" else "accounts"
    csv = view.csv_url

    def active(r: dict[str, Result]) -> tuple[Chart, list[TableView]]:
        unique = r["active"]
        series = [Series(f"Active {who} in the {period}", unique.column("value"))]
        tables = [
            table_view(
                "active", f"Active {who} per {period}", unique,
                [ColumnView("period", period.capitalize(), "date"),
                 ColumnView("value", f"Active {who}", "count")],
                csv("active"),
            ),
        ]  # fmt: skip
        if "daily" in r:
            daily = r["daily"]
            series.append(Series(f"Daily active {who} (average)", daily.column("value")))
            tables.append(
                table_view(
                    "daily", f"Daily active {who}, average per {period}", daily,
                    [ColumnView("period", period.capitalize(), "date"),
                     ColumnView("value", f"Daily active {who}", "number")],
                    csv("daily"),
                )
            )  # fmt: skip
        chart = series_chart(
            "chart-active", f"Active {who}", unique.column("period"), series, who.capitalize()
        )
        return chart, tables

    specs = {"active": f.spec("trend", measure="unique")}
    if period != "day":
        specs["daily"] = f.spec("trend", measure="dau")
    _section(view, content, specs, active)

    def lifecycle(r: dict[str, Result]) -> tuple[Chart, list[TableView]]:
        rows = r["lifecycle"].rows
        periods = sorted({row["period"] for row in rows})
        counts = {(row["period"], row["status"]): row["count"] for row in rows}
        series = [
            Series(status, [counts.get((p, status), 0) for p in periods], "bar", colour)
            for status, colour in STATUSES.items()
        ]
        chart = series_chart(
            "chart-lifecycle", f"Lifecycle of {who}", periods, series, who.capitalize(),
            stacked=True,
        )  # fmt: skip
        table = table_view(
            "lifecycle", "Lifecycle", r["lifecycle"],
            [ColumnView("period", period.capitalize(), "date"), ColumnView("status", "Status"),
             ColumnView("count", who.capitalize(), "count")],
            csv("lifecycle"),
        )  # fmt: skip
        return chart, [table]

    _section(view, content, {"lifecycle": f.spec("lifecycle")}, lifecycle)

    def stickiness(r: dict[str, Result]) -> tuple[Chart, list[TableView]]:
        result = r["stickiness"]
        chart = series_chart(
            "chart-stickiness",
            f"Stickiness: {who} by number of {period}s active",
            result.column("active_periods"),
            [Series(who.capitalize(), result.column("entities"), "bar")],
            who.capitalize(),
            x_title=f"{period.capitalize()}s active in the range",
        )
        table = table_view(
            "stickiness", "Stickiness", result,
            [ColumnView("active_periods", f"{period.capitalize()}s active"),
             ColumnView("entities", who.capitalize(), "count"),
             ColumnView("share", "Share", "fraction")],
            csv("stickiness"),
        )  # fmt: skip
        return chart, [table]

    _section(view, content, {"stickiness": f.spec("stickiness")}, stickiness)

    # DAU/WAU per week, DAU/MAU per month; a daily ratio would always be 1.
    ratio_period = "month" if period == "month" else "week"
    label = "DAU/MAU" if ratio_period == "month" else "DAU/WAU"

    def ratio(r: dict[str, Result]) -> tuple[Chart, list[TableView]]:
        result = r["ratio"]
        chart = series_chart(
            "chart-ratio",
            f"{label} ratio",
            result.column("period"),
            [Series(label, result.column("ratio"))],
            label,
            y_format="fraction",
        )
        table = table_view(
            "ratio", f"{label} ratio", result,
            [ColumnView("period", ratio_period.capitalize(), "date"),
             ColumnView("average_daily_active", "Average daily active", "number"),
             ColumnView("active", f"Active in the {ratio_period}", "count"),
             ColumnView("ratio", label, "fraction")],
            csv("ratio"),
        )  # fmt: skip
        return chart, [table]

    _section(view, content, {"ratio": f.spec("stickiness_ratio", period=ratio_period)}, ratio)
    return content


@router.get("/projects/{project}/activity")
async def activity_page(request: Request, project: str) -> Response:
    """The Activity page."""
    view = await open_view(request, project, PAGE)
    content = await view.run(lambda: build(view))
    return respond(
        view, "activity.html", content.tables, content=content, heading="Activity", charts=True
    )
