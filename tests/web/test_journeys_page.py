"""The Journeys page over HTTP on the real server: the stage funnel and the stalled list equal
the JSON API's answers and the numbers worked out by hand (tests/metrics/test_journey_stages.py,
story ONBOARDING), CSV downloads, the journey selector, the empty states and bad options."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import tomlkit
from markupsafe import escape

from tests.conftest import TEST_SETTINGS, load_store
from tests.metrics.test_journey_stages import ONBOARDING, ONBOARDING_STORY
from tests.web.conftest import RunningServer, create_key, free_port, make_home
from tests.web.dashboard import Dashboard, add_user, make_acme
from uptake.definitions import parse_definitions
from uptake.result import Result
from uptake.server.home import ServerHome
from uptake.store import Store
from uptake.web.pages.journeys import CUSTOM_SNIPPET, TEMPLATE_SNIPPETS

CRM = "crm"
PAGE = f"/projects/{CRM}/journeys"
# Day 0 (Sunday 2026-01-04) to day 13: the funnel and members tests' range.
RANGE = "from=2026-01-04&to=2026-01-17"
ESCAPED = '<b>Bold</b> & "quoted"'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A server with `crm` (the onboarding story and two journeys), `acme` (data, no
    journeys) and `fresh` (no data)."""
    home = tmp_path_factory.mktemp("journeys") / "home"
    make_acme(home)
    make_home(home, CRM, "fresh")
    folder = ServerHome(home).project_path(CRM)
    definitions = {
        "name": CRM,
        **ONBOARDING,
        "journeys": [
            *ONBOARDING["journeys"],
            {"name": ESCAPED, "stages": [{"name": "<i>Seen</i>", "criteria": [{"events": ["*"]}]}]},
        ],
    }
    (folder / "uptake.toml").write_text(tomlkit.dumps(definitions), "utf-8")
    with Store.open(folder / "uptake.duckdb", TEST_SETTINGS) as store:
        load_store(store, ONBOARDING_STORY)
    add_user(home)
    server = RunningServer(
        home, free_port(), create_key(home, CRM, "write"), create_key(home, CRM, "read")
    )
    server.start()
    try:
        yield Dashboard(server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    """A logged-in client."""
    with site.logged_in() as client:
        yield client


def api(site: Dashboard, spec: dict[str, Any]) -> Result:
    """The JSON API's answer for a spec."""
    with site.server.reader() as reader:
        answer = reader.post(f"/api/projects/{CRM}/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def table_rows(page: str, name: str) -> list[list[str]]:
    """The cells (text, unescaped) of a table of the page."""
    found = re.search(rf'data-table="{name}">(.*?)</table>', page, re.S)
    assert found, f"no table {name}"
    body = found.group(1).split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def links(page: str, name: str) -> list[str]:
    """The links of a table's first column."""
    found = re.search(rf'data-table="{name}">(.*?)</table>', page, re.S)
    assert found, f"no table {name}"
    return [html.unescape(h) for h in re.findall(r'<a href="([^"]+)"', found.group(1))]


def test_the_page_needs_a_login(site: Dashboard) -> None:
    with site.anonymous() as client:
        answer = client.get(PAGE)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


def test_the_funnel_equals_the_hand_count_and_the_api(site: Dashboard, ada: httpx.Client) -> None:
    answer = ada.get(f"{PAGE}?{RANGE}&journey=Onboarding&stalled_after_days=5")
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert '<a href="/projects/crm/journeys?' in page and 'aria-current="page">Journeys' in page
    # Cohort ann, bob, dan (hand counts in tests/metrics/test_journey_funnel.py): reached
    # 3, 3, 2, 1, 1; median days in stage 3.125, 47/48 (0.98), 0, 6, none; in it now: dan
    # (Explored), bob (Habit), ann (Won); over 5 days: dan (10.6) and bob (6.5).
    assert table_rows(page, "funnel") == [
        ["Signed up", "3", "—", "100.0%", "3.1 d", "0", "0"],
        ["Explored", "3", "100.0%", "100.0%", "1.0 d", "1", "1"],
        ["Habit", "2", "66.7%", "66.7%", "0.0 d", "1", "1"],
        ["Pro", "1", "50.0%", "33.3%", "6.0 d", "0", "0"],
        ["Won", "1", "100.0%", "33.3%", "—", "1", "0"],
    ]
    spec = {"kind": "journey_funnel", "journey": "Onboarding", "from": "2026-01-04",
            "to": "2026-01-17", "unit": "user", "stalled_after_days": 5}  # fmt: skip
    result = api(site, spec)
    assert result.column("entered") == [3, 3, 2, 1, 1]
    assert result.column("current") == [0, 1, 1, 0, 1]
    assert result.column("stalled") == [0, 1, 1, 0, 0]
    assert [row[1] for row in table_rows(page, "funnel")] == [
        str(v) for v in result.column("entered")
    ]
    # The chart carries the same numbers.
    figure = re.search(
        r'<script type="application/json" id="chart-journey">(.*?)</script>', page, re.S
    )
    assert figure is not None
    assert '"y":[3,3,2,1,1]' in figure.group(1)
    assert '"y":[0,1,1,0,1]' in figure.group(1)
    assert '"y":[0,1,1,0,0]' in figure.group(1)


def test_the_stalled_list_links_to_each_user_and_account(
    site: Dashboard, ada: httpx.Client
) -> None:
    # d14 00:00 is the end of the range: dan in Explored since d3 10:00, bob in Habit since d7.
    page = ada.get(f"{PAGE}?{RANGE}&journey=Onboarding&stalled_after_days=5").text
    assert table_rows(page, "stalled") == [
        ["dan", "Explored", "2026-01-07 10:00", "10.6 d"],
        ["bob", "Habit", "2026-01-11 12:00", "6.5 d"],
    ]
    assert [h.split("?")[0] for h in links(page, "stalled")] == [
        "/projects/crm/users/dan",
        "/projects/crm/users/bob",
    ]
    members = api(site, {"kind": "journey_members", "journey": "Onboarding", "from": "2026-01-04",
                         "to": "2026-01-17", "unit": "user", "stalled_after_days": 5,
                         "stalled_only": True, "limit": 200})  # fmt: skip
    assert members.column("entity") == ["dan", "bob"]
    # Per account: a1 (ann, dan) signed up with ann (d0 09:00), explored with dan's two reports
    # on d3, was active on d1, d3 and d5 (Habit at ann's report on d5 12:00), is pro with ann's
    # deal (Pro at d5 12:00) and won on d12. a2 (bob, cat) signed up with bob (d2 10:00),
    # explored with cat's reports on d1 and d2 (d2 12:00), active on d1, d2, d3: Habit at cat's
    # login on d3 12:00, and is not pro: in Habit for 10.5 days at the end of d13.
    page = ada.get(f"{PAGE}?{RANGE}&journey=Onboarding&unit=account&stalled_after_days=10").text
    assert [row[1] for row in table_rows(page, "funnel")] == ["2", "2", "2", "1", "1"]
    assert table_rows(page, "stalled") == [["a2", "Habit", "2026-01-07 12:00", "10.5 d"]]
    assert [h.split("?")[0] for h in links(page, "stalled")] == ["/projects/crm/accounts/a2"]
    # After 14 days nobody is stalled, and the list says so.
    page = ada.get(f"{PAGE}?{RANGE}&journey=Onboarding&unit=account").text
    assert "Nobody is stalled" in page


def test_everyone_in_the_journey_by_the_end_of_the_range(ada: httpx.Client) -> None:
    # cohort=all adds eve (signed up d-5, in Explored since d-4 12:00: 17.5 days, stalled);
    # hand counts in tests/metrics/test_journey_funnel.py.
    page = ada.get(f"{PAGE}?{RANGE}&journey=Onboarding&cohort=all").text
    assert [row[1] for row in table_rows(page, "funnel")] == ["4", "4", "2", "1", "1"]
    assert [row[6] for row in table_rows(page, "funnel")] == ["0", "1", "0", "0", "0"]
    assert table_rows(page, "stalled") == [["eve", "Explored", "2025-12-31 12:00", "17.5 d"]]
    assert '<option value="all" selected>' in page


def test_csv_downloads_are_the_api_rows(site: Dashboard, ada: httpx.Client) -> None:
    base = f"{PAGE}?{RANGE}&unit=user&journey=Onboarding&stalled_after_days=5&format=csv"
    common = {"journey": "Onboarding", "from": "2026-01-04", "to": "2026-01-17", "unit": "user",
              "stalled_after_days": 5}  # fmt: skip
    funnel = ada.get(base + "&table=funnel")
    assert funnel.status_code == 200
    assert funnel.headers["content-type"] == "text/csv; charset=utf-8"
    assert funnel.text == api(site, {"kind": "journey_funnel", **common}).to_csv()
    assert funnel.text.splitlines()[0] == (
        "stage_index,stage,entered,conversion_from_previous,conversion_from_first,"
        "median_days_in_stage,current,stalled"
    )
    stalled = ada.get(base + "&table=stalled")
    expected = api(site, {"kind": "journey_members", **common, "stalled_only": True, "limit": 200})
    # The same rows; timestamps compared as times (JSON carries them as ISO text).
    got = list(csv.DictReader(io.StringIO(stalled.text)))
    assert list(got[0]) == [c.name for c in expected.columns]
    assert [
        (r["entity"], r["current_stage"], int(r["stage_index"]),
         dt.datetime.fromisoformat(r["entered_at"]), float(r["days_in_stage"]), r["stalled"])
        for r in got
    ] == [
        (r["entity"], r["current_stage"], r["stage_index"],
         dt.datetime.fromisoformat(r["entered_at"]), r["days_in_stage"], str(r["stalled"]))
        for r in expected.rows
    ]  # fmt: skip
    assert [r["entity"] for r in got] == ["dan", "bob"]


def test_the_selector_lists_the_journeys_and_names_are_escaped(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{RANGE}").text
    # The first journey by default; both offered, the second escaped.
    assert '<option value="Onboarding" selected>Onboarding</option>' in page
    assert str(escape(ESCAPED)) in page
    assert ESCAPED not in page and "<i>Seen</i>" not in page
    assert '<label for="j-journey">Journey</label>' in page
    # The filter bar keeps the journey options when it is applied.
    assert '<input type="hidden" name="journey" value="Onboarding">' in page
    assert '<input type="hidden" name="stalled_after_days" value="14">' in page
    assert '<input type="hidden" name="cohort" value="entered_in_range">' in page
    # The other journey: everyone with an event (ann, bob, cat, dan; eve's first event was on
    # day -5) entered its one stage in range.
    other = ada.get(
        PAGE, params={"from": "2026-01-04", "to": "2026-01-17", "journey": ESCAPED}
    ).text
    assert table_rows(other, "funnel") == [["<i>Seen</i>", "4", "—", "100.0%", "—", "4", "0"]]


def test_bad_options_say_what_is_wrong_and_use_the_defaults(ada: httpx.Client) -> None:
    answer = ada.get(f"{PAGE}?{RANGE}&journey=Nope&stalled_after_days=0&cohort=some")
    assert answer.status_code == 200
    text = html.unescape(answer.text)
    assert "there is no journey 'Nope' in uptake.toml (journeys: Onboarding, " in text
    assert "`stalled_after_days` must be a whole number of days from 1 to 3650, not '0'" in text
    assert "`cohort` must be entered_in_range or all, not 'some'" in text
    assert table_rows(answer.text, "funnel")[0][:2] == ["Signed up", "3"]


def test_no_journeys_shows_how_to_declare_one(ada: httpx.Client) -> None:
    page = ada.get("/projects/acme/journeys").text
    assert "No journeys defined" in page
    assert 'data-empty="journeys"' in page
    for snippet in (*TEMPLATE_SNIPPETS.values(), CUSTOM_SNIPPET):
        assert str(escape(snippet)) in page
    # What the page offers to paste is valid: the customer template needs nothing else, the
    # adoption template the features, key actions and value moment it names.
    workspace = {key: ONBOARDING[key] for key in ("features", "key_actions", "value_moment")}
    for snippet in (*TEMPLATE_SNIPPETS.values(), CUSTOM_SNIPPET):
        parse_definitions({**workspace, **tomllib.loads(snippet)})


def test_a_project_without_data(ada: httpx.Client) -> None:
    page = ada.get("/projects/fresh/journeys").text
    assert "No data yet" in page


def test_the_page_has_no_inline_script_or_style(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{RANGE}").text
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", page)
    assert " style=" not in page and "<style" not in page
