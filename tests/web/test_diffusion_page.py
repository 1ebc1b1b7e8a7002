"""The Diffusion page over HTTP on the real server: the `acme` story's counts (worked out by
hand, see tests/web/dashboard.py), the Bass warnings shown prominently, the page's controls in
the URL, and CSV downloads equal to the JSON API's answer for the same spec."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.web.dashboard import Dashboard, running_dashboard
from uptake.result import Result

PAGE = "/projects/acme/diffusion"
RANGE = "from=2026-01-04&to=2026-01-17&period=week"
# The spec the page runs by default on acme: Reports is the only feature with a release date,
# so it is chosen and launched at its release (2026-01-04).
SPEC = {
    "kind": "bass_forecast",
    "from": "2026-01-04",
    "to": "2026-01-17",
    "unit": "user",
    "period": "week",
    "launch": "release",
    "feature": "Reports",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One server for the module (pages only read)."""
    home = tmp_path_factory.mktemp("diffusion") / "home"
    with running_dashboard(home, empty=("fresh",)) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    """A logged-in client."""
    with site.logged_in() as client:
        yield client


def api(site: Dashboard, spec: dict[str, object]) -> Result:
    """The JSON API's answer (read token of acme)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/acme/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def cells(page: str, table: str) -> list[list[str]]:
    """The text of a table's body cells, row by row."""
    body = re.search(rf'data-table="{table}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, f"no table {table}"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
    ]


def test_needs_a_login(site: Dashboard) -> None:
    with site.anonymous() as client:
        assert client.get(PAGE).status_code == 303


def test_defaults_to_the_released_feature_and_counts_its_adopters(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{RANGE}")
    assert page.status_code == 200
    text = page.text
    # Reports is chosen and launched at its release.
    assert '<option value="feature:Reports" selected>' in text
    assert '<option value="release" selected>' in text
    # ann first viewed a report on day 1 (week of Jan 4), bob on day 9 (week of Jan 11): one new
    # adopter each week, two to date; no fit, so no fitted values and no forecast rows.
    assert cells(text, "forecast") == [
        ["2026-01-04", "1", "1", "—", "—", "—", "—", "False"],
        ["2026-01-11", "1", "2", "—", "—", "—", "—", "False"],
    ]


def test_too_few_periods_are_said_prominently(ada: httpx.Client) -> None:
    text = ada.get(f"{PAGE}?{RANGE}").text
    warning = re.search(
        r"<div class=\"alert warning\" role=\"status\" data-bass-warnings>(.*?)</div>", text, re.S
    )
    assert warning, "no warning block"
    said = html.unescape(warning.group(1))
    assert "The model is not identified from these data" in said
    assert "Only 2 period(s) with data: the Bass model needs at least 5" in said
    assert 'data-bass-status="not_identified"' in text


def test_page_and_api_agree(site: Dashboard, ada: httpx.Client) -> None:
    csv = ada.get(f"{PAGE}?{RANGE}&format=csv&table=forecast")
    assert csv.status_code == 200
    assert csv.text == api(site, SPEC).to_csv()


def test_product_with_signup_launch_is_a_url_away(site: Dashboard, ada: httpx.Client) -> None:
    # adopt= (empty) is the product: first activity of ann d0, bob d1, cat d2 -> all in the
    # week of Jan 4; launched at each one's signup (their first event).
    page = ada.get(f"{PAGE}?{RANGE}&adopt=&launch=signup")
    assert page.status_code == 200
    assert '<option value="" selected>' in page.text
    assert cells(page.text, "forecast")[0][:3] == ["2026-01-04", "3", "3"]
    csv = ada.get(f"{PAGE}?{RANGE}&adopt=&launch=signup&format=csv&table=forecast")
    spec = {k: v for k, v in SPEC.items() if k != "feature"} | {"launch": "signup"}
    assert csv.text == api(site, spec).to_csv()


def test_release_launch_falls_back_to_signup_for_the_product(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{RANGE}&adopt=&launch=release")
    assert page.status_code == 200
    assert '<option value="signup" selected>' in page.text


def test_unknown_feature_is_reported_and_the_default_shown(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{RANGE}&adopt=feature:Nope")
    assert page.status_code == 200
    assert "there is no feature &#39;feature:Nope&#39;" in page.text
    assert '<option value="feature:Reports" selected>' in page.text


def test_feature_names_are_escaped(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{RANGE}")
    assert "<b>Bold</b>" not in page.text
    assert "Feature: &lt;b&gt;Bold&lt;/b&gt; &amp;" in page.text


def test_project_without_events_says_how_to_send_them(ada: httpx.Client) -> None:
    page = ada.get("/projects/fresh/diffusion")
    assert page.status_code == 200
    assert "No data yet" in page.text


def test_listed_in_the_navigation(ada: httpx.Client) -> None:
    page = ada.get("/projects/acme")
    assert re.search(r'<a href="/projects/acme/diffusion\?[^"]*">Diffusion</a>', page.text)


def test_members_table_lists_each_adopter_with_days_to_adopt(ada: httpx.Client) -> None:
    # Launch = the later of the release (Jan 4, 00:00) and the signup (first event, no
    # profile dates): ann launches d0 noon and adopts d1 noon -> 1.0 day; bob launches d1 noon
    # (his first login) and adopts d9 noon -> 8.0 days. cat never viewed a report: listed as
    # a non-adopter, without days.
    rows = cells(ada.get(f"{PAGE}?{RANGE}").text, "adopters")
    assert sorted((r[0], r[4]) for r in rows) == [("ann", "1.0 d"), ("bob", "8.0 d"), ("cat", "—")]
