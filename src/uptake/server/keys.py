"""API keys: write keys (Segment-style ingest) and read tokens (the query API), per project.

Only a SHA-256 hash of each secret is stored (the secrets are 190-bit random strings, so a
plain hash is as strong as a slow one and costs microseconds per request); the secret is
shown once, when the key is created. Keys live in SQLite (`server.sqlite` in the server home),
which the CLI and a running server can both open at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from uptake.errors import WorkspaceError

KeyKind = Literal["write", "read"]
KEY_KINDS: tuple[KeyKind, ...] = ("write", "read")
_PREFIX: dict[KeyKind, str] = {"write": "upw_", "read": "upr_"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id     TEXT PRIMARY KEY,
    project    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('write', 'read')),
    secret_sha256 TEXT NOT NULL UNIQUE,
    label      TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""


@dataclass(frozen=True)
class ApiKey:
    """A key's public record (never its secret)."""

    key_id: str
    project: str
    kind: KeyKind
    label: str | None
    created_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KeyStore:
    """The keys of one server home (a SQLite file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # check_same_thread=False: the server verifies keys from its worker threads; each
            # statement is short and sqlite3 serializes access to one connection.
            self._con = sqlite3.connect(path, timeout=10, check_same_thread=False)
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise WorkspaceError(f"{path}: cannot open the key file: {exc}") from None

    def create(self, project: str, kind: KeyKind, label: str | None = None) -> tuple[ApiKey, str]:
        """A new key for a project: its record and its secret (shown once, stored hashed)."""
        if kind not in KEY_KINDS:
            raise WorkspaceError(f"unknown key kind {kind!r}: use write or read")
        key_id = secrets.token_hex(6)
        secret = _PREFIX[kind] + secrets.token_urlsafe(24)
        key = ApiKey(key_id, project, kind, label, _now(), None)
        with self._lock, self._con:
            self._con.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (key_id, project, kind, _digest(secret), label, key.created_at),
            )
        return key, secret

    def keys(self, project: str | None = None) -> list[ApiKey]:
        """Every key (of one project if given), oldest first."""
        sql = "SELECT key_id, project, kind, label, created_at, revoked_at FROM api_keys"
        args: tuple[str, ...] = ()
        if project is not None:
            sql += " WHERE project = ?"
            args = (project,)
        with self._lock:
            rows = self._con.execute(sql + " ORDER BY created_at, key_id", args).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key by its id; WorkspaceError if there is no such key."""
        with self._lock, self._con:
            self._con.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (_now(), key_id),
            )
        found = [k for k in self.keys() if k.key_id == key_id]
        if not found:
            raise WorkspaceError(f"no key with id {key_id!r} (see `uptake keys list`)")
        return found[0]

    def verify(self, secret: str) -> ApiKey | None:
        """The active key with this secret, or None."""
        with self._lock:
            row = self._con.execute(
                "SELECT key_id, project, kind, label, created_at, revoked_at FROM api_keys "
                "WHERE secret_sha256 = ? AND revoked_at IS NULL",
                (_digest(secret),),
            ).fetchone()
        return ApiKey(*row) if row else None

    def close(self) -> None:
        """Close the file."""
        self._con.close()
