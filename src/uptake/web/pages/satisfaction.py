"""Satisfaction: NPS per period with its confidence band, promoters / passives / detractors,
CSAT and task completion rate, from the survey answers (`nps`, `csat`, `task` by default; a
project whose surveys have other names chooses them with `?nps_survey=`, `?csat_survey=`,
`?task_survey=`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.metrics import Tables
from uptake.result import Result
from uptake.web.pages.charts import PALETTE, Chart, Series, series_chart
from uptake.web.pages.page import Page
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.users import pin_user_unit
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page(
    "satisfaction", "Satisfaction", "/satisfaction", order=70, periods=("week", "month"),
    default_period="month", units=("user",),
)  # fmt: skip
router = APIRouter(include_in_schema=False)

# Which survey each metric reads: the URL parameter and the default name.
SURVEYS = {"nps_survey": "nps", "csat_survey": "csat", "task_survey": "task"}
# Answer groups of NPS, stacked in this order, with their Okabe-Ito colours.
GROUPS = {"promoters": PALETTE[2], "passives": PALETTE[4], "detractors": PALETTE[3]}
BAND = "rgba(0, 114, 178, 0.18)"  # PALETTE[0], light


@dataclass
class Panel:
    """A chart with its table, or why it could not be drawn."""

    chart: Chart | None = None
    table: TableView | None = None
    problem: str | None = None


@dataclass
class SatisfactionContent:
    """The page's panels; `surveys` are the survey names present in the answers."""

    surveys: list[str]
    chosen: dict[str, str]
    panels: list[Panel] = field(default_factory=list)
    tables: dict[str, Computed] = field(default_factory=dict)

    @property
    def other_names(self) -> bool:
        """Some survey is named other than the defaults: the page offers survey selectors."""
        return any(name not in SURVEYS.values() for name in self.surveys)


def survey_names(tables: Tables) -> list[str]:
    """The survey names present in the answers, sorted (a list for a form, not a metric)."""
    r = tables.responses
    names = r.select("survey").distinct().order_by("survey").to_pyarrow()
    return [str(name) for name in names.column("survey").to_pylist()]


def nps_band_chart(result: Result, period: str, confidence: float) -> Chart:
    """NPS per period as a line inside its confidence interval (a shaded band between the
    interval's bounds: a scatter trace filled to the one before it)."""
    level = f"{confidence * 100:g}%"
    chart = series_chart(
        "chart-nps",
        f"NPS per {period}, with its {level} confidence interval",
        result.column("period"),
        [
            Series(f"{level} interval, low", result.column("nps_ci_low")),
            Series(f"{level} interval, high", result.column("nps_ci_high")),
            Series("NPS", result.column("nps"), color=PALETTE[0]),
        ],
        "NPS",
        y_format="number",
    )
    low, high, nps = chart.figure["data"]
    low.update(mode="lines", line={"width": 0, "color": BAND}, showlegend=False)
    high.update(
        mode="lines",
        line={"width": 0, "color": BAND},
        fill="tonexty",
        fillcolor=BAND,
        name=f"{level} confidence interval",
    )
    nps["line"]["width"] = 3
    chart.figure["layout"]["yaxis"].update(range=[-100, 100], rangemode="normal")
    return chart


def _panel(content: SatisfactionContent, name: str, computed: Computed) -> Result | None:
    content.tables[name] = computed
    if computed.result is None:
        content.panels.append(Panel(problem=computed.error))
    return computed.result


