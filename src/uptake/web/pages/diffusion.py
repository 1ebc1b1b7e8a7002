"""Diffusion: how a feature (or the product) spreads. The adoption S-curve with the Bass model's
fit, forecast band, peak and 50 / 80 / 95% milestones (and the critical-mass line when that
metric exists); the bell curve of adoption times coloured by Rogers category beside the
empirical and Rogers shares; and who is in each category."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.definitions import Feature
from uptake.result import Result
from uptake.web.pages.charts import PALETTE, Chart
from uptake.web.pages.page import Page
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page(
    "diffusion", "Diffusion", "/diffusion", order=48, periods=("week", "month"),
    default_period="week",
)  # fmt: skip
router = APIRouter(include_in_schema=False)

PRODUCT = ""  # the `adopt` value for the product as a whole (the activity events)
FEATURE_PREFIX = "feature:"
LAUNCHES = {"release": "Feature release", "signup": "Each one's signup"}
# Rogers' categories in time order, with Okabe-Ito colours.
CATEGORY_COLOURS = dict(
    zip(
        ("innovators", "early_adopters", "early_majority", "late_majority", "laggards"),
        (PALETTE[5], PALETTE[3], PALETTE[1], PALETTE[0], PALETTE[2]),
        strict=True,
    )
)
HISTOGRAM_BINS = 20
MILESTONES = (("peak_period", "Peak"), ("reached_50", "50%"), ("reached_80", "80%"),
              ("reached_95", "95%"))  # fmt: skip


@dataclass(frozen=True)
class DiffusionForm:
    """The page's own controls: what adoption is (a feature or the product) and its launch."""

    adopt: str
    launch: str
    errors: tuple[str, ...] = ()

    @property
    def feature(self) -> str | None:
        """The chosen feature's name; None for the product."""
        return self.adopt[len(FEATURE_PREFIX) :] if self.adopt else None

    def params(self) -> dict[str, str]:
        """The query parameters that reproduce the controls."""
        return {"adopt": self.adopt, "launch": self.launch}

    def spec(self) -> dict[str, Any]:
        """The diffusion parameters of these controls (the filter bar adds range and unit)."""
        chosen: dict[str, Any] = {"launch": self.launch}
        if self.feature is not None:
            chosen["feature"] = self.feature
        return chosen


def parse_form(query: Mapping[str, str], features: list[Feature]) -> DiffusionForm:
    """The controls from the query string. Default: the first feature with a release date
    (else the product), launched at its release (else at each one's signup)."""
    errors: list[str] = []
    released = [f.name for f in features if f.released_at is not None]
    names = [f.name for f in features]
    default = FEATURE_PREFIX + released[0] if released else PRODUCT
    adopt = query.get("adopt", default).strip()
    if adopt and (
        not adopt.startswith(FEATURE_PREFIX) or adopt[len(FEATURE_PREFIX) :] not in names
    ):
        known = ", ".join(names) or "none are declared in uptake.toml"
        errors.append(f"there is no feature {adopt!r} (features: {known}); showing {default!r}")
        adopt = default
    can_release = bool(adopt) and adopt[len(FEATURE_PREFIX) :] in released
    launch = query.get("launch", "").strip() or ("release" if can_release else "signup")
    if launch not in LAUNCHES:
        errors.append(f"`launch` must be release or signup, not {launch!r}")
        launch = "release" if can_release else "signup"
    if launch == "release" and not can_release:
        # Switching to the product or to a feature without a release date: the select shows
        # the launch actually used.
        launch = "signup"
    return DiffusionForm(adopt, launch, tuple(errors))


@dataclass
class DiffusionContent:
    """The page's charts, tables and messages."""

    form: DiffusionForm
    features: list[Feature]
    curve: Chart | None = None
    parameters: list[tuple[str, str]] = field(default_factory=list)
    status: str | None = None
    warnings: list[str] = field(default_factory=list)
    curve_table: TableView | None = None
    bell: Chart | None = None
    shares: Chart | None = None
    category_table: TableView | None = None
    members: TableView | None = None
    problems: dict[str, str] = field(default_factory=dict)
    tables: dict[str, Computed] = field(default_factory=dict)


def _layout(y_title: str, x_title: str, **more: Any) -> dict[str, Any]:
    return {
        "colorway": list(PALETTE),
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        "margin": {"l": 64, "r": 16, "t": 16, "b": 48},
        "height": 360,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#e5e7eb"},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e5e7eb", "rangemode": "tozero"},
        **more,
    }


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:,.{digits}g}" if abs(value) < 1 else f"{value:,.0f}"


