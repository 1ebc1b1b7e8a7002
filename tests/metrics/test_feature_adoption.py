"""Feature adoption: users, uses, first-time users, adoption rate and days to first use, by hand."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import definitions_of, duckdb_tables
from tests.stories import date, day, journeys, user
from uptake.errors import SpecError
from uptake.service import compute

# Day 0 is Sunday 2026-01-04; the range is two Sunday weeks: wk1 = days 0-6, wk2 = days 7-13.
RANGE = {"from": str(date(0)), "to": str(date(13))}

DEFINITIONS = {
    # email_opened is passive: it does not make anyone active.
    "activity": {"events": ["*"], "exclude": ["email_opened"]},
    "features": [
        # By glob; released on day -7 (Sunday 2025-12-28, midnight UTC).
        {"name": "Reports", "events": ["report_*"], "released_at": str(date(-7))},
        # By name; report_exported belongs to both Reports and Export.
        {"name": "Export", "events": ["export", "report_exported"]},
        # With a property filter: only PDF exports (read from raw events).
        {
            "name": "PDF export",
            "events": ["export"],
            "where": [{"property": "event.format", "op": "eq", "value": "pdf"}],
        },
        # Nobody shares: the feature still gets its row of zeros.
        {"name": "Sharing", "events": ["share"]},
    ],
}

STORY = journeys(
    {
        # Signed up day -10 (before the release); first Reports use day -2, before the range,
        # so she is a returning Reports user in the range.
        "ann": [
            ("report_viewed", day(-2)),
            ("login", day(0)),
            ("report_viewed", day(1)),
            ("export", day(3), {"format": "pdf"}),
            ("report_exported", day(8)),
        ],
        # Signed up day 2 noon, after the release: time to first use counts from his signup.
        "bob": [
            ("login", day(2)),
            ("report_viewed", day(3, 18)),
            ("export", day(9), {"format": "csv"}),
        ],
        # No profile: signed up with her first event (day 5 noon); account globex by her events.
        "cat": [
            ("login", day(5)),
            ("report_viewed", day(5, 18)),
            ("report_viewed", day(12)),
            ("export", day(12), {"format": "pdf"}),
        ],
        # A Reports user from before the release (a beta user), only passive in the range.
        "dan": [
            ("report_viewed", day(-15)),
            ("email_opened", day(4)),
            ("email_opened", day(10)),
        ],
    },
    users={
        "ann": user(account="acme", created=day(-10), department="Sales"),
        "bob": user(account="acme", created=day(2), department="Support"),
        "dan": user(account="globex", created=day(-20), department="Sales"),
    },
    account_of={"cat": "globex"},
)

COLUMNS = (
    "feature", "users", "uses", "first_time_users", "active_users", "adoption_rate",
    "median_days_to_first_use", "released_at",
)  # fmt: skip


def table(result: Any, columns: tuple[str, ...] = COLUMNS) -> list[dict[str, Any]]:
    """Result rows, checking the column names and their order first."""
    assert [c.name for c in result.columns] == list(columns)
    return result.rows


def expect(got: list[dict[str, Any]], want: list[tuple[Any, ...]], columns: tuple[str, ...]):
    assert len(got) == len(want)
    for row, values in zip(got, want, strict=True):
        assert row == pytest.approx(dict(zip(columns, values, strict=True)))


def test_every_feature_over_the_range(run):
    # Active in days 0-13 (dan's email_opened is excluded): ann, bob, cat = 3.
    # Reports: users ann (d1, and d8: report_exported is a report_* too), bob (d3), cat (d5, d12);
    #   uses 2 + 1 + 2 = 5. First uses in range: bob, cat (ann's was d-2, dan's d-15).
    #   since=auto with released_at is release mode, start = max(release, signup):
    #   ann max(d-7 00:00, d-10 12:00) = d-7 00:00 -> d-2 12:00: 5.5 days;
    #   bob max(d-7, d2 12:00) = d2 12:00 -> d3 18:00: 1.25; cat d5 12:00 -> d5 18:00: 0.25;
    #   dan d-15 is before the release: 0. Median of [0, 0.25, 1.25, 5.5] = 0.75.
    # Export (export or report_exported): ann d3 + d8, bob d9, cat d12: 3 users, 4 uses, all
    #   first uses in range. No release: from signup: ann d-10 -> d3 = 13, bob d2 -> d9 = 7,
    #   cat d5 -> d12 = 7: median 7.
    # PDF export: ann d3, cat d12 (bob's was csv): 2 users, 2 uses, 2 first; 2/3 of actives;
    #   from signup 13 and 7: median 10.
    # Sharing: nobody; no adopters -> null median.
    result = run(STORY, {"kind": "feature_adoption", **RANGE}, DEFINITIONS)
    expect(
        table(result),
        [
            ("Export", 3, 4, 3, 3, 1.0, 7.0, None),
            ("PDF export", 2, 2, 2, 3, 2 / 3, 10.0, None),
            ("Reports", 3, 5, 2, 3, 1.0, 0.75, date(-7)),
            ("Sharing", 0, 0, 0, 3, 0.0, None, None),
        ],
        COLUMNS,
    )


def test_since_signup_ignores_the_release(run):
    # From signup: ann d-10 12:00 -> d-2 12:00 = 8, bob 1.25, cat 0.25, dan d-20 -> d-15 = 5.
    # Median of [0.25, 1.25, 5, 8] = 3.125. (Measured from the release alone it would be
    # [0, 5.5, 10.75, 12.75] -> 8.125; from max(release, signup) 0.75, as above.)
    spec = {"kind": "feature_adoption", "features": ["Reports"], "since": "signup", **RANGE}
    expect(
        table(run(STORY, spec, DEFINITIONS)),
        [("Reports", 3, 5, 2, 3, 1.0, 3.125, date(-7))],
        COLUMNS,
    )


def test_since_release_measures_late_signups_from_their_signup(run):
    # Same as auto for a released feature: bob signed up after the release -> 1.25, not 10.75.
    spec = {"kind": "feature_adoption", "features": ["Reports"], "since": "release", **RANGE}
    expect(
        table(run(STORY, spec, DEFINITIONS)),
        [("Reports", 3, 5, 2, 3, 1.0, 0.75, date(-7))],
        COLUMNS,
    )


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_since_release_needs_a_release_date(run):
    spec = {"kind": "feature_adoption", "features": ["Reports", "Export"], "since": "release"}
    with pytest.raises(SpecError, match=r"released_at.*missing on 'Export'.*since='auto'"):
        run(STORY, {**spec, **RANGE}, DEFINITIONS)


def test_per_week_rows_count_first_uses_where_they_fall(run):
    # Active each week: wk1 ann (d0, d1, d3), bob (d2, d3), cat (d5); wk2 ann (d8), bob (d9),
    # cat (d12): 3 and 3.
    # Reports wk1: ann d1, bob d3, cat d5 -> 3 users, 3 uses, first: bob, cat. wk2: ann d8,
    #   cat d12 -> 2 users, 2 uses, no first use. The median covers everyone who had used it by
    #   the week's last day: [dan 0, cat 0.25, bob 1.25, ann 5.5] both weeks -> 0.75.
    # PDF export wk1: ann d3 (13 days from signup) -> median 13; wk2: cat d12 (7 days) is new,
    #   adopters by day 13 are ann and cat -> median 10.
    spec = {"kind": "feature_adoption", "features": ["Reports", "PDF export"], "period": "week",
            **RANGE}  # fmt: skip
    columns = ("feature", "period", *COLUMNS[1:])
    expect(
        table(run(STORY, spec, DEFINITIONS), columns),
        [
            ("PDF export", date(0), 1, 1, 1, 3, 1 / 3, 13.0, None),
            ("PDF export", date(7), 1, 1, 1, 3, 1 / 3, 10.0, None),
            ("Reports", date(0), 3, 3, 2, 3, 1.0, 0.75, date(-7)),
            ("Reports", date(7), 2, 2, 0, 3, 2 / 3, 0.75, date(-7)),
        ],
        columns,
    )


def test_per_day_rows_include_days_without_use(run):
    # Export on days 7-9: ann's report_exported on day 8, bob's export on day 9 (both their
    # first Export use). Active: day 7 nobody, day 8 ann, day 9 bob. Adopters by each day:
    # day 7 ann only (13 days); day 8 the same; day 9 ann and bob (7) -> 10.
    spec = {"kind": "feature_adoption", "features": ["Export"], "period": "day",
            "from": str(date(7)), "to": str(date(9))}  # fmt: skip
    columns = ("feature", "period", *COLUMNS[1:])
    expect(
        table(run(STORY, spec, DEFINITIONS), columns),
        [
            ("Export", date(7), 0, 0, 0, 0, None, 13.0, None),
            ("Export", date(8), 1, 1, 0, 1, 1.0, 13.0, None),
            ("Export", date(9), 1, 1, 1, 1, 1.0, 10.0, None),
        ],
        columns,
    )


def test_breakdown_by_department(run):
    # cat has no profile -> "(none)". Active: (none) cat, Sales ann (dan is passive),
    # Support bob.
    # Reports: (none) cat 2 uses, new, 0.25 days; Sales ann 2 uses, returning, adopters ann 5.5
    # and dan 0 -> 2.75; Support bob 1 use, new, 1.25.
    spec = {"kind": "feature_adoption", "features": ["Reports"], "breakdown": "user.department",
            **RANGE}  # fmt: skip
    columns = ("feature", "breakdown", *COLUMNS[1:])
    expect(
        table(run(STORY, spec, DEFINITIONS), columns),
        [
            ("Reports", "(none)", 1, 2, 1, 1, 1.0, 0.25, date(-7)),
            ("Reports", "Sales", 1, 2, 0, 1, 1.0, 2.75, date(-7)),
            ("Reports", "Support", 1, 1, 1, 1, 1.0, 1.25, date(-7)),
        ],
        columns,
    )


def test_user_filter_narrows_users_actives_and_adopters(run):
    # Sales only: ann (active, Reports user, returning) and dan (passive adopter).
    spec = {"kind": "feature_adoption", "features": ["Reports"], **RANGE,
            "filters": [{"property": "user.department", "op": "eq", "value": "Sales"}]}  # fmt: skip
    expect(
        table(run(STORY, spec, DEFINITIONS)),
        [("Reports", 1, 2, 0, 1, 1.0, 2.75, date(-7))],
        COLUMNS,
    )


def test_event_property_filter_applies_to_feature_and_activity_events(run):
    # Only events with format = pdf count, for the feature and for activity alike: Export
    # users ann (d3) and cat (d12), both new; active (with a pdf event) ann and cat.
    # Days from signup 13 and 7 -> 10.
    spec = {"kind": "feature_adoption", "features": ["Export"], **RANGE,
            "filters": [{"property": "event.format", "op": "eq", "value": "pdf"}]}  # fmt: skip
    expect(
        table(run(STORY, spec, DEFINITIONS)),
        [("Export", 2, 2, 2, 2, 1.0, 10.0, None)],
        COLUMNS,
    )


def test_accounts(run):
    # acme = ann + bob, globex = cat + dan; no account profiles, so an account signs up with
    # its first event: acme d-2 12:00 (ann's report), globex d-15 12:00 (dan's report).
    # Active accounts: acme, globex (cat). Reports: both use it (acme 3 uses, globex 2), neither
    # for the first time; release mode: acme max(d-7, d-2 12:00) -> first use d-2 12:00 = 0;
    # globex first use d-15 is before the release = 0 -> median 0.
    # PDF export: acme d3 (ann), globex d12 (cat), both new; from signup: acme 5, globex 27
    # -> 16.
    spec = {"kind": "feature_adoption", "features": ["Reports", "PDF export"], "unit": "account",
            **RANGE}  # fmt: skip
    expect(
        table(run(STORY, spec, DEFINITIONS)),
        [
            ("PDF export", 2, 2, 2, 2, 1.0, 16.0, None),
            ("Reports", 2, 5, 0, 2, 1.0, 0.0, date(-7)),
        ],
        COLUMNS,
    )


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_unknown_feature_is_a_clear_error(run):
    spec = {"kind": "feature_adoption", "features": ["Reports", "Nope"], **RANGE}
    with pytest.raises(SpecError, match=r"unknown feature 'Nope'; defined: \['Reports'"):
        run(STORY, spec, DEFINITIONS)


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_no_features_defined_is_a_clear_error(run):
    with pytest.raises(SpecError, match=r"no features are defined.*\[\[features\]\]"):
        run(STORY, {"kind": "feature_adoption", **RANGE})


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_empty_feature_list_is_rejected(run):
    with pytest.raises(SpecError, match=r"invalid feature_adoption spec: features: .*empty"):
        run(STORY, {"kind": "feature_adoption", "features": [], **RANGE}, DEFINITIONS)


# Property: when every feature event is an activity event, nobody can be a first-time user
# without using the feature, nor use it without being active.

VOCABULARY = ["login", "report_viewed", "report_exported", "export", "share"]
step = st.tuples(st.sampled_from(VOCABULARY), st.integers(-6, 16), st.integers(0, 23))
paths = st.dictionaries(st.sampled_from(["u1", "u2", "u3", "u4", "u5"]),
                        st.lists(step, min_size=1, max_size=6), min_size=1)  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paths=paths,
    period=st.sampled_from([None, "day", "week"]),
    unit=st.sampled_from(["user", "account"]),
    since=st.sampled_from(["auto", "signup"]),
)
def test_first_time_users_within_users_within_active_users(
    paths: dict[str, list[tuple[str, int, int]]], period: str | None, unit: str, since: str
) -> None:
    story = journeys(
        {uid: [(event, day(n, hour)) for event, n, hour in steps] for uid, steps in paths.items()},
        account_of={"u1": "a1", "u2": "a1", "u3": "a2", "u4": "a2", "u5": "a3"},
    )
    definitions = definitions_of(
        {
            "features": [
                {"name": "Reports", "events": ["report_*"], "released_at": str(date(-3))},
                {"name": "Export", "events": ["export", "report_exported"]},
                {"name": "Sharing", "events": ["share"]},
            ]
        }
    )
    spec: dict[str, Any] = {"kind": "feature_adoption", "unit": unit, "since": since,
                            "period": period, **RANGE}  # fmt: skip
    with duckdb_tables(story, definitions) as tables:
        rows = compute(spec, tables).rows
    assert rows
    for row in rows:
        assert 0 <= row["first_time_users"] <= row["users"] <= row["active_users"]
        assert row["users"] <= row["uses"]
        if row["active_users"]:
            assert 0.0 <= row["adoption_rate"] <= 1.0
        if row["median_days_to_first_use"] is not None:
            assert row["median_days_to_first_use"] >= 0.0


def test_feature_of_passive_events_warns_when_users_outnumber_actives(run):
    # The newsletter's email_opened is not an activity event: ann and cat only open emails
    # (2 users, 2 uses, both new), bob logs in (the only active user): rate 2 / 1, with a caveat.
    # No profiles: everyone signs up with their first event, so 0 days to first use.
    story = journeys(
        {
            "ann": [("email_opened", day(1))],
            "bob": [("login", day(1))],
            "cat": [("email_opened", day(2))],
        }
    )
    definitions = {
        "activity": {"events": ["*"], "exclude": ["email_opened"]},
        "features": [{"name": "Newsletter", "events": ["email_opened"]}],
    }
    result = run(story, {"kind": "feature_adoption", **RANGE}, definitions)
    expect(table(result), [("Newsletter", 2, 2, 2, 1, 2.0, 0.0, None)], COLUMNS)
    assert result.warnings == [
        "feature 'Newsletter' has more users than active users: some of its events are not "
        "activity events (see [activity] in uptake.toml), so its adoption_rate exceeds 1"
    ]
