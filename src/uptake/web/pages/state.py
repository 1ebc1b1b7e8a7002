"""What the dashboard's routes share: logins, sessions and the pages in the navigation."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from uptake.server.dashboard_users import DashboardUsers
from uptake.web.pages.page import Page
from uptake.web.security import LoginThrottle
from uptake.web.sessions import SessionStore
from uptake.web.state import AppState


@dataclass(frozen=True)
class DashboardState:
    """At `app.state.dashboard`; the server's own state stays at `app.state.uptake`."""

    users: DashboardUsers
    sessions: SessionStore
    pages: tuple[Page, ...]
    throttle: LoginThrottle

    def navigation(self) -> list[Page]:
        """The pages of the left navigation, in order."""
        return sorted((p for p in self.pages if p.nav), key=lambda p: p.order)


def dashboard_state(request: Request) -> DashboardState:
    """The dashboard's state."""
    state = request.app.state.dashboard
    assert isinstance(state, DashboardState)
    return state


def server_state(request: Request) -> AppState:
    """The server's state (home, config, projects)."""
    state = request.app.state.uptake
    assert isinstance(state, AppState)
    return state
