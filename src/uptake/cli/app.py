"""The root `uptake` command: global options, sub-commands, and one-line errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from uptake.cli import (
    demo_command,
    import_command,
    init_command,
    key_actions_command,
    keys_command,
    metrics_command,
    projects_command,
    query_command,
    report_command,
    serve_command,
    users_command,
)
from uptake.cli.context import CliContext
from uptake.errors import UptakeError
from uptake.settings import Settings

app = typer.Typer(
    name="uptake",
    help="Adoption analytics: measure, explain and act on how people adopt software.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Workspace folder.", show_default=True)
    ] = Path(),
    memory_limit: Annotated[
        str, typer.Option(help="DuckDB memory limit, e.g. 4GB.", show_default=True)
    ] = "4GB",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Global options."""
    ctx.obj = CliContext(
        workspace=workspace,
        settings=Settings(memory_limit=memory_limit, progress=not quiet),
        quiet=quiet,
    )


app.command("init")(init_command.init)
app.command("query")(query_command.query)
app.command("explain")(query_command.explain)
app.command("metrics")(metrics_command.metrics)
app.command("report")(report_command.report)
# Commands added by later modules register below this line.
app.command("import")(import_command.import_files)
app.command("demo")(demo_command.demo)
app.command("serve")(serve_command.serve)
app.add_typer(projects_command.app, name="projects")
app.add_typer(keys_command.app, name="keys")
app.add_typer(users_command.app, name="users")
app.add_typer(key_actions_command.app, name="key-actions")


def main() -> None:
    """Entry point: our own errors become one clear line on stderr and exit code 1."""
    try:
        app()
    except UptakeError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False
        )
        sys.exit(1)
