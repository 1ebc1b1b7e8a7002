"""Time to X: how long after signing up users (or accounts) first reach a target."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal, assert_never

import ibis
import ibis.expr.types as ir
from pydantic import Field, field_validator, model_validator

from uptake.definitions import EventSelector
from uptake.errors import SpecError
from uptake.metrics.filters import with_breakdown
from uptake.metrics.milestones import first_times, signup_times
from uptake.metrics.periods import Period, WeekStart, bucket
from uptake.metrics.ratios import ratio
from uptake.metrics.spec import MetricSpec
from uptake.metrics.spine import period_spine
from uptake.metrics.tables import Tables

Target = Literal["first_action", "key_action", "value", "event"]
Output = Literal["summary", "distribution"]

SECONDS_PER_HOUR = 3_600

# (label, upper edge in hours, exclusive); each bucket starts where the previous one ends, so
# exactly 1 hour is in "1-24 hours" and exactly 24 hours in "1-3 days".
BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("< 1 hour", 1),
    ("1-24 hours", 24),
    ("1-3 days", 3 * 24),
    ("3-7 days", 7 * 24),
    ("7-14 days", 14 * 24),
    ("14-30 days", 30 * 24),
    ("30+ days", None),
)
NOT_YET = "not yet"


class TimeTo(MetricSpec):
    """Time from signup to a target, for the users (or accounts) who signed up in [from, to].

    The target is the first activity event (first_action), the first key action (key_action),
    the workspace's value moment (value) or the first of `events` (event), reached by the end of
    `to`. A user's signup is the earlier of the profile's created_at and the first event; an
    account's is started_at, else created_at, else the first event (an account's target reached
    while still a lead counts as 0 hours). Percentiles interpolate
    linearly between the closest ranks (DuckDB quantile_cont, Spark percentile).
    """

    title: ClassVar[str] = "Time from signup to first action, key action, value or an event"

    kind: Literal["time_to"] = "time_to"
    target: Target = Field(
        default="first_action", description="first_action | key_action | value | event"
    )
    key_action: str | None = Field(
        default=None, description="With target=key_action: its name; None = any key action."
    )
    events: list[str] | None = Field(
        default=None, description="With target=event: event names or glob patterns."
    )
    output: Output = Field(
        default="summary", description="summary (counts and hours) | distribution (buckets)"
    )
    period: Period | None = Field(  # type: ignore[assignment]
        default=None, description="Split by signup period (day, week, month); None = no split."
    )

    @field_validator("events")
    @classmethod
    def _some_events(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            raise ValueError("`events` must not be empty")
        return v

    @model_validator(mode="after")
    def _target_options(self) -> TimeTo:
        if self.target == "event" and self.events is None:
            raise ValueError("target='event' needs `events` (event names or glob patterns)")
        if self.target != "event" and self.events is not None:
            raise ValueError("`events` only applies to target='event'")
        if self.target != "key_action" and self.key_action is not None:
            raise ValueError("`key_action` only applies to target='key_action'")
        return self

    def selectors(self, tables: Tables) -> list[EventSelector | None]:
        """The target's events (None: the activity definition); SpecError when undefined."""
        definitions = tables.definitions
        match self.target:
            case "first_action":
                return [None]
            case "event":
                assert self.events is not None
                return [EventSelector(events=self.events)]
            case "value":
                if definitions.value_moment is None:
                    raise SpecError(
                        "target='value' needs a value moment: add [value_moment] to uptake.toml"
                    )
                return [definitions.value_moment]
            case "key_action":
                if self.key_action is not None:
                    try:
                        return [definitions.key_action(self.key_action)]
                    except KeyError as exc:
                        raise SpecError(str(exc.args[0])) from None
                if not definitions.key_actions:
                    raise SpecError(
                        "target='key_action' needs key actions: add [[key_actions]] to uptake.toml"
                    )
                return list(definitions.key_actions)
            case _:
                assert_never(self.target)

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Summary rows ([period], [breakdown], signed_up, reached, reached_rate, median_hours,
        p25_hours, p75_hours, mean_hours) or distribution rows ([period], [breakdown], bucket,
        bucket_order, entities, share, cumulative_share)."""
        week_start = self.resolved_week_start(tables.definitions)
        journeys = self._journeys(tables, week_start)
        groups = (["period"] if self.period is not None else []) + (
            ["breakdown"] if self.breakdown else []
        )
        frame = self._frame(journeys, groups, week_start)
        match self.output:
            case "summary":
                return self._summary(journeys, frame, groups)
            case "distribution":
                return self._distribution(journeys, frame, groups)
            case _:
                assert_never(self.output)

    def _journeys(self, tables: Tables, week_start: WeekStart) -> ibis.Table:
        """Rows (entity, [period], [breakdown], seconds): one per entity that signed up in
        range; `seconds` from signup to the target (0 when reached before signup), null when
        not reached by the end of `to`."""
        end = ibis.timestamp((self.date_to + dt.timedelta(days=1)).isoformat())
        signups = signup_times(tables, self.unit, self.filters)
        signups = signups.filter(
            signups.signed_up_at >= ibis.timestamp(self.date_from.isoformat()),
            signups.signed_up_at < end,
        )
        targets = self._targets(tables)
        targets = targets.filter(targets.first_at < end)
        joined = signups.left_join(targets, signups.entity == targets.entity)
        seconds = joined.first_at.delta(joined.signed_up_at, unit="second")
        rows = joined.select(
            entity=joined.entity,
            signed_up_at=joined.signed_up_at,
            # Not `greatest`: engines skip nulls there, and null means "not reached".
            seconds=ibis.cases((seconds < 0, 0), else_=seconds),
        )
        if self.period is not None:
            rows = rows.mutate(period=bucket(rows.signed_up_at, self.period, week_start))
        return with_breakdown(rows, tables, self.unit, self.breakdown)

    def _targets(self, tables: Tables) -> ibis.Table:
        """Rows (entity, first_at): when each entity first reached the target, ever."""
        selectors = self.selectors(tables)
        # Key actions without property conditions share one read of first_seen.
        plain = [s for s in selectors if s is not None and not s.where]
        rest = [s for s in selectors if s is None or s.where]
        if plain:
            rest.append(EventSelector(events=sorted({e for s in plain for e in s.events})))
        parts = [first_times(tables, self.unit, s, self.filters) for s in rest]
        if len(parts) == 1:
            return parts[0]
        # Cast to nullable types: the store's NOT NULL columns meet a view's nullable ones, and
        # Ibis unions need equal schemas.
        stacked = ibis.union(
            *[
                p.select(entity=p.entity.cast("string"), first_at=p.first_at.cast("timestamp"))
                for p in parts
            ]
        )
        return stacked.group_by("entity").agg(first_at=stacked.first_at.min())

    def _frame(self, journeys: ibis.Table, groups: list[str], week_start: WeekStart) -> ibis.Table:
        """Every group to report: each signup period of the range (empty ones too) crossed with
        each breakdown value seen; one empty row when there are no groups."""
        if not groups:
            return ibis.memtable({"one": [1]}, schema={"one": "int64"})
        frame: ibis.Table | None = None
        if self.period is not None:
            spine = period_spine(self.date_from, self.date_to, self.period, week_start)
            frame = spine.select("period")
        if self.breakdown:
            keys = journeys.select("breakdown").distinct()
            frame = keys if frame is None else frame.cross_join(keys)
        assert frame is not None
        return frame

    def _summary(self, journeys: ibis.Table, frame: ibis.Table, groups: list[str]) -> ibis.Table:
        hours = journeys.seconds.cast("float64") / SECONDS_PER_HOUR
        measures = {
            "signed_up": journeys.count(),
            "reached": journeys.seconds.count(),
            "median_hours": hours.median(),
            "p25_hours": hours.quantile(0.25),
            "p75_hours": hours.quantile(0.75),
            "mean_hours": hours.mean(),
        }
        stats = journeys.group_by(groups).agg(**measures) if groups else journeys.agg(**measures)
        out = _attach(frame, stats, groups)
        signed_up = out.signed_up.fill_null(0)
        reached = out.reached.fill_null(0)
        out = out.select(
            *groups,
            signed_up=signed_up,
            reached=reached,
            reached_rate=ratio(reached, signed_up),
            median_hours=out.median_hours,
            p25_hours=out.p25_hours,
            p75_hours=out.p75_hours,
            mean_hours=out.mean_hours,
        )
        return out.order_by(groups) if groups else out

    def _distribution(
        self, journeys: ibis.Table, frame: ibis.Table, groups: list[str]
    ) -> ibis.Table:
        seconds = journeys.seconds
        branches: list[tuple[ir.BooleanValue, int]] = [(seconds.isnull(), len(BUCKETS) + 1)]
        for order, (_, upper_hours) in enumerate(BUCKETS, start=1):
            if upper_hours is not None:
                branches.append((seconds < upper_hours * SECONDS_PER_HOUR, order))
        placed = journeys.mutate(bucket_order=ibis.cases(*branches, else_=len(BUCKETS)))
        counts = placed.group_by([*groups, "bucket_order"]).agg(entities=placed.count())
        labels = [label for label, _ in BUCKETS] + [NOT_YET]
        buckets = ibis.memtable(
            {"bucket": labels, "bucket_order": list(range(1, len(labels) + 1))},
            schema={"bucket": "string", "bucket_order": "int64"},
        )
        grid = frame.cross_join(buckets)
        out = _attach(grid, counts, [*groups, "bucket_order"])
        entities = out.entities.fill_null(0)
        out = out.select(*groups, "bucket", "bucket_order", entities=entities)
        in_group = ibis.window(group_by=groups or None)
        running = ibis.window(group_by=groups or None, order_by="bucket_order", rows=(None, 0))
        signed_up = out.entities.sum().over(in_group)
        out = out.mutate(
            share=ratio(out.entities, signed_up),
            cumulative_share=ratio(out.entities.sum().over(running), signed_up),
        )
        return out.order_by([*groups, "bucket_order"])


def _attach(frame: ibis.Table, values: ibis.Table, keys: list[str]) -> ibis.Table:
    """`frame` left-joined with `values` on `keys` (a cross join when there are none)."""
    if not keys:
        return frame.cross_join(values)
    joined = frame.left_join(values, keys)
    return joined.drop(*[f"{k}_right" for k in keys if f"{k}_right" in joined.columns])
