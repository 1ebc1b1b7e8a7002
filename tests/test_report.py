"""The KPI overview: cards over complete periods, hand-checked, and `uptake report` end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import TEST_SETTINGS, load_store
from tests.stories import date, day, journeys
from uptake.report import overview
from uptake.store import Store
from uptake.workspace import DATABASE_FILE, Workspace

# Sunday weeks: W1 days 0-6, W2 days 7-13, W3 days 14-20.
STORY = journeys(
    {
        "ann": [("login", day(0)), ("login", day(1)), ("login", day(8)), ("login", day(15))],
        "bob": [("login", day(1)), ("login", day(9))],
        "cat": [("login", day(16))],
    }
)


def card(report, key):
    [found] = [c for c in report.cards if c.key == key]
    return found


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
@pytest.mark.parametrize("last_day", [20, 22], ids=["whole-weeks", "partial-last-week"])
def test_cards_compare_the_last_two_complete_weeks(tables_for, last_day):
    # With `to` on day 22 (a Monday) the fourth week is cut short: it is left out of the cards,
    # so both variants give the same numbers.
    report = overview(tables_for(STORY), date(0), date(last_day))
    dau = card(report, "dau")
    # Mean daily actives: W1 (1 + 2) / 7, W2 (1 + 1) / 7, W3 (1 + 1) / 7.
    assert [v for _, v in dau.series] == pytest.approx([3 / 7, 2 / 7, 2 / 7])
    assert (dau.value, dau.previous, dau.change) == pytest.approx((2 / 7, 2 / 7, 0.0))
    # WAU on each week's last day: W1 {ann, bob}; W2 {ann, bob}; W3 {ann, cat}.
    assert [v for _, v in card(report, "wau").series] == [2, 2, 2]
    # MAU (30 days back from each week's last day): W1 2, W2 2, W3 3.
    mau = card(report, "mau")
    assert (mau.value, mau.previous, mau.change) == (3, 2, 1)
    # Stickiness = mean DAU / MAU per week: W2 (2/7) / 2, W3 (2/7) / 3.
    sticky = card(report, "stickiness")
    assert (sticky.value, sticky.previous) == pytest.approx((2 / 21, 1 / 7))
    assert [p for p, _ in sticky.series] == [date(0), date(7), date(14)]


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_cards_without_data_say_why(tables_for):
    report = overview(tables_for(STORY), date(0), date(20))
    # No survey answers at all: no value, and no error either.
    nps = card(report, "nps")
    assert nps.value is None and nps.series == []
    # No value moment or key action defined: the card falls back to time to first action.
    assert card(report, "time_to").label.startswith("Time to first action")
    assert report.features is None
    assert any("No features defined" in n for n in report.notes)


def test_uptake_report_json_end_to_end(tmp_path):
    folder = tmp_path / "ws"
    Workspace.init(folder, settings=TEST_SETTINGS).close()
    with Store.open(folder / DATABASE_FILE, TEST_SETTINGS) as store:
        load_store(store, STORY)
    done = subprocess.run(
        [sys.executable, "-m", "uptake", "-w", str(folder), "report", "--from", str(date(0)),
         "--to", str(date(20)), "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    mau = next(c for c in data["cards"] if c["key"] == "mau")
    assert (mau["value"], mau["previous"]) == (3, 2)
    table = subprocess.run(
        [sys.executable, "-m", "uptake", "-w", str(folder), "report"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    # The default range ends on the latest event (day 16) and goes 12 weeks back.
    assert f"to {date(16)}" in table.stdout
    assert "Monthly active users" in table.stdout
