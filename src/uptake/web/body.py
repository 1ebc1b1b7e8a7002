"""Reading a request's JSON body within limits: size (413), time (408), encoding (gzip, as some
Segment clients send), syntax (400)."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import orjson
from fastapi import Request

from uptake.web.errors import ApiError


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than {limit // 1024} KB")


async def read_body(request: Request, limit: int, timeout_seconds: float) -> bytes:
    """The raw body (decompressed if gzip), at most `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(
            408, f"the request body did not arrive within {timeout_seconds:g} s"
        ) from None
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise ApiError(400, f"the body is not valid gzip: {exc}") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise _too_large(limit)
    elif encoding not in ("identity", ""):
        raise ApiError(415, f"unsupported Content-Encoding {encoding!r}: send gzip or nothing")
    return body


async def read_json(request: Request, limit: int, timeout_seconds: float) -> Any:
    """The parsed JSON body (400 if it is not JSON)."""
    body = await read_body(request, limit, timeout_seconds)
    if not body.strip():
        raise ApiError(400, "empty request body: send a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None
