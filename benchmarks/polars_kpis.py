"""The six KPIs in polars, as an analyst would write them over the raw events loaded with
`read_parquet` (only the columns the KPIs need) and queried through lazy frames, which lets
polars push filters down and run the plan on all its threads.

Each function returns the answer as rows with the same columns and order as uptake's result
(see pandas_kpis.py for the pandas version of the same code).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.answer_rows import funnel_rows, retention_rows
from benchmarks.definitions import Catalog, read_catalog
from benchmarks.specs import FUNNEL_STEPS, RETENTION_PERIODS, date_range

Row = dict[str, Any]
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
# The first step-k event at or after the previous step, per user. Both sides are sorted by
# (user_id, time), which is what join_asof needs; it cannot check that itself with `by`.
_ASOF: dict[str, Any] = {"by": "user_id", "strategy": "forward", "check_sortedness": False}
EPOCH_WEEKDAY = 4  # 1970-01-01 (day 0) was a Thursday: (days + 4) % 7 == 0 on Sundays


@dataclass(frozen=True)
class Frames:
    """Events (user_id, event, timestamp, properties), users (user_id, created_at), catalog."""

    events: pl.DataFrame
    users: pl.DataFrame
    catalog: Catalog


def load(folder: Path) -> Frames:
    """Read the Parquet files of a benchmark data folder."""
    events = pl.read_parquet(
        folder / "events.parquet", columns=["user_id", "event", "timestamp", "properties"]
    )
    users = pl.read_parquet(folder / "users.parquet", columns=["user_id", "created_at"])
    return Frames(events, users, read_catalog(folder / "uptake.toml"))


def _between(first: dt.date, last: dt.date) -> pl.Expr:
    """Events on days first..last (inclusive)."""
    ts = pl.col("timestamp")
    return (ts >= dt.datetime.combine(first, dt.time())) & (
        ts < dt.datetime.combine(last + DAY, dt.time())
    )


def _active(frames: Frames) -> pl.Expr:
    return ~pl.col("event").is_in(list(frames.catalog.excluded))


def _sunday(day: pl.Expr) -> pl.Expr:
    """The Sunday starting the week of a Date expression."""
    days = day.cast(pl.Int32)
    return (days - (days + EPOCH_WEEKDAY) % 7).cast(pl.Date)


def _weeks(first: dt.date, last: dt.date) -> list[dt.date]:
    """The Sundays of the weeks from `first` (a Sunday) to `last`."""
    return [first + WEEK * i for i in range(((last - first).days + 7) // 7)]


def active_users(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """Distinct active users per Sunday week, zeros included."""
    first, last = date_range(spec)
    counts = (
        frames.events.lazy()
        .filter(_between(first, last) & _active(frames))
        .group_by(period=_sunday(pl.col("timestamp").dt.date()))
        .agg(value=pl.col("user_id").n_unique())
        .collect()
    )
    by_week = dict(zip(counts["period"], counts["value"], strict=True))
    return [{"period": w, "value": int(by_week.get(w, 0))} for w in _weeks(first, last)]


def _signups(frames: Frames) -> pl.LazyFrame:
    """(user_id, signed_up_at): the earlier of the profile's created_at and the first event."""
    first_any = frames.events.lazy().group_by("user_id").agg(first=pl.col("timestamp").min())
    return (
        frames.users.lazy()
        .join(first_any, on="user_id", how="full", coalesce=True)
        .select("user_id", signed_up_at=pl.min_horizontal("created_at", "first"))
        .filter(pl.col("signed_up_at").is_not_null())
    )


def _feature_uses(frames: Frames) -> pl.LazyFrame:
    """(feature, user_id, timestamp): every event that counts as a use of a feature (one pass
    over the events for all features; property conditions per feature)."""
    names = pl.DataFrame(
        [(f.name, e) for f in frames.catalog.features for e in f.events],
        schema={"feature": pl.String, "event": pl.String},
        orient="row",
    )
    tagged = frames.events.lazy().join(names.lazy(), on="event")
    keep = pl.lit(True)
    for feature in frames.catalog.features:
        for condition in feature.where:
            value = pl.col("properties").str.json_path_match(f"$.{condition.key}")
            keep = keep & ((pl.col("feature") != feature.name) | (value == condition.value))
    return tagged.filter(keep).select("feature", "user_id", "timestamp")


