"""Journey stages: when each user or account entered each stage, worked out by hand from
narrated stories (shared with test_journey_funnel.py and test_journey_members.py), on every
engine.

Day 0 is Sunday 2026-01-04; times are noon UTC unless given.
"""

from __future__ import annotations

from typing import Any

from tests.stories import account, date, day, journeys, user
from uptake.metrics import Tables
from uptake.metrics.journey_stages import stage_entries, unit_table
from uptake.metrics.spec import Unit

# A hand-written journey using every kind of criterion but `field` on accounts.
ONBOARDING: dict[str, Any] = {
    "features": [{"name": "Reports", "events": ["report_viewed", "report_exported"]}],
    "key_actions": [{"name": "Deal", "events": ["deal_created"]}],
    "value_moment": {"name": "Won", "events": ["deal_won"]},
    "activity": {"events": ["*"], "exclude": ["email_sent"]},
    "journeys": [
        {
            "name": "Onboarding",
            "stages": [
                {"name": "Signed up", "criteria": [{"field": "user.created_at"}]},
                {
                    "name": "Explored",
                    "criteria": [{"events": ["report_*"], "min_count": 2, "within_days": 3}],
                },
                {
                    "name": "Habit",
                    "criteria": [
                        {"active": True, "count": "days", "min_count": 3, "within_days": 7}
                    ],
                },
                {
                    "name": "Pro",
                    "criteria": [
                        {"property": "account.plan", "op": "eq", "value": "pro"},
                        {"key_action": "Deal"},
                    ],
                },
                {"name": "Won", "criteria": [{"value_moment": True}]},
            ],
        }
    ],
}

# ann (a1, pro, Sales), created d0 09:00:
#   report_* on d1, d5, d6: d1->d5 is 4 days (> 3), d5->d6 is 1: Explored criterion at d6 12:00.
#   active days d1, d3, d5, d6, d12 (login d6 08:00): 3 days within 7 first on d1..d5, so the
#   Habit criterion holds at d5 12:00, before Explored: Habit is entered at d6 12:00.
#   Deal on d3 (before everything) and plan pro: Pro at d6 12:00 too. Won at d12 12:00.
# bob (a2, basic, Sales), created d2 10:00:
#   report_viewed d2 13:00 and d5 13:00: exactly 3 days apart, the window is inclusive:
#   Explored at d5 13:00. Active days d2, d5, d7, d9: d2..d7 spans 6 days: Habit at d7 12:00.
#   Plan basic: never Pro, although he created a deal on d8.
# dan (a1, Support), created d3 08:00: report_viewed d3 09:00 and 10:00: Explored at d3 10:00.
#   email_sent on d4-d6 is not activity: active days d3, d10 only, never Habit.
# cat has a profile without created_at: never signs up, so never in the journey.
# eve (no account, Sales), created d-5 12:00: report_viewed d-5 13:00 and d-4 12:00 (23 hours):
#   Explored at d-4 12:00; active on d-5 and d-4 only.
ONBOARDING_STORY = journeys(
    {
        "ann": [
            ("report_viewed", day(1)),
            ("deal_created", day(3)),
            ("report_viewed", day(5)),
            ("login", day(6, 8)),
            ("report_exported", day(6)),
            ("deal_won", day(12)),
        ],
        "bob": [
            ("report_viewed", day(2, 13)),
            ("report_viewed", day(5, 13)),
            ("login", day(7)),
            ("deal_created", day(8)),
            ("login", day(9)),
        ],
        "cat": [("report_viewed", day(1)), ("report_viewed", day(2)), ("login", day(3))],
        "dan": [
            ("report_viewed", day(3, 9)),
            ("report_viewed", day(3, 10)),
            ("email_sent", day(4)),
            ("email_sent", day(5)),
            ("email_sent", day(6)),
            ("login", day(10)),
        ],
        "eve": [("report_viewed", day(-5, 13)), ("report_viewed", day(-4))],
    },
    users={
        "ann": user(account="a1", created=day(0, 9), department="Sales"),
        "bob": user(account="a2", created=day(2, 10), department="Sales"),
        "cat": user(account="a2", department="Support"),
        "dan": user(account="a1", created=day(3, 8), department="Support"),
        "eve": user(created=day(-5), department="Sales"),
    },
    accounts={"a1": account(name="Acme", plan="pro"), "a2": account(name="Beta", plan="basic")},
)

