"""Activity KPIs: counts, doers, per active user and per doer, checked by hand."""

from __future__ import annotations

import pytest

from tests.stories import date, day, journeys, user
from uptake.errors import SpecError

# Sunday weeks: wk1 = days 0-6, wk2 = days 7-13. `email_received` is passive (not activity).
#
# wk1: ann creates 2 contacts and a deal, closes a task (done); bob closes a task that was
#      cancelled (not a "closed" KPI event: the KPI wants status = done); cat creates a contact;
#      dan only receives an email (not active).
#      Active: ann, bob, cat = 3.
# wk2: ann closes two tasks (done); bob creates a contact; dan logs in.
#      Active: ann, bob, dan = 3.
STORY = journeys(
    {
        "ann": [
            ("login", day(1)),
            ("contact_created", day(1)),
            ("contact_created", day(2)),
            ("deal_created", day(3)),
            ("task_closed", day(3), {"status": "done"}),
            ("task_closed", day(8), {"status": "done"}),
            ("task_closed", day(9), {"status": "done"}),
        ],
        "bob": [
            ("login", day(2)),
            ("task_closed", day(4), {"status": "cancelled"}),
            ("contact_created", day(10)),
        ],
        "cat": [("login", day(5)), ("contact_created", day(5))],
        "dan": [("email_received", day(4)), ("login", day(11))],
    },
    users={
        "ann": user(account="acme", department="Sales"),
        "bob": user(account="acme", department="Sales"),
        "cat": user(account="globex", department="Support"),
    },
)
DEFINITIONS = {
    "activity": {"exclude": ["email_received"]},
    "kpis": [
        {"name": "Records created", "events": ["contact_created", "deal_created"]},
        {
            "name": "Tasks closed",
            "events": ["task_closed"],
            "where": [{"property": "event.status", "op": "eq", "value": "done"}],
        },
        {"name": "Calls logged", "events": ["call_logged"]},
    ],
}
WEEKS = {"from": str(date(0)), "to": str(date(13)), "period": "week"}
COLUMNS = ("kpi", "period", "count", "active_users", "per_active_user", "per_user")


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def approx_rows(rows):
    return [tuple(pytest.approx(v) if isinstance(v, float) else v for v in r) for r in rows]


def test_every_kpi_per_week(run):
    # Calls logged: nobody -> zeros; per active user 0 / 3 = 0; per doer 0 / 0 = null.
    # Records created wk1: ann 3 + cat 1 = 4 by 2 doers, 3 active -> 4/3 and 4/2.
    #                 wk2: bob 1 -> 1/3 per active user, 1/1 per doer.
    # Tasks closed (done) wk1: ann 1 (bob's cancelled one is out) -> 1/3, 1/1.
    #                     wk2: ann 2 -> 2/3, 2/1.
    result = run(STORY, {"kind": "activity_kpi", **WEEKS}, DEFINITIONS)
    assert [c.name for c in result.columns] == list(COLUMNS)
    assert values(result, *COLUMNS) == approx_rows(
        [
            ("Calls logged", date(0), 0, 0, 0.0, None),
            ("Calls logged", date(7), 0, 0, 0.0, None),
            ("Records created", date(0), 4, 2, 4 / 3, 2.0),
            ("Records created", date(7), 1, 1, 1 / 3, 1.0),
            ("Tasks closed", date(0), 1, 1, 1 / 3, 1.0),
            ("Tasks closed", date(7), 2, 1, 2 / 3, 2.0),
        ]
    )


def test_choosing_kpis_by_name(run):
    spec = {"kind": "activity_kpi", "kpis": ["Tasks closed"], **WEEKS}
    assert values(run(STORY, spec, DEFINITIONS), *COLUMNS) == approx_rows(
        [
            ("Tasks closed", date(0), 1, 1, 1 / 3, 1.0),
            ("Tasks closed", date(7), 2, 1, 2 / 3, 2.0),
        ]
    )


def test_breakdown_by_department(run):
    # Active per department: wk1 Sales ann, bob = 2; Support cat = 1; (none) dan is passive = 0.
    #                        wk2 Sales ann, bob = 2; Support 0; (none) dan = 1.
    # Records created wk1: Sales ann 3 -> 3/2, 3/1; Support cat 1 -> 1/1, 1/1; (none) 0 and no
    #   one active -> null, null. wk2: Sales bob 1 -> 1/2, 1/1; Support 0 with no one active ->
    #   null; (none) 0 of 1 active -> 0.0, null.
    spec = {
        "kind": "activity_kpi",
        "kpis": ["Records created"],
        "breakdown": "user.department",
        **WEEKS,
    }
    cols = ("kpi", "period", "breakdown", *COLUMNS[2:])
    assert values(run(STORY, spec, DEFINITIONS), *cols) == approx_rows(
        [
            ("Records created", date(0), "(none)", 0, 0, None, None),
            ("Records created", date(0), "Sales", 3, 1, 1.5, 3.0),
            ("Records created", date(0), "Support", 1, 1, 1.0, 1.0),
            ("Records created", date(7), "(none)", 0, 0, 0.0, None),
            ("Records created", date(7), "Sales", 1, 1, 0.5, 1.0),
            ("Records created", date(7), "Support", 0, 0, None, None),
        ]
    )


def test_per_account(run):
    # acme = ann + bob, globex = cat; dan has no account and is left out.
    # wk1: acme 3 + globex 1 = 4 by 2 accounts; active accounts acme, globex = 2 -> 2.0, 2.0.
    # wk2: acme 1 (bob) by 1 account; active accounts: acme only -> 1.0, 1.0.
    spec = {"kind": "activity_kpi", "kpis": ["Records created"], "unit": "account", **WEEKS}
    assert values(run(STORY, spec, DEFINITIONS), *COLUMNS) == approx_rows(
        [
            ("Records created", date(0), 4, 2, 2.0, 2.0),
            ("Records created", date(7), 1, 1, 1.0, 1.0),
        ]
    )


def test_user_filter_applies_to_kpi_events_and_actives(run):
    # Support only = cat: wk1 1 record by 1 doer, 1 active; wk2 nothing, nobody active.
    spec = {
        "kind": "activity_kpi",
        "kpis": ["Records created"],
        **WEEKS,
        "filters": [{"property": "user.department", "op": "eq", "value": "Support"}],
    }
    assert values(run(STORY, spec, DEFINITIONS), *COLUMNS) == approx_rows(
        [
            ("Records created", date(0), 1, 1, 1.0, 1.0),
            ("Records created", date(7), 0, 0, None, None),
        ]
    )


def test_unknown_kpi_is_a_clear_error(run):
    spec = {"kind": "activity_kpi", "kpis": ["Deals won"], **WEEKS}
    with pytest.raises(SpecError, match=r"unknown kpi 'Deals won'; defined: \['Records created'"):
        run(STORY, spec, DEFINITIONS)


def test_a_workspace_without_kpis_is_a_clear_error(run):
    with pytest.raises(SpecError, match=r"this workspace declares no KPIs: add \[\[kpis\]\]"):
        run(STORY, {"kind": "activity_kpi", **WEEKS})


def test_empty_or_repeated_kpi_names_are_rejected(run):
    with pytest.raises(SpecError, match="`kpis` must not be empty"):
        run(STORY, {"kind": "activity_kpi", "kpis": [], **WEEKS}, DEFINITIONS)
    with pytest.raises(SpecError, match="KPI names listed twice: 'Tasks closed'"):
        run(
            STORY,
            {"kind": "activity_kpi", "kpis": ["Tasks closed", "Tasks closed"], **WEEKS},
            DEFINITIONS,
        )
