"""The read API: `POST /api/projects/{project}/query` takes the JSON spec of `uptake query` and
returns the same JSON result; `GET .../metrics` lists the metric kinds. Bearer read tokens.

Queries run in a worker thread (one at a time per project) so the event loop keeps taking
events while they run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from uptake.metrics.catalog import MetricInfo, describe
from uptake.result import Result
from uptake.web.auth import require_read
from uptake.web.body import read_json
from uptake.web.errors import ApiError
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


def _state(request: Request) -> AppState:
    state = request.app.state.uptake
    assert isinstance(state, AppState)
    return state


@router.post(
    "/query",
    summary="Compute a metric",
    response_model=Result,
    responses=_ERRORS,
    openapi_extra={
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
    },
)
async def query(project: str, request: Request) -> Result:
    """The JSON spec of `uptake query` in, the same JSON result out."""
    state = _state(request)
    require_read(state.keys, state.projects, request, project)
    spec = await read_json(request, MAX_SPEC_BYTES, state.config.body_timeout_seconds)
    if not isinstance(spec, dict):
        raise ApiError(400, "the spec must be a JSON object with a `kind`")
    target = state.projects.get(project)
    try:
        return await asyncio.wait_for(
            run_in_threadpool(target.compute, spec), state.config.query_timeout_seconds
        )
    except TimeoutError:
        raise ApiError(503, "the query did not finish in time", {"Retry-After": "10"}) from None


@router.get(
    "/metrics", summary="List metric kinds", response_model=list[MetricInfo], responses=_ERRORS
)
async def metrics(project: str, request: Request) -> list[MetricInfo]:
    """Every metric kind with its definition and parameters."""
    state = _state(request)
    require_read(state.keys, state.projects, request, project)
    state.projects.get(project)
    return describe()
