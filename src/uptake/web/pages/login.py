"""Logging in and out.

The login form is protected against cross-site posts by a double-submit token: the form's
hidden `csrf` field must equal the `uptake_login_csrf` cookie (SameSite=Strict, so another
site's page cannot send it). A failed login says so without telling which of the name and the
password was wrong. Successful logins start a new session (never reuse one); failed ones are
rate limited per client address. Logout is a POST carrying the session's CSRF token.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from uptake.web.body import read_body
from uptake.web.pages.render import render
from uptake.web.pages.state import dashboard_state, server_state
from uptake.web.pages.view import current_session
from uptake.web.rate_limit import RateLimiter
from uptake.web.security import cross_site, new_csrf_token, same_token
from uptake.web.sessions import (
    SESSION_COOKIE,
    clear_session_cookie,
    secure_cookies,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "uptake_login_csrf"
MAX_FORM_BYTES = 16 * 1024
WRONG = "Unknown user name or wrong password."

# A local path only: "/x", never "//host" or "/\\host" (browsers read both as another host).
_LOCAL = re.compile(r"^/(?![/\\])[^\s\x00-\x1f]*$")


def safe_next(target: str | None) -> str:
    """Where to go after logging in: `target` if it is a path on this server, else "/"."""
    if not target or not _LOCAL.match(target) or target.startswith(("/login", "/logout")):
        return "/"
    return target


async def _form(request: Request) -> dict[str, str]:
    limit = server_state(request).config.body_timeout_seconds
    body = await read_body(request, MAX_FORM_BYTES, limit)
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    return {k: v[0] for k, v in fields.items()}


def _login_form(
    request: Request, status: int, next_url: str, name: str = "", error: str | None = None
) -> Response:
    token = new_csrf_token()
    response = render(
        request, "login.html", status, csrf=token, next=next_url, name=name, error=error
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )
    return response


@router.get("/login")
async def login_page(request: Request) -> Response:
    """The login form (or, when already logged in, straight on)."""
    next_url = safe_next(request.query_params.get("next"))
    if current_session(request) is not None:
        return RedirectResponse(next_url, status_code=303)
    return _login_form(request, 200, next_url)


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the form; on success start a session and go on to `next`."""
    form = await _form(request)
    next_url = safe_next(form.get("next"))
    name = form.get("name", "").strip()
    if cross_site(request) or not same_token(
        request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf")
    ):
        return _login_form(
            request, 403, next_url, name, "This form has expired. Please log in again."
        )
    client = request.client.host if request.client else "unknown"
    state = dashboard_state(request)
    wait = state.throttle.wait_seconds(client)
    if wait > 0:
        retry = RateLimiter.retry_after(wait)
        message = f"Too many failed logins from your address. Try again in {retry} s."
        response = _login_form(request, 429, next_url, name, message)
        response.headers["Retry-After"] = retry
        return response
    password = form.get("password", "")
    user = await run_in_threadpool(state.users.verify, name, password)
    if user is None:
        state.throttle.failed(client)
        return _login_form(request, 401, next_url, name, WRONG)
    session_id, _ = await run_in_threadpool(state.sessions.create, user.name)
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, session_id, secure_cookies(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (the form must carry the session's CSRF token)."""
    form = await _form(request)
    session = current_session(request)
    if session is not None:
        if cross_site(request) or not same_token(session.csrf_token, form.get("csrf")):
            return render(
                request,
                "error.html",
                403,
                title="Not logged out",
                message="This logout form is out of date; go back, reload the page and try again.",
            )
        dashboard_state(request).sessions.delete(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, secure_cookies(request))
    return response
