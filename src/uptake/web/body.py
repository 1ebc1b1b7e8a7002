"""Reading a request's JSON body within limits: size (413), time (408), encoding (gzip, as some
Segment clients send), syntax (400).

The size limit holds for the bytes on the wire and again for the inflated body: a gzip bomb
(a few KB that inflate to gigabytes) is inflated at most `limit + 1` bytes before the 413.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import orjson
from fastapi import Request

from uptake.web.errors import ApiError

# gzip members per body at most: RFC 1952 allows a body of several concatenated members;
# a body of thousands of empty ones is an attack on the loop, not a client.
_MAX_GZIP_MEMBERS = 64


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than {limit // 1024} KB")


async def _receive(request: Request, limit: int, timeout_seconds: float) -> bytes:
    """The bytes on the wire, at most `limit`, within `timeout_seconds` (408 otherwise)."""
    declared = request.headers.get("content-length")
    # Refuse before reading: a client that declares too much need not send it.
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_seconds):
            # A chunked body declares nothing: count as it arrives and stop at the limit.
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
    except TimeoutError:
        # Close the connection: the rest of a stalled body may never come.
        raise ApiError(
            408,
            f"the request body did not arrive within {timeout_seconds:g} s",
            {"Connection": "close"},
        ) from None
    return b"".join(chunks)


def gunzip(data: bytes, limit: int) -> bytes:
    """Inflate a gzip body (one or more members), never more than `limit + 1` bytes: 413
    beyond `limit`, 400 if it is not gzip or is cut short."""
    out: list[bytes] = []
    size = 0
    rest = data
    for _ in range(_MAX_GZIP_MEMBERS):
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            piece = inflater.decompress(rest, limit + 1 - size)
        except zlib.error as exc:
            raise ApiError(400, f"the body is not valid gzip: {exc}") from None
        size += len(piece)
        # Output stopped at the cap with input left over: the body inflates beyond the limit.
        if size > limit or inflater.unconsumed_tail:
            raise _too_large(limit)
        if not inflater.eof:
            raise ApiError(400, "the gzip body is cut short")
        out.append(piece)
        rest = inflater.unused_data
        if not rest:
            return b"".join(out)
    raise ApiError(400, f"the gzip body has more than {_MAX_GZIP_MEMBERS} members")


async def read_body(request: Request, limit: int, timeout_seconds: float) -> bytes:
    """The raw body (inflated if gzip), at most `limit` bytes both on the wire and inflated."""
    body = await _receive(request, limit, timeout_seconds)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gunzip(body, limit)
    if encoding not in ("identity", ""):
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
