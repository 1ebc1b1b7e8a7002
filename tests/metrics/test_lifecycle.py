"""Lifecycle: new / returning / resurrecting / dormant per period, checked by hand, plus
properties that tie it to active-user trends."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import Story, account, date, day, journeys, user
from uptake.errors import SpecError
from uptake.metrics import parse_spec
from uptake.metrics.periods import Period, period_start, period_starts
from uptake.service import compute

# Sunday weeks: W0 = days -7..-1 (the week before the range), W1 = days 0-6, W2 = 7-13,
# W3 = 14-20, W4 = 21-27. The range is W1..W4.
STORY = journeys(
    {
        # First seen long before the range (day -10); active W0, W1, W2, gone in W3, back in W4.
        "ann": [
            ("login", day(-10)),
            ("login", day(-3)),
            ("login", day(1)),
            ("login", day(8)),
            ("login", day(22)),
        ],
        # First seen day -12; silent in W0, back in W1 (resurrecting, not new), gone in W2.
        "bob": [("login", day(-12)), ("login", day(2))],
        # First seen in W1 (new), then every week (returning).
        "cat": [("login", day(3)), ("login", day(10)), ("login", day(15)), ("login", day(23))],
        # Active only in W0, before the range: dormant in W1.
        "dan": [("login", day(-2))],
        # New in W3, dormant in W4.
        "eve": [("login", day(16))],
    }
)
FOUR_WEEKS = {"kind": "lifecycle", "from": str(date(0)), "to": str(date(27)), "period": "week"}


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def four(period, *breakdown, new, returning, resurrecting, dormant):
    """The four expected rows of one period (and breakdown value), in the output's order."""
    counts = {"new": new, "returning": returning, "resurrecting": resurrecting, "dormant": dormant}
    return [(period, *breakdown, status, n) for status, n in counts.items()]


def test_every_status_per_week_with_activity_before_the_range(run):
    result = run(STORY, FOUR_WEEKS)
    assert [c.name for c in result.columns] == ["period", "status", "count"]
    assert values(result, "period", "status", "count") == [
        # W1: cat new; ann returning (W0 too); bob resurrecting (first seen day -12, silent in
        # W0); dan dormant (active in W0 only). Active W0 = {ann, dan} = 2, returning 1 -> -1.
        *four(date(0), new=1, returning=1, resurrecting=1, dormant=-1),
        # W2: ann and cat returning; bob dormant.
        *four(date(7), new=0, returning=2, resurrecting=0, dormant=-1),
        # W3: eve new; cat returning; ann dormant.
        *four(date(14), new=1, returning=1, resurrecting=0, dormant=-1),
        # W4: cat returning; ann resurrecting (active W2, not W3); eve dormant.
        *four(date(21), new=0, returning=1, resurrecting=1, dormant=-1),
    ]


def test_a_range_starting_mid_week_still_counts_the_whole_first_week(run):
    # `from` is day 3 (Wednesday of W1), `to` day 9 (Tuesday of W2): periods W1 and W2. W1
    # counts its days before `from` (ann day 1, bob day 2), so the statuses match the full-week
    # run; W2 stops at `to` (day 9): cat's day 10 is cut, so cat is dormant in W2.
    spec = {**FOUR_WEEKS, "from": str(date(3)), "to": str(date(9))}
    assert values(run(STORY, spec), "period", "status", "count") == [
        *four(date(0), new=1, returning=1, resurrecting=1, dormant=-1),
        # W2 up to day 9: only ann (day 8) -> returning; bob and cat dormant.
        *four(date(7), new=0, returning=1, resurrecting=0, dormant=-2),
    ]


# Signup vs first event. W0 is empty; the range is W1..W2.
SIGNUPS = journeys(
    {
        "gus": [("login", day(2))],  # signed up day -10 (W-1)
        "hal": [("login", day(9))],  # signed up day 1 (W1)
        "ivy": [("login", day(3))],  # no profile date: signup = first event
        "jon": [("login", day(4)), ("login", day(9))],  # profile day 8, but active day 4
        "kim": [("login", day(12))],  # signed up day 7 (W2)
    },
    users={
        "gus": user(created=day(-10)),
        "hal": user(created=day(1)),
        "ivy": user(),
        "jon": user(created=day(8)),
        "kim": user(created=day(7)),
    },
)
TWO_WEEKS = {"kind": "lifecycle", "from": str(date(0)), "to": str(date(13)), "period": "week"}