def s_curve(result: Result, who: str, critical: float | None) -> Chart:
    """Observed adopters to date (points), the Bass fit and forecast (line) inside its band,
    the peak and milestone markers, and the critical-mass level when known."""
    rows = result.rows
    x = [r["period"].isoformat() for r in rows]
    observed = [r for r in rows if not r["forecast"]]
    traces: list[dict[str, Any]] = []
    if any(r["cumulative_low"] is not None for r in rows):
        traces.append({"type": "scatter", "mode": "lines", "name": "Band (low)", "x": x,
                       "y": [r["cumulative_low"] for r in rows], "line": {"width": 0},
                       "showlegend": False, "hoverinfo": "skip"})  # fmt: skip
        traces.append({"type": "scatter", "mode": "lines", "name": "Forecast band", "x": x,
                       "y": [r["cumulative_high"] for r in rows], "fill": "tonexty",
                       "fillcolor": "rgba(86,180,233,0.25)", "line": {"width": 0},
                       "hoverinfo": "skip"})  # fmt: skip
    if any(r["fitted_cumulative"] is not None for r in rows):
        traces.append({"type": "scatter", "mode": "lines", "name": "Bass fit and forecast",
                       "x": x, "y": [r["fitted_cumulative"] for r in rows],
                       "line": {"color": PALETTE[0], "width": 2},
                       "hovertemplate": "Bass: %{y:,.0f}<extra></extra>"})  # fmt: skip
    traces.append({"type": "scatter", "mode": "markers", "name": f"Adopters to date ({who})",
                   "x": [r["period"].isoformat() for r in observed],
                   "y": [r["cumulative"] for r in observed],
                   "marker": {"color": PALETTE[7], "size": 7},
                   "hovertemplate": "Observed: %{y:,d}<extra></extra>"})  # fmt: skip
    fitted = {r["period"].isoformat(): r["fitted_cumulative"] for r in rows}
    marks = [(label, result.summary.get(key)) for key, label in MILESTONES]
    shown = [(label, when) for label, when in marks if when in fitted and fitted[when] is not None]
    if shown:
        traces.append({"type": "scatter", "mode": "markers+text", "name": "Peak and milestones",
                       "x": [w for _, w in shown], "y": [fitted[w] for _, w in shown],
                       "text": [label for label, _ in shown], "textposition": "top left",
                       "marker": {"color": PALETTE[3], "size": 11, "symbol": "diamond"},
                       "hovertemplate": "%{text}: %{x}<extra></extra>"})  # fmt: skip
    if critical is not None and x:
        traces.append({"type": "scatter", "mode": "lines", "name": "Critical mass",
                       "x": [x[0], x[-1]], "y": [critical, critical],
                       "line": {"color": PALETTE[5], "dash": "dash", "width": 2},
                       "hovertemplate": "Critical mass: %{y:,.0f}<extra></extra>"})  # fmt: skip
    summary = (
        f"Adopters to date for {len(observed)} periods with the Bass fit and a forecast of "
        f"{len(rows) - len(observed)} more. The numbers are in the table below."
    )
    figure = {"data": traces, "layout": _layout(f"{who.capitalize()} adopted", "")}
    return Chart("chart-s-curve", "Adoption S-curve and Bass forecast", figure, summary)


def bell_curve(adopters: Result, who: str) -> Chart:
    """Adoption times (days since launch) as a histogram, stacked by Rogers category."""
    rows = [r for r in adopters.rows if r.get("adoption_days") is not None]
    days = np.asarray([float(r["adoption_days"]) for r in rows])
    edges = np.histogram_bin_edges(days, bins=HISTOGRAM_BINS) if len(days) else np.array([0, 1])
    centres = [round(float((a + b) / 2), 2) for a, b in itertools.pairwise(edges)]
    traces = []
    for category, colour in CATEGORY_COLOURS.items():
        picked = np.asarray([float(r["adoption_days"]) for r in rows if r["category"] == category])
        counts, _ = np.histogram(picked, bins=edges)
        traces.append({"type": "bar", "name": category.replace("_", " "), "x": centres,
                       "y": [int(c) for c in counts], "marker": {"color": colour},
                       "hovertemplate": "%{y:,d} around day %{x}<extra></extra>"})  # fmt: skip
    figure = {"data": traces, "layout": _layout(who.capitalize(), "Days from launch to adoption",
                                                barmode="stack", bargap=0.05)}  # fmt: skip
    summary = f"{len(rows)} adopters by days from launch to adoption, coloured by category."
    return Chart("chart-bell", "When people adopted, by category", figure, summary)


def share_chart(categories: Result) -> Chart:
    """Each category's share of adopters beside Rogers' share."""
    rows = categories.rows
    names = [str(r["category"]).replace("_", " ") for r in rows]
    traces = [
        {"type": "bar", "name": "Here", "x": names, "y": [r["share"] for r in rows],
         "marker": {"color": PALETTE[0]}, "hovertemplate": "Here: %{y:.1%}<extra></extra>"},
        {"type": "bar", "name": "Rogers", "x": names, "y": [r["rogers_share"] for r in rows],
         "marker": {"color": PALETTE[1]}, "hovertemplate": "Rogers: %{y:.1%}<extra></extra>"},
    ]  # fmt: skip
    layout = _layout("Share", "", barmode="group")
    layout["yaxis"]["tickformat"] = ".0%"
    summary = "Share of each adopter category here and in Rogers' model; numbers in the table."
    return Chart("chart-shares", "Categories: here and in Rogers' model", {"data": traces,
                 "layout": layout}, summary)  # fmt: skip


