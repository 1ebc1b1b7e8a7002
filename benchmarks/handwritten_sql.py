"""Hand-written DuckDB SQL for the six KPIs, as an analyst would write it over the raw `events`
table (and `users` for signup dates); the same queries over uptake's rollups are in
rollup_sql.py.

Each query is written once against a `Source`: the few row sets a KPI starts from (activity
days, first activity, tagged feature events). `RawEvents` reads them from `events`;
`rollup_sql.Rollups` from `daily` / `first_seen`. The shaping around them (spines, joins,
rates) is the same text for both, so the two timings differ only by what they scan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from benchmarks import sql_text as q
from benchmarks.definitions import Catalog, Feature
from benchmarks.specs import FUNNEL_STEPS, RETENTION_PERIODS, date_range

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)


class Source(Protocol):
    """The row sets the KPI queries start from."""

    def activity_days(self, first: dt.date, last: dt.date) -> str:
        """Rows (user_id, day) of activity on days first..last (rows may repeat)."""
        ...

    def first_activity(self) -> str:
        """Rows (user_id, first_at): each user's first activity event ever (may repeat a user:
        readers take the min)."""
        ...

    def first_any(self) -> str:
        """Rows (user_id, first_at): each user's first event of any kind (may repeat)."""
        ...

    def feature_uses(self, first: dt.date, last: dt.date) -> str:
        """Rows (feature, user_id, n): feature events on days first..last."""
        ...

    def feature_firsts(self) -> str:
        """Rows (feature, user_id, first_at): first uses of each feature (may repeat)."""
        ...


def activity_predicate(catalog: Catalog, column: str = "event") -> str:
    """`column` is an activity event: every event but the excluded ones."""
    return f"{column} NOT IN {q.names(catalog.excluded)}" if catalog.excluded else "TRUE"


def feature_table(features: tuple[Feature, ...]) -> str:
    """VALUES (feature, event): which event names make each feature."""
    rows = [f"({q.text(f.name)}, {q.text(e)})" for f in features for e in f.events]
    return f"(VALUES {', '.join(rows)}) AS f(feature, event)"


def feature_conditions(features: tuple[Feature, ...], alias: str = "e") -> str:
    """The features' event-property conditions on the events aliased `alias`."""
    branches = [
        f"WHEN {q.text(f.name)} THEN "
        + " AND ".join(
            f"json_extract_string({alias}.properties, {q.text('$.' + c.key)}) = {q.text(c.value)}"
            for c in f.where
        )
        for f in features
        if f.where
    ]
    return f"CASE f.feature {' '.join(branches)} ELSE TRUE END" if branches else "TRUE"


