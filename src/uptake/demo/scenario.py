"""The demo's story in numbers: its calendar, sizes, and the accounts and users it is about.

All dates inside the generator are *day offsets* from the first day of the span (floats: a
fraction is a time of day), so the whole population is a handful of numpy arrays. The span
always ends on `end` and covers `SPAN_DAYS` days before it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from uptake.demo.population import Accounts, Users, draw_population
from uptake.demo.story import STORY_USERS, StoryPlan, plan_story
from uptake.demo.vocabulary import FEATURES
from uptake.errors import UptakeError

Size = Literal["tiny", "small", "medium", "large", "huge"]

SIZES: dict[str, int] = {
    "tiny": 10_000,
    "small": 200_000,
    "medium": 1_000_000,
    "large": 10_000_000,
    "huge": 100_000_000,
}
SPAN_DAYS = 280  # 40 weeks: the default 90-day ranges and two NPS waves fit inside
# Events a typical user produces over the span before calibration; sets the head count so
# that calibration only nudges the per-user rates.
EVENTS_PER_USER = 420
MIN_USERS = 80  # the story accounts alone hold STORY_USERS users
MIN_EVENTS = 5_000
MAX_EVENTS = 2_000_000_000

# Relative activity by weekday (Monday first): office software is a weekday habit.
WEEKDAY_FACTOR = (1.0, 1.05, 1.05, 1.0, 0.85, 0.12, 0.07)


class DemoError(UptakeError):
    """The demo cannot be generated with these options (bad size, too few events, ...)."""


@dataclass(frozen=True)
class Scenario:
    """Everything decided before the first event is drawn: calendar, population, story."""

    size: str
    seed: int
    target_events: int
    start: dt.date
    end: dt.date
    days: int
    last_sunday: int
    day_factor: np.ndarray
    business_day: np.ndarray
    release_days: np.ndarray
    accounts: Accounts
    users: Users
    story: StoryPlan

    def date_of(self, day: int) -> dt.date:
        """The calendar date of a day offset."""
        return self.start + dt.timedelta(days=day)


def target_events(size: str, events: int | None) -> int:
    """The number of events to aim for: `events` when given, else the size's."""
    if events is not None:
        if not MIN_EVENTS <= events <= MAX_EVENTS:
            raise DemoError(
                f"--events must be between {MIN_EVENTS:,} and {MAX_EVENTS:,} (got {events:,}): "
                "the story accounts need a few thousand events to show their patterns"
            )
        return events
    if size not in SIZES:
        raise DemoError(f"unknown demo size {size!r}; sizes: {', '.join(SIZES)}")
    return SIZES[size]


def _calendar(start: dt.date, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Per day: the activity factor (weekday rhythm x mild season x holidays), business day."""
    dates = [start + dt.timedelta(days=d) for d in range(days)]
    weekday = np.array([d.weekday() for d in dates])
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=np.float64)
    # Mild season: +-6% over the year, lowest in late December / early January.
    season = 1.0 + 0.06 * np.sin(2 * math.pi * (doy - 105.0) / 365.0)
    holiday = np.array(
        [(d.month == 12 and d.day >= 24) or (d.month == 1 and d.day == 1) for d in dates]
    )
    factor = np.asarray(WEEKDAY_FACTOR)[weekday] * season * np.where(holiday, 0.35, 1.0)
    return factor.astype(np.float32), (weekday < 5) & ~holiday


def build_scenario(
    size: str = "small", seed: int = 42, end: dt.date | None = None, events: int | None = None
) -> Scenario:
    """Draw the population and the story for a size (or an explicit event count).

    `end` is the last day of the span (default: today, UTC). The same arguments always give
    the same scenario.
    """
    target = target_events(size, events)
    if seed < 0:
        raise DemoError(f"--seed must be zero or positive (got {seed})")
    end = end or dt.datetime.now(dt.UTC).date()
    start = end - dt.timedelta(days=SPAN_DAYS - 1)
    # Sunday on or before `end` (Python: Monday = 0, Sunday = 6).
    last_sunday = SPAN_DAYS - 1 - (end.weekday() + 1) % 7
    day_factor, business_day = _calendar(start, SPAN_DAYS)
    # Features ship on a Tuesday, a whole number of weeks before the last Sunday.
    release_days = np.array(
        [last_sunday - 7 * f.released_weeks_before_end + 2 for f in FEATURES], dtype=np.int64
    )
    story = plan_story(last_sunday)
    n_users = max(MIN_USERS, round(target / EVENTS_PER_USER))
    rng = np.random.default_rng([seed, 0])
    accounts, users = draw_population(rng, n_users - STORY_USERS, SPAN_DAYS, story, release_days)
    return Scenario(
        size=size if events is None else "custom",
        seed=seed,
        target_events=target,
        start=start,
        end=end,
        days=SPAN_DAYS,
        last_sunday=last_sunday,
        day_factor=day_factor,
        business_day=business_day,
        release_days=release_days,
        accounts=accounts,
        users=users,
        story=story,
    )
