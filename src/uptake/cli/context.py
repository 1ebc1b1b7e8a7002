"""What every command shares: the workspace path and the settings, built once from options,
and where the workspace's data is reached: its DuckDB file, or the server that owns it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from uptake.cli.remote import RemoteProject
from uptake.errors import WorkspaceError
from uptake.server.marker import read_marker
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
        try:
            return Workspace.open(self.workspace, self.settings, read_only=read_only)
        except WorkspaceError:
            marker = read_marker(self.workspace)
            if marker is None:
                raise
            # The file is held, and a live server claims it but did not answer (see `server`):
            # say so instead of DuckDB's lock error.
            raise WorkspaceError(
                f"{self.workspace} is served by `uptake serve` at {marker.url} "
                f"(process {marker.pid}), which does not answer: if it is starting, run the "
                "command again in a moment; if it is stuck, stop it, then run the command again"
            ) from None

    def server(self) -> RemoteProject | None:
        """The running server that owns the workspace, when there is one and it answers.

        A marker whose process is gone is ignored; one whose server does not answer is too (a
        new process may have the dead server's id): the command then opens the file itself.
        """
        remote = RemoteProject.find(self.workspace)
        if remote is None or not remote.answers():
            return None
        return remote

    @contextmanager
    def reader(self) -> Iterator[Workspace | RemoteProject]:
        """Where reads go: the server that owns the workspace, else the workspace opened
        read-only (closed at the end)."""
        remote = self.server()
        if remote is not None:
            yield remote
            return
        with self.open(read_only=True) as ws:
            yield ws


def cli_context(ctx: typer.Context) -> CliContext:
    """The CliContext stored by the root callback."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliContext)
    return obj
