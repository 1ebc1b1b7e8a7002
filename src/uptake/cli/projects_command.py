"""`uptake projects create|list`: the projects (workspaces) of a server home."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.home_option import DEFAULT_HOME, HomeOption
from uptake.server.home import ServerHome

app = typer.Typer(help="Projects of a server home (one workspace each).", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Project name: lower-case letters, digits, - _")],
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """Create a project: an empty workspace under HOME/projects/NAME."""
    path = ServerHome(home).create_project(name)
    Console(highlight=False, soft_wrap=True).print(
        f"Created project [bold]{name}[/bold] in {path}/ — next: "
        f"`uptake keys create --project {name} --kind write --home {home}`"
    )


@app.command("list")
def list_projects(home: HomeOption = DEFAULT_HOME) -> None:
    """List the projects of HOME."""
    server_home = ServerHome(home)
    table = Table(header_style="bold")
    table.add_column("project")
    table.add_column("folder")
    for name in server_home.project_names():
        table.add_row(name, str(server_home.projects_dir / name))
    Console().print(table)