class RawEvents:
    """Every row set read from the raw `events` table."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def activity_days(self, first: dt.date, last: dt.date) -> str:
        return f"""
            SELECT user_id, CAST("timestamp" AS DATE) AS day FROM events
            WHERE "timestamp" >= {q.midnight(first)} AND "timestamp" < {q.midnight(last + DAY)}
              AND {activity_predicate(self.catalog)}"""

    def first_activity(self) -> str:
        return f"""
            SELECT user_id, min("timestamp") AS first_at FROM events
            WHERE {activity_predicate(self.catalog)} GROUP BY user_id"""

    def first_any(self) -> str:
        return 'SELECT user_id, min("timestamp") AS first_at FROM events GROUP BY user_id'

    def _tagged(self, where: str) -> str:
        features = self.catalog.features
        return f"""
            SELECT f.feature, e.user_id, e."timestamp" AS used_at
            FROM events AS e JOIN {feature_table(features)} ON e.event = f.event
            WHERE {where} AND {feature_conditions(features)}"""

    def feature_uses(self, first: dt.date, last: dt.date) -> str:
        rows = self._tagged(
            f'e."timestamp" >= {q.midnight(first)} AND e."timestamp" < {q.midnight(last + DAY)}'
        )
        return f"SELECT feature, user_id, 1 AS n FROM ({rows})"

    def feature_firsts(self) -> str:
        rows = self._tagged("TRUE")
        return f"SELECT feature, user_id, min(used_at) AS first_at FROM ({rows}) GROUP BY ALL"


def active_users(source: Source, spec: dict[str, Any]) -> str:
    """Distinct active users per Sunday week, every week of the range (zeros included)."""
    first, last = date_range(spec)
    return f"""
    WITH weekly AS (
        SELECT {q.week_of("day")} AS period, count(DISTINCT user_id) AS value
        FROM ({source.activity_days(first, last)})
        GROUP BY period
    )
    SELECT CAST(w.range AS DATE) AS period, coalesce(v.value, 0) AS value
    FROM range({q.midnight(first)}, {q.midnight(last + DAY)}, INTERVAL 7 DAY) AS w
    LEFT JOIN weekly AS v ON v.period = CAST(w.range AS DATE)
    ORDER BY period"""


def feature_adoption(source: Source, catalog: Catalog, spec: dict[str, Any]) -> str:
    """One row per feature over the whole range: users, uses, first-time users, active users,
    adoption rate, median days from release (or signup) to first use, released_at."""
    first, last = date_range(spec)
    end = q.midnight(last + DAY)
    released = ", ".join(
        f"({q.text(f.name)}, {q.date(f.released_at) if f.released_at else 'NULL::DATE'})"
        for f in catalog.features
    )
    return f"""
    WITH catalog(feature, released_at) AS (VALUES {released}),
    usage AS (
        SELECT feature, count(DISTINCT user_id) AS users, sum(n) AS uses
        FROM ({source.feature_uses(first, last)}) GROUP BY feature
    ),
    firsts AS (
        SELECT feature, user_id, min(first_at) AS first_at
        FROM ({source.feature_firsts()}) GROUP BY ALL
    ),
    newcomers AS (
        SELECT feature, count(*) AS first_time_users FROM firsts
        WHERE first_at >= {q.midnight(first)} AND first_at < {end} GROUP BY feature
    ),
    active AS (
        SELECT count(DISTINCT user_id) AS active_users
        FROM ({source.activity_days(first, last)})
    ),
    first_any AS (
        SELECT user_id, min(first_at) AS first_at FROM ({source.first_any()}) GROUP BY ALL
    ),
    signups AS (
        SELECT coalesce(u.user_id, a.user_id) AS user_id,
               least(u.created_at, a.first_at) AS signed_up_at
        FROM users AS u FULL JOIN first_any AS a ON u.user_id = a.user_id
    ),
    adopters AS (
        SELECT fi.feature, fi.first_at,
               CASE WHEN c.released_at IS NOT NULL
                    THEN greatest(CAST(c.released_at AS TIMESTAMP),
                                  coalesce(s.signed_up_at, CAST(c.released_at AS TIMESTAMP)))
                    ELSE s.signed_up_at END AS start_at
        FROM firsts AS fi JOIN catalog AS c USING (feature)
        LEFT JOIN signups AS s ON s.user_id = fi.user_id AND s.signed_up_at IS NOT NULL
        WHERE fi.first_at < {end}
    ),
    medians AS (
        SELECT feature, median(
            CAST(CASE WHEN date_diff('second', start_at, first_at) < 0 THEN 0
                      ELSE date_diff('second', start_at, first_at) END AS DOUBLE) / 86400
        ) AS median_days_to_first_use
        FROM adopters GROUP BY feature
    )
    SELECT c.feature,
           coalesce(u.users, 0) AS users,
           coalesce(u.uses, 0) AS uses,
           coalesce(n.first_time_users, 0) AS first_time_users,
           a.active_users,
           CASE WHEN a.active_users > 0
                THEN coalesce(u.users, 0) / CAST(a.active_users AS DOUBLE) END AS adoption_rate,
           m.median_days_to_first_use,
           c.released_at
    FROM catalog AS c
    CROSS JOIN active AS a
    LEFT JOIN usage AS u USING (feature)
    LEFT JOIN newcomers AS n USING (feature)
    LEFT JOIN medians AS m USING (feature)
    ORDER BY c.feature"""


def retention(source: Source, spec: dict[str, Any]) -> str:
    """First-time weekly retention: the whole triangle (cohort x period k <= 12, cells whose
    week starts after `to` left out) then one weighted-mean row per k."""
    first, last = date_range(spec)
    weeks = ((last - first).days + 1 + 6) // 7
    origin = q.date(first)
    return f"""
    WITH firsts AS (
        SELECT user_id, CAST(min(first_at) AS DATE) AS day
        FROM ({source.first_activity()}) GROUP BY user_id
    ),
    members AS (
        SELECT user_id, (day - {origin}) // 7 AS cohort_index FROM firsts
        WHERE day BETWEEN {origin} AND {q.date(last)}
    ),
    returns AS (
        SELECT DISTINCT user_id, (day - {origin}) // 7 AS return_index
        FROM ({source.activity_days(first + WEEK, last)})
    ),
    hits AS (
        SELECT m.cohort_index, r.return_index - m.cohort_index AS period, count(*) AS returned
        FROM members AS m JOIN returns AS r USING (user_id)
        WHERE r.return_index - m.cohort_index BETWEEN 1 AND {RETENTION_PERIODS}
        GROUP BY ALL
    ),
    sizes AS (SELECT cohort_index, count(*) AS cohort_size FROM members GROUP BY ALL),
    cells AS (
        SELECT c.range AS cohort_index, k.range AS period
        FROM range({weeks}) AS c, range({RETENTION_PERIODS + 1}) AS k
        WHERE c.range + k.range < {weeks}
    ),
    triangle AS (
        SELECT {origin} + CAST(7 * cells.cohort_index AS INTEGER) AS cohort,
               coalesce(s.cohort_size, 0) AS cohort_size,
               cells.period,
               CASE WHEN cells.period = 0 THEN coalesce(s.cohort_size, 0)
                    ELSE coalesce(h.returned, 0) END AS retained
        FROM cells
        LEFT JOIN sizes AS s USING (cohort_index)
        LEFT JOIN hits AS h USING (cohort_index, period)
    ),
    rows AS (
        SELECT cohort, cohort_size, period, retained, FALSE AS is_mean FROM triangle
        UNION ALL
        SELECT NULL, sum(cohort_size), period, sum(retained), TRUE FROM triangle GROUP BY period
    )
    SELECT cohort, CAST(cohort_size AS BIGINT) AS cohort_size, CAST(period AS BIGINT) AS period,
           CAST(retained AS BIGINT) AS retained,
           CAST(retained AS DOUBLE) / nullif(cohort_size, 0) AS retention_rate, is_mean
    FROM rows ORDER BY is_mean, cohort, period"""


def funnel(spec: dict[str, Any]) -> str:
    """The ordered 3-step funnel over raw events with ASOF joins: each login starts an attempt,
    which takes the first next step at or after the previous one, inside 14 days of the login;
    each user counts by its furthest attempt (the earliest of those)."""
    first, last = date_range(spec)
    window = int(spec["conversion_window"])
    assert spec["conversion_window_unit"] == "day" and spec["order"] == "ordered"
    s1, s2, s3 = (q.text(name) for name in FUNNEL_STEPS)
    return f"""
    WITH steps AS (
        SELECT user_id, event, "timestamp" AS ts FROM events
        WHERE event IN ({s1}, {s2}, {s3})
          AND "timestamp" >= {q.midnight(first)} AND "timestamp" < {q.midnight(last + DAY)}
    ),
    logins AS (SELECT user_id, ts AS at_1 FROM steps WHERE event = {s1}),
    created AS (SELECT user_id, ts AS at_2 FROM steps WHERE event = {s2}),
    won AS (SELECT user_id, ts AS at_3 FROM steps WHERE event = {s3}),
    to_2 AS (
        SELECT l.user_id, l.at_1,
               CASE WHEN c.at_2 <= l.at_1 + INTERVAL {window} DAY THEN c.at_2 END AS at_2
        FROM logins AS l ASOF LEFT JOIN created AS c ON l.user_id = c.user_id AND c.at_2 >= l.at_1
    ),
    to_3 AS (
        SELECT a.user_id, a.at_1, a.at_2,
               CASE WHEN a.at_2 IS NOT NULL AND w.at_3 <= a.at_1 + INTERVAL {window} DAY
                    THEN w.at_3 END AS at_3
        -- The guard on at_2 is needed: DuckDB 1.5's ASOF LEFT JOIN matches some left rows
        -- whose inequality key is NULL (see benchmarks/RESULTS.md).
        FROM to_2 AS a ASOF LEFT JOIN won AS w ON a.user_id = w.user_id AND w.at_3 >= a.at_2
    ),
    best AS (
        SELECT user_id,
               1 + (at_2 IS NOT NULL)::INT + (at_3 IS NOT NULL)::INT AS reached,
               date_diff('microsecond', at_1, at_2) / 1e6 AS seconds_2,
               date_diff('microsecond', at_2, at_3) / 1e6 AS seconds_3
        FROM to_3
        QUALIFY row_number() OVER (
            PARTITION BY user_id
            ORDER BY (at_2 IS NOT NULL)::INT + (at_3 IS NOT NULL)::INT DESC, at_1
        ) = 1
    ),
    totals AS (
        SELECT count(*) AS e1, count(*) FILTER (reached >= 2) AS e2,
               count(*) FILTER (reached >= 3) AS e3,
               avg(seconds_2) AS avg2, median(seconds_2) AS med2,
               avg(seconds_3) AS avg3, median(seconds_3) AS med3
        FROM best
    ),
    per_step AS (
        SELECT 1 AS step, {s1} AS step_name, e1 AS entities, e1 AS previous, e1 AS first,
               NULL::DOUBLE AS average, NULL::DOUBLE AS median FROM totals
        UNION ALL SELECT 2, {s2}, e2, e1, e1, avg2, med2 FROM totals
        UNION ALL SELECT 3, {s3}, e3, e2, e1, avg3, med3 FROM totals
    )
    SELECT CAST(step AS BIGINT) AS step, step_name, entities,
           entities / CAST(nullif(previous, 0) AS DOUBLE) AS conversion_rate,
           entities / CAST(nullif(first, 0) AS DOUBLE) AS overall_conversion_rate,
           previous - entities AS drop_off,
           (previous - entities) / CAST(nullif(previous, 0) AS DOUBLE) AS drop_off_rate,
           average AS average_seconds_from_previous,
           median AS median_seconds_from_previous
    FROM per_step ORDER BY step"""


def stickiness(source: Source, spec: dict[str, Any]) -> str:
    """Users by number of days active in the range (1..N days, zeros included), with shares."""
    first, last = date_range(spec)
    days = (last - first).days + 1
    return f"""
    WITH per_user AS (
        SELECT user_id, count(DISTINCT day) AS active_periods
        FROM ({source.activity_days(first, last)}) GROUP BY user_id
    ),
    counts AS (SELECT active_periods, count(*) AS entities FROM per_user GROUP BY ALL)
    SELECT n.range AS active_periods, coalesce(c.entities, 0) AS entities,
           coalesce(c.entities, 0)
               / CAST(nullif(sum(coalesce(c.entities, 0)) OVER (), 0) AS DOUBLE) AS share
    FROM range(1, {days + 1}) AS n LEFT JOIN counts AS c ON c.active_periods = n.range
    ORDER BY active_periods"""


def lifecycle(source: Source, spec: dict[str, Any]) -> str:
    """New, returning, resurrecting and dormant users per Sunday week of the range (the week
    before the range decides the first week's statuses)."""
    first, last = date_range(spec)
    before = first - WEEK
    return f"""
    WITH weeks AS (
        SELECT DISTINCT user_id, {q.week_of("day")} AS week
        FROM ({source.activity_days(before, last)})
    ),
    firsts AS (
        SELECT user_id, CAST(min(first_at) AS DATE) AS day
        FROM ({source.first_activity()}) GROUP BY user_id
    ),
    flagged AS (
        SELECT w.week,
               coalesce(lag(w.week) OVER (PARTITION BY w.user_id ORDER BY w.week)
                        = w.week - 7, FALSE) AS was_active,
               {q.week_of("f.day")} = w.week AS is_new
        FROM weeks AS w JOIN firsts AS f USING (user_id)
    ),
    per_week AS (
        SELECT week, count(*) AS active, count(*) FILTER (was_active) AS kept,
               count(*) FILTER (NOT was_active AND is_new) AS new
        FROM flagged GROUP BY week
    ),
    filled AS (
        SELECT CAST(s.range AS DATE) AS period, coalesce(p.active, 0) AS active,
               coalesce(p.kept, 0) AS kept, coalesce(p.new, 0) AS new
        FROM range({q.midnight(before)}, {q.midnight(last + DAY)}, INTERVAL 7 DAY) AS s
        LEFT JOIN per_week AS p ON p.week = CAST(s.range AS DATE)
    ),
    statuses AS (
        SELECT period, new, kept, active - kept - new AS resurrecting,
               kept - lag(active) OVER (ORDER BY period) AS dormant
        FROM filled
    )
    SELECT period, status, CAST(count AS BIGINT) AS count FROM (
        SELECT period, 1 AS rank, 'new' AS status, new AS count FROM statuses
        UNION ALL SELECT period, 2, 'returning', kept FROM statuses
        UNION ALL SELECT period, 3, 'resurrecting', resurrecting FROM statuses
        UNION ALL SELECT period, 4, 'dormant', dormant FROM statuses
    )
    WHERE period >= {q.date(first)}
    ORDER BY period, rank"""


def query(kpi: str, source: Source, catalog: Catalog, spec: dict[str, Any]) -> str:
    """The SQL of one KPI over `source` (the funnel always reads raw events)."""
    match kpi:
        case "active_users":
            return active_users(source, spec)
        case "feature_adoption":
            return feature_adoption(source, catalog, spec)
        case "retention":
            return retention(source, spec)
        case "funnel":
            return funnel(spec)
        case "stickiness":
            return stickiness(source, spec)
        case "lifecycle":
            return lifecycle(source, spec)
    raise ValueError(f"unknown KPI {kpi!r}")