def test_new_by_first_event_ignores_profile_dates(run):
    assert values(run(SIGNUPS, TWO_WEEKS), "period", "status", "count") == [
        # W1: gus, ivy and jon do their first event ever.
        *four(date(0), new=3, returning=0, resurrecting=0, dormant=0),
        # W2: hal and kim first events; jon returning (W1 too); gus and ivy dormant.
        *four(date(7), new=2, returning=1, resurrecting=0, dormant=-2),
    ]


def test_new_by_signup_uses_the_signup_period(run):
    # A user's signup is the earlier of the profile date and the first event (as PostHog's
    # person created_at is first seen): jon signed up day 4 (W1), not day 8.
    spec = {**TWO_WEEKS, "new_by": "signup"}
    assert values(run(SIGNUPS, spec), "period", "status", "count") == [
        # W1: ivy and jon new (signed up in W1); gus signed up in W-1: resurrecting, not new.
        *four(date(0), new=2, returning=0, resurrecting=1, dormant=0),
        # W2: kim new (signed up W2); jon returning (active W1 too); hal signed up in W1 but
        # first active in W2: resurrecting; gus, ivy dormant.
        *four(date(7), new=1, returning=1, resurrecting=1, dormant=-2),
    ]


# Monday weeks split Sunday from the following days. Monday weeks: M0 = days -6..0,
# M1 = days 1-7, M2 = days 8-14.
WEEKENDS = journeys(
    {
        "zed": [("login", day(0)), ("login", day(1))],  # Sunday then Monday
        "yan": [("login", day(7)), ("login", day(13))],  # Sunday then Saturday
        "xia": [("login", day(-1)), ("login", day(8))],  # Saturday, then Monday of M2
    }
)


def test_monday_weeks_move_the_period_boundaries(run):
    spec = {
        "kind": "lifecycle",
        "from": str(date(1)),
        "to": str(date(14)),
        "period": "week",
        "week_start": "monday",
    }
    assert values(run(WEEKENDS, spec), "period", "status", "count") == [
        # M1 (Mon day 1): yan new (day 7 is M1's Sunday); zed returning (day 0 is in M0);
        # xia dormant (day -1 in M0, nothing in M1). Active M0 = {zed, xia}.
        *four(date(1), new=1, returning=1, resurrecting=0, dormant=-1),
        # M2: yan returning (day 13); xia resurrecting (day 8); zed dormant.
        *four(date(8), new=0, returning=1, resurrecting=1, dormant=-1),
    ]


def test_sunday_weeks_of_the_same_story_differ(run):
    spec = {"kind": "lifecycle", "from": str(date(0)), "to": str(date(13)), "period": "week"}
    assert values(run(WEEKENDS, spec), "period", "status", "count") == [
        # W1 (days 0-6): zed new (both days in W1); xia's Saturday (day -1) is in W0 -> dormant.
        *four(date(0), new=1, returning=0, resurrecting=0, dormant=-1),
        # W2 (days 7-13): yan new; xia resurrecting (day 8); zed dormant.
        *four(date(7), new=1, returning=0, resurrecting=1, dormant=-1),
    ]


# Accounts: acme (pro) = ann + bob, globex (free) = cat, initech (free) = dan; solo has no
# account. The range is W1..W2.
ACCOUNTS = journeys(
    {
        "ann": [("login", day(-2)), ("login", day(9))],
        "bob": [("login", day(3))],
        "cat": [("login", day(-20)), ("login", day(10))],
        "dan": [("login", day(4))],
        "solo": [("login", day(5))],
    },
    users={
        "ann": user(account="acme"),
        "bob": user(account="acme"),
        "cat": user(account="globex"),
        "dan": user(account="initech"),
    },
    accounts={
        "acme": account(plan="pro"),
        "globex": account(plan="free"),
        "initech": account(plan="free"),
    },
)


