"""`POST /api/projects/{project}/import`: `uptake import` sent to the server that owns the project.

While `uptake serve` owns a project's DuckDB file, no other process can open it, so the CLI on
the same machine sends its import here: the paths of files on this machine and the import
options. Only the CLI's local token (from the project's marker, readable by the server's user
alone) is accepted: the server reads any file its user can, so no API key may ask it to.

The import runs in the project's writer thread between two group commits, as one transaction
(all files land or none). Tracking calls queue meanwhile; a long import can make them wait past
the commit timeout (503, and the clients retry).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError

from uptake import ingest
from uptake.ingest import ImportOptions, ImportSummary, build_options
from uptake.web.auth import require_local
from uptake.web.body import read_json
from uptake.web.committer import CommitError
from uptake.web.errors import ApiError
from uptake.web.state import AppState

router = APIRouter(prefix="/api/projects/{project}", tags=["import"])
MAX_IMPORT_BODY_BYTES = 256 * 1024

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A file is missing, unreadable or corrupt, or an option is invalid."},
    401: {"description": "No token."},
    403: {"description": "Not the CLI's local token of this project."},
    404: {"description": "No such project."},
    503: {"description": "The server is shutting down."},
}


class ImportRequest(BaseModel):
    """Files on the server's machine and how to read them."""

    paths: list[str] = Field(min_length=1, description="Absolute paths of the files.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="ImportOptions fields (as `uptake import` options)."
    )
    rejects_dir: str | None = Field(
        default=None, description="Absolute folder for rejects files; default PROJECT/rejects."
    )


class ImportResponse(BaseModel):
    """One summary per file, in order."""

    summaries: list[ImportSummary]


def _absolute(text: str, what: str) -> Path:
    path = Path(text)
    if not path.is_absolute():
        raise ApiError(400, f"{what} {text!r} must be an absolute path on the server's machine")
    return path


@router.post(
    "/import",
    summary="Import files on the server's machine (the uptake CLI only)",
    response_model=ImportResponse,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ImportRequest.model_json_schema()}},
        }
    },
)
async def import_files(project: str, request: Request) -> ImportResponse:
    """Import files in one transaction, between group commits; their summaries."""
    state = request.app.state.uptake
    assert isinstance(state, AppState)
    require_local(state.projects, request, project)
    body = await read_json(request, MAX_IMPORT_BODY_BYTES, state.config.body_timeout_seconds)
    if not isinstance(body, dict):
        raise ApiError(400, "send a JSON object with `paths` and `options`")
    try:
        call = ImportRequest.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ApiError(400, f"invalid import request: {problems}") from None
    paths = [_absolute(p, "file") for p in call.paths]
    options: ImportOptions = build_options(**call.options)
    target = state.projects.get(project)
    rejects = _absolute(call.rejects_dir, "rejects folder") if call.rejects_dir else None
    folder = rejects or target.path.resolve() / "rejects"
    try:
        summaries = await target.committer.run_exclusive(
            lambda store: ingest.import_files(store, paths, options, rejects_dir=folder)
        )
    except CommitError as exc:
        raise ApiError(503, str(exc), {"Retry-After": "5"}) from None
    return ImportResponse(summaries=summaries)
