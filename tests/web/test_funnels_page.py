"""The Funnels page over HTTP on the real server: funnels of the `acme` story
(tests/web/dashboard.py) worked out by hand and equal to the JSON API's answer for the same
spec, the builder's URL, bad funnels reported on the page (never a 500), and saving, sharing
and deleting funnels (with CSRF) across a server restart.

The story (day 0 is Sunday 2026-01-04, every event at noon):
  ann (a1, Sales):   login d0, report_viewed d1, login d8
  bob (a1, Support): login d1, login d9, report_viewed d9, report_viewed d10
  cat (a2, Sales):   login d2
`Reports` is the feature of report_viewed; nobody clicked `<b>Bold</b> & "quoted"`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from tests.web.dashboard import Dashboard, csrf_of, running_dashboard
from uptake.result import Result

PAGE = "/projects/acme/funnels"
RANGE = "from=2026-01-04&to=2026-01-17"
HEADER = (
    "step,step_name,entities,conversion_rate,overall_conversion_rate,drop_off,drop_off_rate,"
    "average_seconds_from_previous,median_seconds_from_previous"
)
DAY = 86_400


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One server for the read-only tests."""
    home = tmp_path_factory.mktemp("funnels") / "home"
    with running_dashboard(home, empty=("fresh",)) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    """A logged-in client."""
    with site.logged_in() as client:
        yield client


def api(site: Dashboard, spec: dict[str, Any]) -> Result:
    """The JSON API's answer (read token of `acme`)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/acme/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def funnel_query(*steps: str, **options: str) -> str:
    """A funnel's query string over the story's two weeks."""
    return RANGE + "&" + urlencode([("step", s) for s in steps] + list(options.items()))


def csv_lines(client: httpx.Client, query: str) -> list[str]:
    """The funnel table's CSV download."""
    answer = client.get(f"{PAGE}?{query}&format=csv&table=funnel")
    assert answer.status_code == 200, answer.text
    return answer.text.splitlines()


def chart(page: str) -> dict[str, Any]:
    """The funnel chart's Plotly figure."""
    found = re.search(r'<script type="application/json" id="chart-funnel">(.*?)</script>', page)
    assert found, "no funnel chart"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def table_rows(page: str) -> list[list[str]]:
    """The cells of the funnel table, as text."""
    body = re.search(r'data-table="funnel">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, "no funnel table"
    cells = [
        re.findall(r"<td.*?</td>", r, re.S)
        for r in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in row] for row in cells]


def alert(page: str) -> str:
    """The text of the page's "Check the funnel." alert."""
    found = re.search(r"<strong>Check the funnel\.</strong>(.*?)</div>", page, re.S)
    assert found, "no funnel alert"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def test_two_step_funnel_worked_out_by_hand_equals_the_api(
    site: Dashboard, ada: httpx.Client
) -> None:
    query = funnel_query("login", "report_viewed")
    # All three log in. ann views a report 1 day after her login (d0 -> d1); bob 8 days after
    # his first login (d1 -> d9: the earliest of his attempts that get furthest), within the
    # 14-day window; cat never does. 2 of 3; mean and median of 1 and 8 days: 4.5 days.
    expected = [
        HEADER,
        "1,login,3,1.0,1.0,0,0.0,,",
        f"2,report_viewed,2,0.6666666666666666,0.6666666666666666,1,0.3333333333333333,"
        f"{4.5 * DAY},{4.5 * DAY}",
    ]
    assert csv_lines(ada, query) == expected
    spec = {"kind": "funnel", "from": "2026-01-04", "to": "2026-01-17", "unit": "user",
            "steps": [{"events": ["login"]}, {"events": ["report_viewed"]}],
            "order": "ordered", "conversion_window": 14,
            "conversion_window_unit": "day"}  # fmt: skip
    assert api(site, spec).to_csv().splitlines() == expected

    page = ada.get(f"{PAGE}?{query}").text
    assert re.search(
        r"<span data-finished>2</span> of <span data-entered>3</span> users completed the funnel"
        r"\s*\(<span data-rate>66.7%</span>\)",
        page,
    )
    bars = chart(page)["data"]
    assert [(b["type"], b["x"], b["y"]) for b in bars] == [
        ("bar", ["1. login", "2. report_viewed"], [3, 2])
    ]
    # Hover: from step 1, from the previous step, dropped off, median time.
    assert bars[0]["customdata"] == [
        ["100.0%", "100.0%", "0", "—"],
        ["66.7%", "66.7%", "1", "4.5 d"],
    ]
    assert table_rows(page) == [
        ["1", "login", "3", "100.0%", "100.0%", "0", "0.0%", "—", "—"],
        ["2", "report_viewed", "2", "66.7%", "66.7%", "1", "33.3%", "4.5 d", "4.5 d"],
    ]


