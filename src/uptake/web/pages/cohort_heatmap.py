"""The Retention page's pictures of a `retention` result: the cohort heatmap (rate as colour,
counts in the hover, each cohort's size in its label, the weighted mean on top), the retention
curve (the mean rate by period offset) and the triangle as a table.

The heatmap is a Plotly `heatmap` trace: drawn into a canvas and placed in the SVG as a
`data:` image, which the CSP's `img-src data:` allows (no WebGL, no `eval`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from uptake.result import Result
from uptake.web.pages.charts import Chart, Series, series_chart
from uptake.web.pages.formatting import MISSING, format_value
from uptake.web.pages.tables import Cell, ColumnView, TableView

MEAN_LABEL = "All cohorts (weighted mean)"
# ColorBrewer's "Blues" (Brewer 2003), light to dark: one hue varying in lightness, so it reads
# with every common colour-vision deficiency. Spelled out because Plotly's own "Blues" runs
# dark to light. `static/retention.css` draws the same stops as the page's colour key.
COLOUR_SCALE = [
    [0.0, "#f7fbff"], [0.125, "#deebf7"], [0.25, "#c6dbef"], [0.375, "#9ecae1"],
    [0.5, "#6baed6"], [0.625, "#4292c6"], [0.75, "#2171b5"], [0.875, "#08519c"],
    [1.0, "#08306b"],
]  # fmt: skip
ROW_PX = 30


@dataclass(frozen=True)
class CohortRow:
    """One row of the triangle: its label, size and (retained, rate) by period offset; `mean`
    for the weighted-mean row."""

    label: str
    cohort: dt.date | None
    size: int
    cells: dict[int, tuple[int, float | None]]

    @property
    def mean(self) -> bool:
        """The weighted mean of all cohorts, not one cohort."""
        return self.cohort is None


def cohort_rows(result: Result) -> list[CohortRow]:
    """The mean row first, then the cohorts oldest first (the result's own order)."""
    rows: dict[dt.date | None, CohortRow] = {}
    for r in result.rows:
        cohort = r["cohort"]
        row = rows.get(cohort)
        if row is None:
            label = MEAN_LABEL if cohort is None else format_value(cohort, "date")
            row = rows[cohort] = CohortRow(label, cohort, 0, {})
        k = int(r["period"])
        row.cells[k] = (int(r["retained"]), r["retention_rate"])
        if k == 0:
            # Period 0 of a cohort is its size; for the mean row, the sum of all sizes.
            rows[cohort] = CohortRow(row.label, cohort, int(r["cohort_size"]), row.cells)
    mean = [row for row in rows.values() if row.mean]
    return mean + [row for row in rows.values() if not row.mean]


def offsets(rows: Sequence[CohortRow]) -> list[int]:
    """The period offsets that have at least one reported cell, in order."""
    return sorted({k for row in rows for k in row.cells})


def _offset_label(period: str, k: int) -> str:
    return f"{period.capitalize()} {k}"


def heatmap(rows: Sequence[CohortRow], period: str, who: str) -> Chart:
    """The cohort heatmap: one row per cohort (label: start and size), one column per period
    offset, colour = retention rate; cells not reported (after `to`) stay blank."""
    ks = offsets(rows)
    x = [_offset_label(period, k) for k in ks]
    y = [f"{row.label} · {row.size:,} {who}" for row in rows]
    z: list[list[float | None]] = []
    custom: list[list[list[int] | None]] = []
    for row in rows:
        z.append([row.cells[k][1] if k in row.cells else None for k in ks])
        custom.append([[row.cells[k][0], row.size] if k in row.cells else None for k in ks])
    trace: dict[str, Any] = {
        "type": "heatmap",
        "x": x,
        "y": y,
        "z": z,
        "customdata": custom,
        "zmin": 0,
        "zmax": 1,
        "colorscale": COLOUR_SCALE,
        "xgap": 2,
        "ygap": 2,
        "hoverongaps": False,
        "texttemplate": "%{z:.0%}",
        "hovertemplate": (
            "%{y}<br>%{x}: %{z:.1%} retained<br>"
            f"%{{customdata[0]:,d}} of %{{customdata[1]:,d}} {who}<extra></extra>"
        ),
        # Plotly's colour bar sets inline styles, which the CSP blocks: the key is in the page
        # (`retention.html`), and every cell carries its percentage as text.
        "showscale": False,
    }
    layout: dict[str, Any] = {
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        "margin": {"l": 16, "r": 16, "t": 40, "b": 16},
        "height": max(220, ROW_PX * len(rows) + 80),
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"side": "top", "type": "category", "fixedrange": True},
        # automargin: the labels (cohort and size) get the room they need.
        "yaxis": {
            "type": "category",
            "autorange": "reversed",
            "fixedrange": True,
            "automargin": True,
        },
    }
    cohorts = len(rows) - 1
    summary = (
        f"Retention heatmap: {cohorts} cohorts by {period}, {len(ks)} periods each at most; "
        "darker cells retained more. The numbers are in the table below."
    )
    figure = {"data": [trace], "layout": layout}
    return Chart("chart-retention-heatmap", "Cohort retention", figure, summary)


def curve(rows: Sequence[CohortRow], period: str) -> Chart:
    """The retention curve: the weighted mean rate by period offset."""
    mean = next((row for row in rows if row.mean), None)
    ks = sorted(mean.cells) if mean else []
    rates = [mean.cells[k][1] for k in ks] if mean else []
    return series_chart(
        "chart-retention-curve",
        "Retention curve (weighted mean of the cohorts)",
        ks,
        [Series("Retained", rates)],
        y_title="Retained",
        y_format="fraction",
        x_title=f"{period.capitalize()}s after the cohort's {period}",
    )


def triangle_table(rows: Sequence[CohortRow], period: str, who: str, csv_url: str) -> TableView:
    """The triangle as a table: cohort, size, then each period's rate with its count. The CSV
    download is the metric's own rows (one per cohort and period)."""
    ks = offsets(rows)
    columns = [
        ColumnView("cohort", "Cohort"),
        ColumnView("size", f"Cohort size ({who})", "count"),
        *[ColumnView(f"period_{k}", _offset_label(period, k), "fraction") for k in ks],
    ]
    shown: list[list[Cell]] = []
    for row in rows:
        cells = [Cell(row.label, "" if row.mean else row.label), Cell(f"{row.size:,}", row.size)]
        for k in ks:
            if k not in row.cells:
                cells.append(Cell("", None))
                continue
            retained, rate = row.cells[k]
            # An empty cohort has no rate: a dash, not "— (0)".
            text = MISSING if rate is None else f"{format_value(rate, 'fraction')} ({retained:,})"
            cells.append(Cell(text, rate))
        shown.append(cells)
    return TableView("retention", "Retention by cohort", columns, shown, csv_url)
