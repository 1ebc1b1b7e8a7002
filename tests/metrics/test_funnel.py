"""Funnels: ordered, strict and unordered steps, conversion windows, attempts, same-instant
events, accounts, breakdowns, filters and features, each checked by hand."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import date, day, journeys, user
from uptake.errors import SpecError
from uptake.metrics import describe, parse_spec
from uptake.service import compute

# Days 0-13 (Sun Jan 4 - Sat Jan 17), so a 14-day window from any step-1 event fits.
RANGE = {"from": str(date(0)), "to": str(date(13))}


def funnel(steps, **extra):
    return {"kind": "funnel", "steps": steps, **RANGE, **extra}


def table(result):
    """Rows as tuples: (step, step_name, entities, conversion_rate, overall_conversion_rate,
    drop_off, drop_off_rate, average_seconds_from_previous, median_seconds_from_previous),
    led by the breakdown when there is one."""
    return [tuple(row.values()) for row in result.rows]


def approx(rows):
    return [pytest.approx(row) for row in rows]


def test_columns_are_named_for_people(run):
    story = journeys({"ann": [("signup", day(0)), ("invite", day(1))]})
    result = run(story, funnel(["signup", "invite"]))
    assert [c.name for c in result.columns] == [
        "step", "step_name", "entities", "conversion_rate", "overall_conversion_rate",
        "drop_off", "drop_off_rate", "average_seconds_from_previous",
        "median_seconds_from_previous",
    ]  # fmt: skip


def test_ordered_allows_other_events_between_steps_and_times_each_step(run):
    story = journeys(
        {
            # 2 h to create a project, then 1 day to invite, with browsing in between.
            "ann": [
                ("signup", day(0, 12)),
                ("browse", day(0, 13)),
                ("create_project", day(0, 14)),
                ("browse", day(1, 9)),
                ("invite", day(1, 14)),
            ],
            # 10 minutes, then 3 days.
            "bob": [
                ("signup", day(0, 12)),
                ("create_project", day(0, 12, 10)),
                ("invite", day(3, 12, 10)),
            ],
            # 1 day to create, never invites.
            "cat": [("signup", day(1)), ("create_project", day(2))],
            "dan": [("signup", day(2))],
            # Never signed up in the range: not in the funnel at all.
            "eve": [("create_project", day(0)), ("invite", day(1))],
        }
    )
    result = run(story, funnel(["signup", "create_project", "invite"]))
    assert table(result) == approx([
        # ann, bob, cat, dan start.
        (1, "signup", 4, 1.0, 1.0, 0, 0.0, None, None),
        # ann 7200 s, bob 600 s, cat 86400 s: mean 94200 / 3 = 31400, median 7200.
        (2, "create_project", 3, 0.75, 0.75, 1, 0.25, 31_400.0, 7_200.0),
        # ann 86400 s, bob 259200 s: mean and median 172800.
        (3, "invite", 2, 2 / 3, 0.5, 1, 1 / 3, 172_800.0, 172_800.0),
    ])  # fmt: skip


STRICT_STORY = journeys(
    {
        "ann": [("open_editor", day(0, 12)), ("save", day(0, 12, 5))],
        # Asks for help between opening and saving.
        "bob": [("open_editor", day(0, 12)), ("help", day(0, 12, 1)), ("save", day(0, 12, 5))],
        # First attempt broken by help; the second (10:02 -> 10:03) is unbroken.
        "dan": [("open_editor", day(0, 10)), ("help", day(0, 10, 1)),
                ("open_editor", day(0, 10, 2)), ("save", day(0, 10, 3))],
    }
)  # fmt: skip


def test_strict_is_broken_by_any_event_in_between(run):
    result = run(STRICT_STORY, funnel(["open_editor", "save"], order="strict"))
    assert table(result) == approx([
        (1, "open_editor", 3, 1.0, 1.0, 0, 0.0, None, None),
        # ann 300 s and dan's second attempt 60 s; bob is broken by help.
        (2, "save", 2, 2 / 3, 2 / 3, 1, 1 / 3, 180.0, 180.0),
    ])  # fmt: skip


def test_ordered_takes_the_earliest_of_equally_far_attempts(run):
    result = run(STRICT_STORY, funnel(["open_editor", "save"]))
    assert table(result) == approx([
        (1, "open_editor", 3, 1.0, 1.0, 0, 0.0, None, None),
        # ann 300 s, bob 300 s, dan from his first open (10:00 -> 10:03) 180 s, not 60 s:
        # mean 780 / 3 = 260, median 300.
        (2, "save", 3, 1.0, 1.0, 0, 0.0, 260.0, 300.0),
    ])  # fmt: skip


def test_strict_reads_only_events_passing_the_filters(run):
    # Without help events (filtered out), bob's sequence is unbroken: 300 s.
    spec = funnel(
        ["open_editor", "save"],
        order="strict",
        filters=[{"property": "event", "op": "neq", "value": "help"}],
    )
    assert table(run(STRICT_STORY, spec)) == approx([
        (1, "open_editor", 3, 1.0, 1.0, 0, 0.0, None, None),
        # ann 300, bob 300; dan's first attempt is still broken, by his second open_editor,
        # so his second one counts: 60. Mean 660 / 3 = 220, median 300.
        (2, "save", 3, 1.0, 1.0, 0, 0.0, 220.0, 300.0),
    ])  # fmt: skip


REVERSED = journeys(
    {
        "ann": [("import_contacts", day(0)), ("connect_crm", day(1)), ("signup", day(2))],
        "bob": [("connect_crm", day(0)), ("signup", day(1))],
        "cat": [("import_contacts", day(0))],
        # 15 days apart: never two steps within one 14-day window.
        "dan": [("signup", day(0)), ("connect_crm", day(15))],
    }
)
REVERSED_RANGE = {"from": str(date(0)), "to": str(date(20))}
REVERSED_STEPS = ["signup", "connect_crm", "import_contacts"]


def test_unordered_counts_steps_done_in_any_order(run):
    spec = {**funnel(REVERSED_STEPS, order="unordered"), **REVERSED_RANGE}
    assert table(run(REVERSED, spec)) == approx([
        # Everyone did at least one step; ann and bob two; ann all three (in reverse).
        (1, "completed 1 step", 4, 1.0, 1.0, 0, 0.0, None, None),
        (2, "completed 2 steps", 2, 0.5, 0.5, 2, 0.5, None, None),
        (3, "completed 3 steps", 1, 0.5, 0.25, 1, 0.5, None, None),
    ])  # fmt: skip


def test_reverse_order_does_not_convert_an_ordered_funnel(run):
    spec = {**funnel(REVERSED_STEPS), **REVERSED_RANGE}
    assert table(run(REVERSED, spec)) == approx([
        # ann, bob and dan signed up; cat never did. Nobody connected after signing up
        # within 14 days (dan's connect is 15 days later).
        (1, "signup", 3, 1.0, 1.0, 0, 0.0, None, None),
        (2, "connect_crm", 0, 0.0, 0.0, 3, 1.0, None, None),
        (3, "import_contacts", 0, None, 0.0, 0, None, None, None),
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("order", "seconds"), [("ordered", 7200.0), ("strict", 7200.0), ("unordered", None)]
)
def test_window_end_is_inclusive_to_the_second(run, order, seconds):
    story = journeys(
        {
            "ann": [("trial_started", day(0, 12)), ("subscribed", day(0, 14))],  # exactly 2 h
            "bob": [("trial_started", day(0, 12)), ("subscribed", day(0, 14, 0, 1))],  # 2 h 1 s
        }
    )
    spec = funnel(
        ["trial_started", "subscribed"],
        order=order,
        conversion_window=2,
        conversion_window_unit="hour",
    )
    names = (
        ["trial_started", "subscribed"]
        if order != "unordered"
        else ["completed 1 step", "completed 2 steps"]
    )
    assert table(run(story, spec)) == approx([
        (1, names[0], 2, 1.0, 1.0, 0, 0.0, None, None),
        (2, names[1], 1, 0.5, 0.5, 1, 0.5, seconds, seconds),
    ])  # fmt: skip


def test_steps_outside_the_range_do_not_count(run):
    story = journeys(
        {
            # Signed up the day before the range.
            "ann": [("signup", day(6)), ("activate", day(8))],
            # Both ends of the range: 6 days 23:59:59 = 604799 s.
            "bob": [("signup", day(7, 0)), ("activate", day(13, 23, 59, 59))],
            # Activated just after the range ends.
            "cat": [("signup", day(12)), ("activate", day(14, 0))],
            # The signup before the range is ignored; the one inside converts in 1 day.
            "dan": [("signup", day(5)), ("signup", day(9)), ("activate", day(10))],
        }
    )
    spec = funnel(["signup", "activate"]) | {"from": str(date(7)), "to": str(date(13))}
    assert table(run(story, spec)) == approx([
        (1, "signup", 3, 1.0, 1.0, 0, 0.0, None, None),
        # bob 604799 s, dan 86400 s: mean = median = 345599.5.
        (2, "activate", 2, 2 / 3, 2 / 3, 1, 1 / 3, 345_599.5, 345_599.5),
    ])  # fmt: skip


def test_each_entity_counts_once_by_its_furthest_attempt(run):
    story = journeys(
        {
            # Attempt from day 0 reaches checkout, but the purchase (day 7) is past its 3-day
            # window; the attempt from day 5 goes all the way: 1 day, then 1 day.
            "ann": [("view_pricing", day(0)), ("start_checkout", day(1)),
                    ("view_pricing", day(5)), ("start_checkout", day(6)), ("purchase", day(7))],
            # Two attempts reach checkout; the earliest gives the time: 24 h, not 18 h.
            "bob": [("view_pricing", day(0, 12)), ("view_pricing", day(0, 18)),
                    ("start_checkout", day(1, 12))],
        }
    )  # fmt: skip
    spec = funnel(["view_pricing", "start_checkout", "purchase"], conversion_window=3)
    assert table(run(story, spec)) == approx([
        (1, "view_pricing", 2, 1.0, 1.0, 0, 0.0, None, None),
        (2, "start_checkout", 2, 1.0, 1.0, 0, 0.0, 86_400.0, 86_400.0),
        (3, "purchase", 1, 0.5, 0.5, 1, 0.5, 86_400.0, 86_400.0),
    ])  # fmt: skip


SAME_INSTANT = journeys(
    {
        "ann": [("upload", day(0)), ("process", day(0))],
        # Logged in the other order at the same instant: taken in funnel order.
        "bob": [("process", day(0)), ("upload", day(0))],
        # An unrelated event at the upload's instant, the step a minute later.
        "dan": [("upload", day(0)), ("help", day(0)), ("process", day(0, 12, 1))],
        # Everything at one instant: step events come before other events.
        "eve": [("help", day(0)), ("process", day(0)), ("upload", day(0))],
    }
)


def test_a_later_step_may_share_the_previous_steps_timestamp(run):
    assert table(run(SAME_INSTANT, funnel(["upload", "process"]))) == approx([
        (1, "upload", 4, 1.0, 1.0, 0, 0.0, None, None),
        # ann 0 s, bob 0 s, dan 60 s, eve 0 s: mean 15, median 0.
        (2, "process", 4, 1.0, 1.0, 0, 0.0, 15.0, 0.0),
    ])  # fmt: skip


def test_strict_at_one_instant_takes_step_events_first(run):
    assert table(run(SAME_INSTANT, funnel(["upload", "process"], order="strict"))) == approx([
        (1, "upload", 4, 1.0, 1.0, 0, 0.0, None, None),
        # dan's help (same instant as upload) sits between upload and process.
        (2, "process", 3, 0.75, 0.75, 1, 0.25, 0.0, 0.0),
    ])  # fmt: skip


CLICKS = journeys(
    {
        "ann": [("click", day(0))],
        "bob": [("click", day(0, 12)), ("click", day(0, 12, 5))],
        "cat": [("click", day(1)), ("click", day(1))],  # two clicks at one instant
    }
)


def test_one_event_never_counts_for_two_steps(run):
    result = run(CLICKS, funnel(["click", {"events": ["click"], "name": "clicked again"}]))
    assert table(result) == approx([
        (1, "click", 3, 1.0, 1.0, 0, 0.0, None, None),
        # ann's single click is only step 1; bob 300 s, cat 0 s (two events, one instant).
        (2, "clicked again", 2, 2 / 3, 2 / 3, 1, 1 / 3, 150.0, 150.0),
    ])  # fmt: skip


def test_unordered_one_event_never_counts_for_two_steps(run):
    spec = funnel(["click", "click"], order="unordered")
    assert table(run(CLICKS, spec)) == approx([
        (1, "completed 1 step", 3, 1.0, 1.0, 0, 0.0, None, None),
        (2, "completed 2 steps", 2, 2 / 3, 2 / 3, 1, 1 / 3, None, None),
    ])  # fmt: skip


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


def test_step_name_defaults_to_the_events_joined(run):
    story = journeys({"ann": [("signup", day(0)), ("export_csv", day(1))]})
    result = run(story, funnel(["signup", {"events": ["export_*", "print"]}]))
    assert result.column("step_name") == ["signup", "export_* | print"]
    assert result.column("entities") == [1, 1]


def test_no_entities_gives_every_step_with_zero_and_no_rates(run):
    story = journeys({"ann": [("login", day(0))]})
    assert table(run(story, funnel(["signup", "invite", "pay"]))) == [
        (1, "signup", 0, None, None, 0, None, None, None),
        (2, "invite", 0, None, None, 0, None, None, None),
        (3, "pay", 0, None, None, 0, None, None, None),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": ["signup"]}, "a funnel needs 2 to 20 steps, got 1"),
        ({"steps": [f"e{i}" for i in range(21)]}, "a funnel needs 2 to 20 steps, got 21"),
        ({"steps": ["a", {"events": ["b"], "feature": "x"}]}, "needs `events` or `feature`"),
        ({"steps": ["a", {"name": "b"}]}, "needs `events` or `feature`"),
        ({"steps": ["a", {"events": []}]}, "`events` must not be empty"),
        (
            {
                "steps": [
                    "a",
                    {
                        "events": ["b"],
                        "where": [{"property": "user.plan", "op": "eq", "value": "pro"}],
                    },
                ]
            },
            "funnel's `filters`",
        ),
        ({"order": "sequential"}, "order"),
        ({"conversion_window": 0}, "conversion_window: Value error, must be at least 1, got 0"),
        ({"conversion_window": 600, "conversion_window_unit": "week"}, "10 years"),
        ({"conversion_window_unit": "month"}, "conversion_window_unit"),
    ],
)
def test_invalid_specs_are_explained(change, message):
    with pytest.raises(SpecError, match="invalid funnel spec") as caught:
        parse_spec(funnel(["signup", "invite"]) | change)
    assert message in str(caught.value)


def test_missing_steps_are_explained():
    with pytest.raises(SpecError, match="steps: Value error, a funnel needs 2 to 20 steps, got 0"):
        parse_spec({"kind": "funnel"})


def test_funnel_is_described_with_its_parameters():
    (info,) = [i for i in describe() if i.kind == "funnel"]
    names = [p.name for p in info.parameters]
    assert names[-4:] == ["steps", "order", "conversion_window", "conversion_window_unit"]
    json.dumps(info.model_dump(mode="json"))  # `uptake metrics --format json` prints this


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_unknown_feature_is_a_spec_error(run):
    story = journeys({"ann": [("login", day(0))]})
    with pytest.raises(SpecError, match="unknown feature 'nope'"):
        run(story, funnel(["login", {"feature": "nope"}]))


# Properties on random small stories (DuckDB only: they run many queries). Hours 22-40 run
# from day 0 22:00 to day 1 16:00 and the range starts on day 1, so some events fall before
# it. Names repeat, hours collide and windows are a few whole hours, so steps sharing an
# instant, events matching several steps and steps exactly at the window's end all occur.
NAMES = ("a", "b", "c", "x")
RANDOM_RANGE = {"from": str(date(1)), "to": str(date(2))}
IN_RANGE_HOURS = range(24, 72)

stories = st.dictionaries(
    st.sampled_from(["u0", "u1", "u2", "u3"]),
    st.lists(st.tuples(st.sampled_from(NAMES), st.integers(22, 40)), max_size=10),
    min_size=1,
)
step_lists = st.lists(st.sampled_from(("a", "b", "c")), min_size=2, max_size=4)


def _walk(events, steps):
    """An entity's events sorted as the funnel walks them: by time, then funnel order."""
    n = len(steps)

    def key(name):
        return sum(2 ** (n - 1 - j) for j, s in enumerate(steps) if s == name)

    return sorted(events, key=lambda e: (e[1], -key(e[0])))