# Every stage entry with `to` = day 13 (stage_index, entered_at).
ONBOARDING_ENTRIES = {
    "ann": [(1, day(0, 9)), (2, day(6)), (3, day(6)), (4, day(6)), (5, day(12))],
    "bob": [(1, day(2, 10)), (2, day(5, 13)), (3, day(7))],
    "dan": [(1, day(3, 8)), (2, day(3, 10))],
    "eve": [(1, day(-5)), (2, day(-4))],
}

# The customer template per account. to = day 40 (end: day 41 00:00).
CUSTOMER: dict[str, Any] = {"journeys": [{"name": "Customers", "template": "customer"}]}

# a1: created d-10, customer since d0, renewed d12, not churned. Users u1 (created d-9,
#   login d-8) and u2 (created d-3, login d35). Reach d-8 (first event); Acquisition: the
#   earliest user signup d-9, so d-8; Conversion d0; Retention: active 30+ days after d0:
#   d35; Loyalty: renewal d12 passed, not churned: d35.
# a2: created d1, customer since d3, renewal d20, u3 (created d1, logins d1 13:00 and d20).
#   Reach d1 13:00, Acquisition d1 13:00, Conversion d3; no activity on or after d33.
# a3: created d-2, customer since d-1, renewal d5, churned d8; u4 (created d-2, logins d-2
#   13:00 and d40). Reach, Acquisition d-2 13:00; Conversion d-1; Retention d40; churned:
#   never Loyalty.
# a4: a lead (created d2, never started); u5 (created d2, login d2). Reach and Acquisition
#   d2; never converts.
# u6 has no account: not an account's event.
CUSTOMER_STORY = journeys(
    {
        "u1": [("login", day(-8))],
        "u2": [("login", day(35))],
        "u3": [("login", day(1, 13)), ("login", day(20))],
        "u4": [("login", day(-2, 13)), ("login", day(40))],
        "u5": [("login", day(2))],
        "u6": [("login", day(5))],
    },
    users={
        "u1": user(account="a1", created=day(-9)),
        "u2": user(account="a1", created=day(-3)),
        "u3": user(account="a2", created=day(1)),
        "u4": user(account="a3", created=day(-2)),
        "u5": user(account="a4", created=day(2)),
        "u6": user(created=day(5)),
    },
    accounts={
        "a1": account(name="Acme", plan="pro", created=day(-10), started=day(0), renewal=day(12)),
        "a2": account(name="Beta", created=day(1), started=day(3), renewal=day(20)),
        "a3": account(
            name="Gone", created=day(-2), started=day(-1), renewal=day(5), churned=day(8)
        ),
        "a4": account(name="Lead", created=day(2)),
    },
)

CUSTOMER_ENTRIES = {
    "a1": [(1, day(-8)), (2, day(-8)), (3, day(0)), (4, day(35)), (5, day(35))],
    "a2": [(1, day(1, 13)), (2, day(1, 13)), (3, day(3))],
    "a3": [(1, day(-2, 13)), (2, day(-2, 13)), (3, day(-1)), (4, day(40))],
    "a4": [(1, day(2)), (2, day(2))],
}


