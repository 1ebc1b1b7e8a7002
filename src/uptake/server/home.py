"""A server home: the folder `uptake serve` runs from.

    home/
      projects/<name>/     one workspace per project (uptake.toml + uptake.duckdb)
      server.sqlite        API keys (hashed); SQLite so the CLI and the server share it safely

A project's name is its folder's name: lower-case letters, digits, `-` and `_`.
"""

from __future__ import annotations

import re
from pathlib import Path

from uptake.errors import WorkspaceError
from uptake.server.keys import KeyStore
from uptake.workspace import DEFINITIONS_FILE, Workspace

PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
KEYS_FILE = "server.sqlite"


def check_project_name(name: str) -> str:
    """The name, if it is a valid project name; WorkspaceError otherwise."""
    if not PROJECT_NAME.fullmatch(name):
        raise WorkspaceError(
            f"{name!r} is not a valid project name: use 1-63 lower-case letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return name


class ServerHome:
    """The folder a server runs from: its projects and its key file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def projects_dir(self) -> Path:
        """Where the project workspaces live."""
        return self.path / "projects"

    @property
    def keys_path(self) -> Path:
        """The SQLite file of API keys."""
        return self.path / KEYS_FILE

    def project_names(self) -> list[str]:
        """Names of the projects (folders holding an uptake.toml), sorted."""
        if not self.projects_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.projects_dir.iterdir()
            if p.is_dir() and PROJECT_NAME.fullmatch(p.name) and (p / DEFINITIONS_FILE).exists()
        )

    def project_path(self, name: str) -> Path:
        """The workspace folder of a project, which must exist."""
        path = self.projects_dir / check_project_name(name)
        if not (path / DEFINITIONS_FILE).exists():
            known = ", ".join(self.project_names()) or "none yet"
            raise WorkspaceError(
                f"no project {name!r} in {self.path} (projects: {known}); "
                f"create it with `uptake projects create {name} --home {self.path}`"
            )
        return path

    def create_project(self, name: str) -> Path:
        """Create a project: an empty workspace under projects/<name>."""
        path = self.projects_dir / check_project_name(name)
        Workspace.init(path, name=name).close()
        return path

    def key_store(self, create: bool = True) -> KeyStore:
        """The key file, created on first use; with `create=False` (listing or revoking keys),
        WorkspaceError when there is none: a mistyped --home should not make a new home."""
        if not create and not self.keys_path.exists():
            raise WorkspaceError(
                f"no keys in {self.path} (no {KEYS_FILE} there): check --home, or create a key "
                f"with `uptake keys create --project NAME --kind write --home {self.path}`"
            )
        return KeyStore(self.keys_path)
