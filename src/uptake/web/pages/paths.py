"""Paths: what users (or accounts) do next after a chosen event or feature, or did before it,
as a Sankey diagram of the steps with the edge table beneath (the `paths` metric).

    ?anchor=signup&direction=after&steps=3&exclude=page_view,heartbeat*

`anchor` is an event name or `feature:<name>`; without one the page asks for it and suggests
the project's most frequent event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast, get_args

import ibis
from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.metrics import Tables
from uptake.metrics.paths import END, MAX_STEPS, MIN_STEPS, OTHER, Direction, Paths
from uptake.result import Result
from uptake.web.pages.charts import PALETTE, Chart
from uptake.web.pages.page import Page
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page("paths", "Paths", "/paths", order=46)
router = APIRouter(include_in_schema=False)

FEATURE_PREFIX = "feature:"
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
DEFAULT_STEPS = 3
# Event names offered in the anchor list, most frequent first.
OFFERED_EVENTS = 200
# Events kept by name at each step (the metric's default; the page has no control for it).
TOP = int(Paths.model_fields["top"].default)
# Nodes that are not events get greys: a path's end lighter than the grouped rare events.
END_COLOUR = "#c4cbd3"
OTHER_COLOUR = "#7b8794"
SANKEY_HEIGHT_PX = 480
SANKEY_MARGIN_PX = 16
NODE_PAD_PX = 14


@dataclass(frozen=True)
class PathsForm:
    """The page's own controls as chosen (valid values only) and what could not be used."""

    anchor: str = ""
    direction: Direction = "after"
    steps: int = DEFAULT_STEPS
    exclude: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def exclude_text(self) -> str:
        """The exclusions as the text box shows them."""
        return ", ".join(self.exclude)

    def params(self) -> dict[str, str]:
        """The query parameters that reproduce the controls (blank ones left out)."""
        out = {"direction": self.direction, "steps": str(self.steps)}
        if self.anchor:
            out["anchor"] = self.anchor
        if self.exclude:
            out["exclude"] = ",".join(self.exclude)
        return out

    def spec(self) -> dict[str, Any]:
        """The `paths` parameters of these controls (the filter bar adds range and unit)."""
        out: dict[str, Any] = {"direction": self.direction, "steps": self.steps}
        if self.anchor.startswith(FEATURE_PREFIX):
            out["feature"] = self.anchor[len(FEATURE_PREFIX) :]
        else:
            out["event"] = self.anchor
        if self.exclude:
            out["exclude"] = list(self.exclude)
        return out


def parse_form(query: Mapping[str, str]) -> PathsForm:
    """The controls from the query string; an unusable value is reported and its default
    used."""
    errors: list[str] = []
    direction_text = query.get("direction", "").strip() or "after"
    if direction_text not in DIRECTIONS:
        errors.append(f"`direction` must be after or before, not {direction_text!r}")
        direction_text = "after"
    steps_text = query.get("steps", "").strip()
    steps = DEFAULT_STEPS
    if steps_text:
        if steps_text.isdigit() and MIN_STEPS <= int(steps_text) <= MAX_STEPS:
            steps = int(steps_text)
        else:
            errors.append(f"`steps` must be a whole number from {MIN_STEPS} to {MAX_STEPS}")
    exclude = tuple(p.strip() for p in query.get("exclude", "").split(",") if p.strip())
    return PathsForm(
        anchor=query.get("anchor", "").strip(),
        direction=cast(Direction, direction_text),
        steps=steps,
        exclude=exclude,
        errors=tuple(errors),
    )


def event_names(tables: Tables) -> list[str]:
    """The project's event names, most frequent first (from the `daily` rollup)."""
    daily = tables.daily
    counts = daily.group_by("event").agg(uses=daily.n.sum())
    top = counts.order_by([ibis.desc("uses"), "event"]).limit(OFFERED_EVENTS)
    return [str(name) for name in top.to_pyarrow().column("event").to_pylist() if name]


