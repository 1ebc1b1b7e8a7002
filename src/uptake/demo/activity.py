"""How likely each user is to be active each day, and how busy: deterministic (user x day)
matrices for a chunk of users, and the calibration that makes the total hit the target.

No randomness here: the same matrices serve the calibration pass (expected counts) and the
generation pass (draws), so the expected total is the one that gets drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uptake.demo.scenario import DemoError, Scenario
from uptake.demo.story import (
    BURST,
    BURST_FACTOR,
    BURST_INTENSITY,
    SLUMP,
    SLUMP_FACTOR,
    TEAM,
    TEAM_FADE_DAYS,
)

MAX_ACTIVE = 0.97  # nobody is certain to show up
EXTRA_LOGIN = 0.25  # chance of a second login on an active day
ONBOARDING_DAYS = 14
ONBOARDING_BOOST = 1.3  # new users explore
CHURN_RAMP_DAYS = 30  # a churning account fades over its last month
LEAD_FADE_DAYS = 7.0  # trial users fade with this time constant (e-folding, days)
NOTIFY_BUSINESS_DAY = 0.08  # digests and reminders reach licensed users
NOTIFY_OTHER_DAY = 0.01
MIN_ACTION_SCALE = 0.2  # below this, calibration thins active days instead of actions


@dataclass(frozen=True)
class ChunkActivity:
    """Matrices (users x days) for users [lo, hi) of a scenario."""

    lo: int
    hi: int
    active: np.ndarray  # chance of being active that day (before calibration's thinning)
    actions: np.ndarray  # mean actions on an active day (before calibration's scale)
    burst: np.ndarray  # True where the burst account's deal rush is on
    notify: np.ndarray  # chance of a passive notification that day
    alive: np.ndarray  # True on days the user could be active at all


@dataclass(frozen=True)
class Calibration:
    """Scales that make the expected event count equal the target.

    `active_scale` thins active days (1 unless the target is very small for the population);
    `action_scale` multiplies actions per active day.
    """

    active_scale: float
    action_scale: float
    expected_events: float


def chunk_activity(scn: Scenario, lo: int, hi: int) -> ChunkActivity:
    """The activity matrices of users [lo, hi)."""
    u = scn.users
    day = np.arange(scn.days, dtype=np.float64)[None, :]
    first = (np.floor(u.created_day[lo:hi]) + 1)[:, None]  # activity starts the day after signup
    since = day - first
    alive = (since >= 0) & (day < u.alive_until[lo:hi, None])
    factor = np.where(alive, scn.day_factor[None, :], 0.0)
    factor = factor * np.where(since < ONBOARDING_DAYS, ONBOARDING_BOOST, 1.0)
    churn = u.churn_day[lo:hi, None]
    factor = factor * np.clip((churn - day) / CHURN_RAMP_DAYS, 0.0, 1.0)
    factor = np.where(
        u.is_lead[lo:hi, None], factor * np.exp(-since.clip(0) / LEAD_FADE_DAYS), factor
    )

    kind = u.story_kind[lo:hi, None]
    turned = day >= u.story_day[lo:hi, None]  # False where story_day is NaN
    after = (day - u.story_day[lo:hi, None]).clip(0)
    story = np.select(
        [(kind == SLUMP) & turned, (kind == TEAM) & turned, (kind == BURST) & turned],
        [SLUMP_FACTOR, np.exp(-np.nan_to_num(after) / TEAM_FADE_DAYS), BURST_FACTOR],
        1.0,
    )
    active = np.minimum(u.active_chance[lo:hi, None] * factor * story, MAX_ACTIVE)
    burst = (kind == BURST) & turned
    actions = u.actions_per_day[lo:hi, None] * np.where(
        burst, BURST_INTENSITY, np.where((kind == SLUMP) & turned, 0.5, 1.0)
    )
    business = scn.business_day[None, :]
    # Notifications reach licensed users while the account is a customer, active or not.
    reach = u.licensed[lo:hi, None] & (since >= 0) & (day < churn)
    notify = np.where(reach, np.where(business, NOTIFY_BUSINESS_DAY, NOTIFY_OTHER_DAY), 0.0)
    return ChunkActivity(
        lo=lo,
        hi=hi,
        active=active.astype(np.float32),
        actions=np.broadcast_to(actions, active.shape).astype(np.float32),
        burst=np.broadcast_to(burst, active.shape),
        notify=notify.astype(np.float32),
        alive=alive,
    )


def first_use_count(scn: Scenario) -> int:
    """First uses of released features inside the span (each is a login and the use)."""
    return int(np.isfinite(scn.users.adopt_day).sum())


def chunks(scn: Scenario, events_per_chunk: int) -> list[tuple[int, int]]:
    """User ranges [lo, hi) holding about `events_per_chunk` events each."""
    n = len(scn.users)
    per_user = max(scn.target_events / n, 1.0)
    step = max(16, int(events_per_chunk / per_user))
    return [(lo, min(lo + step, n)) for lo in range(0, n, step)]


def calibrate(scn: Scenario, ranges: list[tuple[int, int]]) -> Calibration:
    """Scales so that the expected number of events equals `scn.target_events`."""
    days = logins = actions = notify = 0.0
    for lo, hi in ranges:
        act = chunk_activity(scn, lo, hi)
        days += float(act.active.sum(dtype=np.float64))
        actions += float((act.active * act.actions).sum(dtype=np.float64))
        notify += float(act.notify.sum(dtype=np.float64))
    logins = days * (1 + EXTRA_LOGIN)
    fixed = notify + 2 * first_use_count(scn)
    room = scn.target_events - fixed
    if room <= 0 or actions <= 0:
        raise DemoError(
            f"{scn.target_events:,} events are too few for this demo; use at least "
            f"{int(2 * fixed) + 1:,}"
        )
    action_scale = (room - logins) / actions
    active_scale = 1.0
    if action_scale < MIN_ACTION_SCALE:
        action_scale = MIN_ACTION_SCALE
        active_scale = room / (logins + action_scale * actions)
    expected = fixed + active_scale * (logins + action_scale * actions)
    return Calibration(active_scale, action_scale, expected)
