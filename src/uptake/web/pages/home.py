"""The way in: `/` (the first project's overview), `/projects` (the project list, and the
project picker's target) and the values of a segment property for the filter bar's script."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from uptake.metrics import Tables
from uptake.web.errors import ApiError
from uptake.web.pages.page import project_url
from uptake.web.pages.render import render
from uptake.web.pages.segments import segment_properties, segment_values
from uptake.web.pages.state import dashboard_state, server_state
from uptake.web.pages.view import current_session, require_session, run_work

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    """The first project's overview (or the project list when there is none)."""
    require_session(request)
    names = server_state(request).home.project_names()
    if names:
        return RedirectResponse(project_url(names[0]), status_code=303)
    return RedirectResponse("/projects", status_code=303)


@router.get("/projects")
async def projects(request: Request) -> Response:
    """The project list; with `?project=NAME&page=KEY`, that page of that project (the
    project picker's form)."""
    session = require_session(request)
    names = server_state(request).home.project_names()
    chosen = request.query_params.get("project")
    if chosen in names:
        key = request.query_params.get("page", "overview")
        pages = {p.key: p for p in dashboard_state(request).navigation()}
        page = pages.get(key)
        target = page.url(chosen) if page else project_url(chosen)
        unit = request.query_params.get("unit")
        # The unit means the same in every project; dates and segments may not.
        return RedirectResponse(
            target + (f"?unit={unit}" if unit in ("user", "account") else ""), status_code=303
        )
    listed = [(name, project_url(name)) for name in names]
    return render(
        request, "projects.html", projects=listed, user=session.user, csrf=session.csrf_token
    )


@router.get("/projects/{project}/segment-values")
async def values(request: Request, project: str) -> Response:
    """The values of `?property=` in `project`, as a JSON list (for the filter bar)."""
    if current_session(request) is None:
        raise ApiError(401, "log in first")
    state = server_state(request)
    if project not in state.home.project_names():
        raise ApiError(404, f"no project {project!r}")
    opened = state.projects.get(project)
    prop = request.query_params.get("property", "")

    def work() -> list[str]:
        def values(tables: Tables) -> list[str]:
            if prop not in segment_properties(tables):
                raise ApiError(400, f"no property {prop!r} to segment by")
            return segment_values(tables, prop)

        return opened.read(values)

    return JSONResponse(await run_work(request, work), headers={"Cache-Control": "no-store"})
