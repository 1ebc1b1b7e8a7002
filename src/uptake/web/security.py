"""Browser-facing security: response headers (a strict Content-Security-Policy and friends) and
CSRF tokens for the dashboard's forms.

The CSP allows scripts, styles, fonts and connections from this server only: no inline script,
no `eval`, no inline style. Charts read their data from `<script type="application/json">`
blocks (data, never run), and Plotly.js is told not to inject `<style>` elements (see
`pages/assets.py`). `img-src` also allows `data:` and `blob:` URLs: Plotly's "download as PNG"
draws the chart into one.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Iterable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # frame-ancestors 'none' says the same to browsers that read CSP; this is for older ones.
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, and the CSP on every response
    but FastAPI's own API docs pages (`exempt`), which load Swagger UI with inline script."""

    def __init__(self, app: ASGIApp, exempt: Iterable[str | None] = ()) -> None:
        self.app = app
        self.exempt = frozenset(p for p in exempt if p)
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        self._csp = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self._headers)
        if scope.get("path", "") not in self.exempt:
            extra.append(self._csp)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def new_csrf_token() -> str:
    """A fresh CSRF token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, given: str | None) -> bool:
    """Whether a submitted token equals the expected one (constant time; missing is never
    equal)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def cross_site(request: Request) -> bool:
    """Whether the browser says this request comes from another site (`Sec-Fetch-Site`):
    refused before any token is checked. Browsers without the header rely on the token."""
    return request.headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site")


class LoginThrottle:
    """Failed logins per client address: a token bucket that only failures drain, so a person
    who types the password right is never slowed down; `burst` failures, then one per
    `1 / rate` seconds."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _tokens(self, client: str, now: float) -> float:
        tokens, stamp = self._buckets.get(client, (self.burst, now))
        return min(self.burst, tokens + (now - stamp) * self.rate)

    def wait_seconds(self, client: str) -> float:
        """Seconds before `client` may try again (0: now)."""
        with self._lock:
            tokens = self._tokens(client, time.monotonic())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def failed(self, client: str) -> None:
        """Count one failed login of `client`."""
        now = time.monotonic()
        with self._lock:
            self._buckets[client] = (max(self._tokens(client, now) - 1, 0.0), now)
            if len(self._buckets) > 10_000:
                # Forget full buckets (clients that stopped failing long ago): bounded memory.
                self._buckets = {
                    c: b for c, b in self._buckets.items() if self._tokens(c, now) < self.burst
                }
