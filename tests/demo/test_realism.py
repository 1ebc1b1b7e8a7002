"""The small demo looks like real CRM usage: weekday rhythm, uneven engagement, leads and
churn, event properties, and survey answers that follow engagement."""

from __future__ import annotations

from uptake.workspace import Workspace


def one(ws: Workspace, sql: str) -> tuple:  # type: ignore[type-arg]
    row = ws.store.con.execute(sql).fetchone()
    assert row is not None
    return row


def test_weekdays_are_far_busier_than_weekends(small_workspace: Workspace) -> None:
    # Weekday factors 0.85-1.05 against 0.12 (Sat) and 0.07 (Sun): about 10x per day.
    weekday, weekend = one(
        small_workspace,
        """
        SELECT sum(n) FILTER (WHERE isodow("day") <= 5) / 5.0,
               sum(n) FILTER (WHERE isodow("day") > 5) / 2.0
        FROM daily WHERE "event" <> 'notification_received'""",
    )
    assert weekday > 5 * weekend > 0


def test_engagement_is_uneven(small_workspace: Workspace) -> None:
    # Tiers: 10% power, 35% regular, 40% casual, 15% never. The busiest tenth of active users
    # make far more than a tenth of the events; some licensed users never do anything.
    top_share, never = one(
        small_workspace,
        """
        WITH per_user AS (
            SELECT user_id, sum(n) AS n FROM daily
            WHERE "event" <> 'notification_received' GROUP BY user_id),
        ranked AS (SELECT n, ntile(10) OVER (ORDER BY n DESC) AS decile FROM per_user)
        SELECT (SELECT sum(n) FILTER (WHERE decile = 1) / sum(n) FROM ranked),
               (SELECT count(*) FROM users WHERE licensed
                  AND user_id NOT IN (SELECT user_id FROM per_user))""",
    )
    assert top_share > 0.25
    assert never > 0


def test_leads_and_churned_customers_exist(small_workspace: Workspace) -> None:
    leads, churned, plans = one(
        small_workspace,
        """
        SELECT count(*) FILTER (WHERE started_at IS NULL),
               count(*) FILTER (WHERE churned_at IS NOT NULL),
               list(DISTINCT plan ORDER BY plan)
        FROM accounts""",
    )
    assert leads > 0 and churned > 0
    assert plans == ["enterprise", "growth", "starter"]


def test_events_carry_natural_properties(small_workspace: Workspace) -> None:
    rows = small_workspace.store.con.execute("""
        SELECT "event", list(DISTINCT (properties->>'$.format') ORDER BY (properties->>'$.format')),
               list(DISTINCT (properties->>'$.type') ORDER BY (properties->>'$.type')),
               min(TRY_CAST((properties->>'$.amount') AS BIGINT)),
               count(*) FILTER (WHERE properties IS NULL)
        FROM events
        WHERE "event" IN ('report_exported', 'activity_logged', 'opportunity_won',
                          'contact_updated')
        GROUP BY "event" ORDER BY "event"
    """).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("activity_logged", [None], ["call", "email", "meeting"]),
        ("contact_updated", [None], [None]),
        ("opportunity_won", [None], [None]),
        ("report_exported", ["csv", "pdf", "xlsx"], [None]),
    ]
    won = next(r for r in rows if r[0] == "opportunity_won")
    assert won[3] >= 100  # amounts in whole hundreds of dollars
    updated = next(r for r in rows if r[0] == "contact_updated")
    assert updated[4] > 0  # events without properties have none at all (null map)


def test_engaged_users_answer_nps_more_kindly(small_workspace: Workspace) -> None:
    # Scores follow realized engagement (3 + 6.5 x engagement on average): users in the more
    # active half of respondents score clearly higher than the less active half.
    high, low = one(
        small_workspace,
        """
        WITH activity AS (
            SELECT user_id, count(DISTINCT "day") AS days FROM daily
            WHERE "event" <> 'notification_received' GROUP BY user_id),
        scored AS (
            SELECT r.score, coalesce(a.days, 0) AS days FROM responses AS r
            LEFT JOIN activity AS a USING (user_id) WHERE r.survey = 'nps'),
        halves AS (SELECT score, ntile(2) OVER (ORDER BY days DESC) AS half FROM scored)
        SELECT avg(score) FILTER (WHERE half = 1), avg(score) FILTER (WHERE half = 2)
        FROM halves""",
    )
    assert high > low + 1
