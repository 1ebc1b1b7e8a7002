"""`uptake key-actions list|add`: the workspace's key actions, recorded in uptake.toml.

`add` edits the file in place (comments and layout kept, the result validated before it is
written; see definitions/workspace_editor.py). Only the file is touched, never the database,
so it works while `uptake serve` owns the project; that server keeps the definitions it loaded
until it restarts (the dashboard's "Use as key action" button reloads them at once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from uptake.cli.context import cli_context
from uptake.definitions import load_definitions
from uptake.definitions.workspace_editor import add_key_action
from uptake.server.marker import read_marker
from uptake.workspace import DEFINITIONS_FILE

app = typer.Typer(
    help="Key actions: what an engaged user does (time to key action, the Drivers page).",
    no_args_is_help=True,
)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w", help="Workspace folder (default: the one given before the command)."
    ),
]


def _folder(ctx: typer.Context, workspace: Path | None) -> Path:
    """The workspace folder: this command's -w, else the global one."""
    return workspace if workspace is not None else cli_context(ctx).workspace


@app.command("list")
def list_key_actions(ctx: typer.Context, workspace: WorkspaceOption = None) -> None:
    """List the key actions of the workspace file."""
    folder = _folder(ctx, workspace)
    definitions = load_definitions(folder / DEFINITIONS_FILE)
    console = Console(highlight=False, soft_wrap=True)
    if not definitions.key_actions:
        console.print(
            "No key actions yet. Record one with `uptake key-actions add NAME --event EVENT`, or "
            "find candidates with the key_action_discovery metric (or the dashboard's Drivers "
            "page)."
        )
        return
    table = Table(header_style="bold")
    for column in ("name", "events", "conditions"):
        table.add_column(column)
    for action in definitions.key_actions:
        table.add_row(
            escape(action.name), escape(", ".join(action.events)), str(len(action.where) or "")
        )
    console.print(table)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The key action's name, e.g. 'Invited a teammate'.")],
    events: Annotated[
        list[str],
        typer.Option("--event", "-e", help="An event name or glob pattern (repeat for more)."),
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Give an existing key action of this name new events.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a key action in uptake.toml (refuses an existing name unless --replace)."""
    folder = _folder(ctx, workspace)
    path = folder / DEFINITIONS_FILE
    existed = any(k.name == name for k in load_definitions(path).key_actions)
    add_key_action(path, name, events, replace=replace)
    console = Console(highlight=False, soft_wrap=True)
    verb = "Replaced" if existed else "Recorded"
    console.print(
        f"{verb} key action {escape(repr(name))} (events: {escape(', '.join(events))}) in {path}."
    )
    marker = read_marker(folder)
    if marker is not None:
        console.print(
            f"The server at {marker.url} still uses the definitions it loaded: restart it, or "
            "record key actions from its dashboard (Drivers page), which applies them at once."
        )
