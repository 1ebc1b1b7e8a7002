"""Dashboard sessions: a random id in a cookie, the session itself on the server.

The cookie carries 256 random bits and nothing else; `server.sqlite` keeps only the id's SHA-256
(a copied file gives no live session), the login it belongs to, its CSRF token and when it
expires. A session ends at logout, `SESSION_LIFETIME` after login, or when its login is deleted
(`uptake users delete`): every lookup joins the logins table.

The cookie is HttpOnly and SameSite=Lax; it is Secure when the server says it sits behind
HTTPS (`ServerConfig.secure_cookies` when the config has that option, else `SECURE_COOKIES`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from uptake.errors import UptakeError
from uptake.web.security import new_csrf_token

SESSION_COOKIE = "uptake_session"
# Secure cookies only travel over HTTPS: right behind a TLS proxy, wrong for plain
# http://127.0.0.1 (the browser would drop the cookie and no login would stick).
SECURE_COOKIES = False
SESSION_LIFETIME = dt.timedelta(hours=12)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dashboard_sessions (
    id_sha256  TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""

_STAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Session:
    """A logged-in browser: who, the token its forms must send back, and when it ends."""

    user: str
    csrf_token: str
    expires_at: dt.datetime


def _stamp(moment: dt.datetime) -> str:
    # Fixed-width UTC text: compares in SQL as it does in time.
    return moment.astimezone(dt.UTC).strftime(_STAMP)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class SessionStore:
    """Sessions of one server home (a table in its SQLite file, next to the logins)."""

    def __init__(self, path: Path, lifetime: dt.timedelta = SESSION_LIFETIME) -> None:
        self.path = path
        self.lifetime = lifetime
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self) -> closing[sqlite3.Connection]:
        try:
            return closing(sqlite3.connect(self.path, timeout=10))
        except sqlite3.Error as exc:
            raise UptakeError(f"{self.path}: cannot open the server file: {exc}") from None

    def create(self, user: str) -> tuple[str, Session]:
        """A new session for `user`: its id (for the cookie, never stored) and its record.
        Ended sessions are swept out at the same time."""
        session_id = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        session = Session(user, new_csrf_token(), now + self.lifetime)
        with self._connect() as con, con:
            con.execute(
                "DELETE FROM dashboard_sessions WHERE expires_at <= ? "
                "OR user_name NOT IN (SELECT name FROM dashboard_users)",
                (_stamp(now),),
            )
            con.execute(
                "INSERT INTO dashboard_sessions VALUES (?, ?, ?, ?, ?)",
                (
                    _digest(session_id),
                    user,
                    session.csrf_token,
                    _stamp(now),
                    _stamp(session.expires_at),
                ),
            )
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id: None when there is none, it has expired, or its
        login was deleted."""
        if not session_id:
            return None
        with self._connect() as con:
            row = con.execute(
                "SELECT s.user_name, s.csrf_token, s.expires_at FROM dashboard_sessions s "
                "JOIN dashboard_users u ON u.name = s.user_name "
                "WHERE s.id_sha256 = ? AND s.expires_at > ?",
                (_digest(session_id), _stamp(dt.datetime.now(dt.UTC))),
            ).fetchone()
        if row is None:
            return None
        expires = dt.datetime.strptime(row[2], _STAMP).replace(tzinfo=dt.UTC)
        return Session(str(row[0]), str(row[1]), expires)

    def delete(self, session_id: str | None) -> None:
        """End a session (nothing happens when there is none)."""
        if not session_id:
            return
        with self._connect() as con, con:
            con.execute(
                "DELETE FROM dashboard_sessions WHERE id_sha256 = ?", (_digest(session_id),)
            )

    def expire_all(self, user: str) -> int:
        """End every session of `user` now; how many there were."""
        with self._connect() as con, con:
            return int(
                con.execute("DELETE FROM dashboard_sessions WHERE user_name = ?", (user,)).rowcount
            )


def secure_cookies(request: Request) -> bool:
    """Whether cookies must be Secure: the server config's `secure_cookies` if it has one."""
    state = getattr(request.app.state, "uptake", None)
    config = getattr(state, "config", None)
    return bool(getattr(config, "secure_cookies", SECURE_COOKIES))


def set_session_cookie(response: Response, session_id: str, secure: bool) -> None:
    """Give the browser its session id (HttpOnly, SameSite=Lax; Secure when `secure`)."""
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def clear_session_cookie(response: Response, secure: bool) -> None:
    """Tell the browser to forget its session id."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
