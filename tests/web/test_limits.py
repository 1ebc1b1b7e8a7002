"""Request limits on the real server: body sizes (413, declared or chunked, plain or gzip),
gzip bombs, a slow body (408), the per-key rate limit (429 + Retry-After), bad JSON (400), and
a JSON error body on every refusal.

One server serves the whole module, started with a tiny rate limit (`--rate 0.01 --burst 5`:
a fresh key gets five requests, then waits 100 s per request) and a short body timeout
(`--body-timeout 2`). Each test takes fresh keys, so no test spends another's budget.
"""

from __future__ import annotations

import base64
import gzip
import socket
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import pytest

from tests.web.conftest import PROJECT, RunningServer, free_port, make_home
from uptake.server.keys import KeyStore

BURST = 5
DAY = "2026-11-20"
KB = 1024


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with a tiny per-key rate limit and a 2 s body timeout."""
    home = tmp_path_factory.mktemp("limits") / "home"
    make_home(home, PROJECT)
    write, read = new_key(home, "write"), new_key(home, "read")
    running = RunningServer(
        home,
        free_port(),
        write,
        read,
        extra_args=("--rate", "0.01", "--burst", str(BURST), "--body-timeout", "2"),
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def new_key(home: Path, kind: str) -> str:
    """A fresh key of project acme (straight into the key file, which the server reads on
    every request: no restart needed)."""
    keys = KeyStore(home / "server.sqlite")
    try:
        _, secret = keys.create(PROJECT, "write" if kind == "write" else "read")
    finally:
        keys.close()
    return secret


def writer(server: RunningServer) -> httpx.Client:
    """A client with its own fresh write key (its own rate-limit bucket)."""
    return httpx.Client(base_url=server.url, auth=(new_key(server.home, "write"), ""), timeout=30)


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is `status` with a JSON error body; that body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    return dict(body)


def track(message_id: str, event: str = "limits_probe", **properties: str) -> dict[str, Any]:
    """A track call on DAY."""
    return {
        "type": "track",
        "userId": "ann",
        "event": event,
        "messageId": message_id,
        "timestamp": f"{DAY}T12:00:00Z",
        "properties": properties,
    }


def padded_track(size: int) -> dict[str, Any]:
    """A track call whose JSON text is `size` bytes long."""
    message = track("padded", pad="")
    message["properties"]["pad"] = "x" * (size - len(orjson.dumps(message)))
    assert len(orjson.dumps(message)) == size
    return message


def chunked(data: bytes, piece: int = 16 * KB) -> Iterator[bytes]:
    """The body as a stream: httpx sends it chunked, with no Content-Length."""
    for start in range(0, len(data), piece):
        yield data[start : start + piece]


def event_count(server: RunningServer, event: str) -> int:
    """Events named `event` on DAY, through the read API (a trend of totals)."""
    spec = {
        "kind": "trend",
        "measure": "total",
        "events": [event],
        "period": "day",
        "from": DAY,
        "to": DAY,
    }
    with server.reader() as reader:
        response = reader.post(f"/api/projects/{PROJECT}/query", json=spec)
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert len(rows) == 1
    return int(rows[0]["value"])


def test_single_call_over_32_kb_is_413_declared_or_chunked(limited: RunningServer) -> None:
    # One byte over Segment's 32 KB per call; the same body at exactly 32 KB is fine.
    over = orjson.dumps(padded_track(32 * KB + 1))
    at_limit = orjson.dumps({**padded_track(32 * KB), "messageId": "padded"})
    with writer(limited) as client:
        headers = {"content-type": "application/json"}
        assert_error(client.post("/v1/track", content=over, headers=headers), 413)
        assert_error(client.post("/v1/track", content=chunked(over), headers=headers), 413)
        ok = client.post("/v1/track", content=at_limit, headers=headers)
        assert ok.status_code == 200, ok.text


def test_batch_over_500_kb_is_413_declared_or_chunked(limited: RunningServer) -> None:
    # 20 messages of 26 KB: each under 32 KB, together over 500 KB (20 * 26 KB = 520 KB).
    messages = [
        {**padded_track(26 * KB), "event": "big_batch", "messageId": f"big-batch-{i}"}
        for i in range(20)
    ]
    body = orjson.dumps({"batch": messages})
    assert 500 * KB < len(body) < 530 * KB
    with writer(limited) as client:
        assert_error(client.post("/v1/batch", content=body), 413)
        assert_error(client.post("/v1/batch", content=chunked(body)), 413)
        assert_error(client.post("/v1/import", content=chunked(body)), 413)
    assert event_count(limited, "big_batch") == 0  # nothing of a refused batch is stored


def test_a_message_over_32_kb_in_a_batch_is_rejected_alone(limited: RunningServer) -> None:
    # Three messages; the middle one is 33 KB: it is rejected by index, the two others stored.
    big = {**padded_track(33 * KB), "event": "oversize", "messageId": "oversize-1"}
    batch = [track("oversize-0", "oversize"), big, track("oversize-2", "oversize")]
    with writer(limited) as client:
        response = client.post("/v1/batch", json={"batch": batch})
    body = assert_error(response, 400)
    assert body["accepted"] == 2
    assert [r["index"] for r in body["rejected"]] == [1]
    assert body["rejected"][0]["messageId"] == "oversize-1"
    assert "32 KB" in body["rejected"][0]["errors"][0]["message"]
    assert event_count(limited, "oversize") == 2


def test_gzip_bodies_are_accepted(limited: RunningServer) -> None:
    # rudder-sdk-python gzips its batches; two messages, both stored.
    batch = {"batch": [track("gz-0", "gzipped"), track("gz-1", "gzipped")]}
    with writer(limited) as client:
        response = client.post(
            "/v1/batch",
            content=gzip.compress(orjson.dumps(batch)),
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "accepted": 2}
    assert event_count(limited, "gzipped") == 2


def test_gzip_that_inflates_over_the_limit_is_413(limited: RunningServer) -> None:
    # 40 KB of JSON compresses to about 1 KB: small on the wire, over 32 KB once inflated.
    inflated = orjson.dumps(padded_track(40 * KB))
    compressed = gzip.compress(inflated)
    assert len(compressed) < 2 * KB
    with writer(limited) as client:
        response = client.post(
            "/v1/track", content=compressed, headers={"content-encoding": "gzip"}
        )
    assert_error(response, 413)


def gzip_bomb(inflated_mb: int) -> bytes:
    """A valid gzip body of about 1 KB per inflated MB: a batch of `inflated_mb` MB of
    spaces. Built from one compressed MB repeated (full flushes make the blocks identical), so
    the test never holds the inflated bytes."""
    head, tail, chunk = b'{"batch":[', b"]}", b" " * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.compress(tail) + deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(inflated_mb):
        crc = zlib.crc32(chunk, crc)
    size = len(head) + inflated_mb * len(chunk) + len(tail)
    trailer = struct.pack("<II", zlib.crc32(tail, crc), size & 0xFFFFFFFF)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + first + block * inflated_mb + end + trailer


def peak_rss(server: RunningServer) -> int:
    """The server process's peak resident memory so far (bytes)."""
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def test_gzip_bomb_is_413_without_inflating_it(limited: RunningServer) -> None:
    # 480 MB of spaces in 487 KB: under the 500 KB wire limit. Inflating it all would raise
    # the server's peak memory by at least 480 MB; the server stops at 500 KB + 1 byte.
    bomb = gzip_bomb(480)
    assert len(bomb) < 500 * KB
    assert len(gzip.decompress(gzip_bomb(2))) == 2 * 1024 * 1024 + 12  # the recipe is sound
    before = peak_rss(limited)
    with writer(limited) as client:
        response = client.post("/v1/batch", content=bomb, headers={"content-encoding": "gzip"})
    assert_error(response, 413)
    assert peak_rss(limited) - before < 64 * 1024 * 1024
    assert psutil.Process(limited.process.pid).is_running()  # type: ignore[union-attr]


