"""The base of every metric spec: unit, date range, period, breakdown and filters.

A spec is a small frozen pydantic model. `to_expr(tables)` builds an Ibis expression and never
executes anything, so one definition runs on every engine Ibis supports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

import ibis
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from uptake.definitions import Definitions, EventSelector, Filter
from uptake.errors import SpecError
from uptake.metrics.periods import Period, WeekStart
from uptake.metrics.tables import Tables

Unit = Literal["user", "account"]

DEFAULT_RANGE_DAYS = 90


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class MetricSpec(BaseModel):
    """Parameters every metric takes. `from`/`to` are inclusive UTC dates."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    # One line shown by `uptake metrics`; subclasses override.
    title: ClassVar[str] = ""
    # Which breakdown namespaces the metric supports.
    breakdown_namespaces: ClassVar[tuple[str, ...]] = ("user", "account")

    kind: str
    unit: Unit = Field(default="user", description="Count people (user) or customers (account).")
    date_from: dt.date = Field(
        default_factory=lambda: _today() - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1),
        alias="from",
        description="First day (inclusive, UTC); default 90 days before `to`.",
    )
    date_to: dt.date = Field(
        default_factory=_today, alias="to", description="Last day (inclusive, UTC); default today."
    )
    period: Period = Field(default="week", description="Bucket size: day, week or month.")
    week_start: WeekStart | None = Field(
        default=None, description="Override the workspace's week start (sunday or monday)."
    )
    breakdown: str | None = Field(
        default=None, description="Split by a property: user.<key>, account.<key> (or event.<key>)."
    )
    filters: list[Filter] = Field(default_factory=list, description="All must hold.")

    @model_validator(mode="after")
    def _range(self) -> MetricSpec:
        if self.date_to < self.date_from:
            raise ValueError(f"`to` ({self.date_to}) is before `from` ({self.date_from})")
        return self

    @field_validator("breakdown")
    @classmethod
    def _breakdown_ref(cls, v: str | None) -> str | None:
        if v is None:
            return v
        head, _, key = v.partition(".")
        if not key or head not in cls.breakdown_namespaces:
            allowed = ", ".join(f"{ns}.<key>" for ns in cls.breakdown_namespaces)
            raise ValueError(f"breakdown {v!r} must be one of {allowed}")
        return v

    @model_validator(mode="after")
    def _account_breakdown(self) -> MetricSpec:
        if self.unit == "account" and self.breakdown and self.breakdown.startswith("user."):
            raise ValueError("with unit='account', break down by an account.<key> property")
        return self

    def resolved_week_start(self, definitions: Definitions) -> WeekStart:
        """The week start to use: the spec's, else the workspace's."""
        return self.week_start or definitions.week_start

    def to_expr(self, tables: Tables) -> ibis.Table:
        """The Ibis expression that computes this metric (never executed here)."""
        raise NotImplementedError(f"{type(self).__name__} must implement to_expr")

    def finish(self, table: pa.Table) -> pa.Table:
        """Optional last step on the (small) result, e.g. a statistic the engines lack."""
        return table

    def summarize(self, table: pa.Table) -> dict[str, Any]:
        """Named values about the whole (finished) result, e.g. a model's fitted parameters;
        JSON-ready (plain numbers, text, dates as ISO strings). None by default: {}."""
        return {}

    def warnings(self, table: pa.Table) -> list[str]:
        """Plain-language caveats about this result (too little data, ...); none by default."""
        return []

    def to_json_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data, with `from`/`to` names."""
        return self.model_dump(mode="json", by_alias=True)


class EventChoice(BaseModel):
    """Mixin for metrics over a set of events: explicit names/patterns, a feature, or activity."""

    events: list[str] | None = Field(
        default=None,
        description="Event names or glob patterns; default: the workspace's activity events.",
    )
    feature: str | None = Field(default=None, description="Use a workspace feature's events.")

    @model_validator(mode="after")
    def _one_choice(self) -> EventChoice:
        if self.events is not None and self.feature is not None:
            raise ValueError("give `events` or `feature`, not both")
        if self.events is not None and not self.events:
            raise ValueError("`events` must not be empty (leave it out for activity events)")
        return self

    def selector(self, definitions: Definitions) -> EventSelector | None:
        """The chosen events; None means the workspace's activity definition."""
        if self.feature is not None:
            try:
                return definitions.feature(self.feature)
            except KeyError as exc:
                raise SpecError(str(exc.args[0])) from None
        if self.events is not None:
            return EventSelector(events=self.events)
        return None
