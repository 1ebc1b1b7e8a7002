"""`uptake query SPEC` and `uptake explain SPEC`: any metric, JSON spec in, result out (through
the server when `uptake serve` owns the workspace)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from uptake.cli.context import cli_context
from uptake.cli.render import OutputFormat, render
from uptake.errors import SpecError


def read_spec(source: str) -> dict[str, Any]:
    """A spec from a file path, `-` (stdin) or inline JSON text."""
    if source == "-":
        text = sys.stdin.read()
        origin = "stdin"
    elif source.lstrip().startswith("{"):
        text, origin = source, "the command line"
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpecError(f"{source}: no such spec file") from None
        except OSError as exc:
            raise SpecError(f"{source}: cannot read: {exc.strerror}") from None
        origin = source
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"spec from {origin} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(f"spec from {origin} must be a JSON object with a `kind`")
    return data


SpecArg = Annotated[str, typer.Argument(help="Spec: a JSON file, '-' for stdin, or inline JSON.")]


def query(
    ctx: typer.Context,
    spec: SpecArg,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")] = (
        "table"
    ),
    sql: Annotated[bool, typer.Option("--sql", help="Also print the SQL (table format).")] = False,
) -> None:
    """Compute any metric from a JSON spec (see `uptake metrics` for the kinds)."""
    data = read_spec(spec)
    with cli_context(ctx).reader() as source:
        result = source.compute(data)
    render(result, fmt, Console(soft_wrap=True), show_sql=sql)


def explain(ctx: typer.Context, spec: SpecArg) -> None:
    """Print the SQL a spec compiles to, without running it."""
    data = read_spec(spec)
    with cli_context(ctx).reader() as source:
        sql = source.explain(data)
    sys.stdout.write(sql + "\n")