def feature_adoption(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """One row per feature over the range (see uptake's feature_adoption)."""
    first, last = date_range(spec)
    lo = dt.datetime.combine(first, dt.time())
    hi = dt.datetime.combine(last + DAY, dt.time())
    uses = _feature_uses(frames).collect().lazy()
    active = frames.events.lazy().filter(_between(first, last) & _active(frames))
    active_users = int(active.select(pl.col("user_id").n_unique()).collect().item())
    inside = (
        uses.filter(_between(first, last))
        .group_by("feature")
        .agg(users=pl.col("user_id").n_unique(), uses=pl.len())
    )
    firsts = uses.group_by("feature", "user_id").agg(first_at=pl.col("timestamp").min())
    released = pl.DataFrame(
        {
            "feature": [f.name for f in frames.catalog.features],
            "released_at": [
                None if f.released_at is None else dt.datetime.combine(f.released_at, dt.time())
                for f in frames.catalog.features
            ],
        },
        schema={"feature": pl.String, "released_at": pl.Datetime("us")},
    )
    start = pl.when(pl.col("released_at").is_not_null()).then(
        pl.max_horizontal("released_at", pl.col("signed_up_at").fill_null(pl.col("released_at")))
    )
    seconds = pl.col("first_at").dt.epoch("s") - pl.col("start").dt.epoch("s")
    adopters = (
        firsts.filter(pl.col("first_at") < hi)
        .join(_signups(frames), on="user_id", how="left")
        .join(released.lazy(), on="feature", how="left")
        .with_columns(start=start.otherwise(pl.col("signed_up_at")))
        .group_by("feature")
        .agg(median=(pl.when(seconds < 0).then(0).otherwise(seconds) / 86400).median())
    )
    newcomers = (
        firsts.filter((pl.col("first_at") >= lo) & (pl.col("first_at") < hi))
        .group_by("feature")
        .agg(first_time_users=pl.len())
    )
    inside_frame, adopters_frame, newcomers_frame = pl.collect_all([inside, adopters, newcomers])
    usage = {f: (u, n) for f, u, n in inside_frame.iter_rows()}
    medians = dict(adopters_frame.iter_rows())
    new = dict(newcomers_frame.iter_rows())
    rows = []
    for feature in frames.catalog.features:
        users, count = usage.get(feature.name, (0, 0))
        median = medians.get(feature.name)
        rows.append(
            {
                "feature": feature.name,
                "users": int(users),
                "uses": int(count),
                "first_time_users": int(new.get(feature.name, 0)),
                "active_users": active_users,
                "adoption_rate": users / active_users if active_users > 0 else None,
                "median_days_to_first_use": None if median is None else float(median),
                "released_at": feature.released_at,
            }
        )
    return rows


def _first_activity(frames: Frames) -> pl.LazyFrame:
    """(user_id, first_day): each user's first activity day ever."""
    return (
        frames.events.lazy()
        .filter(_active(frames))
        .group_by("user_id")
        .agg(first_day=pl.col("timestamp").min().dt.date())
    )


def retention(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """First-time weekly retention: the triangle, then the weighted-mean rows."""
    first, last = date_range(spec)
    weeks = ((last - first).days + 7) // 7

    def index(day: pl.Expr) -> pl.Expr:
        return (day - pl.lit(first)).dt.total_days() // 7

    members = (
        _first_activity(frames)
        .filter(pl.col("first_day").is_between(first, last))
        .select("user_id", cohort_index=index(pl.col("first_day")))
    )
    returns = (
        frames.events.lazy()
        .filter(_between(first + WEEK, last) & _active(frames))
        .select("user_id", return_index=index(pl.col("timestamp").dt.date()))
        .unique()
    )
    hits = (
        members.join(returns, on="user_id")
        .with_columns(period=pl.col("return_index") - pl.col("cohort_index"))
        .filter(pl.col("period").is_between(1, RETENTION_PERIODS))
        .group_by("cohort_index", "period")
        .len()
        .collect()
    )
    sizes_frame = members.group_by("cohort_index").len().collect()
    returned = {(c, k): n for c, k, n in hits.iter_rows()}
    sizes = dict(sizes_frame.iter_rows())
    return retention_rows(first, weeks, sizes, returned)


def funnel(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """The ordered 3-step funnel with join_asof (see handwritten_sql.funnel)."""
    first, last = date_range(spec)
    window = dt.timedelta(days=int(spec["conversion_window"]))
    steps = (
        frames.events.lazy()
        .filter(_between(first, last) & pl.col("event").is_in(list(FUNNEL_STEPS)))
        .select("user_id", "event", "timestamp")
        .collect()
    )

    def step(k: int) -> pl.DataFrame:
        return (
            steps.filter(pl.col("event") == FUNNEL_STEPS[k - 1])
            .select("user_id", pl.col("timestamp").alias(f"at_{k}"))
            .sort("user_id", f"at_{k}")
        )

    def in_time(column: str) -> pl.Expr:
        return pl.when(pl.col(column) <= pl.col("at_1") + window).then(pl.col(column))

    attempts = (
        step(1)
        .join_asof(step(2), left_on="at_1", right_on="at_2", **_ASOF)
        .with_columns(at_2=in_time("at_2"))
    )
    going = attempts.filter(pl.col("at_2").is_not_null()).sort("user_id", "at_2")
    reached_3 = going.join_asof(step(3), left_on="at_2", right_on="at_3", **_ASOF).with_columns(
        at_3=in_time("at_3")
    )
    attempts = pl.concat(
        [attempts.filter(pl.col("at_2").is_null()).with_columns(at_3=pl.lit(None)), reached_3],
        how="vertical_relaxed",
    ).with_columns(reached=1 + pl.col("at_2").is_not_null() + pl.col("at_3").is_not_null())
    best = (
        attempts.sort(["user_id", "reached", "at_1"], descending=[False, True, False])
        .unique("user_id", keep="first", maintain_order=True)
        .select(
            "reached",
            s2=(pl.col("at_2") - pl.col("at_1")).dt.total_microseconds() / 1e6,
            s3=(pl.col("at_3") - pl.col("at_2")).dt.total_microseconds() / 1e6,
        )
    )
    entities = [int((best["reached"] >= k).sum()) for k in (1, 2, 3)]
    seconds = {2: best["s2"], 3: best["s3"]}
    times = {k: (seconds[k].mean(), seconds[k].median()) for k in (2, 3) if entities[k - 1] > 0}
    return funnel_rows(entities, times)


def stickiness(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """Users by number of days active in the range, 1..N, with shares."""
    first, last = date_range(spec)
    per_user = (
        frames.events.lazy()
        .filter(_between(first, last) & _active(frames))
        .group_by("user_id")
        .agg(days=pl.col("timestamp").dt.date().n_unique())
    )
    counts_frame = per_user.group_by("days").len().collect()
    counts = dict(counts_frame.iter_rows())
    total = sum(counts.values())
    return [
        {
            "active_periods": n,
            "entities": int(counts.get(n, 0)),
            "share": counts.get(n, 0) / total if total else None,
        }
        for n in range(1, (last - first).days + 2)
    ]


def lifecycle(frames: Frames, spec: dict[str, Any]) -> list[Row]:
    """New, returning, resurrecting and dormant users per Sunday week."""
    first, last = date_range(spec)
    before = first - WEEK
    weeks = (
        frames.events.lazy()
        .filter(_between(before, last) & _active(frames))
        .select("user_id", week=_sunday(pl.col("timestamp").dt.date()))
        .unique()
        .join(
            _first_activity(frames).select("user_id", new_week=_sunday(pl.col("first_day"))),
            on="user_id",
        )
        .sort("user_id", "week")
        .with_columns(
            was_active=(
                pl.col("week").shift().over("user_id") == pl.col("week") - pl.duration(days=7)
            ).fill_null(False),
            is_new=pl.col("new_week") == pl.col("week"),
        )
        .group_by("week")
        .agg(
            active=pl.len(),
            kept=pl.col("was_active").sum(),
            new=(~pl.col("was_active") & pl.col("is_new")).sum(),
        )
        .collect()
    )
    by_week = {w: (a, k, n) for w, a, k, n in weeks.select("week", "active", "kept", "new").rows()}
    rows: list[Row] = []
    last_active: int | None = None
    for day in _weeks(before, last):
        active, kept, new = by_week.get(day, (0, 0, 0))
        if day >= first:
            assert last_active is not None
            rows += [
                {"period": day, "status": "new", "count": int(new)},
                {"period": day, "status": "returning", "count": int(kept)},
                {"period": day, "status": "resurrecting", "count": int(active - kept - new)},
                {"period": day, "status": "dormant", "count": int(kept - last_active)},
            ]
        last_active = int(active)
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
