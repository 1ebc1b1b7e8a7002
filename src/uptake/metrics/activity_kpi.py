"""Activity KPIs: the workspace's named activity counts (CRM-style "records created", "tasks
closed") per period, with who did them and how much per active user."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis
from pydantic import Field, field_validator

from uptake.definitions import Kpi
from uptake.errors import SpecError
from uptake.metrics.filters import with_breakdown
from uptake.metrics.periods import WeekStart, bucket
from uptake.metrics.selection import activity_rows
from uptake.metrics.spec import MetricSpec
from uptake.metrics.spine import period_frame, period_spine
from uptake.metrics.tables import Tables


class ActivityKpi(MetricSpec):
    """The workspace's KPIs (`[[kpis]]`: a name, events and optional event-property
    conditions) per period.

    - count: events matching the KPI in the period.
    - active_users: distinct users (or accounts) who did them in the period.
    - per_active_user: count / users active (per the workspace's activity definition) in the
      period; null when no one was active.
    - per_user: count / active_users, the intensity among those who did it; null when no one did.
    """

    title: ClassVar[str] = "Activity KPIs: counts, doers, per active user and per doer"

    kind: Literal["activity_kpi"] = "activity_kpi"
    kpis: list[str] | None = Field(
        default=None, description="KPI names from the workspace's [[kpis]]; default: all of them."
    )

    @field_validator("kpis")
    @classmethod
    def _names(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("`kpis` must not be empty (leave it out for every KPI)")
        twice = sorted({k for k in v if v.count(k) > 1})
        if twice:
            raise ValueError(f"KPI names listed twice: {', '.join(map(repr, twice))}")
        return v

    def chosen(self, tables: Tables) -> list[Kpi]:
        """The KPIs to compute; SpecError when the workspace declares none or a name is unknown."""
        declared = tables.definitions.kpis
        if not declared:
            raise SpecError(
                "this workspace declares no KPIs: add [[kpis]] entries (name, events, optional "
                "where) to uptake.toml"
            )
        if self.kpis is None:
            return list(declared)
        try:
            return [tables.definitions.kpi(name) for name in self.kpis]
        except KeyError as exc:
            raise SpecError(str(exc.args[0])) from None

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (kpi, period, [breakdown], count, active_users, per_active_user, per_user),
        ordered by KPI name, period and breakdown."""
        kpis = self.chosen(tables)
        week_start = self.resolved_week_start(tables.definitions)
        spine = period_spine(self.date_from, self.date_to, self.period, week_start)
        by = ["breakdown"] if self.breakdown else []

        done = ibis.union(
            *(
                self._rows(tables, kpi, week_start).mutate(kpi=ibis.literal(kpi.name))
                for kpi in kpis
            )
        )
        counts = done.group_by(["kpi", "period", *by]).agg(
            count=done.n.sum(), active_users=done.entity.nunique()
        )
        active = self._rows(tables, None, week_start)
        actives = active.group_by(["period", *by]).agg(active=active.entity.nunique())

        names = ibis.memtable({"kpi": [k.name for k in kpis]}, schema={"kpi": "string"})
        frame = period_frame(spine, by, done, active).cross_join(names)
        keys = ["kpi", "period", *by]
        j = frame.left_join(counts, [frame[c] == counts[c] for c in keys])
        j = j.select(
            *[j[c] for c in keys],
            count=j["count"].fill_null(0),
            active_users=j.active_users.fill_null(0),
        )
        j = j.left_join(actives, [j.period == actives.period, *[j[c] == actives[c] for c in by]])
        total = j["count"].cast("float64")
        out = j.select(
            *[j[c] for c in keys],
            count=j["count"],
            active_users=j.active_users,
            per_active_user=total / j.active.nullif(0).cast("float64"),
            per_user=total / j.active_users.nullif(0).cast("float64"),
        )
        return out.order_by(keys)

    def _rows(self, tables: Tables, kpi: Kpi | None, week_start: WeekStart) -> ibis.Table:
        """Rows (entity, period, n, [breakdown]) of a KPI's events (None: activity events)."""
        rows = activity_rows(tables, self.unit, kpi, self.filters, self.date_from, self.date_to)
        rows = with_breakdown(rows, tables, self.unit, self.breakdown)
        rows = rows.mutate(period=bucket(rows.day, self.period, week_start))
        by = ["breakdown"] if self.breakdown else []
        # Rollup and raw-event rows differ only in nullability; one schema lets them union.
        return rows.select(
            entity=rows.entity.cast("string"),
            period=rows.period.cast("date"),
            n=rows.n.cast("int64"),
            **{c: rows[c].cast("string") for c in by},
        )
