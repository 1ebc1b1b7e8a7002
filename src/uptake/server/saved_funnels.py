"""Saved funnels: funnels built on the dashboard's Funnels page, kept by name per project so
people can come back to them and share them.

A saved funnel is the funnel page's query string (steps, order, window, breakdown and the
filter bar's range, unit and segment), so its link is that page's URL: it shows the same funnel
whether the server restarted or the saved entry was later deleted. They live in the home's
`server.sqlite`, next to the logins and API keys, which the CLI and the server share.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from uptake.errors import UptakeError

MAX_NAME_LENGTH = 80
# A funnel of 20 steps with long event names and a segment fits easily.
MAX_QUERY_LENGTH = 8000

# Names are unique per project whatever their case: "Onboarding" and "onboarding" side by
# side in one list would only confuse (NOCASE folds ASCII letters).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS saved_funnels (
    project    TEXT NOT NULL,
    name       TEXT NOT NULL COLLATE NOCASE,
    query      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project, name)
);
"""


class SavedFunnelError(UptakeError):
    """A funnel cannot be saved, found or deleted as asked (the message says what to do)."""


class NameTaken(SavedFunnelError):
    """A funnel of that name is already saved in the project (and replacing was not asked)."""


@dataclass(frozen=True)
class SavedFunnel:
    """One saved funnel: its project, name, the Funnels page query string that rebuilds it
    (without the leading `?`), who saved it and when (UTC, `YYYY-MM-DDTHH:MM:SSZ`)."""

    project: str
    name: str
    query: str
    created_by: str
    created_at: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_funnel_name(name: str) -> str:
    """The name without surrounding spaces, if it can name a funnel (1-80 characters, no
    control characters); SavedFunnelError otherwise."""
    text = name.strip()
    if not text:
        raise SavedFunnelError("give the funnel a name")
    if len(text) > MAX_NAME_LENGTH:
        raise SavedFunnelError(
            f"a funnel name has at most {MAX_NAME_LENGTH} characters, not {len(text)}"
        )
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise SavedFunnelError("a funnel name cannot hold control characters (tabs, new lines)")
    return text


class SavedFunnels:
    """The saved funnels of one server home (a table in its SQLite file).

    Each call opens its own short connection, as `DashboardUsers` does: the server calls this
    from worker threads, and SQLite serializes the writes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self) -> closing[sqlite3.Connection]:
        try:
            return closing(sqlite3.connect(self.path, timeout=10))
        except sqlite3.Error as exc:
            raise SavedFunnelError(f"{self.path}: cannot open the server file: {exc}") from None

    def save(
        self, project: str, name: str, query: str, created_by: str, replace: bool = False
    ) -> SavedFunnel:
        """Save a funnel under `name`; NameTaken if the project has one of that name (in any
        case) unless `replace`, which overwrites it (query, author and time; the new name's
        spelling)."""
        name = check_funnel_name(name)
        if not query or len(query) > MAX_QUERY_LENGTH:
            raise SavedFunnelError(
                f"a saved funnel's query string must have 1 to {MAX_QUERY_LENGTH} characters"
            )
        saved = SavedFunnel(project, name, query, created_by, _now())
        with self._connect() as con, con:
            exists = con.execute(
                "SELECT name FROM saved_funnels WHERE project = ? AND name = ?", (project, name)
            ).fetchone()
            if exists and not replace:
                raise NameTaken(
                    f"a funnel called {exists[0]!r} is already saved in {project}: tick "
                    "“Replace” to overwrite it, or choose another name"
                )
            con.execute(
                "INSERT INTO saved_funnels (project, name, query, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (project, name) DO UPDATE SET "
                "name = excluded.name, query = excluded.query, "
                "created_by = excluded.created_by, created_at = excluded.created_at",
                (project, name, query, created_by, saved.created_at),
            )
        return saved

    def get(self, project: str, name: str) -> SavedFunnel | None:
        """The funnel of `project` called `name` (in any case), or None."""
        with self._connect() as con:
            row = con.execute(
                "SELECT project, name, query, created_by, created_at FROM saved_funnels "
                "WHERE project = ? AND name = ?",
                (project, name.strip()),
            ).fetchone()
        return SavedFunnel(*row) if row else None

    def funnels(self, project: str) -> list[SavedFunnel]:
        """The project's saved funnels, by name (case-insensitive)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT project, name, query, created_by, created_at FROM saved_funnels "
                "WHERE project = ? ORDER BY name, created_at",
                (project,),
            ).fetchall()
        return [SavedFunnel(*row) for row in rows]

    def delete(self, project: str, name: str) -> None:
        """Delete the funnel of `project` called `name`; SavedFunnelError if there is none."""
        with self._connect() as con, con:
            gone = con.execute(
                "DELETE FROM saved_funnels WHERE project = ? AND name = ?", (project, name.strip())
            ).rowcount
        if not gone:
            raise SavedFunnelError(f"no funnel called {name.strip()!r} is saved in {project}")
