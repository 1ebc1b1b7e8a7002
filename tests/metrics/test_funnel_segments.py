"""Funnels per account and per user, broken down by a trait, under a user filter, with
event-property steps and workspace features, checked by hand."""

from __future__ import annotations

from tests.metrics.funnel_cases import approx, funnel, table
from tests.stories import day, journeys, user

INVITES = journeys(
    {
        "ann": [("invite_sent", day(0, 12))],
        "bob": [("invite_accepted", day(1, 12))],
        "cat": [("invite_accepted", day(0))],
        "dan": [("invite_sent", day(0, 12)), ("invite_accepted", day(0, 13))],
    },
    users={"ann": user(account="acme"), "bob": user(account="acme")},
    account_of={"cat": "globex"},
)


def test_account_funnel_merges_its_users_events(run):
    spec = funnel(["invite_sent", "invite_accepted"], unit="account")
    assert table(run(INVITES, spec)) == approx([
        # acme: ann sent, bob accepted a day later. globex never sent; dan has no account.
        (1, "invite_sent", 1, 1.0, 1.0, 0, 0.0, None, None),
        (2, "invite_accepted", 1, 1.0, 1.0, 0, 0.0, 86_400.0, 86_400.0),
    ])  # fmt: skip


def test_user_funnel_keeps_users_apart(run):
    assert table(run(INVITES, funnel(["invite_sent", "invite_accepted"]))) == approx([
        # ann and dan sent; only dan accepted himself, 1 h later.
        (1, "invite_sent", 2, 1.0, 1.0, 0, 0.0, None, None),
        (2, "invite_accepted", 1, 0.5, 0.5, 1, 0.5, 3_600.0, 3_600.0),
    ])  # fmt: skip


TEAMS = journeys(
    {
        "ann": [("login", day(0)), ("export", day(1))],
        "bob": [("login", day(0))],
        "cat": [("login", day(0, 12)), ("export", day(0, 13))],
        "dan": [("login", day(0))],
    },
    users={"ann": user(department="Sales"), "bob": user(department="Sales"),
           "cat": user(department="Eng")},
)  # fmt: skip


def test_breakdown_gives_one_funnel_per_value(run):
    spec = funnel(["login", "export"], breakdown="user.department")
    assert table(run(TEAMS, spec)) == approx([
        # dan has no profile: "(none)", which sorts first.
        ("(none)", 1, "login", 1, 1.0, 1.0, 0, 0.0, None, None),
        ("(none)", 2, "export", 0, 0.0, 0.0, 1, 1.0, None, None),
        ("Eng", 1, "login", 1, 1.0, 1.0, 0, 0.0, None, None),
        ("Eng", 2, "export", 1, 1.0, 1.0, 0, 0.0, 3_600.0, 3_600.0),
        ("Sales", 1, "login", 2, 1.0, 1.0, 0, 0.0, None, None),
        ("Sales", 2, "export", 1, 0.5, 0.5, 1, 0.5, 86_400.0, 86_400.0),
    ])  # fmt: skip


def test_user_filter_keeps_only_matching_users(run):
    spec = funnel(
        ["login", "export"], filters=[{"property": "user.department", "op": "eq", "value": "Sales"}]
    )
    assert table(run(TEAMS, spec)) == approx([
        (1, "login", 2, 1.0, 1.0, 0, 0.0, None, None),
        (2, "export", 1, 0.5, 0.5, 1, 0.5, 86_400.0, 86_400.0),
    ])  # fmt: skip


def test_a_step_can_require_an_event_property(run):
    story = journeys(
        {
            # The csv export does not count; the pdf one 2 days after login does.
            "ann": [("login", day(0)), ("export", day(1), {"format": "csv"}),
                    ("export", day(2), {"format": "pdf"})],
            "bob": [("login", day(0)), ("export", day(1), {"format": "csv"})],
            "cat": [("login", day(0, 12)), ("export", day(0, 13), {"format": "pdf"})],
        }
    )  # fmt: skip
    pdf = {
        "events": ["export"],
        "name": "exported a PDF",
        "where": [{"property": "event.format", "op": "eq", "value": "pdf"}],
    }
    assert table(run(story, funnel(["login", pdf]))) == approx([
        (1, "login", 3, 1.0, 1.0, 0, 0.0, None, None),
        # ann 172800 s, cat 3600 s: mean = median = 88200.
        (2, "exported a PDF", 2, 2 / 3, 2 / 3, 1, 1 / 3, 88_200.0, 88_200.0),
    ])  # fmt: skip


def test_feature_steps_use_the_workspace_definitions(run):
    definitions = {
        "features": [
            {"name": "reporting", "events": ["report_*"]},
            {"name": "sharing", "events": ["share"],
             "where": [{"property": "event.channel", "op": "eq", "value": "email"}]},
        ]
    }  # fmt: skip
    story = journeys(
        {
            # Report 1 h after login; the slack share is not "sharing"; the email one is
            # 47 h after the report (day 0 13:00 -> day 2 12:00).
            "ann": [("login", day(0, 12)), ("report_view", day(0, 13)),
                    ("share", day(1), {"channel": "slack"}),
                    ("share", day(2), {"channel": "email"})],
            "bob": [("login", day(0)), ("report_build", day(1))],
            # Shared before any report: stops at login.
            "cat": [("login", day(0, 12)), ("share", day(0, 13), {"channel": "email"})],
        }
    )  # fmt: skip
    steps = ["login", {"feature": "reporting"}, {"feature": "sharing", "name": "shared by email"}]
    assert table(run(story, funnel(steps), definitions)) == approx([
        (1, "login", 3, 1.0, 1.0, 0, 0.0, None, None),
        # ann 3600 s, bob 86400 s: mean = median = 45000.
        (2, "reporting", 2, 2 / 3, 2 / 3, 1, 1 / 3, 45_000.0, 45_000.0),
        (3, "shared by email", 1, 0.5, 1 / 3, 1, 0.5, 169_200.0, 169_200.0),
    ])  # fmt: skip
