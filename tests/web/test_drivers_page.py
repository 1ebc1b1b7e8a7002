"""The Drivers page over HTTP on the real server: the key-action ranking and the launch impact
(numbers worked out by hand in tests/metrics/test_key_action_discovery.py and
tests/metrics/test_launch_impact.py, the same stories here), CSV downloads, and the "Use as key
action" form: refused without the session's CSRF token, and when accepted the workspace file
changes and the very next API query sees the new key action."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SETTINGS, load_store
from tests.metrics.test_key_action_discovery import STORY as SIGNUPS
from tests.metrics.test_launch_impact import STORY as LAUNCH
from tests.stories import date
from tests.web.conftest import RunningServer, create_key, free_port, make_home
from tests.web.dashboard import Dashboard, add_user, csrf_of
from uptake.server.home import ServerHome
from uptake.store import Store

RANKING = "/projects/signups/drivers?from=2026-01-04&to=2026-02-13"
IMPACT = (
    "/projects/launch/drivers?from=2026-01-04&to=2026-02-01&feature=Reports&launch_window_days=14"
)
LAUNCH_FEATURES = """
[[features]]
name = "Reports"
events = ["report"]
released_at = 2026-01-18
"""


def _project(home: Path, name: str, story: Any, extra_toml: str = "") -> None:
    make_home(home, name)
    folder = ServerHome(home).project_path(name)
    toml = folder / "uptake.toml"
    toml.write_text(toml.read_text("utf-8") + extra_toml, "utf-8")
    with Store.open(folder / "uptake.duckdb", TEST_SETTINGS) as store:
        load_store(store, story)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A server with `signups` (the key-action story) and `launch` (the launch story, Reports
    released on day 14 = 2026-01-18); a read token for `signups`."""
    home = tmp_path_factory.mktemp("drivers") / "home"
    _project(home, "signups", SIGNUPS)
    _project(home, "launch", LAUNCH, LAUNCH_FEATURES)
    add_user(home)
    server = RunningServer(
        home, free_port(), create_key(home, "signups", "write"),
        create_key(home, "signups", "read"),
    )  # fmt: skip
    # Generous: the shared test machine can be slow to start a server process.
    server.start(timeout=300)
    try:
        yield Dashboard(server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    with site.logged_in() as client:
        yield client


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_page_needs_a_login(site: Dashboard) -> None:
    with site.anonymous() as client:
        answer = client.get(RANKING)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


def test_the_ranking_with_its_caveat_chart_and_buttons(ada: httpx.Client) -> None:
    page = ada.get(RANKING)
    assert page.status_code == 200
    text = page.text
    assert "Correlation, not causation." in text
    assert 'data-chart="chart-lift"' in text
    # Ranked by lift: invite (+75 points), export (+50), report (-10), then signup (no lift:
    # everybody did it). Each has a form to record it.
    events = re.findall(r'<tr data-event="([^"]+)">', text)
    assert events == ["invite", "export", "report", "signup"]
    assert text.count('name="event" value=') == 4
    assert "+75.0 pts" in text and "-10.0 pts" in text
    # The cohort: seven users old enough; jon and gus are too young, and it says so.
    assert re.search(r"<strong data-cohort>7</strong> old enough to judge", text)
    assert "2 users who signed up in the range left out" in text
    # No inline script or style: the CSP would block them.
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", text)
    assert " style=" not in text and "<style" not in text


def test_the_ranking_csv_is_the_hand_count(ada: httpx.Client) -> None:
    answer = ada.get(RANKING + "&format=csv&table=key_actions")
    assert answer.status_code == 200
    rows = csv_rows(answer.text)
    counts = [(r["event"], r["units_did"], r["retained_did"], r["units_not"], r["retained_not"])
              for r in rows]  # fmt: skip
    assert counts == [
        ("invite", "3", "3", "4", "1"),
        ("export", "1", "1", "6", "3"),
        ("report", "2", "1", "5", "3"),
        ("signup", "7", "4", "0", "0"),
    ]
    assert [float(r["lift"]) if r["lift"] else None for r in rows] == pytest.approx(
        [0.75, 0.5, -0.1, None]
    )


def test_window_and_week_are_page_parameters(ada: httpx.Client) -> None:
    # Three days and week 5 (days 35-41): the data ends day 41, so only signups on day 0 are
    # old enough (ann, bob), and neither was active on days 35-41.
    answer = ada.get(RANKING + "&window_days=3&retention_offset=5&format=csv&table=key_actions")
    assert answer.status_code == 200
    rows = csv_rows(answer.text)
    # ann: invite d2 (+2); bob: invite d3 (+3: outside 3 days). Nobody retained: lift 0 - 0.
    assert [(r["event"], r["units_did"], r["retained_did"]) for r in rows] == [
        ("invite", "1", "0"),
        ("signup", "2", "0"),
    ]


def test_launch_impact_section(ada: httpx.Client) -> None:
    page = ada.get(IMPACT)
    assert page.status_code == 200
    text = page.text
    assert 'data-chart="chart-launch"' in text
    # did = 1/6 - (-3/8) = 13/24 = +0.54 active days per week (the 14-day windows of
    # test_longer_windows_are_per_week); 3 adopters, 4 non-adopters, one new adopter left out.
    assert re.search(r"<dd data-did>\+0\.54 \(", text)
    assert "<dd>3 / 4</dd>" in text
    assert "Adopters chose to adopt" in text
    assert "1 adopting user not active in the 14 days before the launch left out" in text
    answer = ada.get(IMPACT + "&format=csv&table=launch_impact")
    assert answer.status_code == 200
    rows = [(r["group"], r["units"], float(r["before"]), float(r["after"]), float(r["change"]))
            for r in csv_rows(answer.text)]  # fmt: skip
    assert rows == [
        ("adopters", "3", pytest.approx(5 / 6), 1.0, pytest.approx(1 / 6)),
        ("non_adopters", "4", 0.75, 0.375, -0.375),
    ]


def test_launch_problems_say_what_to_do(ada: httpx.Client) -> None:
    # The default range ends before the 28-day window after the launch does.
    page = ada.get("/projects/launch/drivers?from=2026-01-04&to=2026-02-01&feature=Reports")
    assert "the after window ends on 2026-02-15, after `to` (2026-02-01)" in page.text
    # A project without features.
    assert "No features are defined" in ada.get(RANKING).text


def _post(client: httpx.Client, project: str, **form: str) -> httpx.Response:
    return client.post(f"/projects/{project}/drivers/key-actions", data=form)


def _query_time_to(site: Dashboard) -> httpx.Response:
    spec = {"kind": "time_to", "target": "key_action", "key_action": "invite",
            "from": str(date(0)), "to": str(date(40))}  # fmt: skip
    with site.server.reader() as reader:
        return reader.post("/api/projects/signups/query", json=spec)


def test_recording_needs_the_session_token(site: Dashboard, ada: httpx.Client) -> None:
    toml = ServerHome(site.server.home).project_path("signups") / "uptake.toml"
    before = toml.read_text("utf-8")
    token = csrf_of(ada.get(RANKING).text)
    assert _post(ada, "signups", event="invite").status_code == 403
    assert _post(ada, "signups", event="invite", csrf="forged").status_code == 403
    cross = ada.post(
        "/projects/signups/drivers/key-actions", data={"event": "invite", "csrf": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )  # fmt: skip
    assert cross.status_code == 403
    with site.anonymous() as anonymous:
        assert _post(anonymous, "signups", event="invite", csrf=token).status_code == 303
    assert toml.read_text("utf-8") == before


def test_recording_writes_the_file_and_the_api_sees_it(site: Dashboard, ada: httpx.Client) -> None:
    toml = ServerHome(site.server.home).project_path("signups") / "uptake.toml"
    template = toml.read_text("utf-8")
    unknown = _query_time_to(site)
    assert unknown.status_code == 400
    assert "unknown key action 'invite'" in unknown.text

    token = csrf_of(ada.get(RANKING).text)
    back = "from=2026-01-04&to=2026-02-13&unit=user&window_days=7&evil=1"
    answer = _post(ada, "signups", event="invite", csrf=token, back=back)
    assert answer.status_code == 303
    # Back to the same view (unknown parameters dropped) with a notice.
    assert answer.headers["location"] == (
        "/projects/signups/drivers?from=2026-01-04&to=2026-02-13&unit=user&window_days=7"
        "&notice=recorded&key_action=invite"
    )
    recorded = template + '\n[[key_actions]]\nname = "invite"\nevents = ["invite"]\n'
    assert toml.read_text("utf-8") == recorded
    page = ada.get(answer.headers["location"]).text
    assert "Recorded key action &#39;invite&#39; in uptake.toml" in page
    assert re.search(r'<tr data-event="invite">.*?Already a key action', page, re.S)

    # The API's next query sees it. Signed up from day 0 to 40: ann bob cat dan eve fay ivy
    # jon gus (9; hal signed up on day -3). First invite: fay after 1 hour (13:00 on her
    # signup day), ann 48 h, bob 72 h, dan 168 h: median (48 + 72) / 2 = 60 h.
    found = _query_time_to(site)
    assert found.status_code == 200, found.text
    row = found.json()["rows"][0]
    assert (row["signed_up"], row["reached"], row["median_hours"]) == (9, 4, 60.0)

    # Recording it again changes nothing and says so.
    again = _post(ada, "signups", event="invite", csrf=token, back=back)
    assert again.status_code == 303
    assert "notice=exists" in again.headers["location"]
    assert toml.read_text("utf-8") == recorded
    assert (
        "There is already a key action called &#39;invite&#39;"
        in ada.get(again.headers["location"]).text
    )


def test_an_invalid_event_is_refused_with_a_reason(site: Dashboard, ada: httpx.Client) -> None:
    token = csrf_of(ada.get(RANKING).text)
    answer = _post(ada, "signups", event="", name="Nothing", csrf=token)
    assert answer.status_code == 400
    assert "event name or pattern &#39;&#39; is empty or starts with a space" in answer.text
