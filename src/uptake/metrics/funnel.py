"""Funnels: how many users or accounts get through a series of steps, and how fast."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, assert_never

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from uptake.definitions import Definitions, EventSelector, Filter
from uptake.definitions.workspace_file import EVENT_PATTERN
from uptake.errors import SpecError
from uptake.metrics.filters import with_breakdown
from uptake.metrics.funnel_events import step_events
from uptake.metrics.funnel_ordered import (
    best_attempts,
    ordered_attempts,
    seconds_to,
    strict_attempts,
)
from uptake.metrics.funnel_unordered import unordered_reach
from uptake.metrics.ratios import ratio
from uptake.metrics.spec import MetricSpec
from uptake.metrics.tables import Tables

FunnelOrder = Literal["ordered", "strict", "unordered"]
WindowUnit = Literal["second", "minute", "hour", "day", "week"]

MIN_STEPS, MAX_STEPS = 2, 20
SECONDS_PER_UNIT: dict[WindowUnit, int] = {
    "second": 1, "minute": 60, "hour": 3600, "day": 86_400, "week": 604_800,
}  # fmt: skip
# Ten years: longer windows mean nothing for a funnel and risk interval overflow on engines.
MAX_WINDOW_SECONDS = 3660 * 86_400


class FunnelStep(BaseModel):
    """One step: events by name or glob pattern, optionally narrowed by event-property
    conditions (`where`, all must hold), or a workspace `feature`; `name` labels it (None: the
    events joined by " | ", or the feature name). A bare string is shorthand for one event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    events: list[str] | None = Field(default=None, description="Event names or glob patterns.")
    where: list[Filter] = Field(default_factory=list, description="Event property filters.")
    feature: str | None = Field(default=None, description="A workspace feature's events.")
    name: str | None = Field(default=None, description="Label shown in the result.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"events": [data]} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_choice(self) -> FunnelStep:
        if (self.events is None) == (self.feature is None):
            raise ValueError(
                'a step needs `events` or `feature` (one of them), e.g. {"events": '
                '["signup"]} or {"feature": "export"}'
            )
        if self.events is not None and not self.events:
            raise ValueError("`events` must not be empty")
        for name in self.events or []:
            if not name or not EVENT_PATTERN.match(name):
                raise ValueError(f"event name or pattern {name!r} is empty or starts with a space")
        return self

    @field_validator("where")
    @classmethod
    def _event_conditions(cls, v: list[Filter]) -> list[Filter]:
        for f in v:
            if f.namespace != "event":
                raise ValueError(
                    f"{f.property!r}: a step's `where` filters its events (event or "
                    "event.<key>); put user.* / account.* conditions in the funnel's `filters`"
                )
        return v

    @field_validator("name")
    @classmethod
    def _name_text(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("a step name must not be blank")
        return v

    def selector(self, definitions: Definitions) -> EventSelector:
        """The events this step matches; a feature step adds its own `where` to the feature's."""
        if self.feature is not None:
            try:
                feature = definitions.feature(self.feature)
            except KeyError as exc:
                raise SpecError(str(exc.args[0])) from None
            return EventSelector(events=feature.events, where=[*feature.where, *self.where])
        assert self.events is not None
        return EventSelector(events=self.events, where=self.where)

    def label(self) -> str:
        """The step's name, else its events joined by " | ", else its feature's name."""
        if self.name is not None:
            return self.name
        if self.events is not None:
            return " | ".join(self.events)
        assert self.feature is not None
        return self.feature


class Funnel(MetricSpec):
    """How many users (or accounts) go through the steps, within a conversion window.

    - ordered: the steps happen in order; other events may happen in between.
    - strict: each step is the entity's very next event after the previous step.
    - unordered: the steps happen in any order; row k counts entities that completed k
      distinct steps within one window.

    The window runs from the step-1 event and is inclusive; every step must fall inside
    [from, to]. Each entity counts once, by its attempt (sequence from one of its step-1
    events) that gets furthest, the earliest such attempt giving the times. A later step may
    share the previous step's timestamp but must be a different event. `period` and
    `week_start` do not apply to funnels.
    """

    title: ClassVar[str] = "Conversion through ordered, strict or unordered steps"

    kind: Literal["funnel"] = "funnel"
    # Required; declared with an (invalid) empty default so that `describe()` can list it:
    # validating the default makes a missing `steps` fail with the step-count message.
    steps: list[FunnelStep] = Field(
        default_factory=list,
        validate_default=True,
        description="Required: 2 to 20 steps, each {events, where, name}, {feature, name} or an "
        "event name.",
    )
    order: FunnelOrder = Field(default="ordered", description="ordered | strict | unordered")
    conversion_window: int = Field(
        default=14, description="Time allowed from the step-1 event to the last step (inclusive)."
    )
    conversion_window_unit: WindowUnit = Field(
        default="day", description="second | minute | hour | day | week"
    )

    @field_validator("steps")
    @classmethod
    def _step_count(cls, v: list[FunnelStep]) -> list[FunnelStep]:
        if not MIN_STEPS <= len(v) <= MAX_STEPS:
            raise ValueError(f"a funnel needs {MIN_STEPS} to {MAX_STEPS} steps, got {len(v)}")
        return v

    @field_validator("conversion_window")
    @classmethod
    def _positive_window(cls, v: int) -> int:
        if v < 1:
            raise ValueError(f"must be at least 1, got {v}")
        return v

    @model_validator(mode="after")
    def _window(self) -> Funnel:
        if self.window_seconds() > MAX_WINDOW_SECONDS:
            raise ValueError(
                f"conversion_window of {self.conversion_window} {self.conversion_window_unit}(s) "
                "is longer than the 10 years allowed"
            )
        return self

    def window_seconds(self) -> int:
        """The conversion window in seconds."""
        return self.conversion_window * SECONDS_PER_UNIT[self.conversion_window_unit]

    def step_names(self) -> list[str]:
        """Row labels: each step's label; for unordered funnels "completed k step(s)", since
        row k counts any k of the steps."""
        if self.order == "unordered":
            return [
                f"completed {k} step{'s' if k > 1 else ''}" for k in range(1, len(self.steps) + 1)
            ]
        return [step.label() for step in self.steps]

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows ([breakdown], step, step_name, entities, conversion_rate,
        overall_conversion_rate, drop_off, drop_off_rate, average_seconds_from_previous,
        median_seconds_from_previous), one per step (and breakdown value)."""
        selectors = [step.selector(tables.definitions) for step in self.steps]
        n = len(selectors)
        window = ibis.interval(seconds=self.window_seconds())
        rows = step_events(
            tables, selectors, self.filters, self.unit, self.date_from, self.date_to,
            every_event=self.order == "strict",
        )  # fmt: skip
        match self.order:
            case "ordered":
                reach = best_attempts(ordered_attempts(rows, n, window), n)
            case "strict":
                reach = best_attempts(strict_attempts(rows, n, window), n)
            case "unordered":
                reach = unordered_reach(rows, n, window)
            case _:
                assert_never(self.order)
        return self._report(with_breakdown(reach, tables, self.unit, self.breakdown))

    def _report(self, reach: ibis.Table) -> ibis.Table:
        """One row per step (and breakdown value) from per-entity reach and step times."""
        n = len(self.steps)
        by = ["breakdown"] if self.breakdown else []
        metrics: dict[str, ir.Value] = {
            f"entities_{k}": reach.entity.count(where=reach.reached >= k) for k in range(1, n + 1)
        }
        timed = self.order != "unordered"
        if timed:
            # Only entities reaching step k have seconds_to_k: mean and median skip nulls.
            for k in range(2, n + 1):
                metrics[f"average_{k}"] = reach[seconds_to(k)].mean()
                metrics[f"median_{k}"] = reach[seconds_to(k)].median()
        wide = reach.aggregate(metrics, by=by) if by else reach.aggregate(metrics)
        names = ibis.memtable(
            {"step": list(range(1, n + 1)), "step_name": self.step_names()},
            schema={"step": "int64", "step_name": "string"},
        )
        t = wide.cross_join(names)

        def at_step(column: str, first: int = 1) -> ir.Value:
            return ibis.cases(*((t.step == k, t[f"{column}_{k}"]) for k in range(first, n + 1)))

        no_time = ibis.null("float64")
        counts = t.select(
            *by,
            "step",
            "step_name",
            entities=at_step("entities"),
            previous=ibis.cases(
                (t.step == 1, t.entities_1),
                *((t.step == k, t[f"entities_{k - 1}"]) for k in range(2, n + 1)),
            ),
            first=t.entities_1,
            average_seconds_from_previous=at_step("average", 2) if timed else no_time,
            median_seconds_from_previous=at_step("median", 2) if timed else no_time,
        )
        lost = counts.previous - counts.entities
        return counts.select(
            *by,
            "step",
            "step_name",
            "entities",
            conversion_rate=ratio(counts.entities, counts.previous),
            overall_conversion_rate=ratio(counts.entities, counts.first),
            drop_off=lost,
            drop_off_rate=ratio(lost, counts.previous),
            average_seconds_from_previous=counts.average_seconds_from_previous,
            median_seconds_from_previous=counts.median_seconds_from_previous,
        ).order_by([*by, "step"])
