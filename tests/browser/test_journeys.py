"""The Journeys page in a real browser: reached from the navigation, the funnel chart drawn, its
numbers equal to the JSON API's, the journey selector and options in the URL, the stalled
list's links, CSV download, and the empty state. Screenshots: journeys*.png.

Every test fails on a console error, an uncaught exception or a CSP violation (conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, settled
from tests.browser.test_dashboard import query
from tests.web.dashboard import Dashboard

DEMO = "/projects/demo"


def params(page: Page) -> dict[str, str]:
    """The page URL's query parameters."""
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def column(page: Page, table: str, index: int) -> list[str]:
    """The text of one column of a table on the page."""
    cells = page.locator(f"table[data-table='{table}'] tbody tr td:nth-child({index})")
    return [c.strip() for c in cells.all_inner_texts()]


def funnel_spec(page: Page, journey: str, stalled_after_days: int) -> dict[str, object]:
    """The spec the page computed, from its URL (explicit dates after applying the filters)."""
    p = params(page)
    return {
        "kind": "journey_funnel",
        "journey": journey,
        "from": p["from"],
        "to": p["to"],
        "unit": p.get("unit", "user"),
        "stalled_after_days": stalled_after_days,
        "cohort": params(page).get("cohort", "entered_in_range"),
    }


def test_journeys_page_from_the_navigation_matches_the_api(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO)
    settled(page)
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Journeys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journeys")
    settled(page)
    expect(page.locator("[data-chart='chart-journey'].js-plotly-plot")).to_have_count(1)
    expect(page.get_by_role("heading", name="Stage funnel: Adoption")).to_be_visible()
    # The filter bar's Apply makes every parameter explicit in the URL.
    page.get_by_role("button", name="Apply").click()
    settled(page)
    assert params(page)["journey"] == "Adoption"
    assert params(page)["stalled_after_days"] == "14"
    result = query(site, funnel_spec(page, "Adoption", 14))
    stages = ["Awareness", "Interest", "Evaluation", "Trial", "Adoption"]
    assert result.column("stage") == stages
    assert column(page, "funnel", 1) == stages
    assert column(page, "funnel", 2) == [f"{v:,}" for v in result.column("entered")]
    assert column(page, "funnel", 6) == [f"{v:,}" for v in result.column("current")]
    assert column(page, "funnel", 7) == [f"{v:,}" for v in result.column("stalled")]
    # Whatever the demo's numbers, the funnel never rises and everyone is somewhere.
    entered = result.column("entered")
    assert entered[0] > 0 and entered == sorted(entered, reverse=True)
    assert sum(result.column("current")) == entered[0]
    screenshot(page, "journeys")


def test_choosing_a_journey_and_a_threshold_lives_in_the_url(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/journeys?unit=account")
    settled(page)
    page.get_by_label("Journey", exact=True).select_option("Customer journey")
    page.get_by_label("Cohort").select_option("all")
    page.get_by_label("Stalled after (days)").fill("30")
    page.get_by_role("button", name="Show journey").click()
    settled(page)
    assert params(page)["journey"] == "Customer journey"
    assert params(page)["stalled_after_days"] == "30"
    assert params(page)["unit"] == "account"
    assert params(page)["cohort"] == "all"
    expect(page.get_by_role("heading", name="Stage funnel: Customer journey")).to_be_visible()
    result = query(site, funnel_spec(page, "Customer journey", 30))
    assert column(page, "funnel", 1) == [
        "Reach", "Acquisition", "Conversion", "Retention", "Loyalty",
    ]  # fmt: skip
    assert column(page, "funnel", 2) == [f"{v:,}" for v in result.column("entered")]
    assert column(page, "funnel", 7) == [f"{v:,}" for v in result.column("stalled")]
    # Stalled accounts link to their own pages, with the current filters.
    links = page.locator("table[data-table='stalled'] tbody tr td:first-child a")
    stalled = sum(result.column("stalled"))
    expect(links).to_have_count(min(stalled, 200))
    for href in links.evaluate_all("(els) => els.map((e) => e.getAttribute('href'))"):
        assert href.startswith(DEMO + "/accounts/")
    screenshot(page, "journeys-customer")
    # The stage definitions are one click away.
    page.get_by_text("How the stages are defined").click()
    expect(page.locator("ol.journey-stages li")).to_have_count(5)


def test_the_funnel_downloads_as_the_api_csv(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/journeys")
    settled(page)
    page.get_by_role("button", name="Apply").click()
    settled(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV of Stage funnel").click()
    text = Path(download.value.path()).read_text("utf-8")
    assert text == query(site, funnel_spec(page, "Adoption", 14)).to_csv()


def test_the_keyboard_reaches_the_journey_options(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/journeys")
    settled(page)
    page.get_by_label("Journey", exact=True).focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Cohort")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Stalled after (days)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show journey")).to_be_focused()


def test_a_project_without_journeys_says_how_to_declare_one(page: Page, site: Dashboard) -> None:
    page.goto(site.url + "/projects/acme/journeys")
    expect(page.get_by_role("heading", name="No journeys defined")).to_be_visible()
    expect(page.locator("pre code")).to_have_count(3)
    expect(page.locator("pre code").first).to_contain_text('template = "adoption"')
    screenshot(page, "journeys-empty")
