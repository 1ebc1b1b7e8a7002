"""The tracking API on the real server: real Segment and RudderStack clients, every call type,
retries, bad input in batches, read-after-write."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import rudderstack.analytics as rudder
import segment.analytics as segment

from tests.web.conftest import PROJECT, RunningServer
from uptake.store import Store


def stored(server: RunningServer, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the project's database, after stopping the server (it owns the
    file while it runs)."""
    server.stop()
    with Store.open(server.home / "projects" / PROJECT / "uptake.duckdb", read_only=True) as s:
        return s.con.execute(sql).fetchall()


def test_segment_client_every_call_arrives_once(server: RunningServer) -> None:
    errors: list[str] = []
    client = segment.Client(
        write_key=server.write_key,
        host=server.url,
        on_error=lambda error, _items: errors.append(str(error)),
        max_retries=1,
    )
    when = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    for i in range(120):
        client.track(
            user_id=f"u{i % 4}",
            event="report_exported",
            properties={"i": i},
            timestamp=when + dt.timedelta(seconds=i),
            message_id=f"seg-{i}",
        )
    client.identify("u1", {"createdAt": "2026-01-02T00:00:00Z", "role": "admin"})
    client.group("u1", "acme", {"name": "Acme Corp", "seats": 25, "plan": "pro"})
    client.page("u1", "Docs", "Pricing", {"url": "https://example.com/pricing"})
    client.screen("u2", "App", "Home")
    client.flush()
    client.join()
    assert errors == []
    events = stored(
        server,
        "SELECT event, count(*), count(DISTINCT message_id) FROM events GROUP BY ALL ORDER BY 1",
    )
    assert events == [("page_viewed", 1, 1), ("report_exported", 120, 120), ("screen_viewed", 1, 1)]


def test_segment_client_profiles(server: RunningServer) -> None:
    client = segment.Client(write_key=server.write_key, host=server.url, sync_mode=True)
    client.identify("u1", {"createdAt": "2026-01-02T00:00:00Z", "role": "admin"})
    client.group("u1", "acme", {"name": "Acme Corp", "seats": 25, "plan": "pro"})
    client.flush()
    users = stored(server, "SELECT user_id, account_id, created_at, traits['role'] FROM users")
    assert users == [("u1", "acme", dt.datetime(2026, 1, 2), "admin")]
    server.start()
    accounts = stored(server, "SELECT account_id, name, plan, seats FROM accounts")
    assert accounts == [("acme", "Acme Corp", "pro", 25)]


def test_rudderstack_client_every_call_arrives_once(server: RunningServer) -> None:
    logging.getLogger("rudder").setLevel(logging.ERROR)
    rudder.write_key = server.write_key
    rudder.dataPlaneUrl = server.url
    rudder.sync_mode = False
    for i in range(90):
        rudder.track(f"r{i % 3}", "task_closed", {"i": i}, message_id=f"rud-{i}")
    rudder.identify("r1", {"role": "agent", "email": "r1@example.com"})
    rudder.group("r1", "beta-co", {"name": "Beta Co"})
    rudder.page("r1", "Docs", "Intro", {"url": "https://example.com/intro"})
    rudder.flush()
    events = stored(
        server,
        "SELECT event, count(DISTINCT message_id), count(*) FROM events GROUP BY ALL ORDER BY 1",
    )
    assert events == [("page_viewed", 1, 1), ("task_closed", 90, 90)]
    server.start()
    users = stored(server, "SELECT user_id, account_id, traits['role'] FROM users")
    assert users == [("r1", "beta-co", "agent")]


def test_retries_with_the_same_message_ids_store_nothing_new(server: RunningServer) -> None:
    batch = {
        "batch": [
            {
                "type": "track",
                "userId": "ann",
                "event": "login",
                "messageId": f"m{i}",
                "timestamp": f"2026-11-20T10:0{i}:00Z",
            }
            for i in range(5)
        ]
    }
    with server.client() as http:
        for _ in range(3):
            response = http.post("/v1/batch", json=batch)
            assert response.status_code == 200, response.text
            assert response.json() == {"success": True, "accepted": 5}
    assert stored(server, "SELECT count(*), sum(1) FILTER (user_id = 'ann') FROM events") == [
        (5, 5)
    ]


