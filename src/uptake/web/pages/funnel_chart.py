"""The Funnels page's pictures of a `funnel` result: bars of users (or accounts) per step, one
bar series per breakdown value (grouped), with conversion from the first and the previous
step, drop-off and time to convert in the hover; the same numbers as a table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from uptake.result import Result
from uptake.web.pages.charts import PALETTE, Chart
from uptake.web.pages.formatting import MISSING, format_value, sort_key
from uptake.web.pages.tables import Cell, ColumnView, TableView


def duration(seconds: float | None) -> str:
    """A time to convert for people: seconds under a minute, minutes under an hour, hours
    under two days, then days; None is a dash."""
    if seconds is None:
        return MISSING
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:,.1f} d"


@dataclass(frozen=True)
class Completion:
    """How many entered (step 1) and finished (the last step), per breakdown value (None:
    everyone)."""

    group: str | None
    entered: int
    finished: int
    rate: float | None


def _groups(result: Result) -> dict[str | None, list[dict[str, Any]]]:
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for row in result.rows:
        key = None if "breakdown" not in row else str(row["breakdown"])
        groups.setdefault(key, []).append(row)
    return groups


def completions(result: Result) -> list[Completion]:
    """Entered and finished per group, in the result's order."""
    out = []
    for group, rows in _groups(result).items():
        first, last = rows[0], rows[-1]
        out.append(
            Completion(group, first["entities"], last["entities"], last["overall_conversion_rate"])
        )
    return out


def plotly_text(text: str) -> str:
    """`text` as Plotly shows it literally: Plotly reads a subset of HTML in names and labels
    (bold, links...), and step names and breakdown values come from users and data."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def step_label(row: dict[str, Any]) -> str:
    """A step's label on the chart: its number and name (numbers keep repeated events apart)."""
    return plotly_text(f"{row['step']}. {row['step_name']}")


def funnel_chart(result: Result, who: str) -> Chart:
    """Bars of entities per step (one series per breakdown value)."""
    groups = _groups(result)
    traces = []
    for i, (group, rows) in enumerate(groups.items()):
        name = plotly_text(group) if group is not None else who.capitalize()
        custom = [
            [
                format_value(r["overall_conversion_rate"], "fraction"),
                format_value(r["conversion_rate"], "fraction"),
                format_value(r["drop_off"], "count"),
                duration(r["median_seconds_from_previous"]),
            ]
            for r in rows
        ]
        traces.append(
            {
                "type": "bar",
                "name": name,
                "x": [step_label(r) for r in rows],
                "y": [r["entities"] for r in rows],
                "text": [c[0] for c in custom],
                "textposition": "auto",
                "customdata": custom,
                "marker": {"color": PALETTE[i % len(PALETTE)]},
                "hovertemplate": (
                    f"<b>%{{fullData.name}}</b> · %{{x}}<br>%{{y:,d}} {who}<br>"
                    "%{customdata[0]} of step 1 · %{customdata[1]} of the previous step<br>"
                    "%{customdata[2]} dropped off · median time from the previous step "
                    "%{customdata[3]}<extra></extra>"
                ),
            }
        )
    layout: dict[str, Any] = {
        "colorway": list(PALETTE),
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        "margin": {"l": 64, "r": 16, "t": 16, "b": 64},
        "height": 360,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "barmode": "group",
        "showlegend": len(groups) > 1,
        "legend": {"orientation": "h", "y": -0.25},
        "xaxis": {"type": "category", "gridcolor": "#e5e7eb"},
        "yaxis": {
            "title": {"text": who.capitalize()},
            "gridcolor": "#e5e7eb",
            "tickformat": ",d",
            "rangemode": "tozero",
        },
    }
    steps = len(next(iter(groups.values()), []))
    summary = (
        f"Funnel of {steps} steps: {who} reaching each step"
        + (f", by {len(groups)} breakdown values" if len(groups) > 1 else "")
        + ". The numbers are in the table below."
    )
    return Chart("chart-funnel", "Funnel", {"data": traces, "layout": layout}, summary)


def funnel_table(result: Result, who: str, csv_url: str) -> TableView:
    """Every step (per breakdown value): entities, conversion from the first and the
    previous step, drop-off, and average / median time from the previous step."""
    breakdown = any("breakdown" in r for r in result.rows)
    columns = [
        *([ColumnView("breakdown", "Breakdown")] if breakdown else []),
        ColumnView("step", "Step", "count"),
        ColumnView("step_name", "Name"),
        ColumnView("entities", who.capitalize(), "count"),
        ColumnView("overall_conversion_rate", "From step 1", "fraction"),
        ColumnView("conversion_rate", "From previous step", "fraction"),
        ColumnView("drop_off", "Dropped off", "count"),
        ColumnView("drop_off_rate", "Drop-off rate", "fraction"),
        ColumnView("average_seconds_from_previous", "Average time from previous", "number"),
        ColumnView("median_seconds_from_previous", "Median time from previous", "number"),
    ]
    rows: list[list[Cell]] = []
    for r in result.rows:
        cells = []
        for col in columns:
            value = r.get(col.key)
            if col.key.endswith("_seconds_from_previous"):
                cells.append(Cell(duration(value), value))
            elif col.key == "breakdown":
                cells.append(Cell(format_value(value, "text"), str(value)))
            else:
                cells.append(Cell(format_value(value, col.format), sort_key(value)))
        rows.append(cells)
    return TableView("funnel", "Funnel steps", columns, rows, csv_url)
