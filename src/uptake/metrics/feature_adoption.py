"""Feature adoption: who uses each workspace feature, who is new to it, and how long it took."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal, assert_never

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from uptake.definitions import Feature, Filter
from uptake.errors import SpecError
from uptake.metrics.filters import compare, entity_filters, event_filters, with_breakdown
from uptake.metrics.milestones import first_times, signup_times
from uptake.metrics.periods import Period, WeekStart, bucket
from uptake.metrics.selection import (
    activity_rows,
    is_pattern,
    names_predicate,
    needs_raw_events,
    raw_events,
)
from uptake.metrics.spec import MetricSpec
from uptake.metrics.spine import period_spine
from uptake.metrics.tables import Tables

Since = Literal["auto", "release", "signup"]

SECONDS_PER_DAY = 86_400


class FeatureAdoption(MetricSpec):
    """How each workspace feature is adopted, one row per feature (and period).

    - users: distinct users (accounts with unit='account') who used the feature.
    - uses: feature events.
    - first_time_users: those whose first use ever (history before `from` counts) falls here.
    - active_users: users active per the workspace's activity definition here.
    - adoption_rate: users / active_users (0-1; null without active users; above 1, with a
      warning, only when some feature events are not activity events).
    - median_days_to_first_use: over everyone who had used the feature by the period's last day
      in range, days from the start (release or signup, see `since`) to the first use.
    """

    title: ClassVar[str] = "Feature usage, first-time users, adoption rate, time to first use"

    kind: Literal["feature_adoption"] = "feature_adoption"
    features: list[str] | None = Field(
        default=None, description="Feature names from uptake.toml; default: every feature."
    )
    period: Period | None = Field(  # type: ignore[assignment]
        default=None,
        description="None: one row per feature for the whole range; else day, week or month.",
    )
    since: Since = Field(
        default="auto",
        description=(
            "Start of time to first use: release (the later of released_at and signup), "
            "signup, or auto (release when the feature has released_at, else signup)."
        ),
    )

    @field_validator("features")
    @classmethod
    def _feature_names(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("`features` must not be empty (leave it out for every feature)")
        if len(set(v)) != len(v):
            raise ValueError("`features` names a feature twice")
        return v

    def chosen(self, tables: Tables) -> list[Feature]:
        """The features to report, sorted by name; SpecError for unknown or missing ones."""
        definitions = tables.definitions
        if not definitions.features:
            raise SpecError("no features are defined: add [[features]] entries to uptake.toml")
        if self.features is None:
            picked = list(definitions.features)
        else:
            try:
                picked = [definitions.feature(name) for name in self.features]
            except KeyError as exc:
                raise SpecError(str(exc.args[0])) from None
        if self.since == "release":
            undated = [f.name for f in picked if f.released_at is None]
            if undated:
                raise SpecError(
                    f"since='release' needs released_at on every feature; missing on "
                    f"{', '.join(map(repr, undated))} (use since='auto' to fall back to signup)"
                )
        return sorted(picked, key=lambda f: f.name)

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (feature, [period], [breakdown], users, uses, first_time_users, active_users,
        adoption_rate, median_days_to_first_use, released_at)."""
        features = self.chosen(tables)
        week_start = self.resolved_week_start(tables.definitions)
        spine = self._spine(week_start)
        by = ["breakdown"] if self.breakdown else []

        usage = self._with_breakdown(self._usage(tables, features, week_start), tables)
        usage = usage.group_by(["feature", "period", *by]).agg(
            users=usage.entity.count(), uses=usage.uses.sum()
        )

        firsts = self._with_breakdown(self._first_uses(tables, features), tables)
        in_range = firsts.filter(
            firsts.first_at >= _midnight(self.date_from),
            firsts.first_at < _midnight(self.date_to + dt.timedelta(days=1)),
        )
        in_range = in_range.mutate(period=self._bucket(in_range.first_at.date(), week_start))
        new = in_range.group_by(["feature", "period", *by]).agg(first_time_users=in_range.count())

        active = self._with_breakdown(self._active(tables, week_start), tables)
        active = active.group_by(["period", *by]).agg(active_users=active.entity.count())

        catalog = ibis.memtable(
            {
                "feature": [f.name for f in features],
                "released_at": [f.released_at for f in features],
            },
            schema={"feature": "string", "released_at": "date"},
        )
        median = self._median_days(tables, catalog, firsts, spine, by)

        # One chain of joins, each value picked from its own table: no renamed key columns to
        # drop between joins, so one SELECT (and a smaller expression to compile). `view()`
        # tells Ibis apart the tables that share an ancestor (`firsts`).
        periods = spine.select("period").view()
        usage, new, median, active = usage.view(), new.view(), median.view(), active.view()
        frame = catalog.cross_join(periods)
        keys: dict[str, ir.Value] = {"feature": catalog.feature, "period": periods.period}
        if by:
            seen = ibis.union(usage.select(*by), active.select(*by), distinct=True).view()
            frame = frame.cross_join(seen)
            keys.update({k: seen[k] for k in by})

        def on(right: ibis.Table, names: list[str]) -> list[ir.BooleanValue]:
            return [keys[k] == right[k] for k in names]

        keyed = ["feature", "period", *by]
        joined = (
            frame.left_join(usage, on(usage, keyed))
            .left_join(new, on(new, keyed))
            .left_join(median, on(median, keyed))
            .left_join(active, on(active, ["period", *by]))
        )
        users = usage.users.fill_null(0)
        active_users = active.active_users.fill_null(0)
        out = joined.select(
            keys["feature"],
            *([keys["period"]] if self.period is not None else []),
            *[keys[k] for k in by],
            users=users,
            uses=usage.uses.fill_null(0),
            first_time_users=new.first_time_users.fill_null(0),
            active_users=active_users,
            adoption_rate=ibis.cases(
                (active_users > 0, users.cast("float64") / active_users), else_=ibis.null("float64")
            ),
            median_days_to_first_use=median.median_days_to_first_use,
            released_at=catalog.released_at,
        )
        return out.order_by(["feature", *(["period"] if self.period is not None else []), *by])

    def warnings(self, table: pa.Table) -> list[str]:
        """A caveat per feature used by more users than were active (adoption_rate above 1)."""
        if table.num_rows == 0:
            return []
        over = table.filter(pc.fill_null(pc.greater(table["adoption_rate"], 1.0), False))
        names = sorted(set(over["feature"].to_pylist()))
        return [
            f"feature {name!r} has more users than active users: some of its events are not "
            "activity events (see [activity] in uptake.toml), so its adoption_rate exceeds 1"
            for name in names
        ]

    def _spine(self, week_start: WeekStart) -> ibis.Table:
        """Periods (period, period_end); without a period, the whole range is one."""
        if self.period is None:
            return ibis.memtable(
                {"period": [self.date_from], "period_end": [self.date_to]},
                schema={"period": "date", "period_end": "date"},
            )
        return period_spine(self.date_from, self.date_to, self.period, week_start).select(
            "period", "period_end"
        )

    def _bucket(self, day: ir.DateValue, week_start: WeekStart) -> ir.DateValue:
        if self.period is None:
            return ibis.date(self.date_from.isoformat())
        return bucket(day, self.period, week_start)

    def _with_breakdown(self, rows: ibis.Table, tables: Tables) -> ibis.Table:
        return with_breakdown(rows, tables, self.unit, self.breakdown)

    def _usage(self, tables: Tables, features: list[Feature], week_start: WeekStart) -> ibis.Table:
        """Rows (feature, entity, period, uses), one per entity using a feature in a period."""
        parts = []
        plain = [f for f in features if not needs_raw_events(f, self.filters)]
        if plain:
            # Every feature without property conditions in one scan of the rollup: an inner join
            # with the small (event, feature) table both picks the rows and tags them, cheaper
            # than matching glob patterns on every row. An event may belong to several features.
            d = tables.daily
            d = d.filter(
                d.day >= ibis.date(self.date_from.isoformat()),
                d.day <= ibis.date(self.date_to.isoformat()),
                self._entity_of(d).notnull(),
            )
            d = entity_filters(d, self.filters, tables)
            d = d.join(self._feature_events(tables, plain), "event")
            parts.append(
                d.group_by(
                    feature=d.feature,
                    entity=self._entity_of(d),
                    period=self._bucket(d.day, week_start),
                ).agg(uses=d.n.sum())
            )
        for feature in features:
            if feature in plain:
                continue
            # The whole history of the feature's events, then the range: first uses read the
            # same rows (`first_times`), so the engine scans `events` once for both.
            ev = raw_events(tables, feature, self.filters, None, None)
            ev = ev.filter(
                ev.timestamp >= _midnight(self.date_from),
                ev.timestamp < _midnight(self.date_to + dt.timedelta(days=1)),
                self._entity_of(ev).notnull(),
            )
            used = ev.group_by(
                entity=self._entity_of(ev), period=self._bucket(ev.timestamp.date(), week_start)
            ).agg(uses=ev.count())
            parts.append(used.select(_named(feature), "entity", "period", "uses"))
        return _stack(parts)

    def _first_uses(self, tables: Tables, features: list[Feature]) -> ibis.Table:
        """Rows (feature, entity, first_at): each entity's first use of each feature, ever."""
        parts = []
        plain = [f for f in features if not needs_raw_events(f, self.filters)]
        if plain:
            fs = tables.first_seen
            fs = entity_filters(fs.filter(self._entity_of(fs).notnull()), self.filters, tables)
            fs = fs.join(self._feature_events(tables, plain), "event")
            parts.append(
                fs.group_by(feature=fs.feature, entity=self._entity_of(fs)).agg(
                    first_at=fs.first_at.min()
                )
            )
        for feature in features:
            if feature in plain:
                continue
            firsts = first_times(tables, self.unit, feature, self.filters)
            parts.append(firsts.select(_named(feature), "entity", "first_at"))
        return _stack(parts)

    def _feature_events(self, tables: Tables, features: list[Feature]) -> ibis.Table:
        """Rows (event, feature): every event name that belongs to a feature and passes the
        spec's event-name filters, once per feature.

        Features named by exact names need no data: a small in-memory table lists them (a name
        never seen simply joins nothing). Glob patterns are matched against the names ever seen
        in `first_seen`. One in-memory table instead of a filtered scan per feature also keeps
        the expression small, which is most of the compile time.
        """
        exact = [f for f in features if not any(is_pattern(e) for e in f.events)]
        parts = []
        if exact:
            pairs = sorted({(e, f.name) for f in exact for e in f.events})
            listed = ibis.memtable(
                {"event": [p[0] for p in pairs], "feature": [p[1] for p in pairs]},
                schema={"event": "string", "feature": "string"},
            )
            parts.append(_event_name_filters(listed, self.filters))
        patterned = [f for f in features if f not in exact]
        if patterned:
            names = _event_name_filters(tables.first_seen.select("event").distinct(), self.filters)
            parts.extend(
                names.filter(names_predicate(names.event, f.events)).mutate(
                    feature=ibis.literal(f.name)
                )
                for f in patterned
            )
        return _stack(parts)

    def _entity_of(self, rows: ibis.Table) -> ir.StringValue:
        """The user or the account of each row (null: an event with no account under
        unit='account', which is left out)."""
        return rows.user_id if self.unit == "user" else rows.account_id

    def _active(self, tables: Tables, week_start: WeekStart) -> ibis.Table:
        """Rows (entity, period): entities active per the workspace definition in each period."""
        rows = activity_rows(tables, self.unit, None, self.filters, self.date_from, self.date_to)
        return rows.select("entity", period=self._bucket(rows.day, week_start)).distinct()

    def _median_days(
        self,
        tables: Tables,
        catalog: ibis.Table,
        firsts: ibis.Table,
        spine: ibis.Table,
        by: list[str],
    ) -> ibis.Table:
        """Rows (feature, period, [breakdown], median_days_to_first_use) over the entities whose
        first use is on or before the period's last day in range."""
        released = catalog.select("feature", release_at=catalog.released_at.cast("timestamp"))
        signups = signup_times(tables, self.unit, self.filters)
        adopters = firsts.filter(firsts.first_at < _midnight(self.date_to + dt.timedelta(days=1)))
        adopters = adopters.join(released, "feature").left_join(
            signups, adopters.entity == signups.entity
        )
        signed = adopters.signed_up_at
        # Someone who signed up after the release could not adopt before signing up.
        from_release = ibis.greatest(adopters.release_at, signed.fill_null(adopters.release_at))
        match self.since:
            case "signup":
                start = signed
            case "release" | "auto":
                start = ibis.cases((adopters.release_at.notnull(), from_release), else_=signed)
            case _:
                assert_never(self.since)
        seconds = adopters.first_at.delta(start, unit="second")
        # A first use before the start (a beta user, a profile dated after the first event)
        # counts as zero days rather than a negative time.
        # (Not `greatest`, which skips a null `seconds` on both engines.)
        days = ibis.cases((seconds < 0, 0), else_=seconds).cast("float64") / SECONDS_PER_DAY
        # `view()` ends the join chain; Ibis cannot join on a computed column of an open one.
        adopters = adopters.select(
            "feature", *by, first_day=adopters.first_at.date(), days=days
        ).view()
        joined = adopters.join(spine, adopters.first_day <= spine.period_end)
        return joined.group_by(["feature", "period", *by]).agg(
            median_days_to_first_use=joined.days.median()
        )


def _event_name_filters(names: ibis.Table, filters: list[Filter]) -> ibis.Table:
    """Keep the rows whose `event` passes every event-name filter of the spec."""
    for f in event_filters(filters):
        names = names.filter(compare(names.event, f))
    return names


def _named(feature: Feature) -> ir.StringValue:
    return ibis.literal(feature.name).name("feature")


def _stack(parts: list[ibis.Table]) -> ibis.Table:
    """UNION ALL of tables with the same columns, whatever their nullability (a NOT NULL
    column of the store meets a nullable one of a view; Ibis insists on equal schemas)."""
    if len(parts) == 1:
        return parts[0]
    loose = [
        p.select(*[p[c].cast(p[c].type().copy(nullable=True)).name(c) for c in p.columns])
        for p in parts
    ]
    return ibis.union(*loose)


def _midnight(day: dt.date) -> ir.TimestampValue:
    return ibis.timestamp(day.isoformat())
