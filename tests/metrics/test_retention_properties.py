"""Retention invariants on random small stories (DuckDB only: they run many queries): period 0
is the cohort, no cell exceeds its cohort, cumulative never falls below "on" and never rises
with k, and user and account grain agree when each account has one user."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import Story, date, day, journeys, user
from uptake.service import compute

USERS = [f"u{i}" for i in range(5)]
paths = st.dictionaries(
    st.sampled_from(USERS),
    st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(-10, 40)), min_size=1, max_size=6),
    min_size=1,
)
specs = st.fixed_dictionaries(
    {
        "cohort": st.sampled_from(["first_time", "recurring"]),
        "period": st.sampled_from(["day", "week", "month"]),
        "periods": st.integers(1, 4),
        "from": st.integers(-5, 10).map(lambda n: str(date(n))),
        "to": st.integers(11, 40).map(lambda n: str(date(n))),
    },
    optional={"return_events": st.just(["b"]), "start_events": st.just(["a"])},
)


def _story(story_paths: dict[str, list[tuple[str, int]]]) -> Story:
    # Every user alone in an account of its own, so user and account grain must agree.
    return journeys(
        {uid: [(name, day(n)) for name, n in steps] for uid, steps in story_paths.items()},
        users={uid: user(account=f"acct-{uid}") for uid in story_paths},
    )


def _computed(
    story_paths: dict[str, list[tuple[str, int]]],
    spec: dict[str, Any],
    variants: list[dict[str, Any]],
) -> list[list[dict[str, Any]]]:
    """Rows of the spec with each variant, on a fresh DuckDB store holding the story."""
    with duckdb_tables(_story(story_paths)) as tables:
        return [compute({"kind": "retention", **spec, **v}, tables).rows for v in variants]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story_paths=paths, spec=specs)
def test_properties_of_cells(story_paths, spec):
    on, after = _computed(story_paths, spec, [{"retention": "on"}, {"retention": "on_or_after"}])
    assert [(r["cohort"], r["period"]) for r in on] == [(r["cohort"], r["period"]) for r in after]
    for row, cumulative in zip(on, after, strict=True):
        # Period 0 is the cohort itself; no cell can hold more than its cohort.
        if row["period"] == 0:
            assert row["retained"] == row["cohort_size"]
        assert 0 <= row["retained"] <= row["cohort_size"]
        # Cumulative retention counts everyone "on" counts, and maybe more.
        assert row["retained"] <= cumulative["retained"] <= cumulative["cohort_size"]
    cohort_rows = [r for r in after if not r["is_mean"]]
    for prev, row in itertools.pairwise(cohort_rows):
        if row["cohort"] == prev["cohort"]:
            # on_or_after never rises with k.
            assert row["retained"] <= prev["retained"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story_paths=paths, spec=specs)
def test_user_and_account_grain_agree_when_accounts_have_one_user(story_paths, spec):
    per_user, per_account = _computed(story_paths, spec, [{"unit": "user"}, {"unit": "account"}])
    assert per_user == per_account