def test_rate_limit_is_per_key_with_retry_after(limited: RunningServer) -> None:
    # A fresh key has BURST requests; the next is 429 with Retry-After. At 0.01 requests/s
    # one more request is ~100 s away, and never more: 1 <= Retry-After <= 100.
    empty = {"batch": []}  # passes the limiter and stores nothing
    with writer(limited) as client, writer(limited) as other:
        for _ in range(BURST):
            assert client.post("/v1/batch", json=empty).status_code == 200
        refused = client.post("/v1/batch", json=empty)
        assert_error(refused, 429)
        assert 1 <= int(refused.headers["retry-after"]) <= 100
        # Another key of the same project is not affected.
        for _ in range(BURST):
            assert other.post("/v1/batch", json=empty).status_code == 200
        assert_error(client.post("/v1/track", json=track("late")), 429)


def test_a_stalled_body_gets_408(limited: RunningServer) -> None:
    # Headers promise 100 bytes, 11 arrive, then nothing: after the 2 s body timeout the
    # server answers 408 and closes the connection. The socket timeout only keeps a broken
    # server from hanging the test.
    secret = new_key(limited.home, "write")
    auth = base64.b64encode(f"{secret}:".encode()).decode()
    head = (
        "POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Basic {auth}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", limited.port), timeout=30) as sock:
        sock.sendall(head.encode() + b'{"userId":1')
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in headers.lower()
    assert b"connection: close" in headers.lower()
    assert orjson.loads(body) == {
        "success": False,
        "error": "the request body did not arrive within 2 s",
    }


