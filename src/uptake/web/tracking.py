"""The Segment-compatible tracking API: /v1/track, identify, group, page, screen, batch, import.

Authentication as Segment: HTTP Basic with the project's write key as the user name, or
`writeKey` in the body. The key decides the project. A 200 means every message is committed.
A batch with bad messages stores the good ones and answers 400 with which were rejected and
why (`rejected[].index`, `.errors[].field`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from uptake.server.keys import ApiKey
from uptake.web.auth import basic_user, write_key
from uptake.web.body import read_json
from uptake.web.committer import CommitError
from uptake.web.errors import ApiError, error_body
from uptake.web.messages import (
    MAX_BATCH_BYTES,
    MAX_MESSAGE_BYTES,
    Parsed,
    parse_messages,
    utc_now,
)
from uptake.web.state import AppState
from uptake.web.tracking_schema import (
    BatchCall,
    GroupCall,
    IdentifyCall,
    PageCall,
    ScreenCall,
    TrackCall,
    TrackingResponse,
    request_body,
)

router = APIRouter(prefix="/v1", tags=["tracking"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad input: what is wrong and where; good messages were stored."},
    401: {"description": "Missing or unknown write key."},
    403: {"description": "The key is not a write key."},
    413: {"description": "Body over 32 KB (single call) or 500 KB (batch)."},
    429: {"description": "Too many requests for this key: see Retry-After."},
    503: {"description": "Not stored (shutting down or overloaded): retry later."},
}


def _merge_context(messages: list[Any], context: Any) -> list[Any]:
    """Batch-level context under each message's own (the message's keys win)."""
    if not isinstance(context, dict) or not context:
        return messages
    out = []
    for message in messages:
        if isinstance(message, dict):
            own = message.get("context")
            merged = {**context, **own} if isinstance(own, dict) else context
            message = (
                {**message, "context": merged} if own is None or isinstance(own, dict) else message
            )
        out.append(message)
    return out


def _admit(state: AppState, key: ApiKey) -> None:
    """Take one request from the key's rate limit (429 with Retry-After when over it)."""
    wait = state.limiter.wait_seconds(key.key_id)
    if wait > 0:
        raise ApiError(
            429,
            "too many requests for this write key; retry after the Retry-After seconds",
            {"Retry-After": state.limiter.retry_after(wait)},
        )


async def _store(state: AppState, request: Request, kind: str | None) -> JSONResponse:
    # A key in the Authorization header (what Segment clients send) is checked before the
    # body is read, so unknown and rate-limited callers cost no parsing.
    header_key = write_key(state.keys, request, None) if basic_user(request) else None
    if header_key is not None:
        _admit(state, header_key)
    limit = MAX_MESSAGE_BYTES if kind is not None else MAX_BATCH_BYTES
    body = await read_json(request, limit, state.config.body_timeout_seconds)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    key = header_key
    if key is None:
        key = write_key(state.keys, request, body.get("writeKey"))
        _admit(state, key)
    if kind is None:
        batch = body.get("batch")
        if not isinstance(batch, list):
            raise ApiError(400, "a batch call needs `batch`: a list of calls")
        context = body.get("context")
        if context is not None and not isinstance(context, dict):
            raise ApiError(400, "`context` of a batch must be a JSON object")
        messages = _merge_context(batch, context)
    else:
        messages = [body]
    parsed: Parsed = parse_messages(messages, kind, utc_now())
    if parsed.rows.count:
        project = state.projects.get(key.project)
        try:
            await asyncio.wait_for(
                project.committer.submit(parsed.rows), state.config.commit_timeout_seconds
            )
        except TimeoutError:
            raise ApiError(
                503,
                "the events were not confirmed in time; retry (retries are deduplicated)",
                {"Retry-After": "1"},
            ) from None
        except CommitError as exc:
            raise ApiError(503, str(exc), {"Retry-After": "5"}) from None
    if parsed.rejected:
        total = len(messages)
        what = f"{len(parsed.rejected)} of {total} messages rejected"
        if parsed.accepted:
            what += (
                f"; the other {parsed.accepted} {'was' if parsed.accepted == 1 else 'were'} stored"
            )
        return JSONResponse(
            error_body(
                what,
                accepted=parsed.accepted,
                rejected=[r.to_json() for r in parsed.rejected],
            ),
            status_code=400,
        )
    return JSONResponse({"success": True, "accepted": parsed.accepted})


def _route(path: str, kind: str | None, model: type, summary: str) -> None:
    async def handler(request: Request) -> JSONResponse:
        return await _store(request.app.state.uptake, request, kind)

    handler.__name__ = f"v1_{path.strip('/')}"
    router.add_api_route(
        path,
        handler,
        methods=["POST"],
        summary=summary,
        response_model=TrackingResponse,
        responses=_ERRORS,
        openapi_extra=request_body(model),
    )


_route("/track", "track", TrackCall, "Record an event")
_route("/identify", "identify", IdentifyCall, "Create or update a user and its traits")
_route("/group", "group", GroupCall, "Create or update an account and link the user")
_route("/page", "page", PageCall, "Record a page view")
_route("/screen", "screen", ScreenCall, "Record a screen view")
_route("/batch", None, BatchCall, "Several calls at once (at most 500 KB)")
_route("/import", None, BatchCall, "Alias of /v1/batch")