def _ordered_reach(seq, steps, window):
    """Brute force: the most steps any increasing choice of events reaches from a step-1
    event, each within `window` hours of it."""

    def deeper(pos, done, start):
        if done == len(steps):
            return done
        return max([done] + [
            deeper(j, done + 1, start) for j in range(pos + 1, len(seq))
            if seq[j][0] == steps[done] and seq[j][1] <= start + window
        ])  # fmt: skip

    return max([0] + [deeper(i, 1, t) for i, (name, t) in enumerate(seq) if name == steps[0]])


def _strict_reach(seq, steps, window):
    best = 0
    for i, (name, start) in enumerate(seq):
        if name != steps[0]:
            continue
        done = 1
        while (
            done < len(steps)
            and i + done < len(seq)
            and seq[i + done][0] == steps[done]
            and seq[i + done][1] <= start + window
        ):
            done += 1
        best = max(best, done)
    return best


def _matching(steps, names):
    """Maximum matching of steps to distinct events (augmenting paths)."""
    owner: dict[int, int] = {}

    def place(step, seen):
        for e, name in enumerate(names):
            if name == steps[step] and e not in seen:
                seen.add(e)
                if e not in owner or place(owner[e], seen):
                    owner[e] = step
                    return True
        return False

    return sum(place(s, set()) for s in range(len(steps)))


