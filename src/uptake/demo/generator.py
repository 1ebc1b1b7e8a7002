"""Events, drawn with numpy a chunk of users at a time (no Python loop per event or per user).

For each chunk: which user-days are active (Bernoulli on the activity matrix), how many actions
each active day holds (Poisson), one or two logins opening the day, the action names (the
user's department mix, the burst mix for the burst account), feature uses after each user's
first use, the first uses themselves, and passive notifications. Each chunk has its own
random stream, so the result depends only on the seed and the size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from uptake.demo.activity import EXTRA_LOGIN, Calibration, ChunkActivity, chunk_activity
from uptake.demo.properties import event_properties
from uptake.demo.scenario import Scenario
from uptake.demo.vocabulary import (
    ACTIONS,
    BURST_BOOST,
    DEPARTMENT_MIX,
    EVENT_CODE,
    EVENTS,
    FEATURES,
    LOGIN,
    PASSIVE,
)
from uptake.store.schema import CANONICAL_SCHEMAS

DAY_US = 86_400_000_000
EVENT_NAMES = pa.array(EVENTS, pa.string())
_ACTION_CODES = np.array([EVENT_CODE[a] for a in ACTIONS])


def _mix_table() -> np.ndarray:
    """Cumulative action probabilities: one row per department, then the same rows boosted
    for the burst account."""
    base = np.asarray(DEPARTMENT_MIX, dtype=np.float64)
    boost = np.array([BURST_BOOST.get(a, 1.0) for a in ACTIONS])
    rows = np.vstack([base, base * boost])
    return np.cumsum(rows / rows.sum(axis=1, keepdims=True), axis=1)


_MIX = _mix_table()


@dataclass
class EventDraws:
    """Per event: user index, day offset, microsecond of the UTC day, event code."""

    user: np.ndarray
    day: np.ndarray
    micros: np.ndarray
    code: np.ndarray


def _office_micros(rng: np.random.Generator, offset_hours: np.ndarray) -> np.ndarray:
    """Microseconds into the UTC day for events at local office hours (a morning and an
    afternoon peak), at the users' UTC offsets."""
    n = len(offset_hours)
    morning = rng.random(n) < 0.5
    local = np.where(morning, rng.normal(10.5, 1.5, n), rng.normal(15.0, 2.0, n)).clip(6.5, 21.5)
    utc = np.mod((local - offset_hours) * 3600.0, 86_400.0)
    micros: np.ndarray = (utc * 1_000_000).astype(np.int64).clip(0, DAY_US - 1)
    return micros


def _actions(rng: np.random.Generator, profile: np.ndarray) -> np.ndarray:
    """Action codes drawn from each event's mix row (`profile`), vectorized: the rows are
    laid end to end, row r shifted by r, so one searchsorted serves every row."""
    n_actions = _MIX.shape[1]
    shifted = (_MIX + np.arange(_MIX.shape[0])[:, None]).ravel()
    u = rng.random(len(profile)) + profile
    pos = np.searchsorted(shifted, u, side="right") - profile * n_actions
    # Rounding can put the last edge of a row a hair past the next row's start: clip.
    codes: np.ndarray = _ACTION_CODES[np.clip(pos, 0, n_actions - 1)]
    return codes