def test_accounts_broken_down_by_plan(run):
    spec = {**TWO_WEEKS, "unit": "account", "breakdown": "account.plan"}
    result = run(ACCOUNTS, spec)
    assert [c.name for c in result.columns] == ["period", "breakdown", "status", "count"]
    assert values(result, "period", "breakdown", "status", "count") == [
        # W1: initech new (dan day 4); acme returning: ann was active in W0 and bob in W1 (as
        # users ann would be dormant and bob new). solo has no account: left out, no "(none)".
        *four(date(0), "free", new=1, returning=0, resurrecting=0, dormant=0),
        *four(date(0), "pro", new=0, returning=1, resurrecting=0, dormant=0),
        # W2: globex resurrecting (cat day -20, then day 10); initech dormant; acme returning.
        *four(date(7), "free", new=0, returning=0, resurrecting=1, dormant=-1),
        *four(date(7), "pro", new=0, returning=1, resurrecting=0, dormant=0),
    ]


# Chosen events and filters: exports by the Sales team. The range is W1..W2.
EXPORTS = journeys(
    {
        "ann": [
            ("login", day(-10)),
            ("export", day(2), {"format": "pdf"}),
            ("export", day(9), {"format": "csv"}),
        ],
        "bob": [
            ("export", day(-3), {"format": "pdf"}),
            ("login", day(4)),
            ("export", day(11), {"format": "pdf"}),
        ],
        "cat": [("export", day(3), {"format": "pdf"})],
    },
    users={
        "ann": user(department="Sales"),
        "bob": user(department="Sales"),
        "cat": user(department="Ops"),
    },
)


def test_chosen_events_and_user_filter(run):
    spec = {
        **TWO_WEEKS,
        "events": ["export"],
        "filters": [{"property": "user.department", "op": "eq", "value": "Sales"}],
    }
    assert values(run(EXPORTS, spec), "period", "status", "count") == [
        # W1: ann's first export ever (her day -10 login does not count) -> new; bob exported in
        # W0 and only logged in during W1 -> dormant. cat (Ops) is filtered out.
        *four(date(0), new=1, returning=0, resurrecting=0, dormant=-1),
        # W2: ann returning; bob resurrecting (exports in W0 and W2, not W1).
        *four(date(7), new=0, returning=1, resurrecting=1, dormant=0),
    ]


def test_event_property_filter_reads_raw_events(run):
    spec = {
        **TWO_WEEKS,
        "events": ["export"],
        "filters": [{"property": "event.format", "op": "eq", "value": "pdf"}],
    }
    assert values(run(EXPORTS, spec), "period", "status", "count") == [
        # PDF exports: ann day 2 (W1), bob day -3 (W0) and day 11 (W2), cat day 3 (W1).
        # W1: ann and cat new; bob dormant.
        *four(date(0), new=2, returning=0, resurrecting=0, dormant=-1),
        # W2: bob resurrecting; ann (her day 9 export is csv) and cat dormant.
        *four(date(7), new=0, returning=0, resurrecting=1, dormant=-2),
    ]


def test_a_period_with_no_activity_shows_four_zero_statuses(run):
    # Days 42-48 and the week before (35-41) have no activity: nobody new, back or gone.
    spec = {"kind": "lifecycle", "from": str(date(42)), "to": str(date(48)), "period": "week"}
    assert values(run(STORY, spec), "period", "status", "count") == [
        *four(date(42), new=0, returning=0, resurrecting=0, dormant=0),
    ]


def test_unknown_new_by_reads_well():
    with pytest.raises(SpecError, match=r"invalid lifecycle spec: new_by: .*'first_event'"):
        parse_spec({"kind": "lifecycle", "new_by": "created"})


# --- properties (DuckDB only) ---------------------------------------------------------------

PEOPLE = ["u0", "u1", "u2", "u3", "u4"]


