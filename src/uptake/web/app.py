"""The FastAPI application of `uptake serve`: tracking API, read API, health check."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from uptake import __version__
from uptake.server.home import ServerHome
from uptake.web import import_api, read_api, tracking
from uptake.web.config import ServerConfig
from uptake.web.errors import install_error_handlers
from uptake.web.pages import install_dashboard
from uptake.web.state import AppState

log = logging.getLogger("uptake.serve")


def create_app(home: ServerHome, config: ServerConfig) -> FastAPI:
    """The application serving every project of `home`; projects open at start-up and are
    closed (queued events committed) at shutdown."""
    state = AppState.create(home, config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        names = state.projects.open_all()
        log.info("serving %d project(s) from %s: %s", len(names), home.path, ", ".join(names))
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="uptake",
        version=__version__,
        summary="Adoption analytics: Segment-compatible tracking API and metric queries.",
        lifespan=lifespan,
        telemetry={
            "tracing": config.telemetry,
            "metrics": config.telemetry,
            "logs": config.telemetry,
        },
    )
    app.state.uptake = state
    install_error_handlers(app)
    app.include_router(tracking.router)
    app.include_router(read_api.router)
    app.include_router(import_api.router)
    install_dashboard(app, state)

    @app.get("/healthz", tags=["health"], summary="Liveness for load balancers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
