"""Who is calling: write keys (HTTP Basic, as Segment does), read tokens (Bearer), and the
CLI's local token. Failures are `ApiError`s (401 / 403) with a JSON body."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request

from uptake.server.keys import ApiKey, KeyStore
from uptake.web.errors import ApiError
from uptake.web.projects import Projects

_BASIC = {"WWW-Authenticate": 'Basic realm="uptake"'}
_BEARER = {"WWW-Authenticate": 'Bearer realm="uptake"'}


def basic_user(request: Request) -> str | None:
    """The user name of an HTTP Basic `Authorization` header (the write key), if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(
            401, "the Authorization header is not valid Basic credentials", _BASIC
        ) from None
    user, _, _password = decoded.partition(":")
    return user or None


def write_key(keys: KeyStore, request: Request, body_key: object) -> ApiKey:
    """The write key of a tracking call: Basic auth user name, else `writeKey` in the body."""
    secret = basic_user(request)
    if secret is None and isinstance(body_key, str) and body_key:
        secret = body_key
    if secret is None:
        raise ApiError(
            401, "missing write key: send it as the HTTP Basic user name (empty password)", _BASIC
        )
    key = keys.verify(secret)
    if key is None:
        raise ApiError(401, "unknown or revoked write key", _BASIC)
    if key.kind != "write":
        raise ApiError(403, "this is a read token: tracking calls need a write key")
    return key


def bearer_token(request: Request) -> str:
    """The token of an `Authorization: Bearer` header (401 if there is none)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "missing read token: send `Authorization: Bearer <token>`", _BEARER)
    return value.strip()


def require_read(keys: KeyStore, projects: Projects, request: Request, project: str) -> None:
    """Allow the call only with a read token of `project` (or the CLI's local token)."""
    token = bearer_token(request)
    if projects.local_token_matches(project, token):
        return
    key = keys.verify(token)
    if key is None:
        raise ApiError(401, "unknown or revoked token", _BEARER)
    if key.kind != "read":
        raise ApiError(403, "this is a write key: it can only send events; use a read token")
    if key.project != project:
        raise ApiError(403, f"this token cannot read project {project!r}")


def require_local(projects: Projects, request: Request, project: str) -> None:
    """Allow the call only with the CLI's local token of `project` (imports of local files)."""
    if not projects.local_token_matches(project, bearer_token(request)):
        raise ApiError(403, "only the uptake CLI on the server's machine may do this")
