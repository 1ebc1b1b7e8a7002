"""The six KPIs in pandas, as an analyst would write them over the raw events loaded with
`read_parquet` (only the columns the KPIs need; `user_id` and `event` as categoricals, which
makes group-bys and joins work on integer codes).

Each function returns the answer as rows with the same columns and order as uptake's result.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.answer_rows import funnel_rows, retention_rows
from benchmarks.definitions import Catalog, read_catalog
from benchmarks.specs import FUNNEL_STEPS, RETENTION_PERIODS, date_range

Row = dict[str, Any]
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class Frames:
    """Events (user_id, event, timestamp, properties), users (user_id, created_at), catalog."""

    events: pd.DataFrame
    users: pd.DataFrame
    catalog: Catalog


def load(folder: Path) -> Frames:
    """Read the Parquet files of a benchmark data folder."""
    events = pd.read_parquet(
        folder / "events.parquet", columns=["user_id", "event", "timestamp", "properties"]
    )
    events = events.astype({"user_id": "category", "event": "category"})
    users = pd.read_parquet(folder / "users.parquet", columns=["user_id", "created_at"])
    return Frames(events, users, read_catalog(folder / "uptake.toml"))


def _stamp(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


def _in_days(events: pd.DataFrame, first: dt.date, last: dt.date) -> pd.Series:
    """Events on days first..last (inclusive)."""
    ts = events["timestamp"]
    return (ts >= _stamp(first)) & (ts < _stamp(last + DAY))


def _active(frames: Frames) -> pd.Series:
    return ~frames.events["event"].isin(frames.catalog.excluded)


def _days(timestamps: pd.Series) -> np.ndarray:
    """UTC dates (datetime64[D]) of timestamps."""
    return np.asarray(timestamps.to_numpy().astype("datetime64[D]"))


def _sundays(days: np.ndarray) -> np.ndarray:
    """The Sunday starting each date's week (1970-01-01, day 0, was a Thursday)."""
    return np.asarray(days - (days.astype("int64") + 4) % 7)


def _date(value: Any) -> dt.date:
    day: dt.date = pd.Timestamp(value).date()
    return day


