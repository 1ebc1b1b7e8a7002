"""Funnels checked by hand: ordered, strict and unordered steps, conversion windows (inclusive
to the second), the date range, attempts (furthest, then earliest), same-instant events, one
event per step, and long funnels. Accounts, breakdowns, filters and features:
test_funnel_segments.py; names, empty results and spec errors: test_funnel_spec.py;
invariants on random stories: test_funnel_properties.py."""

from __future__ import annotations

import pytest

from tests.metrics.funnel_cases import approx, funnel, table
from tests.stories import date, day, journeys


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