def _active_days(
    scn: Scenario, act: ChunkActivity, cal: Calibration, rng: np.random.Generator
) -> tuple[EventDraws, np.ndarray]:
    """Logins and actions on active days; also the active day count per user."""
    u = scn.users
    active = rng.random(act.active.shape, dtype=np.float32) < act.active * cal.active_scale
    row, day = np.nonzero(active)  # row-major: grouped by user, then day
    logins = 1 + (rng.random(len(row)) < EXTRA_LOGIN)
    actions = rng.poisson(act.actions[row, day] * cal.action_scale)
    counts = logins + actions
    cell = np.repeat(np.arange(len(row)), counts)
    rank = np.arange(len(cell)) - np.repeat(np.cumsum(counts) - counts, counts)
    user = act.lo + row[cell]
    ev_day = day[cell]
    # Times sorted within each user-day, so the logins (ranked first) open the day.
    offset = cell.astype(np.int64) * DAY_US
    key = offset + _office_micros(rng, u.utc_offset_hours[user])
    key.sort()
    micros = key - offset
    is_login = rank < logins[cell]
    profile = u.department[user] + np.where(act.burst[row, day][cell], _MIX.shape[0] // 2, 0)
    code = np.where(is_login, EVENT_CODE[LOGIN], _actions(rng, profile))
    # After their first use, adopters use a feature in a share of their actions.
    for f, feature in enumerate(FEATURES):
        used = (~is_login) & (ev_day > np.floor(u.adopt_day[user, f]))
        used &= rng.random(len(code)) < feature.usage_share
        code = np.where(used, EVENT_CODE[feature.event], code)
    active_days = active.sum(axis=1)
    return EventDraws(user, ev_day, micros, code), active_days


def _first_uses(scn: Scenario, lo: int, hi: int, rng: np.random.Generator) -> EventDraws:
    """Per adopter and feature, on the day of first use: a login, then the feature's event
    one to ten minutes later (a first use may fall on a day the user was not otherwise active)."""
    u = scn.users
    row, f = np.nonzero(np.isfinite(u.adopt_day[lo:hi]))
    user = lo + row
    day = np.floor(u.adopt_day[user, f]).astype(np.int64)
    login = _office_micros(rng, u.utc_offset_hours[user]).clip(0, DAY_US - 600_000_001)
    use = login + rng.integers(60_000_000, 600_000_000, len(row))
    codes = np.array([EVENT_CODE[x.event] for x in FEATURES])[f]
    return EventDraws(
        np.concatenate([user, user]),
        np.concatenate([day, day]),
        np.concatenate([login, use]),
        np.concatenate([np.full(len(row), EVENT_CODE[LOGIN]), codes]),
    )


def _notifications(act: ChunkActivity, rng: np.random.Generator) -> EventDraws:
    """Passive digests and reminders, sent during UTC business hours."""
    row, day = np.nonzero(rng.random(act.notify.shape, dtype=np.float32) < act.notify)
    micros = rng.integers(6 * 3600, 18 * 3600, len(row)) * 1_000_000
    return EventDraws(act.lo + row, day, micros, np.full(len(row), EVENT_CODE[PASSIVE]))


def _table(
    scn: Scenario,
    draws: EventDraws,
    first_id: int,
    rng: np.random.Generator,
    user_ids: pa.Array,
    account_ids: pa.Array,
) -> pa.Table:
    n = len(draws.user)
    start_us = int(np.datetime64(scn.start, "us").astype(np.int64))
    ts = start_us + draws.day * DAY_US + draws.micros
    # Events reach the collector a fraction of a second to a few seconds later.
    received = ts + rng.integers(20_000, 4_000_000, n)
    serial = pc.cast(pa.array(np.arange(first_id, first_id + n)), pa.string())
    idx = pa.array(draws.user)
    columns = [
        pc.binary_join_element_wise(f"d{scn.seed}-", serial, ""),
        user_ids.take(idx),
        pa.nulls(n, pa.string()),
        account_ids.take(pa.array(scn.users.account[draws.user])),
        EVENT_NAMES.take(pa.array(draws.code)),
        pa.array(ts, pa.timestamp("us")),
        pa.array(received, pa.timestamp("us")),
        event_properties(draws.code, rng),
    ]
    return pa.Table.from_arrays(columns, schema=CANONICAL_SCHEMAS["events"])


@dataclass(frozen=True)
class Chunk:
    """One chunk's events and its users' engagement (active days / days they could be)."""

    lo: int
    hi: int
    events: pa.Table
    engagement: np.ndarray


def generate_chunk(
    scn: Scenario,
    cal: Calibration,
    index: int,
    lo: int,
    hi: int,
    first_id: int,
    user_ids: pa.Array,
    account_ids: pa.Array,
) -> Chunk:
    """The events of users [lo, hi); message ids count up from `first_id`."""
    rng = np.random.default_rng([scn.seed, 1, index])
    act = chunk_activity(scn, lo, hi)
    main, active_days = _active_days(scn, act, cal, rng)
    parts = [main, _first_uses(scn, lo, hi, rng), _notifications(act, rng)]
    draws = EventDraws(
        *(np.concatenate([getattr(p, k) for p in parts]) for k in ("user", "day", "micros", "code"))
    )
    table = _table(scn, draws, first_id, rng, user_ids, account_ids)
    engagement = active_days / np.maximum(act.alive.sum(axis=1), 1)
    return Chunk(lo, hi, table, engagement)


def generate_events(
    scn: Scenario, cal: Calibration, ranges: list[tuple[int, int]]
) -> Iterator[Chunk]:
    """Every chunk's events in order; message ids are unique across the whole demo."""
    user_ids = pa.array(scn.users.user_id, pa.string())
    account_ids = pa.array(scn.accounts.account_id, pa.string())
    next_id = 0
    for index, (lo, hi) in enumerate(ranges):
        chunk = generate_chunk(scn, cal, index, lo, hi, next_id, user_ids, account_ids)
        next_id += chunk.events.num_rows
        yield chunk
