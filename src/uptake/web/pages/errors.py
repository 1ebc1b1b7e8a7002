"""How a page fails: not logged in (a redirect to the login form) or a problem the user can
act on (an HTML page saying what is wrong), never a JSON body or a traceback. The handlers are
installed with the dashboard (`pages/site.py`)."""

from __future__ import annotations

from urllib.parse import quote


class LoginRequired(Exception):
    """The page needs a session; `next_url` is where to come back after logging in."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageError(Exception):
    """An error page: `status`, a short `title` and a `message` saying what to do."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def login_url(next_url: str) -> str:
    """The login form, coming back to `next_url` afterwards."""
    return "/login?next=" + quote(next_url, safe="")