def node_label(step: int, event: str, direction: Direction) -> str:
    """A Sankey node's name: `step 2: export`; steps before the anchor count down (`step -2`)."""
    number = step if direction == "after" else -step
    return f"step {number}: {event}"


def _colours(rows: list[dict[str, Any]], anchor: str) -> dict[str, str]:
    """One Okabe-Ito colour per event, the anchor first, then by units over all steps (ties
    by name); past eight events the colours repeat (labels tell nodes apart, never colour
    alone). Node names that are not events get greys."""
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["to_event"]] = totals.get(row["to_event"], 0) + int(row["units"])
    events = sorted(
        (e for e in totals if e not in (END, OTHER, anchor)), key=lambda e: (-totals[e], e)
    )
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate([anchor, *events])}
    return {**colours, END: END_COLOUR, OTHER: OTHER_COLOUR}


def sankey_chart(result: Result, direction: Direction, who: str) -> Chart:
    """The paths as a Plotly Sankey (an SVG trace): one node per (step, event), time flowing
    left to right (so the edges of `before` are drawn from the earlier event), hover with
    units and the share of the units that did the anchor."""
    rows = result.rows
    anchor = str(result.summary.get("anchor", ""))
    total = int(result.summary.get("anchor_units", 0))
    nodes: dict[tuple[int, str], int] = {(0, anchor): 0}
    arrived: dict[tuple[int, str], int] = {(0, anchor): total}
    for row in rows:
        key = (int(row["step"]), str(row["to_event"]))
        nodes.setdefault(key, len(nodes))
        arrived[key] = arrived.get(key, 0) + int(row["units"])
    colours = _colours(rows, anchor)
    ordered = sorted(nodes, key=nodes.__getitem__)
    x, y = _positions(arrived, direction)
    links: dict[str, list[Any]] = {"source": [], "target": [], "value": [], "customdata": []}
    for row in rows:
        step = int(row["step"])
        start, end = nodes[(step - 1, str(row["from_event"]))], nodes[(step, str(row["to_event"]))]
        if direction == "before":
            start, end = end, start
        links["source"].append(start)
        links["target"].append(end)
        links["value"].append(row["units"])
        pair = (row["from_event"], row["to_event"])
        earlier, later = pair if direction == "after" else pair[::-1]
        number = step if direction == "after" else -step
        links["customdata"].append([f"step {number}: {earlier} → {later}", _percent(row["share"])])
    trace = {
        "type": "sankey",
        "arrangement": "fixed",
        "valueformat": ",d",
        "node": {
            "label": [node_label(step, event, direction) for step, event in ordered],
            "color": [colours.get(event, OTHER_COLOUR) for _, event in ordered],
            "x": [x[k] for k in ordered],
            "y": [y[k] for k in ordered],
            "pad": NODE_PAD_PX,
            "thickness": 16,
            "customdata": [_percent(arrived[k] / total if total else None) for k in ordered],
            "hovertemplate": f"%{{label}}<br>%{{value:,d}} {who} (%{{customdata}} of those "
            "who did the anchor)<extra></extra>",
        },
        "link": {
            **links,
            "color": "rgba(82, 96, 109, 0.25)",
            "hovertemplate": f"%{{customdata[0]}}<br>%{{value:,d}} {who} "
            "(%{customdata[1]})<extra></extra>",
        },
    }
    layout = {
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        "margin": {"l": 16, "r": 16, "t": SANKEY_MARGIN_PX, "b": SANKEY_MARGIN_PX},
        "height": SANKEY_HEIGHT_PX,
        "paper_bgcolor": "rgba(0,0,0,0)",
    }
    where = "after" if direction == "after" else "before"
    steps = max(step for step, _ in nodes)
    summary = (
        f"Paths of the {total:,} {who} {where} {anchor}, {steps} step(s): {len(rows)} edges "
        f"between {len(nodes)} nodes. The numbers are in the table below."
    )
    return Chart(
        "chart-paths",
        f"What {who} did {where} {anchor}",
        {"data": [trace], "layout": layout},
        summary,
    )


