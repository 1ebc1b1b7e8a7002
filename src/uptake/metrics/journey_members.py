"""Journey members: each user's or account's current stage in a workspace journey, since when,
and whether it is stalled there (the list behind the funnel's `current` and `stalled`)."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis
from pydantic import Field

from uptake.errors import SpecError
from uptake.metrics.journey_stages import JourneySpec
from uptake.metrics.tables import Tables

DEFAULT_LIMIT = 1_000


class JourneyMembers(JourneySpec):
    """One row per unit (user or account) of the cohort (those that entered the first stage in
    [from, to]; cohort='all': by `to`), at its current stage: the furthest reached by the end
    of `to`.

    - days_in_stage: from entering the current stage to the end of `to`, in days.
    - stalled: more than `stalled_after_days` in the current stage (never in the last stage).

    `stage` keeps one stage's members, `stalled_only` the stalled ones; longest in their stage
    first, at most `limit` rows.
    """

    title: ClassVar[str] = "Journey members: current stage, days in it, stalled"

    kind: Literal["journey_members"] = "journey_members"
    stage: str | None = Field(default=None, description="Only this stage's members; None = all.")
    stalled_only: bool = Field(default=False, description="Only the stalled members.")
    limit: int = Field(
        default=DEFAULT_LIMIT, ge=1, le=100_000, description="At most this many rows."
    )

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (entity, current_stage, stage_index, entered_at, days_in_stage, stalled),
        longest in their stage first, then by entity."""
        journey = self.chosen(tables.definitions)
        names = journey.stage_names()
        if self.stage is not None and self.stage not in names:
            raise SpecError(
                f"journey {journey.name!r} has no stage {self.stage!r}; stages: {', '.join(names)}"
            )
        spans = self.spans(tables, journey)
        rows = spans.filter(spans.current)
        if self.stalled_only:
            rows = rows.filter(rows.stalled)
        frame = self.stage_frame(journey)
        joined = rows.join(frame, rows.stage_index == frame.stage_index)
        out = joined.select(
            entity=joined.entity,
            current_stage=frame.stage,
            stage_index=rows.stage_index,
            entered_at=joined.entered_at,
            days_in_stage=joined.days_in_stage,
            stalled=joined.stalled,
        )
        if self.stage is not None:
            out = out.filter(out.current_stage == self.stage)
        return out.order_by([ibis.desc("days_in_stage"), "entity"]).limit(self.limit)
