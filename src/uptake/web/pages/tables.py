"""Tables on the pages: a metric result's rows shown as chosen columns with readable numbers,
sortable in the browser, each with its CSV download (the same rows, unformatted)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from uptake.result import Result
from uptake.web.pages.formatting import Format, format_value, sort_key

NUMERIC: frozenset[Format] = frozenset(
    {"count", "number", "percent", "fraction", "hours", "days", "score"}
)


@dataclass(frozen=True)
class ColumnView:
    """A column: the result column it shows, its heading and how values read."""

    key: str
    label: str
    format: Format = "text"

    @property
    def numeric(self) -> bool:
        """Right-aligned, sorted as numbers."""
        return self.format in NUMERIC


@dataclass(frozen=True)
class Cell:
    """A shown value, the value it sorts by, and an optional link."""

    text: str
    sort: str | float | None
    href: str | None = None


@dataclass(frozen=True)
class TableView:
    """A table ready for the template (`_table.html`)."""

    name: str
    title: str
    columns: list[ColumnView]
    rows: list[list[Cell]]
    csv_url: str
    empty: str = "No rows for these filters."


def table_view(
    name: str,
    title: str,
    result: Result,
    columns: Sequence[ColumnView],
    csv_url: str,
    link: Callable[[dict[str, Any]], str | None] | None = None,
    rows: Sequence[dict[str, Any]] | None = None,
) -> TableView:
    """A table of `result` (or of some of its `rows`); `link(row)` gives the first column's
    link, if any."""
    shown = []
    for row in result.rows if rows is None else rows:
        cells = []
        for i, col in enumerate(columns):
            value = row.get(col.key)
            href = link(row) if link is not None and i == 0 else None
            cells.append(Cell(format_value(value, col.format), sort_key(value), href))
        shown.append(cells)
    return TableView(name, title, list(columns), shown, csv_url)
