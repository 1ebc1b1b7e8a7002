"""The `--home` option shared by the server commands (serve, projects, keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

HomeOption = Annotated[
    Path,
    typer.Option(
        "--home",
        envvar="UPTAKE_HOME",
        help="Server home: projects/<name>/ workspaces and server.sqlite (keys).",
        show_default=True,
    ),
]
DEFAULT_HOME = Path()