activity = st.dictionaries(
    st.sampled_from(PEOPLE),
    st.lists(
        st.tuples(st.sampled_from(["login", "export"]), st.integers(-40, 70)),
        min_size=1,
        max_size=8,
    ),
    min_size=1,
)
# Ranges start on a period boundary so that a period's activity matches trend's `unique`
# (trend counts only the days from `from`, lifecycle the whole first period).
ranges = st.sampled_from(
    [
        ("day", date(3), date(12)),
        ("week", date(0), date(34)),
        ("week", date(7), date(30)),  # ends mid-week: the last period stops at `to`
        ("month", dt.date(2026, 1, 1), dt.date(2026, 3, 10)),
    ]
)


def _story(paths: dict[str, list[tuple[str, int]]]) -> Story:
    return journeys({who: [(event, day(n)) for event, n in steps] for who, steps in paths.items()})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths=activity, window=ranges, events=st.sampled_from([None, ["export"]]))
def test_statuses_add_up_to_active_users(paths, window, events):
    period, date_from, date_to = window
    choice = {"events": events} if events else {}
    spec = {
        "kind": "lifecycle",
        "period": period,
        "from": str(date_from),
        "to": str(date_to),
        **choice,
    }
    with duckdb_tables(_story(paths)) as tables:
        lifecycle = compute(spec, tables).rows
        first = lifecycle[0]["period"]
        # Actives per period from the start of the period before the first one (trend counts
        # from `from`, so `from` must be that period's first day).
        before = period_start(first - dt.timedelta(days=1), period, "sunday")
        trend = {
            "kind": "trend",
            "measure": "unique",
            "period": period,
            "from": str(before),
            "to": str(date_to),
            **choice,
        }
        active = {row["period"]: row["value"] for row in compute(trend, tables).rows}
    by_period: dict[dt.date, dict[str, int]] = {}
    for row in lifecycle:
        by_period.setdefault(row["period"], {})[row["status"]] = row["count"]
    periods = sorted(by_period)
    previous = sorted(active)[0]
    assert previous < first
    for p in periods:
        s = by_period[p]
        assert list(s) == ["new", "returning", "resurrecting", "dormant"]
        assert min(s["new"], s["returning"], s["resurrecting"]) >= 0 and s["dormant"] <= 0
        assert s["new"] + s["returning"] + s["resurrecting"] == active[p]
        assert -s["dormant"] == active[previous] - s["returning"]
        previous = p


def _python_lifecycle(
    paths: dict[str, list[tuple[str, int]]],
    period: Period,
    date_from: dt.date,
    date_to: dt.date,
    events: list[str] | None,
) -> list[tuple[dt.date, str, int]]:
    """The definitions, applied person by person in plain Python (an independent oracle)."""

    def start(d: dt.date) -> dt.date:
        return period_start(d, period, "sunday")

    days = {
        who: [date(n) for event, n in steps if events is None or event in events]
        for who, steps in paths.items()
    }
    first = start(date_from)
    before = start(first - dt.timedelta(days=1))
    active = {who: {start(d) for d in ds if before <= d <= date_to} for who, ds in days.items()}
    first_seen = {who: start(min(ds)) for who, ds in days.items() if ds}
    out = []
    previous = before
    for p in period_starts(date_from, date_to, period, "sunday"):
        now = {who for who, ps in active.items() if p in ps}
        then = {who for who, ps in active.items() if previous in ps}
        new = {who for who in now - then if first_seen[who] == p}
        out += [
            (p, "new", len(new)),
            (p, "returning", len(now & then)),
            (p, "resurrecting", len(now - then - new)),
            (p, "dormant", -len(then - now)),
        ]
        previous = p
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paths=activity,
    window=ranges,
    events=st.sampled_from([None, ["export"]]),
    mid_period=st.booleans(),
)
def test_matches_the_definitions_applied_in_python(paths, window, events, mid_period):
    period, date_from, date_to = window
    if mid_period and period != "day":
        date_from += dt.timedelta(days=2)  # the first period still counts all its days
    choice = {"events": events} if events else {}
    spec = {
        "kind": "lifecycle",
        "period": period,
        "from": str(date_from),
        "to": str(date_to),
        **choice,
    }
    with duckdb_tables(_story(paths)) as tables:
        got = values(compute(spec, tables), "period", "status", "count")
    assert got == _python_lifecycle(paths, period, date_from, date_to, events)
