"""Event names and glob patterns: which events each selects, on every engine."""

from __future__ import annotations

import pytest

from tests.stories import date, day, journeys

NAMES = ["report_viewed", "report_exported", "dashboard_viewed", "login", "a_report_b", "rx"]
STORY = journeys({"ann": [(name, day(0, 9 + i)) for i, name in enumerate(NAMES)]})
RANGE = {"from": str(date(0)), "to": str(date(0)), "period": "day"}


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (["report_*"], 2),  # prefix: report_viewed, report_exported
        (["*_viewed"], 2),  # suffix: report_viewed, dashboard_viewed
        (["*report*"], 3),  # contains: both reports and a_report_b
        (["r?"], 1),  # one character: rx
        (["report_*ed"], 2),  # a glob that needs the regex
        (["login", "r*x"], 2),  # a name and a pattern: login, rx
        (["*"], 6),  # everything
        (["report.viewed"], 0),  # a dot is a literal dot, not "any character"
    ],
)
def test_globs_select_the_right_events(run, events, expected):
    result = run(STORY, {"kind": "trend", "measure": "total", "events": events, **RANGE})
    assert result.column("value") == [expected]