def active_users(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """Distinct active users per Sunday week, zeros included."""
    first, last = date_range(spec)
    ev = frames.events
    act = ev.loc[_in_days(ev, first, last) & _active(frames), ["user_id", "timestamp"]]
    weeks = _sundays(_days(act["timestamp"]))
    counts = act["user_id"].groupby(weeks).nunique()
    by_week = {_date(k): int(v) for k, v in counts.items()}
    spine = np.arange(np.datetime64(first), np.datetime64(last + DAY), 7)
    return [{"period": _date(w), "value": by_week.get(_date(w), 0)} for w in spine]


def _json_text(properties: pd.Series, key: str) -> pd.Series:
    """The text of a top-level JSON property (None when absent), as DuckDB's ->> reads it."""

    def one(document: str) -> str | None:
        value = json.loads(document).get(key)
        return value if isinstance(value, str) or value is None else json.dumps(value)

    return properties.map(one, na_action="ignore")


def _seconds(stamps: pd.Series) -> np.ndarray:
    """Whole epoch seconds (floored) of timestamps, NaN for missing ones."""
    values = stamps.to_numpy(dtype="datetime64[us]")
    out = values.astype("datetime64[s]").astype("int64").astype("float64")
    out[np.isnat(values)] = np.nan
    return np.asarray(out)


def _signups(frames: Frames) -> pd.Series:
    """Signup per user (str index): the earlier of profile created_at and first event."""
    first_any = frames.events.groupby("user_id", observed=True)["timestamp"].min()
    first_any.index = first_any.index.astype(str)
    created = frames.users.set_index("user_id")["created_at"]
    both = pd.concat([created.rename("created"), first_any.rename("first")], axis=1)
    return both.min(axis=1).dropna()


def feature_adoption(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """One row per feature over the range (see uptake's feature_adoption)."""
    first, last = date_range(spec)
    lo, hi = _stamp(first), _stamp(last + DAY)
    ev = frames.events
    active_users = int(ev.loc[_in_days(ev, first, last) & _active(frames), "user_id"].nunique())
    signups = _signups(frames)
    rows = []
    for feature in frames.catalog.features:
        used = ev.loc[ev["event"].isin(feature.events), ["user_id", "timestamp", "properties"]]
        for condition in feature.where:
            used = used[_json_text(used["properties"], condition.key) == condition.value]
        inside = used[(used["timestamp"] >= lo) & (used["timestamp"] < hi)]
        firsts = used.groupby("user_id", observed=True)["timestamp"].min()
        users = int(inside["user_id"].nunique())
        adopters = firsts[firsts < hi]
        signed = signups.reindex(adopters.index.astype(str))
        if feature.released_at is not None:
            release = _stamp(feature.released_at)
            start = signed.fillna(release).clip(lower=release)
        else:
            start = signed
        seconds = _seconds(adopters) - _seconds(start)
        days = np.where(seconds < 0, 0.0, seconds) / 86400
        median = pd.Series(days, dtype="float64").median()
        rows.append(
            {
                "feature": feature.name,
                "users": users,
                "uses": len(inside),
                "first_time_users": int(((firsts >= lo) & (firsts < hi)).sum()),
                "active_users": active_users,
                "adoption_rate": users / active_users if active_users > 0 else None,
                "median_days_to_first_use": None if pd.isna(median) else float(median),
                "released_at": feature.released_at,
            }
        )
    return rows


def _first_activity(frames: Frames) -> pd.Series:
    """Each user's first activity event ever (categorical index)."""
    ev = frames.events
    return (
        ev.loc[_active(frames), ["user_id", "timestamp"]]
        .groupby("user_id", observed=True)["timestamp"]
        .min()
    )


def retention(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """First-time weekly retention: the triangle, then the weighted-mean rows."""
    first, last = date_range(spec)
    origin = np.datetime64(first, "D")
    weeks = ((last - first).days + 7) // 7
    firsts = _first_activity(frames)
    first_days = _days(firsts)
    joined = (first_days >= origin) & (first_days <= np.datetime64(last, "D"))
    members = pd.DataFrame(
        {
            "user_id": firsts.index[joined],
            "cohort_index": (first_days[joined] - origin).astype("int64") // 7,
        }
    )
    ev = frames.events
    later = ev.loc[_in_days(ev, first + WEEK, last) & _active(frames), ["user_id", "timestamp"]]
    returns = pd.DataFrame(
        {
            "user_id": later["user_id"],
            "return_index": (_days(later["timestamp"]) - origin).astype("int64") // 7,
        }
    ).drop_duplicates()
    hits = members.merge(returns, on="user_id")
    hits["period"] = hits["return_index"] - hits["cohort_index"]
    hits = hits[(hits["period"] >= 1) & (hits["period"] <= RETENTION_PERIODS)]
    returned = hits.groupby(["cohort_index", "period"]).size().to_dict()
    sizes = members.groupby("cohort_index").size().to_dict()
    return retention_rows(first, weeks, sizes, returned)


def funnel(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """The ordered 3-step funnel with merge_asof (see handwritten_sql.funnel)."""
    first, last = date_range(spec)
    window = pd.Timedelta(days=int(spec["conversion_window"]))
    ev = frames.events
    steps = ev.loc[
        _in_days(ev, first, last) & ev["event"].isin(FUNNEL_STEPS),
        ["user_id", "event", "timestamp"],
    ]

    def step(k: int) -> pd.DataFrame:
        rows = steps.loc[steps["event"] == FUNNEL_STEPS[k - 1], ["user_id", "timestamp"]]
        return rows.rename(columns={"timestamp": f"at_{k}"}).sort_values(f"at_{k}")

    attempts = pd.merge_asof(
        step(1), step(2), left_on="at_1", right_on="at_2", by="user_id", direction="forward"
    )
    deadline = attempts["at_1"] + window
    attempts["at_2"] = attempts["at_2"].where(attempts["at_2"] <= deadline)
    attempts["attempt"] = np.arange(len(attempts))
    going = attempts[attempts["at_2"].notna()].sort_values("at_2")
    third = pd.merge_asof(
        going, step(3), left_on="at_2", right_on="at_3", by="user_id", direction="forward"
    ).set_index("attempt")["at_3"]
    attempts["at_3"] = third.reindex(attempts["attempt"]).to_numpy()
    attempts["at_3"] = attempts["at_3"].where(attempts["at_3"] <= deadline)
    attempts["reached"] = 1 + attempts["at_2"].notna() + attempts["at_3"].notna()
    best = attempts.sort_values(
        ["user_id", "reached", "at_1"], ascending=[True, False, True]
    ).drop_duplicates("user_id")
    entities = [int((best["reached"] >= k).sum()) for k in (1, 2, 3)]
    seconds = {
        2: (best["at_2"] - best["at_1"]).dt.total_seconds(),
        3: (best["at_3"] - best["at_2"]).dt.total_seconds(),
    }
    times = {k: (seconds[k].mean(), seconds[k].median()) for k in (2, 3) if entities[k - 1] > 0}
    return funnel_rows(entities, times)


def stickiness(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """Users by number of days active in the range, 1..N, with shares."""
    first, last = date_range(spec)
    ev = frames.events
    act = ev.loc[_in_days(ev, first, last) & _active(frames), ["user_id", "timestamp"]]
    per_user = act["timestamp"].dt.floor("D").groupby(act["user_id"], observed=True).nunique()
    counts = per_user.value_counts().to_dict()
    total = int(per_user.size)
    days = (last - first).days + 1
    return [
        {
            "active_periods": n,
            "entities": int(counts.get(n, 0)),
            "share": counts.get(n, 0) / total if total else None,
        }
        for n in range(1, days + 1)
    ]


def lifecycle(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """New, returning, resurrecting and dormant users per Sunday week."""
    first, last = date_range(spec)
    before = first - WEEK
    ev = frames.events
    act = ev.loc[_in_days(ev, before, last) & _active(frames), ["user_id", "timestamp"]]
    weeks = pd.DataFrame({"user_id": act["user_id"], "week": _sundays(_days(act["timestamp"]))})
    weeks = weeks.drop_duplicates().sort_values(["user_id", "week"])
    firsts = _first_activity(frames)
    new_week = pd.Series(_sundays(_days(firsts)), index=firsts.index, name="new_week")
    weeks = weeks.join(new_week, on="user_id")
    previous = weeks.groupby("user_id", observed=True)["week"].shift()
    weeks["was_active"] = (previous == weeks["week"] - pd.Timedelta(days=7)).to_numpy()
    weeks["is_new"] = (weeks["new_week"] == weeks["week"]).to_numpy()
    per_week = weeks.groupby("week").agg(
        active=("user_id", "size"),
        returning=("was_active", "sum"),
    )
    per_week["new"] = weeks[~weeks["was_active"] & weeks["is_new"]].groupby("week").size()
    by_week = {_date(k): v for k, v in per_week.fillna(0).astype("int64").iterrows()}
    rows: list[Row] = []
    last_active = None
    for start in np.arange(np.datetime64(before), np.datetime64(last + DAY), 7):
        day = _date(start)
        counts = by_week.get(day)
        active, returning, new = (
            (0, 0, 0) if counts is None else (counts["active"], counts["returning"], counts["new"])
        )
        if day >= first:
            assert last_active is not None
            rows += [
                {"period": day, "status": "new", "count": int(new)},
                {"period": day, "status": "returning", "count": int(returning)},
                {"period": day, "status": "resurrecting", "count": int(active - returning - new)},
                {"period": day, "status": "dormant", "count": int(returning - last_active)},
            ]
        last_active = active
    return rows


KPI_FUNCTIONS = {
    "active_users": active_users,
    "feature_adoption": feature_adoption,
    "retention": retention,
    "funnel": funnel,
    "stickiness": stickiness,
    "lifecycle": lifecycle,
}


def compute(frames: Frames, kpi: str, spec: dict[str, Any]) -> list[Row]:
    """The answer rows of one KPI."""
    return KPI_FUNCTIONS[kpi](frames, spec)
