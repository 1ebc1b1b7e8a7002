"""Drivers: what goes with adoption. Key-action discovery (early events ranked by the lift in
retention of those who did them, with intervals, each with a "Use as key action" button that
records it in the project's uptake.toml) and launch impact (adopters vs non-adopters of a
feature before and after its launch: difference in differences).

Page parameters besides the filter bar: `window_days` (3, 7 or 14: days after signup),
`retention_offset` (2-8: the week after signup that counts as retained), `feature`,
`launch_window_days` (14, 28 or 56) and `launch` (a launch date for a feature without
released_at). The recording form answers with a redirect back carrying `notice`
(recorded | exists) and `key_action` (the name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from uptake.definitions.workspace_editor import add_key_action
from uptake.errors import UptakeError
from uptake.result import Result
from uptake.web.body import read_body
from uptake.web.pages.charts import PALETTE, Chart
from uptake.web.pages.filters import PARAMS
from uptake.web.pages.formatting import format_change, format_value
from uptake.web.pages.page import Page, project_url
from uptake.web.pages.render import render
from uptake.web.pages.state import server_state
from uptake.web.pages.tables import Cell, ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, require_session, respond
from uptake.web.security import cross_site, same_token
from uptake.workspace import DEFINITIONS_FILE

PAGE = Page("drivers", "Drivers", "/drivers", order=50)
router = APIRouter(include_in_schema=False)

WINDOWS = ("3", "7", "14")
OFFSETS = tuple(str(w) for w in range(2, 9))
LAUNCH_WINDOWS = ("14", "28", "56")
# The chart shows the strongest events; the table (and its CSV) has them all.
CHART_EVENTS = 15
MAX_FORM_BYTES = 8 * 1024

Notice = Literal["recorded", "exists"]
# Fixed texts: a link can choose which one shows, never what it says (but the name).
NOTICES: dict[Notice, str] = {
    "recorded": "Recorded key action {name} in uptake.toml: time to key action and the "
    "reports use it from now on.",
    "exists": "There is already a key action called {name}; nothing was changed. Edit "
    "uptake.toml (or run `uptake key-actions add NAME --event EVENT --replace`) to change it.",
}


@dataclass
class Ranked:
    """One ranked event: its table cells and whether it already is a key action."""

    event: str
    cells: list[Cell]
    recorded: bool


@dataclass
class DriversContent:
    """Both sections, or why each could not be shown."""

    ranking: list[Ranked] = field(default_factory=list)
    ranking_table: TableView | None = None
    ranking_chart: Chart | None = None
    ranking_summary: dict[str, Any] = field(default_factory=dict)
    ranking_warnings: list[str] = field(default_factory=list)
    ranking_problem: str | None = None
    launch_table: TableView | None = None
    launch_chart: Chart | None = None
    launch_summary: dict[str, Any] = field(default_factory=dict)
    launch_warnings: list[str] = field(default_factory=list)
    launch_problem: str | None = None
    tables: dict[str, Computed] = field(default_factory=dict)


def _choice(view: View, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = view.extra.get(key, default)
    return value if value in allowed else default


def _signed_points(value: Any) -> str:
    return format_change(value, None, "fraction") or format_value(None, "fraction")


def _lift_chart(rows: list[dict[str, Any]], who: str) -> Chart:
    """Horizontal bars of lift (percentage points) with their intervals as error bars; the
    largest lift on top; each event labelled with its reach."""
    shown = [r for r in rows if r["lift"] is not None][:CHART_EVENTS]
    labels = [f"{r['event']} · reach {r['reach'] * 100:.0f}%" for r in shown]
    lifts = [r["lift"] * 100 for r in shown]
    trace = {
        "type": "bar",
        "orientation": "h",
        "name": "Lift in retention",
        "x": lifts,
        "y": labels,
        "marker": {"color": [PALETTE[0] if v >= 0 else PALETTE[3] for v in lifts]},
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [(r["lift_high"] - r["lift"]) * 100 for r in shown],
            "arrayminus": [(r["lift"] - r["lift_low"]) * 100 for r in shown],
            "color": "#374151",
        },
        "hovertemplate": "%{y}: %{x:+.1f} pts<extra></extra>",
    }
    layout = {
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        "margin": {"l": 220, "r": 16, "t": 16, "b": 48},
        "height": max(200, 48 + 28 * len(shown)),
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        "xaxis": {"title": {"text": "Lift in retention (percentage points)"},
                  "gridcolor": "#e5e7eb", "zeroline": True, "zerolinecolor": "#6b7280",
                  "ticksuffix": " pts"},
        "yaxis": {"autorange": "reversed", "automargin": True},
    }  # fmt: skip
    summary = (
        f"Lift in retention of {who} who did each event early, against those who did not, for "
        f"the {len(shown)} events with the largest lift, with confidence intervals. "
        "The numbers are in the table below."
    )
    return Chart("chart-lift", "Lift in retention by early event", {"data": [trace],
                 "layout": layout}, summary)  # fmt: skip


def _ranking(view: View, content: DriversContent) -> None:
    f = view.filters
    spec = f.spec(
        "key_action_discovery",
        window_days=int(_choice(view, "window_days", WINDOWS, "7")),
        retention_offset=int(_choice(view, "retention_offset", OFFSETS, "4")),
    )
    computed = view.compute(spec)
    content.tables["key_actions"] = computed
    if computed.result is None:
        content.ranking_problem = computed.error
        return
    result = computed.result
    who = "users" if f.unit == "user" else "accounts"
    content.ranking_summary = result.summary
    content.ranking_warnings = result.warnings
    if result.rows:
        content.ranking_chart = _lift_chart(result.rows, who)
    content.ranking_table = table_view(
        "key_actions", "Early events ranked by lift in retention", result,
        [ColumnView("event", "Event"), ColumnView("reach", "Reach", "fraction"),
         ColumnView("units_did", f"{who.capitalize()} who did it", "count"),
         ColumnView("retention_did", "Retained if did", "fraction"),
         ColumnView("retention_not", "Retained if not", "fraction")],
        view.csv_url("key_actions"),
    )  # fmt: skip
    recorded = {
        event
        for action in view.project.workspace.definitions.key_actions
        for event in action.events
    }
    # The table may show fewer rows than the result (MAX_SHOWN_ROWS).
    for row, cells in zip(result.rows, content.ranking_table.rows, strict=False):
        lift, low, high = row["lift"], row["lift_low"], row["lift_high"]
        interval = "—" if low is None else f"{_signed_points(low)} to {_signed_points(high)}"
        extra = [
            Cell(_signed_points(lift), None if lift is None else float(lift)),
            Cell(interval, None if low is None else float(low)),
        ]
        event = str(row["event"])
        content.ranking.append(Ranked(event, cells + extra, event in recorded))


def _launch_chart(result: Result, who: str) -> Chart:
    """Mean outcome per unit-week before and after, adopters and non-adopters side by side."""
    traces = []
    for i, row in enumerate(result.rows):
        name = "Adopters" if row["group"] == "adopters" else "Non-adopters"
        traces.append(
            {
                "type": "bar",
                "name": f"{name} ({row['units']})",
                "x": ["Before the launch", "After the launch"],
                "y": [row["before"], row["after"]],
                "marker": {"color": PALETTE[i]},
                "hovertemplate": f"{name}: %{{y:.2f}} per week<extra></extra>",
            }
        )
    layout = {
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        "margin": {"l": 64, "r": 16, "t": 16, "b": 48},
        "height": 320,
        "barmode": "group",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2},
        "yaxis": {"title": {"text": "Mean per week"}, "gridcolor": "#e5e7eb",
                  "rangemode": "tozero"},
    }  # fmt: skip
    summary = (
        f"Mean outcome per week of adopting and non-adopting {who}, before and after the "
        "launch. The numbers are in the table below."
    )
    return Chart("chart-launch", "Before and after the launch", {"data": traces,
                 "layout": layout}, summary)  # fmt: skip


def _launch(view: View, content: DriversContent) -> None:
    features = view.project.workspace.definitions.features
    if not features:
        content.launch_problem = (
            "No features are defined: declare [[features]] (with released_at) in uptake.toml."
        )
        return
    names = [feature.name for feature in features]
    chosen = view.extra.get("feature")
    if chosen not in names:
        dated = [feature.name for feature in features if feature.released_at is not None]
        chosen = (dated or names)[0]
        view.extra["feature"] = chosen
    extra: dict[str, Any] = {
        "feature": chosen,
        "window_days": int(_choice(view, "launch_window_days", LAUNCH_WINDOWS, "28")),
    }
    launch = view.extra.get("launch", "")
    if launch:
        extra["launch_date"] = launch
    spec = view.filters.spec("launch_impact", **extra)
    computed = view.compute(spec)
    content.tables["launch_impact"] = computed
    if computed.result is None:
        content.launch_problem = computed.error
        return
    result = computed.result
    who = "users" if view.filters.unit == "user" else "accounts"
    content.launch_summary = result.summary
    content.launch_warnings = result.warnings
    content.launch_chart = _launch_chart(result, who)
    content.launch_table = table_view(
        "launch_impact", "Adopters and non-adopters", result,
        [ColumnView("group", "Group"), ColumnView("units", who.capitalize(), "count"),
         ColumnView("before", "Before (per week)", "number"),
         ColumnView("after", "After (per week)", "number"),
         ColumnView("change", "Change", "number")],
        view.csv_url("launch_impact"),
    )  # fmt: skip


def build(view: View) -> DriversContent:
    """Both sections (blocking: runs in a worker thread)."""
    content = DriversContent()
    if view.facts.latest is None:
        return content
    _ranking(view, content)
    _launch(view, content)
    return content


_PAGE_KEYS = ("window_days", "retention_offset", "feature", "launch_window_days", "launch")


def _notice(request: Request) -> str | None:
    query = request.query_params
    kind = query.get("notice", "")
    for known, text in NOTICES.items():
        if kind == known:
            return text.format(name=repr(query.get("key_action", "")))
    return None


@router.get("/projects/{project}/drivers")
async def drivers_page(request: Request, project: str) -> Response:
    """The Drivers page."""
    query = request.query_params
    extra = {k: query[k] for k in _PAGE_KEYS if query.get(k)}
    view = await open_view(request, project, PAGE, extra)
    content = await view.run(lambda: build(view))
    return respond(
        view, "drivers.html", content.tables, content=content, heading="Drivers", charts=True,
        notice=_notice(request), did_text=launch_label(content.launch_summary),
        windows=WINDOWS, offsets=OFFSETS, launch_windows=LAUNCH_WINDOWS,
        action_url=project_url(project, "/drivers/key-actions"),
        back_query=urlencode({**view.filters.params(), **view.extra}),
    )  # fmt: skip


def _back(project: str, back: str, **more: str) -> str:
    """The Drivers page with the filters it was showing (known parameters only) and `more`."""
    kept = [(k, v) for k, v in parse_qsl(back) if k in PARAMS or k in _PAGE_KEYS]
    return project_url(project, "/drivers") + "?" + urlencode(kept + list(more.items()))


@router.post("/projects/{project}/drivers/key-actions")
async def use_as_key_action(request: Request, project: str) -> Response:
    """Record an event as a key action in the project's uptake.toml, reload the project's
    definitions, and go back to the page with a notice."""
    session = require_session(request)
    state = server_state(request)
    body = await read_body(request, MAX_FORM_BYTES, state.config.body_timeout_seconds)
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    except ValueError:
        fields = {}  # too many fields: no token either, so refused below
    form = {k: v[0] for k, v in fields.items()}
    if cross_site(request) or not same_token(session.csrf_token, form.get("csrf")):
        return render(
            request, "error.html", 403, title="Not recorded",
            message="This form is out of date; go back, reload the page and try again.",
        )  # fmt: skip
    if project not in state.home.project_names():
        return render(request, "error.html", 404, title="No such project",
                      message=f"There is no project {project!r} on this server.")  # fmt: skip
    event = form.get("event", "").strip()
    name = form.get("name", "").strip() or event
    back = form.get("back", "")
    try:
        opened = state.projects.get(project)
    except UptakeError as exc:
        return render(request, "error.html", 503, title="Not recorded", message=str(exc))
    path = opened.path / DEFINITIONS_FILE
    if any(k.name == name for k in opened.workspace.definitions.key_actions):
        return RedirectResponse(_back(project, back, notice="exists", key_action=name), 303)
    try:
        # The editor locks the file against other editors (the CLI) and writes atomically;
        # queries from now on read the new definitions.
        await run_in_threadpool(add_key_action, path, name, [event])
        await run_in_threadpool(opened.reload_definitions)
    except UptakeError as exc:
        if "already exists" in str(exc):
            return RedirectResponse(_back(project, back, notice="exists", key_action=name), 303)
        return render(
            request, "error.html", 400, title="Not recorded",
            message=f"{exc}. Go back to the Drivers page and choose another event.",
        )  # fmt: skip
    return RedirectResponse(_back(project, back, notice="recorded", key_action=name), 303)


def launch_label(summary: dict[str, Any]) -> str:
    """The difference in differences and its interval, for people."""
    did = summary.get("did")
    if did is None:
        return "—"
    text = f"{did:+.2f}"
    if summary.get("did_low") is not None:
        text += f" ({summary['did_low']:+.2f} to {summary['did_high']:+.2f})"
    return text
