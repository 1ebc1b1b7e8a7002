"""Rendering a Result for the terminal: a Rich table, JSON or CSV."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from uptake.result import Result

OutputFormat = Literal["table", "json", "csv"]


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "number" and isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"
    if kind == "integer" and isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _summary_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_summary_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_summary_value(v)}" for k, v in value.items())
    return "—" if value is None else str(value)


def result_table(result: Result, title: str | None = None) -> Table:
    """A Rich table of the result's rows (numbers right-aligned)."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in result.columns:
        numeric = column.type in ("integer", "number")
        table.add_column(column.name, justify="right" if numeric else "left")
    for row in result.rows:
        table.add_row(*(_cell(row[c.name], c.type) for c in result.columns))
    return table


def print_wide(console: Console, table: Table) -> None:
    """Print a table at its natural width even when the console is narrower (a pipe is 80
    columns): cutting dates and numbers short hides the answer."""
    natural = console.measure(table, options=console.options.update_width(10_000)).maximum
    if natural > console.width:
        console = Console(
            file=console.file, width=natural, soft_wrap=True, force_terminal=console.is_terminal
        )
    console.print(table)


def render(result: Result, fmt: OutputFormat, console: Console, show_sql: bool = False) -> None:
    """Print a result in the chosen format (JSON and CSV go to stdout unstyled)."""
    match fmt:
        case "json":
            console.file.write(json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
        case "csv":
            console.file.write(result.to_csv())
        case "table":
            print_wide(console, result_table(result, title=result.kind))
            for name, value in result.summary.items():
                console.print(f"[bold]{name}[/bold]: {_summary_value(value)}")
            for warning in result.warnings:
                console.print(f"[yellow]note:[/yellow] {warning}")
            if show_sql:
                console.print(result.sql)
