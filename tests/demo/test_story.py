"""The story accounts really show their pattern, measured with uptake's own `trend` metric on
DuckDB (the workspace) and on Spark (the Parquet export of the same demo).

The small demo (seed 42) ends on Tuesday 2026-06-30: its last Sunday is 2026-06-28 and its last
full week runs 2026-06-21..27. The story dates are whole weeks before 2026-06-28 (story.py):
slump onboarding 16 / 14 / 12 weeks before (Mar 8, Mar 22, Apr 5), the champion goes quiet 8
weeks before (May 3), the burst starts 5 weeks before (May 24).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from statistics import mean

from uptake.demo import DemoSummary
from uptake.metrics import Tables
from uptake.service import compute

LAST_FULL_DAY = "2026-06-27"
SLUMP = {
    "acc_000001": dt.date(2026, 3, 8),
    "acc_000002": dt.date(2026, 3, 22),
    "acc_000003": dt.date(2026, 4, 5),
}
CHAMPION_ACCOUNT, CHAMPION, QUIET_FROM = "acc_000004", "usr_0000016", dt.date(2026, 5, 3)
BURST_ACCOUNT, BURST_FROM = "acc_000005", dt.date(2026, 5, 24)


def weekly(tables: Tables, spec: dict[str, object]) -> dict[tuple[dt.date, str], float]:
    result = compute({"kind": "trend", "period": "week", "to": LAST_FULL_DAY, **spec}, tables)
    return {(r["period"], r.get("breakdown", "")): r["value"] for r in result.rows}


def account_is(account_id: str) -> dict[str, str]:
    return {"property": "account.account_id", "op": "eq", "value": account_id}


def test_the_manifest_names_the_story_accounts(small_demo: DemoSummary) -> None:
    # Ids and names are fixed (story.py); dates are the weeks above. The champion is the first
    # user of acc_000004: the three slump accounts hold 5 users each (usr_0000001..15).
    assert small_demo.story == {
        "slump": [
            {
                "account_id": "acc_000001",
                "name": "Bluebird Logistics",
                "onboarded_on": "2026-03-08",
                "slump_from": "2026-03-22",
            },
            {
                "account_id": "acc_000002",
                "name": "Cedar Clinics",
                "onboarded_on": "2026-03-22",
                "slump_from": "2026-04-05",
            },
            {
                "account_id": "acc_000003",
                "name": "Granite Foods",
                "onboarded_on": "2026-04-05",
                "slump_from": "2026-04-19",
            },
        ],
        "champion": {
            "account_id": "acc_000004",
            "name": "Harbor Analytics",
            "champion_user_id": "usr_0000016",
            "quiet_from": "2026-05-03",
        },
        "burst": {
            "account_id": "acc_000005",
            "name": "Juniper Realty",
            "burst_from": "2026-05-24",
            "events": ["opportunity_created", "opportunity_won"],
        },
    }


def test_slump_accounts_go_quiet_after_two_weeks(demo_tables: Tables) -> None:
    # Each slump account: 5 users active ~0.8-0.97 of weekdays for two weeks, ~11 events per
    # active day -> roughly 250 events a week; then activity drops to 8% of the days with half
    # the actions -> about 4% of that. Every later week must stay under 30% of the first two.
    values = weekly(
        demo_tables,
        {
            "measure": "total",
            "unit": "account",
            "from": "2026-03-08",
            "breakdown": "account.account_id",
            "filters": [{"property": "account.account_id", "op": "in", "value": list(SLUMP)}],
        },
    )
    for account, onboarded in SLUMP.items():
        weeks = sorted((p, v) for (p, b), v in values.items() if b == account and p >= onboarded)
        first_two = mean(v for _, v in weeks[:2])
        later = [v for _, v in weeks[2:]]
        assert first_two > 100, (account, weeks)
        assert len(later) >= 10  # onboarded 12+ weeks before the last full week
        assert max(later) < 0.3 * first_two, (account, weeks)


def test_the_champion_goes_quiet_and_the_team_fades(demo_tables: Tables) -> None:
    # From 8 weeks before the change: the champion (a power user, ~0.95 of weekdays, ~24 events
    # a day) leads the account; from May 3 on the champion does nothing at all; the seven
    # others fade with a 20-day time constant, so the last three full weeks (7-8 weeks after)
    # are around 10% of their weekly level before, well under 30%.
    values = weekly(
        demo_tables,
        {
            "measure": "total",
            "from": "2026-03-08",
            "breakdown": "user.user_id",
            "filters": [account_is(CHAMPION_ACCOUNT)],
        },
    )
    per_user: dict[str, float] = defaultdict(float)
    team: dict[dt.date, float] = defaultdict(float)
    for (period, user), value in values.items():
        if period < QUIET_FROM:
            per_user[user] += value
        if user == CHAMPION:
            continue
        team[period] += value
    assert max(per_user, key=lambda u: per_user[u]) == CHAMPION
    champion_after = [v for (p, u), v in values.items() if u == CHAMPION and p >= QUIET_FROM]
    assert champion_after == [0] * 8  # May 3 .. Jun 21: eight weeks of nothing
    before = mean(v for p, v in team.items() if p < QUIET_FROM)
    last_three = mean(v for p, v in team.items() if p >= dt.date(2026, 6, 7))
    assert last_three < 0.3 * before, sorted(team.items())


def test_the_burst_account_creates_and_wins_far_more_deals(demo_tables: Tables) -> None:
    # Baseline: the 8 weeks before May 24. During the burst the account is active on 1.7x the
    # days with 1.5x the actions, and opportunity_created weighs 3x (won 5x) in its mix: about
    # 6x the deals created and 10x the deals won a week, far above the 3x asked.
    for event in ("opportunity_created", "opportunity_won"):
        values = weekly(
            demo_tables,
            {
                "measure": "total",
                "from": "2026-03-29",
                "events": [event],
                "filters": [account_is(BURST_ACCOUNT)],
            },
        )
        baseline = mean(v for (p, _), v in values.items() if p < BURST_FROM)
        burst = mean(v for (p, _), v in values.items() if p >= BURST_FROM)
        assert len(values) == 13  # Mar 29 .. Jun 21
        assert baseline > 0, (event, values)
        assert burst > 3 * baseline, (event, values)
