"""API errors: every failure the caller can fix is a 4xx with a JSON body saying what is wrong.

Body: `{"success": false, "error": "<one line>", ...details}`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from uptake.errors import SpecError, UptakeError, WorkspaceError

log = logging.getLogger("uptake.serve")


class ApiError(Exception):
    """An error answered with `status` and a JSON body (plus optional headers)."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
        self.details = details


def error_body(message: str, **details: Any) -> dict[str, Any]:
    """The JSON body of an error."""
    return {"success": False, "error": message, **details}


def install_error_handlers(app: FastAPI) -> None:
    """Turn ApiError, uptake's own errors, FastAPI's validation errors and HTTP errors into
    JSON bodies; anything else is a 500 with a JSON body (the traceback goes to the log, never
    to the caller)."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.message, **exc.details), status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(SpecError)
    async def spec_error(_: Request, exc: SpecError) -> JSONResponse:
        return JSONResponse(error_body(str(exc)), status_code=400)

    @app.exception_handler(WorkspaceError)
    async def workspace_error(_: Request, exc: WorkspaceError) -> JSONResponse:
        return JSONResponse(error_body(str(exc)), status_code=404)

    @app.exception_handler(UptakeError)
    async def uptake_error(_: Request, exc: UptakeError) -> JSONResponse:
        return JSONResponse(error_body(str(exc)), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse(error_body("invalid request", errors=problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # Starlette calls this from its outermost middleware and re-raises afterwards, so
        # uvicorn still logs the traceback; the caller only learns that it was not its fault.
        log.error("unexpected error on %s %s: %r", request.method, request.url.path, exc)
        return JSONResponse(
            error_body("internal error: the server log has the details"), status_code=500
        )
