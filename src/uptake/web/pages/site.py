"""The dashboard as a whole: its pages, their routes, static files, security headers and error
pages, installed on the server's FastAPI app by `install_dashboard`.

Adding a page: a module here with `PAGE` (a `Page`) and `router`, a template extending
`page.html`, and one line in `PAGE_MODULES`; the navigation lists it from then on.
"""

from __future__ import annotations

from types import ModuleType

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from uptake.server.dashboard_users import DashboardUsers
from uptake.web.pages import (
    account,
    accounts,
    activity,
    assets,
    diffusion,
    drivers,
    feature,
    features,
    funnels,
    home,
    journeys,
    login,
    overview,
    paths,
    retention,
    satisfaction,
    user,
    users,
)
from uptake.web.pages.errors import LoginRequired, PageError, login_url
from uptake.web.pages.render import render_error
from uptake.web.pages.state import DashboardState
from uptake.web.security import LoginThrottle, SecurityHeaders
from uptake.web.sessions import SessionStore
from uptake.web.state import AppState

# Pages with a place in the navigation (or reached from one), in any order: `Page.order`
# sorts them.
PAGE_MODULES: tuple[ModuleType, ...] = (
    overview,
    features,
    feature,
    activity,
    diffusion,
    drivers,
    journeys,
    retention,
    funnels,
    paths,
    accounts,
    account,
    users,
    user,
    satisfaction,
)

# Failed logins per client address: a burst of 10, then one every 6 seconds.
FAILED_LOGIN_RATE = 1 / 6
FAILED_LOGIN_BURST = 10


def install_dashboard(app: FastAPI, state: AppState) -> None:
    """Serve the dashboard from `app`: pages, login, static files, security headers."""
    users = DashboardUsers(state.home.keys_path)
    app.state.dashboard = DashboardState(
        users=users,
        sessions=SessionStore(state.home.keys_path),
        pages=tuple(m.PAGE for m in PAGE_MODULES),
        throttle=LoginThrottle(FAILED_LOGIN_RATE, FAILED_LOGIN_BURST),
    )
    app.include_router(login.router)
    app.include_router(home.router)
    app.include_router(assets.router)
    for module in PAGE_MODULES:
        app.include_router(module.router)
    app.mount("/static", assets.static_files(), name="static")
    app.add_middleware(
        SecurityHeaders,
        exempt=(app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url),
    )

    @app.exception_handler(LoginRequired)
    async def login_required(_: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return render_error(request, exc.status, exc.title, exc.message)
