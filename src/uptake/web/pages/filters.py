"""The filter bar every page shares: date range, unit, period and a segment, read from the query
string (so a link reproduces the view) and turned into the common part of a metric spec.

A value that cannot be used is not fatal: the page keeps rendering with that field's default
and says what was wrong (`Filters.errors`), with the user's text still in the form.

Query parameters: `from`, `to` (YYYY-MM-DD, inclusive UTC days), `unit` (user | account),
`period` (day | week | month, on pages that chart over time), `segment` (a user.<key> or
account.<key> property) and `segment_value`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast
from urllib.parse import urlencode

from uptake.metrics.periods import Period, WeekStart, period_start

Unit = Literal["user", "account"]
UNITS: tuple[Unit, ...] = ("user", "account")
DEFAULT_WEEKS = 12

PARAMS = ("from", "to", "unit", "period", "segment", "segment_value")


def default_range(
    latest: dt.date | None, week_start: WeekStart, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The last `DEFAULT_WEEKS` complete weeks of the data: ending on the last week end on or
    before the latest event (a week still in progress would read as a collapse), or before
    today when there is no data yet."""
    anchor = latest or today
    week = period_start(anchor, "week", week_start)
    end = anchor if week + dt.timedelta(days=6) == anchor else week - dt.timedelta(days=1)
    return end - dt.timedelta(weeks=DEFAULT_WEEKS) + dt.timedelta(days=1), end


@dataclass(frozen=True)
class Segment:
    """Only the people (or accounts) whose property `prop` (user.<key> or account.<key>)
    equals `value`."""

    prop: str
    value: str

    @property
    def label(self) -> str:
        """How the filter bar and headings name it: `department = Sales`."""
        return f"{self.prop.split('.', 1)[1]} = {self.value}"

    def to_filter(self) -> dict[str, Any]:
        """The metric filter it stands for."""
        return {"property": self.prop, "op": "eq", "value": self.value}


@dataclass(frozen=True)
class Filters:
    """The view's filters, valid and complete, plus what the user typed and what was wrong."""

    date_from: dt.date
    date_to: dt.date
    unit: Unit
    period: Period | None
    segment: Segment | None
    typed: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    def spec(self, kind: str, **extra: Any) -> dict[str, Any]:
        """A metric spec with the view's range, unit, period (when the page has one) and
        segment; `extra` adds or overrides parameters (a `filters` list is extended)."""
        spec: dict[str, Any] = {
            "kind": kind,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "unit": self.unit,
        }
        if self.period is not None:
            spec["period"] = self.period
        more = list(extra.pop("filters", []))
        spec.update(extra)
        filters = ([self.segment.to_filter()] if self.segment else []) + more
        if filters:
            spec["filters"] = filters
        return spec

    def with_error(self, message: str) -> Filters:
        """The same filters with one more problem to report."""
        return replace(self, errors=(*self.errors, message))

    def params(self) -> dict[str, str]:
        """The query parameters that reproduce this view (always explicit dates, so a link
        shows the same range after new data arrives)."""
        out = {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "unit": self.unit,
        }
        if self.period is not None:
            out["period"] = self.period
        if self.segment is not None:
            out["segment"] = self.segment.prop
            out["segment_value"] = self.segment.value
        return out

    def query(self, **changes: str | None) -> str:
        """The query string of this view with some parameters changed (None removes one)."""
        params: dict[str, str] = self.params()
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        return urlencode(params)


def _date(name: str, text: str, errors: list[str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(f"`{name}`: {text!r} is not a date (use YYYY-MM-DD)")
        return None


def parse_filters(
    query: Mapping[str, str],
    *,
    latest: dt.date | None,
    week_start: WeekStart,
    today: dt.date,
    properties: Sequence[str],
    periods: Sequence[Period] = (),
    default_period: Period | None = None,
) -> Filters:
    """The filters of a page from its query string. `latest` is the latest event's date (for
    the default range), `properties` the segment properties the project has, `periods` the
    periods the page offers (none: the page has no period)."""
    errors: list[str] = []
    typed = {k: query[k].strip() for k in PARAMS if k in query}
    start, end = default_range(latest, week_start, today)
    date_from = _date("from", typed["from"], errors) if typed.get("from") else None
    date_to = _date("to", typed["to"], errors) if typed.get("to") else None
    date_from, date_to = date_from or start, date_to or end
    if date_to < date_from:
        errors.append(
            f"`to` ({date_to}) is before `from` ({date_from}): showing {start} to {end} instead"
        )
        date_from, date_to = start, end

    unit_text = typed.get("unit") or "user"
    if unit_text not in UNITS:
        errors.append(f"`unit` must be user or account, not {unit_text!r}")
        unit_text = "user"
    unit = cast(Unit, unit_text)

    period: Period | None = None
    if periods:
        period_text = typed.get("period") or default_period or periods[0]
        if period_text not in periods:
            errors.append(f"`period` must be {' or '.join(periods)} here, not {period_text!r}")
            period_text = default_period or periods[0]
        period = cast(Period, period_text)

    segment = None
    prop, value = typed.get("segment", ""), typed.get("segment_value", "")
    if prop and prop not in properties:
        errors.append(
            f"no property {prop!r} to segment by in this project; choose one from the list"
        )
    elif prop and not value:
        errors.append(f"choose a value of {prop.split('.', 1)[-1]} to segment by")
    elif prop:
        segment = Segment(prop, value)
    return Filters(date_from, date_to, unit, period, segment, typed, tuple(errors))
