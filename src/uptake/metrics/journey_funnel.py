"""The journey funnel: how many users or accounts reached each stage of a workspace journey,
the conversion between stages, the median time spent in each, and who is in it or stalled."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis

from uptake.metrics.journey_stages import JourneySpec
from uptake.metrics.ratios import ratio
from uptake.metrics.tables import Tables


class JourneyFunnel(JourneySpec):
    """One row per stage of a journey, in order, for the cohort: the units (users or accounts)
    that entered the first stage in [from, to] (cohort='all': by `to`), passing the filters.

    - entered: units of the cohort that reached the stage by the end of `to`.
    - conversion_from_previous: entered / entered at the previous stage (null for the first).
    - conversion_from_first: entered / entered at the first stage.
    - median_days_in_stage: over the units that moved on to the next stage, days from entering
      the stage to entering the next (null for the last stage and when nobody moved on).
    - current: units whose furthest stage by `to` is this one.
    - stalled: current units in the stage longer than `stalled_after_days` (never the last).
    """

    title: ClassVar[str] = "Journey stages: reached, conversion, median days in stage, stalled"

    kind: Literal["journey_funnel"] = "journey_funnel"

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (stage_index, stage, entered, conversion_from_previous, conversion_from_first,
        median_days_in_stage, current, stalled), ordered by stage_index."""
        journey = self.chosen(tables.definitions)
        spans = self.spans(tables, journey)
        moved_days = ibis.cases((spans.left_at.notnull(), spans.days_in_stage))
        counts = spans.group_by("stage_index").agg(
            entered=spans.count(),
            median_days_in_stage=moved_days.median(),
            current=spans.count(where=spans.current),
            stalled=spans.count(where=spans.stalled),
        )
        frame = self.stage_frame(journey)
        joined = frame.left_join(counts, frame.stage_index == counts.stage_index)
        entered = joined.entered.fill_null(0)
        out = joined.select(
            stage_index=frame.stage_index,
            stage=frame.stage,
            entered=entered,
            median_days_in_stage=joined.median_days_in_stage,
            current=joined.current.fill_null(0),
            stalled=joined.stalled.fill_null(0),
        )
        in_order = ibis.window(order_by="stage_index")
        everyone = ibis.window()
        first = ibis.cases((out.stage_index == 1, out.entered)).max().over(everyone)
        out = out.mutate(
            conversion_from_previous=ratio(out.entered, out.entered.lag().over(in_order)),
            conversion_from_first=ratio(out.entered, first),
        )
        return out.select(
            "stage_index",
            "stage",
            "entered",
            "conversion_from_previous",
            "conversion_from_first",
            "median_days_in_stage",
            "current",
            "stalled",
        ).order_by("stage_index")
