"""Trends: event totals, unique users or accounts, DAU / WAU / MAU per period."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

import ibis
from pydantic import Field

from uptake.metrics.filters import NONE_LABEL, event_property, with_breakdown
from uptake.metrics.periods import period_number
from uptake.metrics.selection import activity_rows, raw_events
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.spine import fill_periods, numbered_spine
from uptake.metrics.tables import Tables

Measure = Literal["total", "unique", "dau", "wau", "mau"]
ROLLING_DAYS = {"wau": 7, "mau": 30}


class Trend(EventChoice, MetricSpec):
    """How much the chosen events happen per period.

    - total: events in the period.
    - unique: distinct users (or accounts) doing them in the period ("active users").
    - dau: average daily uniques over the period's days inside the range.
    - wau / mau: distinct users in the 7 / 30 days ending on the period's last day inside the
      range (activity before `from` counts), i.e. rolling WAU / MAU sampled once a period.
    """

    title: ClassVar[str] = "Event totals, active users or accounts, DAU / WAU / MAU"
    breakdown_namespaces: ClassVar[tuple[str, ...]] = ("user", "account", "event")

    kind: Literal["trend"] = "trend"
    measure: Measure = Field(default="unique", description="total | unique | dau | wau | mau")

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], value)."""
        week_start = self.resolved_week_start(tables.definitions)
        spine = numbered_spine(self.date_from, self.date_to, self.period, week_start)
        lookback = ROLLING_DAYS.get(self.measure, 1) - 1
        rows = self._rows(tables, self.date_from - dt.timedelta(days=lookback))
        by = ["breakdown"] if self.breakdown else []
        # Rows are grouped by the period's number (an integer computed from the day) and joined
        # to the spine by it: cheaper than grouping by the period's first day as a date.
        match self.measure:
            case "total" | "unique":
                number = period_number(rows.day, self.period, week_start)
                metric = rows.n.sum() if self.measure == "total" else rows.entity.nunique()
                values = (
                    rows.filter(rows.day >= ibis.date(self.date_from.isoformat()))
                    .group_by([number.name("number"), *by])
                    .agg(value=metric)
                )
            case "dau":
                daily = rows.group_by(["day", *by]).agg(uniques=rows.entity.nunique())
                number = period_number(daily.day, self.period, week_start)
                sums = daily.group_by([number.name("number"), *by]).agg(total=daily.uniques.sum())
                joined = sums.join(spine, "number")
                values = joined.select(
                    "number", *by, value=joined.total.cast("float64") / joined.days
                )
            case "wau" | "mau":
                values = self._rolling(rows, spine, ROLLING_DAYS[self.measure], by)
        return fill_periods(values, spine, ["value"], by, on="number")

    def _rows(self, tables: Tables, date_from: dt.date) -> ibis.Table:
        """Activity rows with `breakdown` when asked; event breakdowns read raw events."""
        selector = self.selector(tables.definitions)
        if self.breakdown is not None and self.breakdown.startswith("event."):
            ev = raw_events(tables, selector, self.filters, date_from, self.date_to)
            key = self.breakdown.split(".", 1)[1]
            entity = ev.user_id if self.unit == "user" else ev.account_id
            ev = ev.filter(entity.notnull()) if self.unit == "account" else ev
            return ev.group_by(
                entity=entity,
                day=ev.timestamp.date(),
                breakdown=event_property(ev, key).fill_null(NONE_LABEL),
            ).agg(n=ev.count())
        rows = activity_rows(tables, self.unit, selector, self.filters, date_from, self.date_to)
        return with_breakdown(rows, tables, self.unit, self.breakdown)

    def _rolling(
        self, rows: ibis.Table, spine: ibis.Table, window: int, by: list[str]
    ) -> ibis.Table:
        # Each active day `d` of an entity covers the days [d, min(d + window - 1, next - 1)],
        # `next` being its next active day. Those spans never overlap for one entity, so the
        # distinct count on a day is the number of spans covering it: a running sum of +1 at
        # each span's start and -1 after its end. Linear, and portable (lead + running sum).
        days = rows.select("entity", "day", *by).distinct()
        w = ibis.window(group_by=["entity", *by], order_by="day")
        nxt = days.day.lead().over(w)
        last = days.day + ibis.interval(days=window - 1)
        spans = days.mutate(
            stop=ibis.cases(
                (nxt.isnull(), last), (nxt <= last, nxt - ibis.interval(days=1)), else_=last
            ).cast("date")
        )
        starts = spans.select(*by, day=spans.day.cast("date"), delta=ibis.literal(1, "int64"))
        stops = spans.select(
            *by,
            day=(spans.stop + ibis.interval(days=1)).cast("date"),
            delta=ibis.literal(-1, "int64"),
        )
        keys = rows.select(*by).distinct() if by else None
        anchors = spine.select(day=spine.period_end.cast("date"), delta=ibis.literal(0, "int64"))
        if keys is not None:
            anchors = anchors.cross_join(keys).select(*by, "day", "delta")
        else:
            anchors = anchors.select("day", "delta")
        marks = ibis.union(starts, stops, anchors)
        marks = marks.group_by(["day", *by]).agg(delta=marks.delta.sum())
        running = marks.mutate(
            value=marks.delta.sum().over(
                ibis.window(group_by=by or None, order_by="day", rows=(None, 0))
            )
        )
        sampled = running.join(spine, running.day == spine.period_end)
        return sampled.select(sampled.number, *[sampled[c] for c in by], sampled.value)
