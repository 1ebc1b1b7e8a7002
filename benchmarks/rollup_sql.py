"""The hand-written KPI queries of handwritten_sql.py over uptake's own rollups: `daily` (events
per user, day and event, with a count `n`) and `first_seen` (first time per user and event).

Both rollups may hold several rows per key (readers aggregate), exactly as uptake reads them.
Features with event-property conditions still read raw `events`, as uptake does; the funnel
needs exact timestamps and has no rollup form.
"""

from __future__ import annotations

import datetime as dt

from benchmarks import sql_text as q
from benchmarks.definitions import Catalog
from benchmarks.handwritten_sql import RawEvents, activity_predicate, feature_table


class Rollups:
    """Every row set read from `daily` / `first_seen` (property-filtered features: `events`)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.plain = tuple(f for f in catalog.features if not f.where)
        self.filtered = tuple(f for f in catalog.features if f.where)
        self.raw = RawEvents(Catalog(catalog.excluded, self.filtered))

    def activity_days(self, first: dt.date, last: dt.date) -> str:
        return f"""
            SELECT user_id, day FROM daily
            WHERE day BETWEEN {q.date(first)} AND {q.date(last)}
              AND {activity_predicate(self.catalog)}"""

    def first_activity(self) -> str:
        return f"""
            SELECT user_id, first_at FROM first_seen
            WHERE {activity_predicate(self.catalog)}"""

    def first_any(self) -> str:
        return "SELECT user_id, first_at FROM first_seen"

    def feature_uses(self, first: dt.date, last: dt.date) -> str:
        parts = []
        if self.plain:
            parts.append(f"""
                SELECT f.feature, d.user_id, d.n FROM daily AS d
                JOIN {feature_table(self.plain)} ON d.event = f.event
                WHERE d.day BETWEEN {q.date(first)} AND {q.date(last)}""")
        if self.filtered:
            parts.append(self.raw.feature_uses(first, last))
        return " UNION ALL ".join(parts)

    def feature_firsts(self) -> str:
        parts = []
        if self.plain:
            parts.append(f"""
                SELECT f.feature, s.user_id, s.first_at FROM first_seen AS s
                JOIN {feature_table(self.plain)} ON s.event = f.event""")
        if self.filtered:
            parts.append(self.raw.feature_firsts())
        return " UNION ALL ".join(parts)
