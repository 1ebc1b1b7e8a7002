"""Answers kept while the data is unchanged: a repeated question is served again (marked
`cached`), any write makes the next answer a fresh one, and `--result-cache 0` keeps nothing."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import PROJECT, RunningServer
from uptake.result import Column, Result
from uptake.web.result_cache import ResultCache

SPEC = {
    "kind": "trend",
    "measure": "total",
    "period": "day",
    "from": "2026-01-05",
    "to": "2026-01-05",
}


def result(rows: int = 1) -> Result:
    """A result with `rows` rows (their content plays no part in caching)."""
    return Result(
        kind="trend",
        spec={},
        columns=[Column(name="value", type="integer")],
        rows=[{"value": i} for i in range(rows)],
        sql="SELECT 1",
        engine="duckdb",
    )


def test_an_answer_is_served_only_at_the_version_it_was_computed_at() -> None:
    cache = ResultCache(entries=2)
    answer = result()
    cache.put("q", 3, answer)
    assert cache.get("q", 3) is answer
    assert cache.get("q", 4) is None  # one write later: recompute
    assert cache.get("other", 3) is None
    assert (cache.hits, cache.misses) == (1, 2)


def test_the_least_recently_used_answer_goes_first_and_long_ones_are_not_kept() -> None:
    cache = ResultCache(entries=2, max_rows=12)
    cache.put("a", 0, result())
    cache.put("b", 0, result())
    assert cache.get("a", 0) is not None  # a is now the most recent
    cache.put("c", 0, result())
    assert cache.get("b", 0) is None
    assert cache.get("a", 0) is not None and cache.get("c", 0) is not None
    # Longer than a quarter of the 12-row budget: never kept.
    cache.put("long", 0, result(rows=4))
    assert cache.get("long", 0) is None
    assert len(cache) == 2


def test_the_rows_held_together_stay_within_the_budget() -> None:
    cache = ResultCache(entries=10, max_rows=12)
    for name in ("a", "b", "c", "d"):
        cache.put(name, 0, result(rows=3))
    # 4 x 3 = 12 rows: all fit. One more 3-row answer drops the least recently used (a).
    cache.put("e", 0, result(rows=3))
    assert cache.get("a", 0) is None
    assert all(cache.get(k, 0) is not None for k in ("b", "c", "d", "e"))
    # Replacing an answer counts its rows once: b again at 1 row frees room for nothing else
    # to be dropped.
    cache.put("b", 1, result(rows=1))
    cache.put("f", 0, result(rows=2))
    assert all(cache.get(k, 0) is not None for k in ("c", "d", "e", "f"))
    assert cache.get("b", 1) is not None
    nothing = ResultCache(entries=0)
    nothing.put("a", 0, result())
    assert nothing.get("a", 0) is None


def track(server: RunningServer, message_id: str, user: str) -> None:
    """One login event on 2026-01-05 (noon UTC), acknowledged once committed."""
    body = {
        "userId": user,
        "event": "login",
        "messageId": message_id,
        "timestamp": "2026-01-05T12:00:00Z",
    }
    with server.client() as client:
        assert client.post("/v1/track", json=body).status_code == 200


def query(server: RunningServer) -> dict[str, Any]:
    with server.reader() as reader:
        answer = reader.post(f"/api/projects/{PROJECT}/query", json=SPEC)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def test_a_repeated_query_is_served_again_until_the_next_write(server: RunningServer) -> None:
    track(server, "m1", "ann")
    first = query(server)
    # One event stored on the day asked about.
    assert (first["rows"][0]["value"], first["cached"]) == (1, False)
    again = query(server)
    assert (again["rows"], again["cached"]) == (first["rows"], True)
    track(server, "m2", "bob")
    fresh = query(server)
    # The second event counts at once: the write moved the data's version.
    assert (fresh["rows"][0]["value"], fresh["cached"]) == (2, False)
    track(server, "m2", "bob")  # a retry: nothing new is stored, but it was a write
    retried = query(server)
    assert (retried["rows"][0]["value"], retried["cached"]) == (2, False)
    assert query(server)["cached"] is True


def test_no_answer_is_kept_with_a_result_cache_of_zero(server: RunningServer) -> None:
    server.stop()
    server.extra_args = ("--result-cache", "0")
    server.start()
    track(server, "m1", "ann")
    assert query(server)["cached"] is False
    assert query(server)["cached"] is False