def _curve_section(view: View, content: DiffusionContent, who: str) -> None:
    f = view.filters
    bass = view.compute(f.spec("bass_forecast", **content.form.spec()))
    content.tables["forecast"] = bass
    if bass.result is None:
        content.problems["curve"] = bass.error or "The Bass forecast could not be computed."
        return
    result = bass.result
    critical: float | None = None
    mass = view.compute(f.spec("critical_mass", **content.form.spec()))
    content.tables["critical_mass"] = mass
    if mass.result is not None:
        share, population = (
            mass.result.summary.get("share"),
            mass.result.summary.get("population"),
        )
        if share is not None and population is not None:
            critical = float(share) * float(population)
    content.curve = s_curve(result, who, critical)
    s = result.summary
    content.status = str(s.get("status"))
    content.warnings = list(result.warnings)
    level = f"{round(100 * float(s.get('confidence', 0.95)))}%"

    def interval(key: str) -> str:
        low, high = s.get(f"{key}_low"), s.get(f"{key}_high")
        if low is None or high is None:
            return _number(s.get(key))
        return f"{_number(s.get(key))} ({level}: {_number(low)} to {_number(high)})"

    content.parameters = [
        ("p, innovation (per period)", interval("p")),
        ("q, imitation (per period)", interval("q")),
        (f"m, eventual {who}", interval("m")),
        ("Peak period", s.get("peak_period") or "—"),
        ("50% / 80% / 95% of m",
         " / ".join(s.get(k) or "—" for k in ("reached_50", "reached_80", "reached_95"))),
        ("R² (adopters per period)", _number(s.get("r_squared"), 3)),
        ("RMSE / MAPE", f"{_number(s.get('rmse'), 3)} / "
         + ("—" if s.get("mape") is None else f"{100 * float(s['mape']):.1f}%")),
        ("Periods used", str(s.get("periods_used"))),
    ]  # fmt: skip
    columns = [
        ColumnView("period", "Period", "date"),
        ColumnView("adopters", "New adopters", "count"),
        ColumnView("cumulative", "Adopters to date", "count"),
        ColumnView("fitted_adopters", "Bass: new", "number"),
        ColumnView("fitted_cumulative", "Bass: to date", "number"),
        ColumnView("cumulative_low", "Band low", "number"),
        ColumnView("cumulative_high", "Band high", "number"),
        ColumnView("forecast", "Forecast"),
    ]
    content.curve_table = table_view(
        "forecast", "Adoption and Bass forecast", result, columns, view.csv_url("forecast")
    )


def _category_section(view: View, content: DiffusionContent, who: str) -> None:
    f = view.filters
    spec = content.form.spec()
    categories = view.compute(f.spec("adopter_categories", output="categories", **spec))
    adopters = view.compute(f.spec("adopter_categories", output="adopters", **spec))
    content.tables["categories"] = categories
    content.tables["adopters"] = adopters
    for computed in (categories, adopters):
        if computed.result is None:
            content.problems["categories"] = computed.error or "Categories could not be computed."
            return
    assert categories.result is not None and adopters.result is not None
    content.bell = bell_curve(adopters.result, who)
    content.shares = share_chart(categories.result)
    content.category_table = table_view(
        "categories", "Adopter categories", categories.result,
        [ColumnView("category", "Category"), ColumnView("units", who.capitalize(), "count"),
         ColumnView("share", "Share", "fraction"),
         ColumnView("rogers_share", "Rogers' share", "fraction"),
         ColumnView("from_days", "From day", "days"), ColumnView("to_days", "To day", "days")],
        view.csv_url("categories"),
    )  # fmt: skip
    content.members = table_view(
        "adopters", f"Who is in each category ({who})", adopters.result,
        [ColumnView("entity", who[:-1].capitalize()), ColumnView("category", "Category"),
         ColumnView("launch_at", "Launch", "date"), ColumnView("adopted_at", "Adopted", "date"),
         ColumnView("adoption_days", "Days to adopt", "days")],
        view.csv_url("adopters"),
    )  # fmt: skip


def build(view: View, form: DiffusionForm, features: list[Feature]) -> DiffusionContent:
    """The page's sections (blocking: runs in a worker thread)."""
    content = DiffusionContent(form, features)
    if view.facts.latest is None:
        return content
    who = "users" if view.filters.unit == "user" else "accounts"
    _curve_section(view, content, who)
    _category_section(view, content, who)
    return content


@router.get("/projects/{project}/diffusion")
async def diffusion_page(request: Request, project: str) -> Response:
    """The Diffusion page."""
    view = await open_view(request, project, PAGE)
    features = list(view.project.workspace.definitions.features)
    form = parse_form(request.query_params, features)
    view.extra.update(form.params())
    content = await view.run(lambda: build(view, form, features))
    charts = any(c is not None for c in (content.curve, content.bell, content.shares))
    return respond(
        view, "diffusion.html", content.tables, content=content, heading="Diffusion",
        charts=charts, prefix=FEATURE_PREFIX, launches=LAUNCHES,
    )  # fmt: skip
