"""The dashboard's pure parts: the filter bar's defaults and parsing, safe JSON in pages, safe
redirects after login, sparklines and number formats (dates and values checked by hand)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from uptake.web.pages.filters import Segment, default_range, parse_filters
from uptake.web.pages.formatting import change_tone, format_change, format_value
from uptake.web.pages.login import safe_next
from uptake.web.pages.render import embed_json
from uptake.web.pages.sparkline import sparkline

TODAY = dt.date(2026, 11, 23)
PROPS = ["user.department", "account.plan"]


@pytest.mark.parametrize(
    ("latest", "week_start", "expected"),
    [
        # Wednesday 2026-11-18: its Sunday week is not over, so the range ends Saturday the
        # 14th; 12 weeks back starts Sunday 2026-08-23.
        (dt.date(2026, 11, 18), "sunday", (dt.date(2026, 8, 23), dt.date(2026, 11, 14))),
        # Saturday 2026-11-14 ends its Sunday week: that week is complete and included.
        (dt.date(2026, 11, 14), "sunday", (dt.date(2026, 8, 23), dt.date(2026, 11, 14))),
        # Monday weeks: Wednesday the 18th's week (Mon 16 - Sun 22) is not over; the range
        # ends Sunday the 15th and starts Monday 2026-08-24.
        (dt.date(2026, 11, 18), "monday", (dt.date(2026, 8, 24), dt.date(2026, 11, 15))),
        # No data yet: the 12 complete weeks before today (Monday 2026-11-23): Sunday
        # 2026-08-30 to Saturday 2026-11-21.
        (None, "sunday", (dt.date(2026, 8, 30), dt.date(2026, 11, 21))),
    ],
)
def test_default_range(
    latest: dt.date | None, week_start: str, expected: tuple[dt.date, dt.date]
) -> None:
    assert default_range(latest, week_start, TODAY) == expected  # type: ignore[arg-type]


def test_filters_make_the_spec_and_the_query_string() -> None:
    f = parse_filters(
        {"from": "2026-09-01", "to": "2026-09-30", "unit": "account", "period": "month",
         "segment": "account.plan", "segment_value": "pro & co"},
        latest=None, week_start="sunday", today=TODAY, properties=PROPS,
        periods=("week", "month"),
    )  # fmt: skip
    assert f.errors == ()
    assert f.segment == Segment("account.plan", "pro & co")
    assert f.spec("trend", measure="wau", filters=[{"property": "event", "value": "x"}]) == {
        "kind": "trend",
        "from": "2026-09-01",
        "to": "2026-09-30",
        "unit": "account",
        "period": "month",
        "measure": "wau",
        "filters": [
            {"property": "account.plan", "op": "eq", "value": "pro & co"},
            {"property": "event", "value": "x"},
        ],
    }
    assert f.query(unit=None) == (
        "from=2026-09-01&to=2026-09-30&period=month&segment=account.plan&segment_value=pro+%26+co"
    )


def test_each_bad_field_falls_back_alone_and_is_reported() -> None:
    f = parse_filters(
        {"from": "yesterday", "to": "2026-10-31", "unit": "team", "period": "day",
         "segment": "user.department"},
        latest=dt.date(2026, 11, 18), week_start="sunday", today=TODAY, properties=PROPS,
        periods=("week", "month"), default_period="week",
    )  # fmt: skip
    assert f.errors == (
        "`from`: 'yesterday' is not a date (use YYYY-MM-DD)",
        "`unit` must be user or account, not 'team'",
        "`period` must be week or month here, not 'day'",
        "choose a value of department to segment by",
    )
    # `to` was fine and is kept; `from` is the default's.
    assert (f.date_from, f.date_to, f.unit, f.period, f.segment) == (
        dt.date(2026, 8, 23), dt.date(2026, 10, 31), "user", "week", None
    )  # fmt: skip


def test_a_page_without_periods_has_no_period() -> None:
    f = parse_filters(
        {"period": "month"}, latest=None, week_start="sunday", today=TODAY, properties=PROPS
    )
    assert f.period is None and f.errors == ()
    assert "period" not in f.spec("feature_adoption")


def test_embedded_json_cannot_close_its_script_block() -> None:
    value = {
        "name": "</script><script>alert('x')</script>",
        "and": "a & b <!--",
        "d": dt.date(2026, 1, 4),
    }
    text = str(embed_json(value))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {**value, "d": "2026-01-04"}


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/projects/acme?unit=account", "/projects/acme?unit=account"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/login?next=/x", "/"),
        ("/x\ny", "/"),
        (None, "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_sparkline_breaks_at_gaps_and_scales_into_the_box() -> None:
    line = sparkline([1.0, 3.0, None, 2.0, 3.0])
    # Five points 28.5 px apart (120 px wide, 3 px padding); 3 is the top (y=3), 1 the
    # bottom (y=29), 2 the middle (y=16).
    assert line.lines == ["3.0,29.0 31.5,3.0", "88.5,16.0 117.0,3.0"]
    assert line.last == (117.0, 3.0)
    assert sparkline([None, None]).lines == []
    assert sparkline([5.0, 5.0]).lines == ["3.0,16.0 117.0,16.0"]


def test_numbers_read_as_in_the_terminal_report() -> None:
    assert format_value(1234, "count") == "1,234"
    assert format_value(0.1234, "fraction") == "12.3%"
    assert format_value(12.34, "percent") == "12.3%"
    assert format_value(36.0, "hours") == "36.0 h"
    assert format_value(72.0, "hours") == "3.0 d"
    assert format_value(None, "count") == "—"
    # Rates and scores change in points; counts in percent of the previous value.
    assert format_change(-0.05, 0.4, "fraction") == "-5.0 pts"
    assert format_change(-1.0, 3.0, "count") == "-33%"
    assert format_change(2.0, 0.0, "count") == "+2.0"
    assert change_tone(-0.05, higher_is_better=False) == "better"
    assert change_tone(0.0, higher_is_better=True) == "same"
