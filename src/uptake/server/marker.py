"""The marker a running server leaves in each project folder it owns, so the CLI can find it.

DuckDB lets one process open a database file, so while `uptake serve` owns a project the CLI
sends its commands to the server instead. The marker (`.uptake-serve.json`, readable by its
owner only) holds the server's URL, its process id and a token the server made at start that
allows the project's reads and imports; it is removed at shutdown, and ignored when its
process is gone (after a crash).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

MARKER_FILE = ".uptake-serve.json"


@dataclass(frozen=True)
class ServerMarker:
    """Where the server that owns a project listens, and how the CLI authenticates to it."""

    url: str
    pid: int
    project: str
    token: str


def write_marker(folder: Path, marker: ServerMarker) -> None:
    """Write the marker into a project folder (mode 0600: the token grants access)."""
    path = folder / MARKER_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(marker), out)


def remove_marker(folder: Path, pid: int) -> None:
    """Remove the marker if it is this process's."""
    found = read_marker(folder, check_alive=False)
    if found is not None and found.pid == pid:
        (folder / MARKER_FILE).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def read_marker(folder: Path, check_alive: bool = True) -> ServerMarker | None:
    """The marker of the server serving this folder, or None (no marker, unreadable, or its
    process is gone)."""
    path = folder / MARKER_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        marker = ServerMarker(
            url=str(data["url"]),
            pid=int(data["pid"]),
            project=str(data["project"]),
            token=str(data["token"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if check_alive and not _alive(marker.pid):
        return None
    return marker
