"""One person's history: their events newest first (paged with `before`), and their survey
answers."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field, field_validator, model_validator

from uptake.definitions import Definitions, Feature, Filter
from uptake.metrics.filters import (
    apply_event_filters,
    compare,
    entity_filters,
    event_filters,
    event_property,
)
from uptake.metrics.selection import names_predicate
from uptake.metrics.tables import Tables
from uptake.metrics.user_directory import PeopleSpec, people_filters

MAX_TIMELINE_ROWS = 2000


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Stored timestamps are naive UTC: an aware `before` is converted, a naive one is UTC."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _range(spec: PeopleSpec, timestamp: ir.TimestampValue) -> list[ir.BooleanValue]:
    end = spec.date_to + dt.timedelta(days=1)
    return [
        timestamp >= ibis.timestamp(spec.date_from.isoformat()),
        timestamp < ibis.timestamp(end.isoformat()),
    ]


class UserTimeline(PeopleSpec):
    """One user's events, newest first, in [from, to]: exact timestamps from the events table.

    Each row: timestamp, event, account_id, properties (the event's properties as JSON object
    text; None without properties), features (the workspace features the event counts for,
    comma-separated by name; None for none) and message_id. Ties on the timestamp fall to the
    larger message_id first. Paging: `before` keeps events strictly older than it; with
    `before_message_id` too, also the events at exactly `before` whose message_id is smaller
    (the last row of the previous page gives both, so no event is skipped or repeated). An
    unknown user gives no rows.
    """

    title: ClassVar[str] = "One user's events, newest first (a timeline, paged)"

    kind: Literal["user_timeline"] = "user_timeline"
    user_id: str = Field(min_length=1, description="The user (exact id).")
    limit: int = Field(
        default=200, ge=1, le=MAX_TIMELINE_ROWS, description="Most events returned (1-2000)."
    )
    before: dt.datetime | None = Field(
        default=None,
        description="Only events strictly older than this time (UTC); None: up to the end of `to`.",
    )
    before_message_id: str | None = Field(
        default=None,
        description="With `before`: also events at exactly `before` with a smaller "
        "message_id (the last row of the previous page).",
    )

    @field_validator("before")
    @classmethod
    def _utc(cls, v: dt.datetime | None) -> dt.datetime | None:
        return _naive_utc(v)

    @model_validator(mode="after")
    def _cursor(self) -> UserTimeline:
        if self.before_message_id is not None and self.before is None:
            raise ValueError("`before_message_id` needs `before` (the time of that event)")
        return self

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (timestamp, event, account_id, properties, features, message_id)."""
        ev = tables.events
        ev = ev.filter(ev.user_id == self.user_id, *_range(self, ev.timestamp))
        if self.before is not None:
            before = ibis.literal(self.before, "timestamp")
            older = ev.timestamp < before
            if self.before_message_id is not None:
                older |= (ev.timestamp == before) & (ev.message_id < self.before_message_id)
            ev = ev.filter(older)
        ev = apply_event_filters(ev, event_filters(self.filters))
        ev = entity_filters(ev, self.filters, tables)
        out = ev.select(
            "timestamp",
            "event",
            "account_id",
            properties=ev.properties.cast("string"),
            features=_features(ev, tables.definitions),
            message_id=ev.message_id,
        )
        return out.order_by([out.timestamp.desc(), out.message_id.desc()]).limit(self.limit)


def _counts_for(events: ibis.Table, feature: Feature) -> ir.BooleanValue:
    """The event belongs to the feature: its name matches and its properties pass `where`."""
    test = names_predicate(events.event, feature.events)
    for f in feature.where:
        column = events.event if f.key is None else event_property(events, f.key)
        test &= compare(column, f).fill_null(False)
    return test


def _features(events: ibis.Table, definitions: Definitions) -> ir.StringValue:
    """The names of the features each event counts for, comma-separated (null for none).
    CONCAT_WS skips nulls on both DuckDB and Spark."""
    if not definitions.features:
        return ibis.null("string")
    names = [
        ibis.cases((_counts_for(events, f), f.name), else_=ibis.null("string"))
        for f in definitions.features
    ]
    return ibis.literal(", ").join(names).nullif("")


class UserResponses(PeopleSpec):
    """One user's survey answers, newest first, in [from, to]: timestamp, survey, score,
    comment, account_id (the account the answer was given for) and response_id (ties on the
    timestamp: larger response_id first). An unknown user gives no rows."""

    title: ClassVar[str] = "One user's survey answers, newest first"

    kind: Literal["user_responses"] = "user_responses"
    user_id: str = Field(min_length=1, description="The user (exact id).")
    limit: int = Field(
        default=200, ge=1, le=MAX_TIMELINE_ROWS, description="Most answers returned (1-2000)."
    )

    @field_validator("filters")
    @classmethod
    def _answers_are_not_events(cls, v: list[Filter]) -> list[Filter]:
        return people_filters(v)

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (timestamp, survey, score, comment, account_id, response_id)."""
        r = tables.responses
        r = r.filter(r.user_id == self.user_id, *_range(self, r.timestamp))
        r = entity_filters(r, self.filters, tables)
        out = r.select("timestamp", "survey", "score", "comment", "account_id", "response_id")
        return out.order_by([out.timestamp.desc(), out.response_id.desc()]).limit(self.limit)
