"""The read API: `POST /api/projects/{project}/query` takes the JSON spec of `uptake query` and
returns the same JSON result; `.../explain` the SQL it compiles to; `GET .../metrics` lists the
metric kinds; `GET /api/projects/{project}` tells the workspace definitions and the latest
event date (what `uptake report` needs besides query results). Bearer read tokens (or the
CLI's local token from the project's marker).

Queries run in a worker thread (one at a time per project) so the event loop keeps taking
events while they run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from uptake.definitions import Definitions
from uptake.metrics.catalog import MetricInfo, describe
from uptake.result import Result
from uptake.web.auth import require_read
from uptake.web.body import read_json
from uptake.web.errors import ApiError
from uptake.web.project import Project
from uptake.web.state import AppState

router = APIRouter(prefix="/api/projects/{project}", tags=["read"])
MAX_SPEC_BYTES = 256 * 1024

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid spec: the error says which parameter."},
    401: {"description": "Missing or unknown token."},
    403: {"description": "The token cannot read this project."},
    404: {"description": "No such project."},
    503: {"description": "The query did not finish in time."},
}


_SPEC_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {"kind": {"type": "string"}},
                    "additionalProperties": True,
                },
                "example": {"kind": "trend", "measure": "unique", "period": "week"},
            }
        },
    }
}

T = TypeVar("T")


class Explanation(BaseModel):
    """The SQL a spec compiles to, in the engine's dialect (nothing is run)."""

    sql: str


class ProjectInfo(BaseModel):
    """What a project declares and how far its data goes."""

    project: str
    definitions: Definitions = Field(
        description="The workspace definitions (uptake.toml as the server loaded it at start), "
        "without the engine connection."
    )
    latest_event_date: dt.date | None = Field(
        description="UTC date of the latest event; None when there are no events yet."
    )


def _state(request: Request) -> AppState:
    state = request.app.state.uptake
    assert isinstance(state, AppState)
    return state


async def _readable(request: Request, project: str) -> Project:
    """The project, once the caller has shown a token that may read it (checked first, so a
    caller without one cannot learn which projects exist)."""
    state = _state(request)
    require_read(state.keys, state.projects, request, project)
    return state.projects.get(project)


async def _spec(request: Request) -> dict[str, Any]:
    state = _state(request)
    spec = await read_json(request, MAX_SPEC_BYTES, state.config.body_timeout_seconds)
    if not isinstance(spec, dict):
        raise ApiError(400, "the spec must be a JSON object with a `kind`")
    return spec


async def _in_worker(request: Request, work: Callable[[], T]) -> T:
    """Run blocking engine work in a worker thread, within the query time limit."""
    try:
        return await asyncio.wait_for(
            run_in_threadpool(work), _state(request).config.query_timeout_seconds
        )
    except TimeoutError:
        raise ApiError(503, "the query did not finish in time", {"Retry-After": "10"}) from None


@router.post(
    "/query",
    summary="Compute a metric",
    response_model=Result,
    responses=_ERRORS,
    openapi_extra=_SPEC_BODY,
)
async def query(project: str, request: Request) -> Result:
    """The JSON spec of `uptake query` in, the same JSON result out."""
    target = await _readable(request, project)
    spec = await _spec(request)
    return await _in_worker(request, lambda: target.compute(spec))


@router.post(
    "/explain",
    summary="Show the SQL of a metric",
    response_model=Explanation,
    responses=_ERRORS,
    openapi_extra=_SPEC_BODY,
)
async def explain(project: str, request: Request) -> Explanation:
    """The JSON spec of `uptake explain` in, the SQL it compiles to out (nothing is run)."""
    target = await _readable(request, project)
    spec = await _spec(request)
    return Explanation(sql=await _in_worker(request, lambda: target.explain(spec)))


@router.get(
    "/metrics", summary="List metric kinds", response_model=list[MetricInfo], responses=_ERRORS
)
async def metrics(project: str, request: Request) -> list[MetricInfo]:
    """Every metric kind with its definition and parameters (as `uptake metrics`)."""
    await _readable(request, project)
    return describe()


@router.get("", summary="About a project", response_model=ProjectInfo, responses=_ERRORS)
async def project_info(project: str, request: Request) -> ProjectInfo:
    """The project's definitions and the date of its latest event (what `uptake report`
    needs besides query results)."""
    target = await _readable(request, project)
    latest = await _in_worker(request, target.latest_event_date)
    # The engine URL may carry credentials: a read token is for results, not for those.
    definitions = target.workspace.definitions.model_copy(update={"engine": None})
    return ProjectInfo(project=project, definitions=definitions, latest_event_date=latest)