def _positions(
    arrived: dict[tuple[int, str], int], direction: Direction
) -> tuple[dict[tuple[int, str], float], dict[tuple[int, str], float]]:
    """Fixed node centres (0-1) for the Sankey: one column per step, because d3-sankey would
    push every "(end)" to the last column; in a column nodes stack by units, most first.
    Heights use d3-sankey's own scale (the tightest column, padding included, fills the
    plot), so stacked nodes never overlap."""
    steps = max(step for step, _ in arrived)
    columns = [
        sorted((k for k in arrived if k[0] == step), key=lambda k: (-arrived[k], k[1]))
        for step in range(steps + 1)
    ]
    pad = NODE_PAD_PX / (SANKEY_HEIGHT_PX - 2 * SANKEY_MARGIN_PX)
    scale = min(
        (1 - (len(column) - 1) * pad) / max(sum(arrived[k] for k in column), 1)
        for column in columns
    )
    x: dict[tuple[int, str], float] = {}
    y: dict[tuple[int, str], float] = {}
    for step, column in enumerate(columns):
        position = step / steps if steps else 0.5
        top = 0.0
        for key in column:
            height = arrived[key] * scale
            x[key] = _inside(position if direction == "after" else 1 - position)
            y[key] = _inside(top + height / 2)
            top += height + pad
    return x, y


def _inside(value: float) -> float:
    # Plotly ignores a node placed exactly on the plot's edge.
    return min(max(value, 0.001), 0.999)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


@dataclass
class PathsContent:
    """The controls' choices, the chart and table (or why there are none)."""

    form: PathsForm
    features: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    chart: Chart | None = None
    table: TableView | None = None
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)
    anchor: str = ""
    anchor_units: int = 0
    tables: dict[str, Computed] = field(default_factory=dict)

    @property
    def suggestion(self) -> str | None:
        """The event to suggest as an anchor: the most frequent one."""
        return self.events[0] if self.events else None


def build(view: View, form: PathsForm) -> PathsContent:
    """The page's chart and table (blocking: runs in a worker thread)."""
    features = [f.name for f in view.project.workspace.definitions.features]
    content = PathsContent(form, features=features)
    if view.facts.latest is None:
        return content
    content.events = view.project.read(event_names)
    if not form.anchor:
        return content
    complete = len(content.events) < OFFERED_EVENTS
    event = not form.anchor.startswith(FEATURE_PREFIX)
    if event and complete and form.anchor not in content.events:
        content.problem = (
            f"This project has no event {form.anchor!r}: check its spelling, or choose one "
            "under Start from."
        )
        return content
    computed = view.compute(view.filters.spec("paths", **form.spec()))
    content.tables["paths"] = computed
    if computed.result is None:
        content.problem = computed.error
        return content
    result = computed.result
    content.warnings = list(result.warnings)
    content.anchor = str(result.summary.get("anchor", ""))
    content.anchor_units = int(result.summary.get("anchor_units", 0))
    who = "users" if view.filters.unit == "user" else "accounts"
    if result.rows:
        content.chart = sankey_chart(result, form.direction, who)
    columns = [
        ColumnView("step", "Step", "count"),
        ColumnView("from_event", "From"),
        ColumnView("to_event", "To"),
        ColumnView("units", who.capitalize(), "count"),
        ColumnView("share", "Share of anchor", "fraction"),
    ]
    content.table = table_view("paths", "Path edges", result, columns, view.csv_url("paths"))
    return content


@router.get("/projects/{project}/paths")
async def paths_page(request: Request, project: str) -> Response:
    """The Paths page."""
    form = parse_form(request.query_params)
    view = await open_view(request, project, PAGE, extra=form.params())
    content = await view.run(lambda: build(view, form))
    return respond(
        view,
        "paths.html",
        content.tables,
        content=content,
        heading="Paths",
        charts=content.chart is not None,
        prefix=FEATURE_PREFIX,
        directions=DIRECTIONS,
        step_choices=range(MIN_STEPS, MAX_STEPS + 1),
        top=TOP,
    )
