"""Group commit on a real DuckDB file: concurrent requests share transactions, every one is
answered after its rows are committed, retries are stored once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from uptake.store import Store
from uptake.web.committer import GroupCommitter
from uptake.web.messages import Rows

DAY = dt.datetime(2026, 11, 2, 9, 0)


def event(message_id: str, user: str = "ann", minute: int = 0) -> dict[str, object]:
    return {
        "message_id": message_id,
        "user_id": user,
        "anonymous_id": None,
        "account_id": None,
        "event": "login",
        "timestamp": DAY + dt.timedelta(minutes=minute),
        "received_at": DAY,
        "properties": None,
    }


@contextmanager
def writer(path: Path) -> Iterator[GroupCommitter]:
    """A committer on a store file; on exit it commits what is queued and both are closed."""
    store = Store.open(path)
    committer = GroupCommitter(store, "t")
    try:
        yield committer
    finally:
        committer.close()
        store.close()


def count(path: Path, sql: str) -> int:
    with Store.open(path, read_only=True) as store:
        row = store.con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_concurrent_requests_share_commits_and_all_land(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"

    async def send_all(committer: GroupCommitter) -> None:
        # 200 requests of 5 events each, all in flight at once.
        await asyncio.gather(
            *(
                committer.submit(Rows(events=[event(f"r{r}-{i}", minute=i) for i in range(5)]))
                for r in range(200)
            )
        )

    with writer(path) as committer:
        asyncio.run(send_all(committer))
        commits = committer.commits
    # Every request was answered, with far fewer transactions than requests (the writer takes
    # every request waiting when it starts a commit).
    assert commits < 100, commits
    assert count(path, "SELECT count(*) FROM events") == 1000
    assert count(path, "SELECT sum(n) FROM daily") == 1000


def test_retries_in_the_same_or_a_later_commit_are_stored_once(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"

    async def send(committer: GroupCommitter) -> None:
        batch = [event("a"), event("b", minute=1)]
        # The same request three times at once (one commit or several), then once more later.
        await asyncio.gather(*(committer.submit(Rows(events=list(batch))) for _ in range(3)))
        await committer.submit(Rows(events=list(batch)))

    with writer(path) as committer:
        asyncio.run(send(committer))
    assert count(path, "SELECT count(*) FROM events") == 2
    assert count(path, "SELECT sum(n) FROM daily") == 2


def test_profiles_and_events_of_one_request_commit_together(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    user = {"user_id": "ann", "account_id": "acme", "created_at": None, "licensed": None,
            "traits": {"role": "admin"}}  # fmt: skip

    async def send(committer: GroupCommitter) -> None:
        # The event has no account; the identify in the same request gives the user one,
        # which the stored event takes.
        await committer.submit(Rows(events=[event("e1")], users=[user]))

    with writer(path) as committer:
        asyncio.run(send(committer))
    assert count(path, "SELECT count(*) FROM events WHERE account_id = 'acme'") == 1
    assert count(path, "SELECT count(*) FROM users WHERE traits['role'] = 'admin'") == 1


def test_exclusive_work_runs_in_the_writer_between_commits(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"

    async def send(committer: GroupCommitter) -> int:
        await committer.submit(Rows(events=[event("e1"), event("e2", minute=1)]))

        def events_now(s: Store) -> int:
            row = s.con.execute("SELECT count(*) FROM events").fetchone()
            return int(row[0]) if row else -1

        return int(await committer.run_exclusive(events_now))

    with writer(path) as committer:
        seen = asyncio.run(send(committer))
    assert seen == 2  # the work saw the committed rows of the request before it
