"""Dashboard logins: people who may open the web dashboard of a server home.

Logins live in `server.sqlite` next to the API keys (the CLI adds and removes them while the
server runs). A password is stored as an scrypt hash with its own random salt and the cost
parameters it was made with, so the cost can rise later without locking anyone out:
`scrypt$<n>$<r>$<p>$<salt, base64>$<hash, base64>`. scrypt is memory-hard (n=2**14, r=8:
16 MiB and about 50 ms per guess here), which is what slows an offline attack on a stolen file.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from uptake.errors import UptakeError

# scrypt costs (RFC 7914): N=2**14, r=8, p=1 is the interactive-login setting of the RFC's
# authors; 16 MiB of memory per check.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dashboard_users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_login_at TEXT
);
"""


class UserError(UptakeError):
    """A dashboard login cannot be created, found or removed as asked."""


@dataclass(frozen=True)
class DashboardUser:
    """A login's public record (never its password hash)."""

    name: str
    created_at: str
    last_login_at: str | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """The stored form of a password: scrypt with a fresh random salt (or `salt`)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=HASH_BYTES,
        maxmem=64 * 1024 * 1024,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    """Whether `password` hashes to `stored` (compared in constant time)."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(base64.b64decode(expected)),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


@functools.cache
def _decoy() -> str:
    """A hash to check against when the name is unknown, so an unknown name costs as much time
    as a wrong password and the answer's timing does not tell which of the two was wrong."""
    return hash_password(secrets.token_urlsafe(16))


def check_user_name(name: str) -> str:
    """The name, if it is a valid login name; UserError otherwise."""
    if not USER_NAME.fullmatch(name):
        raise UserError(
            f"{name!r} is not a valid user name: use 1-64 letters, digits, '.', '_', '-', '+' "
            "or '@', starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    """The password, if it is acceptable; UserError otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


class DashboardUsers:
    """The dashboard logins of one server home (a table in its SQLite file).

    Each call opens its own short connection: the web server calls this from worker threads
    and the CLI from another process, and SQLite serializes the writes.
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
            raise UserError(f"{self.path}: cannot open the server file: {exc}") from None

    def create(self, name: str, password: str, replace: bool = False) -> DashboardUser:
        """Add a login (or, with `replace`, set a new password for an existing one)."""
        check_user_name(name)
        stored = hash_password(check_password(password))
        created = _now()
        with self._connect() as con, con:
            exists = con.execute("SELECT 1 FROM dashboard_users WHERE name = ?", (name,)).fetchone()
            if exists and not replace:
                raise UserError(f"user {name!r} already exists (use --force to set a new password)")
            con.execute(
                "INSERT INTO dashboard_users (name, password_hash, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
                (name, stored, created),
            )
        found = self.get(name)
        assert found is not None
        return found

    def get(self, name: str) -> DashboardUser | None:
        """The login called `name`, or None."""
        with self._connect() as con:
            row = con.execute(
                "SELECT name, created_at, last_login_at FROM dashboard_users WHERE name = ?",
                (name,),
            ).fetchone()
        return DashboardUser(*row) if row else None

    def users(self) -> list[DashboardUser]:
        """Every login, by name."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT name, created_at, last_login_at FROM dashboard_users ORDER BY name"
            ).fetchall()
        return [DashboardUser(*row) for row in rows]

    def delete(self, name: str) -> None:
        """Remove a login; UserError if there is none (its sessions end with it)."""
        with self._connect() as con, con:
            gone = con.execute("DELETE FROM dashboard_users WHERE name = ?", (name,)).rowcount
        if not gone:
            raise UserError(f"no user {name!r} (see `uptake users list`)")

    def verify(self, name: str, password: str) -> DashboardUser | None:
        """The login if `password` is its password, else None (unknown name or wrong password:
        the caller cannot tell which, and both take the same time)."""
        with self._connect() as con:
            row = con.execute(
                "SELECT password_hash FROM dashboard_users WHERE name = ?", (name,)
            ).fetchone()
        if row is None or len(password) > MAX_PASSWORD_LENGTH:
            password_matches(password[:MAX_PASSWORD_LENGTH], _decoy())
            return None
        if not password_matches(password, str(row[0])):
            return None
        with self._connect() as con, con:
            con.execute(
                "UPDATE dashboard_users SET last_login_at = ? WHERE name = ?", (_now(), name)
            )
        return self.get(name)
