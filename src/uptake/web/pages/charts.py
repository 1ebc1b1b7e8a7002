"""Chart figures for Plotly.js, built here from metric results and embedded in the page as
JSON (`static/dashboard.js` draws them). Only SVG trace types (bar, scatter): WebGL traces
would need `unsafe-eval` in the CSP.

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of colour
blindness; series are also told apart by legend, order and hover text, never by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion,
# sky blue, reddish purple, yellow, black.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")

AxisFormat = Literal["count", "number", "percent", "fraction"]

_TICKS: dict[AxisFormat, dict[str, Any]] = {
    "count": {"tickformat": ",d", "rangemode": "tozero"},
    "number": {"tickformat": ",.1f", "rangemode": "tozero"},
    "percent": {"ticksuffix": "%", "rangemode": "tozero"},
    "fraction": {"tickformat": ".0%", "rangemode": "tozero"},
}
_HOVER: dict[AxisFormat, str] = {
    "count": "%{y:,d}",
    "number": "%{y:,.1f}",
    "percent": "%{y:.1f}%",
    "fraction": "%{y:.1%}",
}


@dataclass(frozen=True)
class Series:
    """One named line or bar series."""

    name: str
    y: Sequence[float | int | None]
    kind: Literal["line", "bar"] = "line"
    color: str | None = None


@dataclass(frozen=True)
class Chart:
    """A figure and the element id its JSON block gets; `summary` describes it in words for
    screen readers (the data is also in a table below it)."""

    id: str
    title: str
    figure: dict[str, Any]
    summary: str


def _layout(y_title: str, y_format: AxisFormat, x_title: str, **more: Any) -> dict[str, Any]:
    return {
        "colorway": list(PALETTE),
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        "margin": {"l": 64, "r": 16, "t": 16, "b": 48},
        "height": 320,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#e5e7eb"},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e5e7eb", **_TICKS[y_format]},
        **more,
    }


def series_chart(
    chart_id: str,
    title: str,
    x: Sequence[Any],
    series: Sequence[Series],
    y_title: str,
    y_format: AxisFormat = "count",
    x_title: str = "",
    stacked: bool = False,
) -> Chart:
    """Lines and bars over a shared x axis; `stacked` stacks bars (negative ones below zero)."""
    xs = [v.isoformat() if hasattr(v, "isoformat") else v for v in x]
    traces = []
    for i, s in enumerate(series):
        colour = s.color or PALETTE[i % len(PALETTE)]
        trace: dict[str, Any] = {
            "type": "bar" if s.kind == "bar" else "scatter",
            "name": s.name,
            "x": xs,
            "y": list(s.y),
            "hovertemplate": f"{s.name}: {_HOVER[y_format]}<extra></extra>",
        }
        if s.kind == "bar":
            trace["marker"] = {"color": colour}
        else:
            trace.update(mode="lines+markers", line={"color": colour, "width": 2})
        traces.append(trace)
    more: dict[str, Any] = {"barmode": "relative" if stacked else "group"}
    names = ", ".join(s.name for s in series)
    summary = f"{title}: {names} for {len(xs)} points"
    if xs:
        summary += f" from {xs[0]} to {xs[-1]}"
    figure = {"data": traces, "layout": _layout(y_title, y_format, x_title, **more)}
    return Chart(chart_id, title, figure, summary + ". The numbers are in the table below.")
