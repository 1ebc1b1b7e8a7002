"""The Paths page over HTTP on the real server: the `acme` story's paths worked out by hand
(tests/web/dashboard.py), the Sankey's numbers equal to the JSON API's, CSV, the empty state
that suggests an anchor, bad options, unknown anchors and escaping."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.dashboard import Dashboard, running_dashboard

RANGE = "from=2026-01-04&to=2026-01-17"
PATHS = "/projects/acme/paths"
SPEC = {"kind": "paths", "from": "2026-01-04", "to": "2026-01-17", "unit": "user"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One server for the module (pages only read)."""
    home = tmp_path_factory.mktemp("paths") / "home"
    with running_dashboard(home, empty=("fresh",)) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    """A logged-in client."""
    with site.logged_in() as client:
        yield client


def api(site: Dashboard, spec: dict[str, Any]) -> dict[str, Any]:
    """The JSON API's answer for a spec (acme's read token)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/acme/query", json=spec)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def figure(page: str) -> dict[str, Any]:
    """The Sankey figure embedded in the page."""
    found = re.search(r'<script type="application/json" id="chart-paths">(.*?)</script>', page)
    assert found, "no Sankey on the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_page_needs_a_login(site: Dashboard) -> None:
    with site.anonymous() as client:
        answer = client.get(f"{PATHS}?anchor=login")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fprojects%2Facme%2Fpaths%3Fanchor%3Dlogin"


def test_paths_after_login_worked_out_by_hand(ada: httpx.Client) -> None:
    # acme, all at noon:  ann login d0, report_viewed d1, login d8
    #                     bob login d1, login d9, report_viewed d9, report_viewed d10
    #                     cat login d2
    # bob's d9 login and report_viewed share an instant: by name, login comes first.
    # First login, repeats collapsed:  ann > report_viewed > login > (end)
    #                                  bob > report_viewed (his d9 login repeats) > (end)
    #                                  cat > (end)
    answer = ada.get(f"{PATHS}?{RANGE}&anchor=login&format=csv&table=paths")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        'attachment; filename="acme-paths-paths-2026-01-04-2026-01-17.csv"'
    )
    assert answer.text.splitlines() == [
        "step,from_event,to_event,units,share",
        "1,login,report_viewed,2,0.6666666666666666",
        "1,login,(end),1,0.3333333333333333",
        "2,report_viewed,(end),1,0.3333333333333333",
        "2,report_viewed,login,1,0.3333333333333333",
        "3,login,(end),1,0.3333333333333333",
    ]


def test_the_sankey_shows_the_json_apis_numbers(site: Dashboard, ada: httpx.Client) -> None:
    page = ada.get(f"{PATHS}?{RANGE}&anchor=login&direction=after&steps=3")
    assert page.status_code == 200
    result = api(site, {**SPEC, "event": "login", "direction": "after", "steps": 3})
    trace = figure(page.text)["data"][0]
    assert trace["type"] == "sankey"
    labels = trace["node"]["label"]
    # One node per (step, event), the anchor first, then in the order edges reach them.
    assert labels == [
        "step 0: login",
        "step 1: report_viewed",
        "step 1: (end)",
        "step 2: (end)",
        "step 2: login",
        "step 3: (end)",
    ]
    links = trace["link"]
    edges = [
        (labels[s], labels[t], v)
        for s, t, v in zip(links["source"], links["target"], links["value"], strict=True)
    ]
    assert edges == [
        (
            f"step {r['step'] - 1}: {r['from_event']}",
            f"step {r['step']}: {r['to_event']}",
            r["units"],
        )
        for r in result["rows"]
    ]
    # Hover: each node's share of the three users who logged in, each link's step and share.
    assert trace["node"]["customdata"] == ["100.0%", "66.7%", "33.3%", "33.3%", "33.3%", "33.3%"]
    assert links["customdata"] == [
        ["step 1: login → report_viewed", "66.7%"],
        ["step 1: login → (end)", "33.3%"],
        ["step 2: report_viewed → (end)", "33.3%"],
        ["step 2: report_viewed → login", "33.3%"],
        ["step 3: login → (end)", "33.3%"],
    ]
    # Fixed columns at steps 0, 1/3, 2/3, 1 (inside Plotly's open interval). Heights use
    # d3-sankey's scale: 14 px padding in a 448 px plot is 1/32; the tightest column is step
    # 1 (3 users and one gap): (1 - 1/32) / 3 = 31/96 per user. Centres, most users first:
    # step 0 login 3*31/96/2; step 1 report_viewed 62/96/2, (end) 62/96 + 1/32 + 31/96/2;
    # step 2 (end) 31/192, login 31/96 + 1/32 + 31/192; step 3 (end) 31/192.
    assert trace["node"]["x"] == pytest.approx([0.001, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 0.999])
    u = 31 / 96
    assert trace["node"]["y"] == pytest.approx(
        [1.5 * u, u, 2 * u + 1 / 32 + u / 2, u / 2, u + 1 / 32 + u / 2, u / 2]
    )
    # The table shows the same rows.
    assert "Shares are of the 3 users who did login." in page.text
    assert page.text.count("<tr>") == 1 + len(result["rows"])


def test_before_a_feature_flows_left_to_right(site: Dashboard, ada: httpx.Client) -> None:
    # Reports = report_viewed. Before the first one: ann's login d0; bob's d9 login (his d1
    # login repeats it). Both paths then end.
    query = f"{RANGE}&anchor=feature:Reports&direction=before&steps=3"
    csv = ada.get(f"{PATHS}?{query}&format=csv&table=paths").text
    assert csv.splitlines()[1:] == ["1,Reports,login,2,1.0", "2,login,(end),2,1.0"]
    trace = figure(ada.get(f"{PATHS}?{query}").text)["data"][0]
    labels = trace["node"]["label"]
    assert labels == ["step 0: Reports", "step -1: login", "step -2: (end)"]
    # Time flows left to right: links run from the earlier node to the later one.
    pairs = list(zip(trace["link"]["source"], trace["link"]["target"], strict=True))
    assert pairs == [(1, 0), (2, 1)]
    assert trace["link"]["customdata"] == [
        ["step -1: login → Reports", "100.0%"],
        ["step -2: (end) → login", "100.0%"],
    ]
    assert trace["node"]["x"][2] < trace["node"]["x"][1] < trace["node"]["x"][0]


def test_accounts_and_segments(ada: httpx.Client) -> None:
    # Accounts: a1 (ann and bob interleaved) login d0, then at d1 noon bob's login sorts before
    # ann's report_viewed: a1 login > report_viewed > login > report_viewed; a2 (cat) ends.
    accounts = ada.get(f"{PATHS}?{RANGE}&anchor=login&unit=account&format=csv&table=paths")
    assert accounts.text.splitlines()[1:] == [
        "1,login,(end),1,0.5",
        "1,login,report_viewed,1,0.5",
        "2,report_viewed,login,1,0.5",
        "3,login,report_viewed,1,0.5",
    ]
    # Sales is ann and cat.
    sales = ada.get(
        f"{PATHS}?{RANGE}&anchor=login&steps=1&segment=user.department&segment_value=Sales"
        "&format=csv&table=paths"
    )
    assert sales.text.splitlines()[1:] == ["1,login,(end),1,0.5", "1,login,report_viewed,1,0.5"]


def test_without_an_anchor_the_page_suggests_the_most_frequent_event(ada: httpx.Client) -> None:
    page = ada.get(f"{PATHS}?{RANGE}")
    assert page.status_code == 200
    assert "Choose where the paths start" in page.text
    # login: 5 events, report_viewed: 3.
    suggestion = f'href="/projects/acme/paths?{RANGE.replace("&", "&amp;")}&amp;unit=user'
    assert suggestion + '&amp;direction=after&amp;steps=3&amp;anchor=login">login</a>' in page.text
    options = re.findall(r'<option value="([^"]*)"', page.text.split('id="p-anchor"')[1])
    assert options[:5] == [
        "",
        "feature:Reports",
        "feature:&lt;b&gt;Bold&lt;/b&gt; &amp; &#34;quoted&#34;",
        "login",
        "report_viewed",
    ]
    assert "chart-paths" not in page.text
    # No table without an anchor.
    assert ada.get(f"{PATHS}?{RANGE}&format=csv&table=paths").status_code == 404


def test_bad_options_are_reported_and_defaults_used(ada: httpx.Client) -> None:
    page = html.unescape(ada.get(f"{PATHS}?{RANGE}&anchor=login&steps=20&direction=sideways").text)
    assert "`steps` must be a whole number from 1 to 10" in page
    assert "`direction` must be after or before, not 'sideways'" in page
    assert "step 3: (end)" in page  # drawn with 3 steps, after


def test_unknown_anchors_say_what_to_do(ada: httpx.Client) -> None:
    event = html.unescape(ada.get(f"{PATHS}?{RANGE}&anchor=logn").text)
    assert "This project has no event 'logn': check its spelling, or choose one" in event
    feature = html.unescape(ada.get(f"{PATHS}?{RANGE}&anchor=feature:Nope").text)
    assert "unknown feature 'Nope'" in feature
    assert "chart-paths" not in feature


def test_an_anchor_nobody_did_in_the_range_and_escaping(ada: httpx.Client) -> None:
    bold = '<b>Bold</b> & "quoted"'
    answer = ada.get(
        PATHS, params={"from": "2026-01-04", "to": "2026-01-17", "anchor": f"feature:{bold}"}
    )
    assert bold not in answer.text
    assert (
        "no user did &#39;&lt;b&gt;Bold&lt;/b&gt; &amp; &#34;quoted&#34;&#39; between 2026-01-04 "
        "and 2026-01-17: no paths to show"
    ) in answer.text
    assert "No rows for these filters." in answer.text


def test_a_project_without_data(site: Dashboard, ada: httpx.Client) -> None:
    page = ada.get("/projects/fresh/paths").text
    assert "No data yet" in page
    assert f"{site.url}/v1/track" in page


def test_the_navigation_lists_the_page(ada: httpx.Client) -> None:
    page = ada.get(f"{PATHS}?{RANGE}&anchor=login").text
    assert re.search(r'<a href="/projects/acme/paths\?[^"]*" aria-current="page">Paths</a>', page)
    assert " style=" not in page and "<style" not in page
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", page)
