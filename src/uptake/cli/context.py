"""What every command shares: the workspace path and the settings, built once from options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from uptake.settings import Settings
from uptake.workspace import Workspace


@dataclass(frozen=True)
class CliContext:
    """Global options of one `uptake` invocation."""

    workspace: Path
    settings: Settings
    quiet: bool

    def open(self, read_only: bool = False) -> Workspace:
        """Open the workspace named by `-w` (default: the current folder)."""
        return Workspace.open(self.workspace, self.settings, read_only=read_only)


def cli_context(ctx: typer.Context) -> CliContext:
    """The CliContext stored by the root callback."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliContext)
    return obj