def test_a_bad_message_in_a_batch_keeps_the_good_ones(server: RunningServer) -> None:
    body = {
        "batch": [
            {"type": "track", "userId": "ann", "event": "login", "messageId": "ok-1"},
            {"type": "track", "userId": "ann", "messageId": "no-event"},
            {
                "type": "track",
                "userId": "bob",
                "event": "login",
                "messageId": "ok-2",
                "timestamp": "last tuesday",
            },
            {"type": "identify", "userId": "bob", "traits": {"role": "x"}, "messageId": "ok-3"},
        ]
    }
    with server.client() as http:
        response = http.post("/v1/batch", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "2 of 4 messages rejected; the other 2 were stored",
        "accepted": 2,
        "rejected": [
            {
                "index": 1,
                "messageId": "no-event",
                "errors": [
                    {"field": "event", "message": "track calls need a non-empty event name"}
                ],
            },
            {
                "index": 2,
                "messageId": "ok-2",
                "errors": [
                    {"field": "timestamp", "message": "'last tuesday' is not an ISO-8601 date-time"}
                ],
            },
        ],
    }
    assert stored(server, "SELECT message_id FROM events") == [("ok-1",)]


def test_an_acknowledged_event_is_readable_at_once(server: RunningServer) -> None:
    spec = {
        "kind": "trend",
        "measure": "total",
        "period": "day",
        "from": "2026-11-20",
        "to": "2026-11-20",
    }
    with server.client() as http, server.reader() as reader:
        for n in range(1, 4):
            sent = http.post(
                "/v1/track",
                json={"userId": "ann", "event": "login", "timestamp": f"2026-11-20T0{n}:00:00Z"},
            )
            assert sent.status_code == 200, sent.text
            result = reader.post(f"/api/projects/{PROJECT}/query", json=spec)
            assert result.json()["rows"] == [{"period": "2026-11-20", "value": n}]


def test_write_key_in_the_body_is_accepted(server: RunningServer) -> None:
    import httpx

    body = {"writeKey": server.write_key, "userId": "ann", "event": "login", "messageId": "wk"}
    response = httpx.post(server.url + "/v1/track", json=body, timeout=30)
    assert response.status_code == 200, response.text
    assert stored(server, "SELECT message_id FROM events") == [("wk",)]


def test_import_is_an_alias_of_batch(server: RunningServer) -> None:
    body = {"batch": [{"type": "page", "userId": "ann", "name": "Home", "messageId": "p1"}]}
    with server.client() as http:
        assert http.post("/v1/import", json=body).json() == {"success": True, "accepted": 1}
    assert stored(server, "SELECT event, message_id FROM events") == [("page_viewed", "p1")]


def test_batch_context_applies_to_each_message(server: RunningServer) -> None:
    body = {
        "context": {"groupId": "acme"},
        "batch": [
            {"type": "track", "userId": "ann", "event": "login", "messageId": "c1"},
            {
                "type": "track",
                "userId": "bob",
                "event": "login",
                "messageId": "c2",
                "context": {"groupId": "beta"},
            },
        ],
    }
    with server.client() as http:
        assert http.post("/v1/batch", json=body).status_code == 200
    rows = stored(server, "SELECT message_id, account_id FROM events ORDER BY 1")
    assert rows == [("c1", "acme"), ("c2", "beta")]  # the message's own context wins


def test_server_stops_cleanly_and_leaves_no_marker(server: RunningServer) -> None:
    marker = Path(server.home / "projects" / PROJECT / ".uptake-serve.json")
    assert marker.exists()
    server.stop()
    assert not marker.exists()


def test_a_key_in_the_header_is_checked_before_the_body_is_read(server: RunningServer) -> None:
    import httpx

    # 600 KB is over the batch limit: with a valid key it is a 413, but an unknown key in the
    # Authorization header is refused first, without reading (or parsing) the body.
    body = b'{"batch": [' + b" " * 600_000 + b"]}"
    headers = {"content-type": "application/json"}
    refused = httpx.post(
        server.url + "/v1/batch", content=body, headers=headers, auth=("not-a-key", ""), timeout=30
    )
    assert refused.status_code == 401
    with server.client() as http:
        assert http.post("/v1/batch", content=body, headers=headers).status_code == 413
