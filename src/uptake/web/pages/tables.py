"""Tables on the pages: a metric result's rows shown as chosen columns with readable numbers,
sortable in the browser, each with its CSV download (the same rows, unformatted)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from uptake.result import Result
from uptake.web.pages.formatting import Format, format_value, sort_key

# Rows a page shows of one table; the CSV has them all. A few thousand rows of HTML took longer
# to render than their metric took to compute (2,647 accounts: 0.4 s on the 10M-event demo).
MAX_SHOWN_ROWS = 500

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
    total_rows: int = 0

    @property
    def truncated(self) -> bool:
        """Whether the table shows only the first MAX_SHOWN_ROWS of its rows."""
        return self.total_rows > len(self.rows)


def table_view(
    name: str,
    title: str,
    result: Result,
    columns: Sequence[ColumnView],
    csv_url: str,
    link: Callable[[dict[str, Any]], str | None] | None = None,
    rows: Sequence[dict[str, Any]] | None = None,
) -> TableView:
    """A table of `result` (or of some of its `rows`), at most MAX_SHOWN_ROWS of them;
    `link(row)` gives the first column's link, if any."""
    source = result.rows if rows is None else rows
    shown = []
    for row in source[:MAX_SHOWN_ROWS]:
        cells = []
        for i, col in enumerate(columns):
            value = row.get(col.key)
            href = link(row) if link is not None and i == 0 else None
            cells.append(Cell(format_value(value, col.format), sort_key(value), href))
        shown.append(cells)
    return TableView(name, title, list(columns), shown, csv_url, total_rows=len(source))