@pytest.mark.parametrize(
    ("path", "content", "headers", "status"),
    [
        ("/v1/track", b'{"userId": "ann", "event":', {}, 400),  # cut-off JSON
        ("/v1/track", b"", {}, 400),  # no body at all
        ("/v1/batch", b"[1, 2]", {}, 400),  # JSON, but not an object
        ("/v1/batch", b'{"batch": "no"}', {}, 400),  # batch is not a list
        ("/v1/track", b"\xff\xfe", {}, 400),  # not UTF-8
        ("/v1/track", b"not gzip", {"content-encoding": "gzip"}, 400),
        ("/v1/track", gzip.compress(b'{"a": 1}')[:-6], {"content-encoding": "gzip"}, 400),
        ("/v1/track", b"{}", {"content-encoding": "br"}, 415),
        ("/v1/nothing", b"{}", {}, 404),
    ],
    ids=[
        "cut-json",
        "empty",
        "array",
        "batch-not-list",
        "not-utf8",
        "not-gzip",
        "cut-gzip",
        "brotli",
        "unknown-path",
    ],
)
def test_bad_requests_get_a_json_error(
    limited: RunningServer, path: str, content: bytes, headers: dict[str, str], status: int
) -> None:
    with writer(limited) as client:
        assert_error(client.post(path, content=content, headers=headers), status)


def test_other_refusals_are_json_too(limited: RunningServer) -> None:
    big_spec = orjson.dumps({"kind": "trend", "pad": "x" * (256 * KB)})
    with httpx.Client(base_url=limited.url, timeout=30) as anonymous:
        assert_error(anonymous.post("/v1/track", json=track("anon")), 401)
        assert_error(anonymous.get("/v1/track"), 405)
        assert_error(anonymous.post(f"/api/projects/{PROJECT}/query", json={"kind": "x"}), 401)
    with limited.reader() as reader:
        assert_error(reader.post(f"/api/projects/{PROJECT}/query", content=big_spec), 413)
        assert_error(reader.post(f"/api/projects/{PROJECT}/query", content=b"{"), 400)
        assert_error(reader.post(f"/api/projects/{PROJECT}/query", json={"kind": "nope"}), 400)