def entries(tables: Tables, journey: str, unit: Unit, to: int) -> dict[str, list[tuple[int, Any]]]:
    """Every unit's (stage_index, entered_at), in stage order, with `to` = day `to`."""
    chosen = tables.definitions.journey(journey)
    expr = stage_entries(tables, chosen, unit, date(to), unit_table(tables, unit))
    out: dict[str, list[tuple[int, Any]]] = {}
    for row in sorted(expr.to_pyarrow().to_pylist(), key=lambda r: (r["entity"], r["stage_index"])):
        out.setdefault(row["entity"], []).append((row["stage_index"], row["entered_at"]))
    return out


def test_every_stage_entry_of_a_hand_written_journey(tables_for):
    tables = tables_for(ONBOARDING_STORY, ONBOARDING)
    assert entries(tables, "Onboarding", "user", 13) == ONBOARDING_ENTRIES


def test_only_what_happened_by_the_end_of_to_counts(tables_for):
    # to = day 9: ann's deal won on day 12 is in the future; the rest happened by day 9.
    tables = tables_for(ONBOARDING_STORY, ONBOARDING)
    expected = {**ONBOARDING_ENTRIES, "ann": ONBOARDING_ENTRIES["ann"][:4]}
    assert entries(tables, "Onboarding", "user", 9) == expected
    # to = day 4: bob's second report (day 5) and everything of ann's after day 4 are out.
    assert entries(tables, "Onboarding", "user", 4) == {
        "ann": [(1, day(0, 9))],
        "bob": [(1, day(2, 10))],
        "dan": [(1, day(3, 8)), (2, day(3, 10))],
        "eve": [(1, day(-5)), (2, day(-4))],
    }


def test_every_stage_entry_of_the_customer_template_per_account(tables_for):
    tables = tables_for(CUSTOMER_STORY, CUSTOMER)
    assert entries(tables, "Customers", "account", 40) == CUSTOMER_ENTRIES


def test_the_customer_template_per_user_takes_account_fields_from_the_users_account(tables_for):
    # Per user: Reach = first event, Acquisition = own created_at, Conversion = the account's
    # started_at, Retention = own activity 30+ days after that, Loyalty = the account renewed.
    # u1 (a1): Reach d-8, Acquisition max(d-8, created d-9) = d-8, Conversion d0; no activity
    #   after d-8: stays there. u2 (a1): Reach d35, Acquisition d35 (created d-3), Conversion
    #   d35 (a1 started d0, earlier); Retention needs activity on or after d65: no.
    # u3 (a2): Reach d1 13:00 (created d1 12:00), Conversion d3, no activity after d33.
    # u4 (a3): Reach d-2 13:00, Conversion d-1, Retention d40 (login); a3 churned: no Loyalty.
    # u5 (a4, a lead): Reach, Acquisition d2. u6 (no account): Reach, Acquisition d5.
    tables = tables_for(CUSTOMER_STORY, CUSTOMER)
    assert entries(tables, "Customers", "user", 40) == {
        "u1": [(1, day(-8)), (2, day(-8)), (3, day(0))],
        "u2": [(1, day(35)), (2, day(35)), (3, day(35))],
        "u3": [(1, day(1, 13)), (2, day(1, 13)), (3, day(3))],
        "u4": [(1, day(-2, 13)), (2, day(-2, 13)), (3, day(-1)), (4, day(40))],
        "u5": [(1, day(2)), (2, day(2))],
        "u6": [(1, day(5)), (2, day(5))],
    }


