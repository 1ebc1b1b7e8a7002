"""The web dashboard: server-rendered pages over the same `Project.compute(spec)` as the JSON
API, behind a login (see docs/dashboard.md). `install_dashboard(app, state)` adds it to the
server's app."""

from __future__ import annotations

from uptake.web.pages.site import install_dashboard

__all__ = ["install_dashboard"]
