"""The tables a metric reads, bundled with the workspace definitions it interprets them by."""

from __future__ import annotations

from dataclasses import dataclass

import ibis
from ibis.backends import BaseBackend

from uptake.definitions import Definitions
from uptake.store.rollups import daily_rollup, first_seen_rollup


@dataclass(frozen=True)
class Tables:
    """Canonical tables (and rollups) on one engine.

    `daily` and `first_seen` are the rollups: real tables in a DuckDB store, or views over
    `events` on an engine without one; metrics read them the same way either way.
    """

    events: ibis.Table
    users: ibis.Table
    accounts: ibis.Table
    responses: ibis.Table
    daily: ibis.Table
    first_seen: ibis.Table
    definitions: Definitions

    @classmethod
    def in_store(cls, backend: BaseBackend, definitions: Definitions) -> Tables:
        """Tables of a uptake store (canonical tables and materialized rollups)."""
        return cls(
            events=backend.table("events"),
            users=backend.table("users"),
            accounts=backend.table("accounts"),
            responses=backend.table("responses"),
            daily=backend.table("daily"),
            first_seen=backend.table("first_seen"),
            definitions=definitions,
        )

    @classmethod
    def over_events(
        cls,
        events: ibis.Table,
        users: ibis.Table,
        accounts: ibis.Table,
        responses: ibis.Table,
        definitions: Definitions,
    ) -> Tables:
        """Tables for an engine without stored rollups: the rollups become views over events."""
        return cls(
            events=events,
            users=users,
            accounts=accounts,
            responses=responses,
            daily=daily_rollup(events),
            first_seen=first_seen_rollup(events),
            definitions=definitions,
        )