# The adoption template over the workspace's own definitions.
ADOPTION: dict[str, Any] = {
    "features": [
        {"name": "Reports", "events": ["report_viewed"]},
        {"name": "Chat", "events": ["chat_sent"]},
    ],
    "key_actions": [{"name": "Deal", "events": ["deal_created"]}],
    "value_moment": {"name": "Won", "events": ["deal_won"]},
    "activity": {"events": ["*"], "exclude": ["email_sent"]},
    "journeys": [{"name": "Adoption", "template": "adoption"}],
}
# ann: Awareness at her first event of any kind, the passive email (d0 08:00); Interest: the
#   login on d0 and the chat on d2 (an activity event too) are 2 active days within 14: d2;
#   Evaluation: Chat on d2: d2; Trial: deal d11; Adoption: won d13.
# bob: active on d1 and d15, 14 days apart (outside a 14-day window), then d16: Interest d16;
#   Reports on d1 13:00: Evaluation d16. No deal.
# cat: one login on d3: Awareness only.
ADOPTION_STORY = journeys(
    {
        "ann": [
            ("email_sent", day(0, 8)),
            ("login", day(0)),
            ("chat_sent", day(2)),
            ("login", day(10)),
            ("deal_created", day(11)),
            ("deal_won", day(13)),
        ],
        "bob": [
            ("login", day(1)),
            ("report_viewed", day(1, 13)),
            ("login", day(15)),
            ("login", day(16)),
        ],
        "cat": [("login", day(3))],
    }
)
ADOPTION_ENTRIES = {
    "ann": [(1, day(0, 8)), (2, day(2)), (3, day(2)), (4, day(11)), (5, day(13))],
    "bob": [(1, day(1)), (2, day(16)), (3, day(16))],
    "cat": [(1, day(3))],
}


def test_every_stage_entry_of_the_adoption_template(tables_for):
    tables = tables_for(ADOPTION_STORY, ADOPTION)
    assert entries(tables, "Adoption", "user", 20) == ADOPTION_ENTRIES


def test_a_template_stage_overridden_by_name(tables_for):
    # Trial becomes "3 logins within 2 days": ann logged in on d0 and d10, bob on d1, d15 and
    # d16 (d1 to d16 is 15 days): nobody gets there, so nobody reaches Adoption either.
    overridden = {
        **ADOPTION,
        "journeys": [
            {
                "name": "Adoption",
                "template": "adoption",
                "stages": [
                    {
                        "name": "Trial",
                        "criteria": [{"events": ["login"], "min_count": 3, "within_days": 2}],
                    }
                ],
            }
        ],
    }
    tables = tables_for(ADOPTION_STORY, overridden)
    assert entries(tables, "Adoption", "user", 20) == {
        "ann": ADOPTION_ENTRIES["ann"][:3],
        "bob": ADOPTION_ENTRIES["bob"],
        "cat": ADOPTION_ENTRIES["cat"],
    }


def test_n_events_within_a_window_enters_at_the_nth_event(tables_for):
    # 3 logins within 2 days. ann logs in at d0 12:00, d1 08:00, d3 12:00, d4 06:00, d4 07:00:
    # runs of three span 3 days, then 2 days 22 hours (both > 2 days), then d3 12:00 to
    # d4 07:00, 19 hours: Busy at d4 07:00. Her third login ever (d3 12:00) comes before that,
    # so Third is entered with Busy, at d4 07:00.
    # bob's logins d1, d5, d9 span 8 days: never Busy, so never Third although he has 3.
    defs = {
        "journeys": [
            {
                "name": "Busy",
                "stages": [
                    {"name": "Seen", "criteria": [{"events": ["*"]}]},
                    {
                        "name": "Busy",
                        "criteria": [{"events": ["login"], "min_count": 3, "within_days": 2}],
                    },
                    {"name": "Third", "criteria": [{"events": ["login"], "min_count": 3}]},
                ],
            }
        ]
    }
    story = journeys(
        {
            "ann": [
                ("login", day(0)),
                ("login", day(1, 8)),
                ("login", day(3)),
                ("login", day(4, 6)),
                ("login", day(4, 7)),
            ],
            "bob": [("login", day(1)), ("login", day(5)), ("login", day(9))],
        }
    )
    tables = tables_for(story, defs)
    assert entries(tables, "Busy", "user", 20) == {
        "ann": [(1, day(0)), (2, day(4, 7)), (3, day(4, 7))],
        "bob": [(1, day(1))],
    }
