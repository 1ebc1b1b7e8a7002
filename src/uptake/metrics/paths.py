"""Paths: what users (or accounts) do next after a chosen event, or did before it, step by step.

Each unit has one path: its events in the range walked away from its first anchor event, one
node per step. The result is the edges between consecutive steps with the units on each, so it
stays small whatever the data; everything up to those edges runs in the engine (row numbers
and lead/lag over each unit's ordered events, both portable).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator, model_validator

from uptake.definitions import Definitions, EventSelector
from uptake.definitions.workspace_file import EVENT_PATTERN
from uptake.errors import SpecError
from uptake.metrics.filters import compare, entity_filters, event_filters, event_property
from uptake.metrics.funnel_events import selector_matches
from uptake.metrics.ratios import ratio
from uptake.metrics.selection import is_pattern, names_predicate
from uptake.metrics.spec import MetricSpec
from uptake.metrics.tables import Tables

Direction = Literal["after", "before"]
Occurrence = Literal["first"]

# Node names that are not events: where a path stops, and the rarer events of a step.
END = "(end)"
OTHER = "(other)"
MIN_STEPS, MAX_STEPS = 1, 10
MAX_TOP = 50
# Ten years: a longer gap means no gap limit at all.
MAX_WITHIN_HOURS = 3660 * 24
MICROSECONDS_PER_HOUR = 3_600_000_000


def _check_names(names: list[str]) -> list[str]:
    for name in names:
        if not name or not EVENT_PATTERN.match(name):
            raise ValueError(f"event name or pattern {name!r} is empty or starts with a space")
    return names


class Paths(MetricSpec):
    """What users (or accounts) do next after an event (or did before it), `steps` deep.

    The anchor is each unit's first `event` (or first event of a workspace `feature`) in
    [from, to]. Its path is its following (direction=after) or preceding (before) events in
    [from, to], among `events` (default: every event) minus `exclude`; with
    `collapse_repeats`, consecutive identical events count once (the anchor included). With
    `within_hours`, the path stops at the first gap between consecutive events longer than
    that. Events at the same instant are ordered by name, then message id.

    One row per edge: `step` k (1..steps) joins the node at step k-1 (step 0 is the anchor) to
    the node at step k; `to_event` is "(end)" where the path stops before `steps`. At each step
    the `top` most frequent events keep their names (ties broken by name) and the rest are
    "(other)". A unit has one path, so `units` on the edges of a step add up to the units that
    reached step k-1 and did not end there, and `share` is units / the units that did the
    anchor. `period`, `week_start` and `breakdown` do not apply.
    """

    title: ClassVar[str] = "What users do next after (or before) an event, step by step"

    kind: Literal["paths"] = "paths"
    event: str | None = Field(default=None, description="The anchor event's name (or `feature`).")
    feature: str | None = Field(default=None, description="Anchor on a workspace feature's events.")
    direction: Direction = Field(
        default="after", description="after: what comes next; before: what led to it."
    )
    steps: int = Field(default=3, description="How many steps away from the anchor (1 to 10).")
    events: list[str] | None = Field(
        default=None, description="Event names or glob patterns along the path; default: all."
    )
    exclude: list[str] = Field(
        default_factory=list, description="Event names or glob patterns left out of the path."
    )
    collapse_repeats: bool = Field(
        default=True, description="Consecutive identical events count as one step."
    )
    top: int = Field(
        default=8, description="Events kept by name at each step (1 to 50); rarer: (other)."
    )
    occurrence: Occurrence = Field(
        default="first", description="Which anchor: each unit's first one in the range."
    )
    within_hours: float | None = Field(
        default=None,
        description="Stop a path at a gap between consecutive events longer than this; "
        "None: no limit.",
    )

    @field_validator("breakdown")
    @classmethod
    def _breakdown_ref(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError("paths have no breakdown: narrow them with `filters` instead")
        return v

    @field_validator("event")
    @classmethod
    def _event_name(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not v or not EVENT_PATTERN.match(v):
            raise ValueError(f"event name {v!r} is empty or starts with a space")
        if is_pattern(v):
            raise ValueError(
                f"{v!r} is a pattern: the anchor is one event name (declare a feature for a "
                "group of events and anchor on `feature`)"
            )
        return v

    @field_validator("steps")
    @classmethod
    def _step_count(cls, v: int) -> int:
        if not MIN_STEPS <= v <= MAX_STEPS:
            raise ValueError(f"must be {MIN_STEPS} to {MAX_STEPS}, got {v}")
        return v

    @field_validator("top")
    @classmethod
    def _top_count(cls, v: int) -> int:
        if not 1 <= v <= MAX_TOP:
            raise ValueError(f"must be 1 to {MAX_TOP}, got {v}")
        return v

    @field_validator("within_hours")
    @classmethod
    def _gap(cls, v: float | None) -> float | None:
        if v is not None and not 0 < v <= MAX_WITHIN_HOURS:
            raise ValueError(f"must be more than 0 and at most {MAX_WITHIN_HOURS} (ten years)")
        return v

    @field_validator("events")
    @classmethod
    def _path_events(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("must not be empty (leave it out for every event)")
        return _check_names(v)

    @field_validator("exclude")
    @classmethod
    def _excluded(cls, v: list[str]) -> list[str]:
        return _check_names(v)

    @model_validator(mode="after")
    def _one_anchor(self) -> Paths:
        if (self.event is None) == (self.feature is None):
            raise ValueError(
                'choose the anchor: `event` (an event name, e.g. "signup") or `feature` (a '
                "workspace feature), one of them"
            )
        return self

    def anchor_label(self) -> str:
        """The anchor node's name: the event, or the feature's name."""
        label = self.event if self.event is not None else self.feature
        assert label is not None
        return label

    def anchor(self, definitions: Definitions) -> EventSelector:
        """The events that count as the anchor; SpecError for an unknown feature."""
        if self.feature is None:
            assert self.event is not None
            return EventSelector(events=[self.event])
        try:
            return definitions.feature(self.feature)
        except KeyError as exc:
            raise SpecError(str(exc.args[0])) from None

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (step, from_event, to_event, units, share), by step, most units first."""
        nodes = self._nodes(tables)
        walk = ibis.window(group_by="entity", order_by="step")
        nodes = nodes.mutate(following=nodes.node.lead().over(walk))
        edges = nodes.filter(nodes.step < self.steps)
        edges = edges.select(
            step=edges.step + 1,
            from_event=edges.node,
            to_event=edges.following.fill_null(END),
        )
        counts = edges.group_by(["step", "from_event", "to_event"]).agg(units=edges.count())
        starts = nodes.filter(nodes.step == 0)
        anchors = starts.aggregate(anchor_units=starts.count())
        joined = counts.cross_join(anchors)
        return joined.select(
            "step",
            "from_event",
            "to_event",
            "units",
            share=ratio(joined.units, joined.anchor_units),
        ).order_by(["step", ibis.desc("units"), "from_event", "to_event"])

    def _stream(self, tables: Tables) -> ibis.Table:
        """Rows (entity, timestamp, event, message_id, is_anchor, on_path): the range's events
        that are an anchor or may be on a path, passing every filter."""
        ev = tables.events
        end = self.date_to + dt.timedelta(days=1)
        ev = ev.filter(
            ev.timestamp >= ibis.timestamp(self.date_from.isoformat()),
            ev.timestamp < ibis.timestamp(end.isoformat()),
        )
        for f in event_filters(self.filters):
            column = ev.event if f.key is None else event_property(ev, f.key)
            ev = ev.filter(compare(column, f))
        ev = entity_filters(ev, self.filters, tables)
        on_path: ir.BooleanValue = (
            names_predicate(ev.event, self.events) if self.events else ibis.literal(True)
        )
        if self.exclude:
            on_path = on_path & ~names_predicate(ev.event, self.exclude)
        rows = ev.select(
            entity=ev.user_id if self.unit == "user" else ev.account_id,
            timestamp=ev.timestamp,
            event=ev.event,
            message_id=ev.message_id,
            is_anchor=selector_matches(ev, self.anchor(tables.definitions)),
            on_path=on_path,
        )
        rows = rows.filter(rows.is_anchor | rows.on_path)
        return rows.filter(rows.entity.notnull()) if self.unit == "account" else rows

    def _walk(self, tables: Tables) -> ibis.Table:
        """Rows (entity, timestamp, event, step): each anchored unit's anchor (step 0) and the
        events of its path in walking order, numbered from 1, before `steps` is applied."""
        rows = self._stream(tables)
        # One order for every engine: time, then name, then message id for exact ties.
        time_order = ibis.window(group_by="entity", order_by=["timestamp", "event", "message_id"])
        rows = rows.mutate(position=ibis.row_number().over(time_order))
        first = ibis.cases((rows.is_anchor, rows.position))
        rows = rows.mutate(anchor_at=first.min().over(ibis.window(group_by="entity")))
        after = self.direction == "after"
        beyond = rows.position > rows.anchor_at if after else rows.position < rows.anchor_at
        rows = rows.filter(
            rows.anchor_at.notnull(), (rows.position == rows.anchor_at) | (rows.on_path & beyond)
        )
        away = ibis.window(
            group_by="entity", order_by=ibis.asc("position") if after else ibis.desc("position")
        )
        if self.within_hours is not None:
            # A gap longer than the limit ends the path: count the gaps seen so far along the
            # walk and keep what comes before the first.
            previous = rows.timestamp.lag().over(away)
            gap = (
                rows.timestamp.delta(previous, unit="microsecond")
                if after
                else previous.delta(rows.timestamp, unit="microsecond")
            )
            limit = round(self.within_hours * MICROSECONDS_PER_HOUR)
            rows = rows.mutate(broken=ibis.cases((gap > limit, 1), else_=0))
            so_far = ibis.window(
                group_by="entity",
                order_by=ibis.asc("position") if after else ibis.desc("position"),
                rows=(None, 0),
            )
            rows = rows.mutate(gaps=rows.broken.sum().over(so_far))
            rows = rows.filter(rows.gaps == 0)
        if self.collapse_repeats:
            rows = rows.mutate(previous_event=rows.event.lag().over(away))
            rows = rows.filter(rows.previous_event.isnull() | (rows.event != rows.previous_event))
        # Ibis row numbers start at 0: the anchor is step 0.
        rows = rows.mutate(step=ibis.row_number().over(away))
        return rows.select("entity", "timestamp", "event", "step")

    def _nodes(self, tables: Tables) -> ibis.Table:
        """Rows (entity, step, node) for steps 0..steps: the anchor's label at step 0, then the
        event's name, or "(other)" when the event is not among the step's `top`."""
        rows = self._walk(tables)
        rows = rows.filter(rows.step <= self.steps)
        later = rows.filter(rows.step > 0)
        counts = later.group_by(["step", "event"]).agg(frequency=later.count())
        ranked = counts.mutate(
            rank=ibis.row_number().over(
                ibis.window(group_by="step", order_by=[ibis.desc("frequency"), "event"])
            )
        )
        kept = ranked.filter(ranked.rank < self.top).select(kept_step="step", kept_event="event")
        joined = rows.left_join(
            kept, (rows.step == kept.kept_step) & (rows.event == kept.kept_event)
        )
        node = ibis.cases(
            (joined.step == 0, ibis.literal(self.anchor_label())),
            (joined.kept_event.notnull(), joined.event),
            else_=ibis.literal(OTHER),
        )
        return joined.select(entity=joined.entity, step=joined.step, node=node)

    def summarize(self, table: pa.Table) -> dict[str, Any]:
        """The anchor and how many units did it (the units on step 1's edges; 0 when none)."""
        steps = table.column("step")
        first = pc.filter(table.column("units"), pc.equal(steps, 1))
        total = pc.sum(first).as_py() if len(first) else 0
        return {"anchor": self.anchor_label(), "anchor_units": int(total or 0)}

    def warnings(self, table: pa.Table) -> list[str]:
        """Says so when nobody did the anchor in the range (an empty result)."""
        if table.num_rows:
            return []
        who = "user" if self.unit == "user" else "account"
        return [
            f"no {who} did {self.anchor_label()!r} between {self.date_from} and "
            f"{self.date_to}{' with these filters' if self.filters else ''}: no paths to show"
        ]
