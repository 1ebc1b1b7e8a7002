"""The projects a server hosts: opened on first use, each owned by this process until shutdown.

Opening a project writes its marker (see server/marker.py) so the CLI knows to come through
the server; a project created while the server runs is picked up on its first request.
"""

from __future__ import annotations

import os
import secrets
import threading

from uptake.server.home import ServerHome, check_project_name
from uptake.server.marker import ServerMarker, remove_marker, write_marker
from uptake.settings import Settings
from uptake.web.project import Project


class Projects:
    """Open projects by name, and the local tokens the CLI uses to reach them."""

    def __init__(
        self, home: ServerHome, settings: Settings, url: str, result_cache_entries: int = 0
    ) -> None:
        self.home = home
        self.settings = settings
        self.result_cache_entries = result_cache_entries
        self.url = url
        self._open: dict[str, Project] = {}
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Project:
        """The open project `name`, opening it if needed (WorkspaceError if there is none)."""
        found = self._open.get(name)
        if found is not None:
            return found
        with self._lock:
            found = self._open.get(name)
            if found is None:
                path = self.home.project_path(check_project_name(name))
                found = Project(name, path, self.settings, self.result_cache_entries)
                token = secrets.token_urlsafe(32)
                write_marker(path, ServerMarker(self.url, os.getpid(), name, token))
                self._tokens[name] = token
                self._open[name] = found
        return found

    def open_all(self) -> list[str]:
        """Open every project of the home (at start-up); their names."""
        names = self.home.project_names()
        for name in names:
            self.get(name)
        return names

    def local_token_matches(self, name: str, token: str) -> bool:
        """Whether `token` is the CLI token of project `name` (from its marker)."""
        expected = self._tokens.get(name)
        return expected is not None and secrets.compare_digest(expected, token)

    def close_all(self) -> None:
        """Close every project (commits what is queued) and remove the markers."""
        with self._lock:
            for project in self._open.values():
                project.close()
                remove_marker(project.path, os.getpid())
            self._open.clear()
            self._tokens.clear()