def test_a_feature_step_and_accounts(site: Dashboard, ada: httpx.Client) -> None:
    # The Reports feature is report_viewed: the same people, the step named after it.
    lines = csv_lines(ada, funnel_query("login", "feature:Reports"))
    assert lines[2].startswith("2,Reports,2,0.6666666666666666,")
    # Per account: a1 logs in d0 (ann) and views a report d1 (ann): 1 day; a2 (cat) never.
    accounts = csv_lines(ada, funnel_query("login", "feature:Reports") + "&unit=account")
    assert accounts[1:] == [
        "1,login,2,1.0,1.0,0,0.0,,",
        f"2,Reports,1,0.5,0.5,1,0.5,{1.0 * DAY},{1.0 * DAY}",
    ]
    spec = {"kind": "funnel", "from": "2026-01-04", "to": "2026-01-17", "unit": "account",
            "steps": [{"events": ["login"]}, {"feature": "Reports"}]}  # fmt: skip
    assert api(site, spec).to_csv().splitlines() == accounts
    page = ada.get(f"{PAGE}?{funnel_query('login', 'feature:Reports')}&unit=account").text
    # 24 hours reads in hours (under two days).
    assert table_rows(page)[1][-2:] == ["24.0 h", "24.0 h"]


def test_breakdown_draws_grouped_bars(site: Dashboard, ada: httpx.Client) -> None:
    query = funnel_query("login", "report_viewed", breakdown="user.department")
    # Sales: ann (converts in 1 day) and cat (does not); Support: bob (8 days).
    expected = [
        "breakdown," + HEADER,
        "Sales,1,login,2,1.0,1.0,0,0.0,,",
        f"Sales,2,report_viewed,1,0.5,0.5,1,0.5,{1.0 * DAY},{1.0 * DAY}",
        "Support,1,login,1,1.0,1.0,0,0.0,,",
        f"Support,2,report_viewed,1,1.0,1.0,0,0.0,{8.0 * DAY},{8.0 * DAY}",
    ]
    assert csv_lines(ada, query) == expected
    spec = {"kind": "funnel", "from": "2026-01-04", "to": "2026-01-17",
            "steps": ["login", "report_viewed"], "breakdown": "user.department"}  # fmt: skip
    assert api(site, spec).to_csv().splitlines() == expected
    page = ada.get(f"{PAGE}?{query}").text
    figure = chart(page)
    assert [(b["name"], b["y"]) for b in figure["data"]] == [("Sales", [2, 1]), ("Support", [1, 1])]
    assert figure["layout"]["barmode"] == "group"
    assert "1 of 2 users completed the funnel" in re.sub(r"<[^>]+>", "", page)


