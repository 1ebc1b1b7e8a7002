"""`uptake init PATH`: create a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from uptake.cli.context import cli_context
from uptake.workspace import DEFINITIONS_FILE, Workspace


def init(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
    name: Annotated[str | None, typer.Option(help="Workspace name (default: folder name).")] = None,
) -> None:
    """Create a workspace: PATH/uptake.toml (definitions) and PATH/uptake.duckdb (data)."""
    settings = cli_context(ctx).settings
    with Workspace.init(path, name=name, settings=settings) as ws:
        Console().print(
            f"Created workspace [bold]{ws.definitions.name}[/bold] in {path}/ — "
            f"edit {path / DEFINITIONS_FILE}, then `uptake -w {path} import FILES`."
        )
