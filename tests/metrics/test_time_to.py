"""Time to first action, key action, value and any event: counts, percentiles and buckets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import definitions_of, duckdb_tables
from tests.stories import account, date, day, journeys, user
from uptake.errors import SpecError
from uptake.service import compute

# Day 0 is Sunday 2026-01-04. Signups counted: days 0-13 (two Sunday weeks).
RANGE = {"from": str(date(0)), "to": str(date(13))}

DEFINITIONS = {
    "activity": {"events": ["*"], "exclude": ["email_opened"]},
    "key_actions": [
        {"name": "Created a deal", "events": ["deal_created"]},
        {"name": "Invited a teammate", "events": ["invite_*"]},
        # A property condition: read from raw events, then merged with the two above.
        {
            "name": "Won a big deal",
            "events": ["deal_won"],
            "where": [{"property": "event.amount", "op": "gte", "value": 500}],
        },
    ],
    # Only a deal with money in it is the value moment (read from raw events).
    "value_moment": {
        "name": "Won a paying deal",
        "events": ["deal_won"],
        "where": [{"property": "event.amount", "op": "gt", "value": 0}],
    },
}

STORY = journeys(
    {
        # Signed up day 0 09:00. A passive email first, then a login at 09:30 (0.5 h), a deal
        # at 10:00 (exactly 1 h), a paying deal won on day 2 09:00 (48 h).
        "ann": [
            ("email_opened", day(0, 9, 10)),
            ("login", day(0, 9, 30)),
            ("deal_created", day(0, 10)),
            ("deal_won", day(2, 9), {"amount": 500}),
        ],
        # Signed up day 1 noon: logs in at once (0 h), invites exactly 24 h later, wins a deal
        # worth 0 on day 3 (not the value moment), a paying one on day 9 noon (192 h).
        "bob": [
            ("login", day(1)),
            ("invite_sent", day(2)),
            ("deal_won", day(3), {"amount": 0}),
            ("deal_won", day(9), {"amount": 100}),
        ],
        # Profile dated day 3 noon but active since day 2 noon (an import): a user's signup is
        # the earlier of the two, day 2 noon. First action 0 h; first deal 8 days later (192 h).
        "cat": [("login", day(2)), ("deal_created", day(10))],
        # Signed up day 5, only a passive email: never reaches anything.
        "dan": [("email_opened", day(5, 1))],
        # Signed up day 6 noon, logs in 59 min 59 s later; her first deal (day 15) is after `to`.
        "eve": [("login", day(6, 12, 59, 59)), ("deal_created", day(15))],
        # Signed up before (fay) or after (gus) the range: not counted.
        "fay": [("login", day(0))],
        "gus": [("login", day(14))],
        # Signed up day 8 noon, logs in 2 h later.
        "hal": [("login", day(8, 14))],
    },
    users={
        "ann": user(account="acme", created=day(0, 9), department="Sales"),
        "bob": user(account="acme", created=day(1), department="Sales"),
        "cat": user(account="globex", created=day(3), department="Support"),
        "dan": user(created=day(5, 0)),
        "eve": user(account="globex", created=day(6), department="Support"),
        "fay": user(account="acme", created=day(-3), department="Sales"),
        "gus": user(created=day(14), department="Sales"),
        "hal": user(account="initech", created=day(8), department="Sales"),
    },
    accounts={"acme": account(started=day(0, 8)), "globex": account(created=day(4))},
)

SUMMARY = (
    "signed_up", "reached", "reached_rate", "median_hours", "p25_hours", "p75_hours",
    "mean_hours",
)  # fmt: skip
DISTRIBUTION = ("bucket", "bucket_order", "entities", "share", "cumulative_share")
BUCKETS = [
    "< 1 hour", "1-24 hours", "1-3 days", "3-7 days", "7-14 days", "14-30 days", "30+ days",
    "not yet",
]  # fmt: skip


def expect(result: Any, columns: tuple[str, ...], want: list[tuple[Any, ...]]) -> None:
    """The result has exactly these columns and rows (floats to 1e-6)."""
    assert [c.name for c in result.columns] == list(columns)
    assert len(result.rows) == len(want)
    for row, values in zip(result.rows, want, strict=True):
        assert row == pytest.approx(dict(zip(columns, values, strict=True)))


def distribution(counts: list[int]) -> list[tuple[Any, ...]]:
    """Expected distribution rows from the entity count of each bucket, in bucket order."""
    total = sum(counts)
    running = [sum(counts[: i + 1]) for i in range(len(counts))]
    return [
        (label, i + 1, n, n / total, cum / total)
        for i, (label, n, cum) in enumerate(zip(BUCKETS, counts, running, strict=True))
    ]


def test_first_action(run):
    # Signed up in range: ann, bob, cat, dan, eve, hal (6). Hours to the first activity event:
    # ann 0.5 (the email is passive), bob 0, cat 0 (signup = his first event), eve 3599 s,
    # hal 2; dan never.
    # Sorted [0, 0, 0.5, 3599/3600, 2]: median 0.5; p25 at rank 1 = 0; p75 at rank 3 =
    # 3599/3600; mean (0.5 + 3599/3600 + 2) / 5 = 12599/18000.
    result = run(STORY, {"kind": "time_to", "target": "first_action", **RANGE}, DEFINITIONS)
    expect(result, SUMMARY, [(6, 5, 5 / 6, 0.5, 0.0, 3599 / 3600, 12599 / 18000)])


def test_any_key_action(run):
    # ann deal 1 h (her big win at 48 h comes later), bob invite 24 h (his wins are small),
    # cat deal 192 h; eve's deal is after `to`; dan, hal none.
    # [1, 24, 192]: median 24; p25 at rank 0.5 = 1 + 0.5 * 23 = 12.5; p75 at rank 1.5 =
    # 24 + 0.5 * 168 = 108; mean 217 / 3.
    result = run(STORY, {"kind": "time_to", "target": "key_action", **RANGE}, DEFINITIONS)
    expect(result, SUMMARY, [(6, 3, 0.5, 24.0, 12.5, 108.0, 217 / 3)])


def test_one_key_action_by_name(run):
    # Only bob invited someone, 24 h after signing up.
    spec = {"kind": "time_to", "target": "key_action", "key_action": "Invited a teammate",
            **RANGE}  # fmt: skip
    expect(run(STORY, spec, DEFINITIONS), SUMMARY, [(6, 1, 1 / 6, 24.0, 24.0, 24.0, 24.0)])


def test_value_moment_with_a_property_condition(run):
    # ann's 500 deal at 48 h; bob's 0 deal does not count, his 100 deal at 192 h.
    # [48, 192]: median 120, p25 48 + 0.25 * 144 = 84, p75 156, mean 120.
    result = run(STORY, {"kind": "time_to", "target": "value", **RANGE}, DEFINITIONS)
    expect(result, SUMMARY, [(6, 2, 1 / 3, 120.0, 84.0, 156.0, 120.0)])


def test_event_by_glob(run):
    # First deal_* event: ann deal_created 1 h, bob deal_won (any amount) day 3 = 48 h, cat
    # 192 h. [1, 48, 192]: median 48, p25 1 + 0.5 * 47 = 24.5, p75 48 + 0.5 * 144 = 120,
    # mean 241 / 3.
    spec = {"kind": "time_to", "target": "event", "events": ["deal_*"], **RANGE}
    expect(run(STORY, spec, DEFINITIONS), SUMMARY, [(6, 3, 0.5, 48.0, 24.5, 120.0, 241 / 3)])


def test_distribution_of_key_actions(run):
    # ann exactly 1 h -> "1-24 hours"; bob exactly 24 h -> "1-3 days"; cat 192 h ->
    # "7-14 days"; dan, eve (after `to`), hal -> "not yet". Shares of 6.
    spec = {"kind": "time_to", "target": "key_action", "output": "distribution", **RANGE}
    expect(run(STORY, spec, DEFINITIONS), DISTRIBUTION, distribution([0, 1, 1, 0, 1, 0, 0, 3]))


def test_distribution_of_first_action(run):
    # "< 1 hour": ann 0.5 h, bob 0, cat 0, eve 3599 s; "1-24 hours": hal 2 h; "not yet": dan.
    spec = {"kind": "time_to", "target": "first_action", "output": "distribution", **RANGE}
    expect(run(STORY, spec, DEFINITIONS), DISTRIBUTION, distribution([4, 1, 0, 0, 0, 0, 0, 1]))


def test_per_signup_week_and_department(run):
    # wk1 signups: ann (Sales 0.5), bob (Sales 0), cat (Support 0), dan ((none), never),
    # eve (Support 3599 s); wk2: hal (Sales 2). Every week x department row is shown.
    # Sales wk1 [0, 0.5]: median 0.25, p25 0.125, p75 0.375, mean 0.25.
    # Support wk1 [0, 3599/3600]: median and mean 3599/7200, p25 3599/14400, p75 3*3599/14400.
    spec = {"kind": "time_to", "period": "week", "breakdown": "user.department", **RANGE}
    none = (None, None, None, None)
    expect(
        run(STORY, spec, DEFINITIONS),
        ("period", "breakdown", *SUMMARY),
        [
            (date(0), "(none)", 1, 0, 0.0, *none),
            (date(0), "Sales", 2, 2, 1.0, 0.25, 0.125, 0.375, 0.25),
            (date(0), "Support", 2, 2, 1.0, 3599 / 7200, 3599 / 14400, 10797 / 14400, 3599 / 7200),
            (date(7), "(none)", 0, 0, None, *none),
            (date(7), "Sales", 1, 1, 1.0, 2.0, 2.0, 2.0, 2.0),
            (date(7), "Support", 0, 0, None, *none),
        ],
    )


def test_accounts(run):
    # acme started day 0 08:00, first activity ann's login 09:30 -> 1.5 h; globex created day 4
    # noon, active since cat's day 2 login -> 0; initech has no profile: signs up with hal's
    # login -> 0. dan has no account. [0, 0, 1.5]: median 0, p25 0, p75 0.75, mean 0.5.
    spec = {"kind": "time_to", "unit": "account", **RANGE}
    expect(run(STORY, spec, DEFINITIONS), SUMMARY, [(3, 3, 1.0, 0.0, 0.0, 0.75, 0.5)])


# Bucket edges: each bucket includes its lower edge and excludes its upper one.
OFFSETS_SECONDS = {
    "u01": 0,  # < 1 hour
    "u02": 3599,  # < 1 hour
    "u03": 3600,  # exactly 1 h -> 1-24 hours
    "u04": 86399,  # 1-24 hours
    "u05": 86400,  # exactly 24 h -> 1-3 days
    "u06": 72 * 3600,  # exactly 3 days -> 3-7 days
    "u07": 7 * 86400 - 1,  # 3-7 days
    "u08": 7 * 86400,  # exactly 7 days -> 7-14 days
    "u09": 14 * 86400,  # exactly 14 days -> 14-30 days
    "u10": 30 * 86400 - 1,  # 14-30 days
    "u11": 30 * 86400,  # exactly 30 days -> 30+ days
}
EDGES = journeys(
    {
        **{uid: [("x", day(0) + dt.timedelta(seconds=s))] for uid, s in OFFSETS_SECONDS.items()},
        "u12": [("login", day(0))],  # never does x: not yet
    },
    users={f"u{i:02d}": user(created=day(0)) for i in range(1, 13)},
)
EDGES_RANGE = {"from": str(date(0)), "to": str(date(40))}


def test_distribution_bucket_edges(run):
    spec = {"kind": "time_to", "target": "event", "events": ["x"], "output": "distribution",
            **EDGES_RANGE}  # fmt: skip
    expect(run(EDGES, spec), DISTRIBUTION, distribution([2, 2, 1, 2, 1, 2, 1, 1]))


def test_percentiles_interpolate_between_ranks(run):
    # 11 reached, in hours: 0, 3599/3600, 1, 86399/3600, 24, 72, 604799/3600, 168, 336,
    # 2591999/3600, 720. Median = rank 5 = 72. p25 = rank 2.5, halfway between 1 and
    # 86399/3600 = 89999/7200. p75 = rank 7.5, halfway between 168 and 336 = 252.
    # Mean = 8042396 s in all / 3600 / 11.
    assert sum(OFFSETS_SECONDS.values()) == 8042396
    spec = {"kind": "time_to", "target": "event", "events": ["x"], **EDGES_RANGE}
    expect(
        run(EDGES, spec),
        SUMMARY,
        [(12, 11, 11 / 12, 72.0, 89999 / 7200, 252.0, 8042396 / 3600 / 11)],
    )


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
@pytest.mark.parametrize(
    ("spec", "definitions", "message"),
    [
        (
            {"target": "key_action", "key_action": "Nope"},
            DEFINITIONS,
            r"unknown key action 'Nope'; defined: \['Created a deal', 'Invited a teammate', 'Won",
        ),
        ({"target": "value"}, {}, r"target='value' needs a value moment: add \[value_moment\]"),
        ({"target": "key_action"}, {}, r"needs key actions: add \[\[key_actions\]\]"),
        ({"target": "event"}, DEFINITIONS, r"invalid time_to spec: .*needs `events`"),
        ({"events": ["x"]}, DEFINITIONS, r"`events` only applies to target='event'"),
        ({"key_action": "Created a deal"}, DEFINITIONS, r"`key_action` only applies"),
    ],
)
def test_clear_errors(run, spec, definitions, message):
    with pytest.raises(SpecError, match=message):
        run(STORY, {"kind": "time_to", **spec, **RANGE}, definitions)


# Properties over random journeys: the buckets account for everyone who signed up, no more reach
# the target than signed up, and the median lies between the quartiles.

step = st.tuples(st.sampled_from(["login", "x", "email_opened"]), st.integers(-3, 12),
                 st.integers(0, 23))  # fmt: skip
people = st.dictionaries(
    st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]),
    st.tuples(st.one_of(st.none(), st.integers(-2, 10)), st.lists(step, max_size=5)),
    min_size=1,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=people,
    target=st.sampled_from(["first_action", "event"]),
    unit=st.sampled_from(["user", "account"]),
    period=st.sampled_from([None, "week"]),
)
def test_buckets_sum_to_signups_and_quartiles_bracket_the_median(
    people: dict[str, tuple[int | None, list[tuple[str, int, int]]]],
    target: str,
    unit: str,
    period: str | None,
) -> None:
    story = journeys(
        {uid: [(e, day(n, h)) for e, n, h in steps] for uid, (_, steps) in people.items()},
        users={
            uid: user(account=f"a{int(uid[1:]) % 3}", created=None if c is None else day(c))
            for uid, (c, _) in people.items()
        },
    )
    definitions = definitions_of({"activity": {"events": ["*"], "exclude": ["email_opened"]}})
    base: dict[str, Any] = {"kind": "time_to", "target": target, "unit": unit, "period": period,
                            "from": str(date(0)), "to": str(date(8))}  # fmt: skip
    if target == "event":
        base["events"] = ["x"]
    with duckdb_tables(story, definitions) as tables:
        summary = compute(base, tables).rows
        buckets = compute({**base, "output": "distribution"}, tables).rows
    for row in summary:
        assert 0 <= row["reached"] <= row["signed_up"]
        if row["reached"]:
            assert row["p25_hours"] - 1e-9 <= row["median_hours"] <= row["p75_hours"] + 1e-9
            assert row["p25_hours"] >= 0.0
        else:
            assert row["median_hours"] is None
        group = [b for b in buckets if b.get("period") == row.get("period")]
        assert len(group) == len(BUCKETS)
        assert sum(b["entities"] for b in group) == row["signed_up"]
        assert group[-1]["entities"] == row["signed_up"] - row["reached"]
        if row["signed_up"]:
            assert group[-1]["cumulative_share"] == pytest.approx(1.0)