def test_unordered_and_long_funnels(ada: httpx.Client) -> None:
    # Unordered: row k counts those who did k of the steps within one window: all three did
    # one, ann and bob both (no times: order-free steps have no "previous").
    unordered = csv_lines(ada, funnel_query("report_viewed", "login", order="unordered"))
    assert unordered[1:] == [
        "1,completed 1 step,3,1.0,1.0,0,0.0,,",
        "2,completed 2 steps,2,0.6666666666666666,0.6666666666666666,1,0.3333333333333333,,",
    ]
    # 20 steps, the most a funnel has: login twenty times. ann (d0, d8) and bob (d1, d9) log
    # in twice, 8 days apart; nobody a third time.
    twenty = csv_lines(ada, funnel_query(*["login"] * 20))
    assert len(twenty) == 21
    assert twenty[1:4] == [
        "1,login,3,1.0,1.0,0,0.0,,",
        f"2,login,2,0.6666666666666666,0.6666666666666666,1,0.3333333333333333,"
        f"{8.0 * DAY},{8.0 * DAY}",
        "3,login,0,0.0,0.0,2,1.0,,",
    ]
    assert twenty[20] == "20,login,0,,0.0,0,,,"


def test_the_builder_edits_redirect_to_the_plain_url(ada: httpx.Client) -> None:
    base = funnel_query("login", "report_viewed")
    added = ada.get(f"{PAGE}?{base}&add=1")
    assert added.status_code == 303
    assert added.headers["location"] == f"{PAGE}?{base}&step="
    page = ada.get(added.headers["location"]).text
    # Three fields, the last empty; the funnel is still the two steps.
    assert len(re.findall(r'<input type="text" id="step-\d+" name="step"', page)) == 3
    assert 'id="step-3" name="step" value=""' in page
    removed = ada.get(f"{PAGE}?{funnel_query('login', 'report_viewed', 'login')}&remove=2")
    assert removed.headers["location"] == f"{PAGE}?{funnel_query('login', 'login')}"
    # The filter bar carries the funnel packed in one field; applying it spreads it out again.
    filters = re.search(r'<form class="filters" .*?</form>', page, re.S)
    assert filters
    packed = html.unescape(re.findall(r'name="funnel" value="([^"]*)"', filters.group(0))[0])
    assert packed == "step=login&step=report_viewed&step=&order=ordered&window=14&window_unit=day"
    applied = ada.get(PAGE, params={"from": "2026-01-05", "unit": "account", "funnel": packed})
    assert applied.status_code == 303
    assert parse_qsl(urlsplit(applied.headers["location"]).query, keep_blank_values=True) == [
        ("from", "2026-01-05"), ("unit", "account"),
        ("step", "login"), ("step", "report_viewed"), ("step", ""),
        ("order", "ordered"), ("window", "14"), ("window_unit", "day"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "options", "problem"),
    [
        (["login", "nope"], {}, "Step 2: this project has no event 'nope': check the spelling"),
        (["login", "feature:Nope"], {}, "Step 2: there is no feature 'Nope' (features: Reports,"),
        (["login", "report_*"], {"window": "0"},
         "The conversion window must be a whole number of at least 1, not '0'"),
        (["login", "x*"], {}, "Step 2: no event name matches 'x*' in this project"),
        (["login"] * 21, {}, "A funnel has at most 20 steps, and this one has 21: remove some"),
        (["login", "login"], {"order": "sideways"},
         "Order must be ordered, strict or unordered, not 'sideways'"),
        (["login", "login"], {"window_unit": "year"},
         "The window unit must be one of second, minute, hour, day, week, not 'year'"),
        (["login", "login"], {"breakdown": "user.shoe_size"},
         "There is no property 'user.shoe_size' to break down by in this project"),
    ],
)  # fmt: skip
def test_bad_funnels_are_explained_on_the_page(
    ada: httpx.Client, steps: list[str], options: dict[str, str], problem: str
) -> None:
    query = funnel_query(*steps, **options)
    answer = ada.get(f"{PAGE}?{query}")
    assert answer.status_code == 200
    assert problem in alert(answer.text)
    # No funnel is drawn from a funnel that is not the one asked for, and none can be saved.
    assert 'id="chart-funnel"' not in answer.text
    assert "Show a funnel of two steps or more to save it." in answer.text
    csv = ada.get(f"{PAGE}?{query}&format=csv&table=funnel")
    assert csv.status_code == 400
    assert problem in html.unescape(csv.text)