def _unordered_reach(events, steps, window):
    anchors = [t for name, t in events if name in steps]
    return max([0] + [
        _matching(steps, [name for name, t in events if a <= t <= a + window and name in steps])
        for a in anchors
    ])  # fmt: skip


def _counts(reaches, steps):
    return [sum(r >= k for r in reaches) for k in range(1, len(steps) + 1)]


@settings(max_examples=25, deadline=None)
@given(paths=stories, steps=step_lists, window_hours=st.sampled_from([1, 2, 3, 6]))
def test_funnel_properties_on_duckdb(paths, steps, window_hours):
    story = journeys({u: [(name, day(h // 24, h % 24)) for name, h in evs]
                      for u, evs in paths.items()})  # fmt: skip
    spec = {"kind": "funnel", "steps": steps, **RANDOM_RANGE, "conversion_window": window_hours,
            "conversion_window_unit": "hour"}  # fmt: skip
    with duckdb_tables(story) as tables:
        got = {order: compute(spec | {"order": order}, tables).column("entities")
               for order in ("ordered", "strict", "unordered")}  # fmt: skip

    for counts in got.values():
        assert all(a >= b for a, b in itertools.pairwise(counts))  # never rise
    assert all(s <= o for s, o in zip(got["strict"], got["ordered"], strict=True))
    assert all(u >= o for u, o in zip(got["unordered"], got["ordered"], strict=True))
    starters = {u for u, evs in paths.items()
                for name, h in evs if name == steps[0] and h in IN_RANGE_HOURS}  # fmt: skip
    assert got["ordered"][0] == len(starters)

    # The same numbers from brute force over each user's events in the range.
    in_range = {
        u: [(name, h) for name, h in evs if h in IN_RANGE_HOURS] for u, evs in paths.items()
    }
    ordered = [_ordered_reach(_walk([e for e in evs if e[0] in steps], steps), steps, window_hours)
               for evs in in_range.values()]  # fmt: skip
    strict = [_strict_reach(_walk(evs, steps), steps, window_hours) for evs in in_range.values()]
    unordered = [_unordered_reach(evs, steps, window_hours) for evs in in_range.values()]
    assert got["ordered"] == _counts(ordered, steps)
    assert got["strict"] == _counts(strict, steps)
    if len(set(steps)) == len(steps):
        # No event can match two steps: the unordered count is an exact matching.
        assert got["unordered"] == _counts(unordered, steps)
    else:
        assert all(g >= b for g, b in zip(got["unordered"], _counts(unordered, steps), strict=True))


# A twenty-step ordered funnel takes Spark about a minute here (eighteen chained joins).
@pytest.mark.parametrize(
    "engine",
    ["duckdb", pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.slow])],
    indirect=True,
)
@pytest.mark.parametrize("order", ["ordered", "strict"])
def test_twenty_steps(run, order):
    steps = [f"s{i}" for i in range(1, 21)]
    story = journeys(
        {
            # All twenty, one minute apart: every step 60 s after the previous.
            "ann": [(name, day(0, 12, i)) for i, name in enumerate(steps)],
            # The first ten only.
            "bob": [(name, day(0, 12, i)) for i, name in enumerate(steps[:10])],
        }
    )
    result = run(story, funnel(steps, order=order))
    expected = [(1, "s1", 2, 1.0, 1.0, 0, 0.0, None, None)]
    expected += [(k, f"s{k}", 2, 1.0, 1.0, 0, 0.0, 60.0, 60.0) for k in range(2, 11)]
    expected += [(11, "s11", 1, 0.5, 0.5, 1, 0.5, 60.0, 60.0)]
    expected += [(k, f"s{k}", 1, 1.0, 0.5, 0, 0.0, 60.0, 60.0) for k in range(12, 21)]
    assert table(result) == approx(expected)
