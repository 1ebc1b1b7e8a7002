"""The story accounts: fixed customers whose "moments of truth" later features should detect.

- three accounts slump right after onboarding (busy the first two weeks, then nearly silent);
- one account loses its champion: its most active user goes quiet abruptly, the rest fade after;
- one account has an unexpected burst of success (opportunities created and won take off).

Their ids and names are the same for every seed and size; their key dates are whole weeks
(Sundays) before the last Sunday of the span, so weekly metrics show them cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StoryRole = Literal["slump", "champion", "burst"]

# Story kinds of users (`Users.story_kind`).
PLAIN, SLUMP, CHAMPION, TEAM, BURST = 0, 1, 2, 3, 4

SLUMP_AFTER_DAYS = 14  # the honeymoon lasts two weeks
SLUMP_FACTOR = 0.08  # activity left after the slump
TEAM_FADE_DAYS = 20.0  # the champion's team fades with this time constant (e-folding, days)
BURST_FACTOR = 1.7  # more active days during the burst
BURST_INTENSITY = 1.5  # and more actions per active day


@dataclass(frozen=True)
class StoryAccount:
    """One story account: its fixed id, name and profile, and the departments of its users."""

    account_id: str
    name: str
    role: StoryRole
    plan: str
    industry: str
    region: str
    departments: tuple[str, ...]
    started_day: int


@dataclass(frozen=True)
class StoryPlan:
    """The story accounts (indices 0.. of the accounts) and their key days (day offsets)."""

    accounts: tuple[StoryAccount, ...]
    slump_days: tuple[int, ...]
    champion_quiet_day: int
    burst_day: int

    def role_of(self, index: int) -> StoryRole:
        """The story role of account `index` (story accounts come first)."""
        return self.accounts[index].role


_SLUMP_WEEKS = (16, 14, 12)  # onboarding, in weeks before the last Sunday
_CHAMPION_WEEKS = 8
_BURST_WEEKS = 5


def plan_story(last_sunday: int) -> StoryPlan:
    """The story accounts and their key days for a span whose last Sunday is `last_sunday`."""
    onboard = [last_sunday - 7 * w for w in _SLUMP_WEEKS]
    sales5 = ("Sales", "Sales", "Sales", "Marketing", "Support")
    accounts = (
        StoryAccount(
            "acc_000001",
            "Bluebird Logistics",
            "slump",
            "growth",
            "Logistics",
            "NA",
            sales5,
            onboard[0],
        ),
        StoryAccount(
            "acc_000002",
            "Cedar Clinics",
            "slump",
            "growth",
            "Healthcare",
            "EMEA",
            sales5,
            onboard[1],
        ),
        StoryAccount(
            "acc_000003", "Granite Foods", "slump", "starter", "Retail", "NA", sales5, onboard[2]
        ),
        StoryAccount(
            "acc_000004",
            "Harbor Analytics",
            "champion",
            "growth",
            "Software",
            "EMEA",
            ("Sales",) * 6 + ("Marketing", "Operations"),
            -200,
        ),
        StoryAccount(
            "acc_000005",
            "Juniper Realty",
            "burst",
            "growth",
            "Real Estate",
            "NA",
            ("Sales",) * 6,
            -300,
        ),
    )
    return StoryPlan(
        accounts=accounts,
        slump_days=tuple(d + SLUMP_AFTER_DAYS for d in onboard),
        champion_quiet_day=last_sunday - 7 * _CHAMPION_WEEKS,
        burst_day=last_sunday - 7 * _BURST_WEEKS,
    )


STORY_USERS = sum(len(a.departments) for a in plan_story(0).accounts)