def test_a_metric_error_is_a_message_too(ada: httpx.Client) -> None:
    # Eleven years is more than the metric allows: its own reason, on the page.
    answer = ada.get(f"{PAGE}?{funnel_query('login', 'login', window='573', window_unit='week')}")
    assert answer.status_code == 200
    assert "is longer than the 10 years allowed" in html.unescape(answer.text)


def test_no_steps_explains_and_offers_an_example(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{RANGE}").text
    assert '<h2 id="build-title">Build a funnel</h2>' in page
    # One click: the workspace's first two features.
    link = re.search(r'<a class="button" href="([^"]+)">Try ([^<]+)</a>', page)
    assert link
    assert html.unescape(link.group(2)) == 'Feature: Reports → Feature: <b>Bold</b> & "quoted"'
    assert parse_qsl(urlsplit(html.unescape(link.group(1))).query)[3:5] == [
        ("step", "feature:Reports"), ("step", 'feature:<b>Bold</b> & "quoted"'),
    ]  # fmt: skip
    one = ada.get(f"{PAGE}?{funnel_query('login')}").text
    assert "Add a second step" in one
    # The step lists offer the features, then the events by use (login 5, report_viewed 3).
    choices = re.search(r'<datalist id="step-choices">(.*?)</datalist>', page, re.S)
    assert choices
    assert re.findall(r'<option value="([^"]*)"', html.unescape(choices.group(1))) == [
        "feature:Reports", "feature:<b>Bold</b> & ", "login", "report_viewed",
    ]  # fmt: skip
    assert "<b>Bold</b>" not in page


def test_needs_a_login_and_data(site: Dashboard, ada: httpx.Client) -> None:
    with site.anonymous() as client:
        assert client.get(PAGE).status_code == 303
        # The builder's redirects too.
        assert client.get(f"{PAGE}?add=1").headers["location"].startswith("/login?next=")
        posted = client.post(f"{PAGE}/saved?{funnel_query('login', 'login')}", data={"name": "x"})
        assert posted.status_code == 303
        assert posted.headers["location"].startswith("/login?next=")
    assert "No data yet" in ada.get("/projects/fresh/funnels").text


def saved_links(page: str) -> list[tuple[str, str]]:
    """(name, link) of the saved funnels listed on a page."""
    listing = re.search(r'<ul class="saved">(.*?)</ul>', page, re.S)
    if listing is None:
        return []
    return [
        (html.unescape(name), html.unescape(url))
        for url, name in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', listing.group(1))
    ]


def save(client: httpx.Client, query: str, name: str, replace: bool = False) -> httpx.Response:
    """Fill in the page's save form and send it."""
    page = client.get(f"{PAGE}?{query}").text
    action = html.unescape(
        re.findall(r'<form class="save-form" method="post" action="([^"]+)"', page)[0]
    )
    data = {"csrf": csrf_of(page.split('class="save-form"')[1]), "name": name}
    if replace:
        data["replace"] = "on"
    return client.post(action, data=data)


def test_save_share_restart_and_delete(tmp_path: Path) -> None:
    with running_dashboard(tmp_path / "home") as site, site.logged_in() as ada:
        query = funnel_query("login", "report_viewed")
        saved = save(ada, query, "Reports after login")
        assert saved.status_code == 303
        plain = (
            f"{PAGE}?{RANGE}&unit=user&step=login&step=report_viewed&order=ordered&window=14"
            "&window_unit=day"
        )
        assert saved.headers["location"] == plain + "#saved-funnels"
        page = ada.get(plain).text
        assert saved_links(page) == [("Reports after login", plain)]
        # It is the funnel on the page: marked as such.
        assert 'aria-current="page">Reports after login</a>' in page

        # A taken name (in any case) is refused unless "Replace" is ticked.
        other = funnel_query("login", "login")
        taken = save(ada, other, "reports AFTER login")
        assert taken.status_code == 409
        assert (
            "a funnel called 'Reports after login' is already saved in acme: tick “Replace” to "
            "overwrite it, or choose another name" in html.unescape(taken.text)
        )
        assert saved_links(ada.get(plain).text)[0][1] == plain
        assert save(ada, other, "Logins", replace=False).status_code == 303
        assert save(ada, query, "Logins", replace=True).status_code == 303
        assert [n for n, _ in saved_links(ada.get(plain).text)] == ["Logins", "Reports after login"]

        # After a restart the list and its links still work (with the same session).
        site.server.stop()
        site.server.start()
        links = dict(saved_links(ada.get(PAGE).text))
        assert links == {"Logins": plain, "Reports after login": plain}
        reopened = ada.get(links["Reports after login"] + "&format=csv&table=funnel")
        assert reopened.text.splitlines()[1:] == [
            "1,login,3,1.0,1.0,0,0.0,,",
            f"2,report_viewed,2,0.6666666666666666,0.6666666666666666,1,0.3333333333333333,"
            f"{4.5 * DAY},{4.5 * DAY}",
        ]

        # Delete, with the session's token, back to the same page.
        page = ada.get(plain).text
        delete = re.search(r'<form method="post" action="([^"]+)">\s*<input type="hidden" '
                           r'name="csrf" value="([^"]+)">\s*<input type="hidden" name="name" '
                           r'value="Logins">', page)  # fmt: skip
        assert delete
        gone = ada.post(
            html.unescape(delete.group(1)), data={"csrf": delete.group(2), "name": "Logins"}
        )
        assert gone.status_code == 303
        assert gone.headers["location"] == plain + "#saved-funnels"
        assert [n for n, _ in saved_links(ada.get(plain).text)] == ["Reports after login"]
        again = ada.post(
            html.unescape(delete.group(1)), data={"csrf": delete.group(2), "name": "Logins"}
        )
        assert again.status_code == 404
        assert "no funnel called &#39;Logins&#39; is saved in acme." in again.text


def test_saving_needs_the_session_token_and_a_funnel(site: Dashboard, ada: httpx.Client) -> None:
    query = funnel_query("login", "report_viewed")
    page = ada.get(f"{PAGE}?{query}").text
    token = csrf_of(page.split('class="save-form"')[1])
    action = f"{PAGE}/saved?{query}"
    for data in ({"name": "x"}, {"name": "x", "csrf": "forged"}):
        refused = ada.post(action, data=data)
        assert refused.status_code == 403
        assert "This form is out of date or came from another site" in refused.text
    # Another site's page posting with a stolen token: the browser says so, and it is refused.
    cross = ada.post(action, data={"name": "x", "csrf": token},
                     headers={"Sec-Fetch-Site": "cross-site"})  # fmt: skip
    assert cross.status_code == 403
    deleting = ada.post(f"{PAGE}/saved/delete", data={"name": "x", "csrf": "forged"})
    assert deleting.status_code == 403
    # A valid token, but nothing worth saving: the page again, saying what to do.
    unbuilt = ada.post(f"{PAGE}/saved?{funnel_query('login')}", data={"name": "x", "csrf": token})
    assert unbuilt.status_code == 400
    assert "Build a funnel of two steps or more, and fix what the page shows, to save it." in (
        unbuilt.text
    )
    bad = ada.post(
        f"{PAGE}/saved?{funnel_query('login', 'nope')}", data={"name": "x", "csrf": token}
    )
    assert bad.status_code == 400
    blank = ada.post(action, data={"name": "  ", "csrf": token})
    assert blank.status_code == 400
    assert "give the funnel a name" in blank.text
    assert saved_links(ada.get(f"{PAGE}?{query}").text) == []
