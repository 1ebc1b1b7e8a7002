"""Rollups as Ibis expressions: the same definition fills the DuckDB rollup tables at commit and
stands in for them, as views over raw events, on engines without a store (Spark, ClickHouse).

Both rollups are *partial*: a key may appear on several rows, so readers always aggregate
(`sum(n)`, `min(first_at)`). That lets a commit append only the new rows' rollup.
"""

from __future__ import annotations

import ibis


def daily_rollup(events: ibis.Table) -> ibis.Table:
    """One row per (UTC day, user, account, event) with the number of events `n`."""
    return events.group_by(
        day=events.timestamp.date(),
        user_id=events.user_id,
        account_id=events.account_id,
        event=events.event,
    ).agg(n=events.count())


def first_seen_rollup(events: ibis.Table) -> ibis.Table:
    """One row per (user, account, event) with the first timestamp it happened, `first_at`."""
    return events.group_by(
        user_id=events.user_id, account_id=events.account_id, event=events.event
    ).agg(first_at=events.timestamp.min())
