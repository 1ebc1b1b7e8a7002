"""`uptake metrics [KIND]`: every metric kind, its definition and parameters."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from uptake.errors import SpecError
from uptake.metrics import describe


def metrics(
    kind: Annotated[str | None, typer.Argument(help="Show one kind in full.")] = None,
    fmt: Annotated[Literal["table", "json"], typer.Option("--format", "-f")] = "table",
) -> None:
    """List the metric kinds (or one kind's definition and parameters)."""
    infos = describe()
    if kind is not None:
        infos = [i for i in infos if i.kind == kind]
        if not infos:
            known = ", ".join(i.kind for i in describe())
            raise SpecError(f"unknown metric kind {kind!r}; known kinds: {known}")
    console = Console(soft_wrap=kind is not None)
    if fmt == "json":
        console.file.write(json.dumps([i.model_dump(mode="json") for i in infos], indent=2) + "\n")
        return
    if kind is None:
        table = Table(header_style="bold")
        table.add_column("kind")
        table.add_column("what it measures")
        for info in infos:
            table.add_row(info.kind, info.title)
        console.print(table)
        console.print("`uptake metrics KIND` shows a definition and its parameters.")
        return
    info = infos[0]
    console.print(f"[bold]{info.kind}[/bold] — {info.title}\n")
    console.print(info.definition + "\n")
    params = Table(header_style="bold")
    for col in ("parameter", "type", "default", "description"):
        params.add_column(col)
    for p in info.parameters:
        params.add_row(p.name, p.type, json.dumps(p.default, default=str), p.description)
    console.print(params)