def build(view: View, content: SatisfactionContent) -> None:
    """The charts and tables (blocking: runs in a worker thread)."""
    f = view.filters
    period = f.period or "month"
    date = ColumnView("period", period.capitalize(), "date")
    csv = view.csv_url

    nps_spec = f.spec("nps", unit="user", survey=content.chosen["nps_survey"])
    nps = _panel(content, "nps", view.compute(nps_spec))
    if nps is not None:
        confidence = float(nps.spec.get("confidence", 0.95))
        columns = [
            date,
            ColumnView("responses", "Answers", "count"),
            ColumnView("nps", "NPS", "score"),
            ColumnView("nps_ci_low", "Interval low", "score"),
            ColumnView("nps_ci_high", "Interval high", "score"),
            ColumnView("invalid_scores", "Invalid scores", "count"),
        ]
        table = table_view("nps", f"NPS per {period}", nps, columns, csv("nps"))
        content.panels.append(Panel(nps_band_chart(nps, period, confidence), table))
        groups = series_chart(
            "chart-nps-groups",
            f"Promoters, passives and detractors per {period}",
            nps.column("period"),
            [Series(g, nps.column(g), "bar", colour) for g, colour in GROUPS.items()],
            "Answers",
            stacked=True,
        )
        columns = [date, *[ColumnView(g, g.capitalize(), "count") for g in GROUPS]]
        content.tables["nps_groups"] = content.tables["nps"]
        table = table_view(
            "nps_groups", "Promoters, passives, detractors", nps, columns, csv("nps_groups")
        )
        content.panels.append(Panel(groups, table))

    csat_spec = f.spec("csat", unit="user", survey=content.chosen["csat_survey"])
    csat = _panel(content, "csat", view.compute(csat_spec))
    if csat is not None:
        chart = series_chart(
            "chart-csat",
            f"CSAT per {period}: share of satisfied answers",
            csat.column("period"),
            [Series("CSAT", csat.column("csat_percent"))],
            "Satisfied",
            y_format="percent",
        )
        columns = [
            date,
            ColumnView("responses", "Answers", "count"),
            ColumnView("satisfied", "Satisfied", "count"),
            ColumnView("csat_percent", "CSAT", "percent"),
            ColumnView("invalid_scores", "Invalid scores", "count"),
        ]
        table = table_view("csat", f"CSAT per {period}", csat, columns, csv("csat"))
        content.panels.append(Panel(chart, table))

    task_spec = f.spec("task_completion", unit="user", survey=content.chosen["task_survey"])
    task = _panel(content, "task", view.compute(task_spec))
    if task is not None:
        chart = series_chart(
            "chart-task",
            f"Task completion rate per {period}",
            task.column("period"),
            [Series("Completed", task.column("task_completion_rate"), color=PALETTE[2])],
            "Completed",
            y_format="fraction",
        )
        columns = [
            date,
            ColumnView("attempts", "Attempts", "count"),
            ColumnView("completed", "Completed", "count"),
            ColumnView("task_completion_rate", "Completion rate", "fraction"),
            ColumnView("invalid_scores", "Invalid scores", "count"),
        ]
        table = table_view("task", f"Task completion per {period}", task, columns, csv("task"))
        content.panels.append(Panel(chart, table))


def _chosen(view: View, surveys: list[str]) -> dict[str, str]:
    """The survey each metric reads: the URL's choice when the project has it, else the
    default name (a bad choice is reported)."""
    query = view.request.query_params
    chosen = {}
    for param, default in SURVEYS.items():
        asked = query.get(param, "").strip()
        if asked and asked not in surveys:
            view.filters = view.filters.with_error(
                f"`{param}`: no survey {asked!r} in this project's answers; showing {default!r}"
            )
            asked = ""
        chosen[param] = asked or default
        if asked:
            view.extra[param] = asked
    return chosen


async def _content(view: View) -> SatisfactionContent:
    surveys = await view.run(lambda: view.project.read(survey_names))
    content = SatisfactionContent(surveys, _chosen(view, surveys))
    if surveys:
        await view.run(lambda: build(view, content))
    return content


@router.get("/projects/{project}/satisfaction")
async def satisfaction_page(request: Request, project: str) -> Response:
    """The Satisfaction page."""
    view = await open_view(request, project, PAGE)
    pin_user_unit(view)
    content = await _content(view)
    return respond(
        view,
        "satisfaction.html",
        content.tables,
        content=content,
        heading="Satisfaction",
        charts=True,
    )
