"""The dashboard in a real browser: log in, every page, filters in the URL, CSV export, sorting,
keyboard use, and numbers that equal the JSON API's answers for the same spec.

Every test fails on a console error, an uncaught exception or a CSP violation (conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.browser.conftest import Console, screenshot, settled
from tests.web.dashboard import PASSWORD, USER, Dashboard
from uptake.result import Result

DEMO = "/projects/demo"


def query(site: Dashboard, spec: dict[str, Any]) -> Result:
    """The JSON API's answer for a spec (read token of the demo project)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/demo/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def params(page: Page) -> dict[str, str]:
    """The page URL's query parameters."""
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def card(page: Page, key: str) -> str:
    """The big number of a KPI card."""
    return page.locator(f"[data-kpi='{key}'] [data-kpi-value]").inner_text().strip()


def test_login_logout_and_project_picker(
    anonymous: Page, site: Dashboard, console: Console
) -> None:
    page = anonymous
    console.expect("status of 401")  # the failed login's answer
    page.goto(site.url + DEMO + "/features")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fprojects%2Fdemo%2Ffeatures$"))
    screenshot(page, "login")
    page.get_by_label("User name", exact=True).fill(USER)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Unknown user name or wrong password.")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Back where the login started.
    expect(page).to_have_url(site.url + DEMO + "/features")
    expect(page.get_by_role("heading", level=1)).to_have_text("Features")
    page.get_by_label("Project", exact=True).select_option("acme")
    page.get_by_role("button", name="Open").click()
    expect(page).to_have_url(site.url + "/projects/acme/features?unit=user")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(site.url + DEMO)
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_every_page(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO)
    settled(page)
    expect(page.locator(".kpi")).to_have_count(9)
    expect(page.locator("[data-kpi='wau'] svg.sparkline")).to_be_visible()
    screenshot(page, "overview")
    nav = page.get_by_role("navigation", name="Pages")
    for label, heading, charts in (
        ("Features", "Features", 0),
        ("Activity", "Activity", 4),
    ):
        nav.get_by_role("link", name=label).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        settled(page)
        expect(page.locator(".js-plotly-plot")).to_have_count(charts)
        expect(nav.get_by_role("link", name=label)).to_have_attribute("aria-current", "page")
        screenshot(page, label.lower())
    nav.get_by_role("link", name="Features").click()
    page.get_by_role("link", name="AI assistant").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feature: AI assistant")
    settled(page)
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    expect(page.get_by_role("heading", name="Adopters by account")).to_be_visible()
    expect(page.get_by_role("heading", name="Adopters by department")).to_be_visible()
    screenshot(page, "feature")


def test_charts_are_interactive(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/activity")
    settled(page)
    plot = page.locator("[data-chart='chart-lifecycle'] .nsewdrag").first
    box = plot.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # Plotly's unified hover label lists the four lifecycle statuses of that period.
    expect(page.locator("[data-chart='chart-lifecycle'] .hoverlayer")).to_contain_text("dormant")
    # The mode bar's PNG download draws the SVG into an image: allowed by img-src data:/blob:.
    with page.expect_download() as download:
        page.locator("[data-chart='chart-lifecycle'] [data-title='Download plot as a PNG']").click()
    assert download.value.suggested_filename == "chart-lifecycle.png"
    assert Path(download.value.path()).read_bytes().startswith(b"\x89PNG")


def test_filters_live_in_the_url_and_change_the_numbers(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO)
    settled(page)
    users = card(page, "wau")
    page.get_by_label("Count", exact=True).select_option("account")
    page.get_by_role("button", name="Apply").click()
    settled(page)
    assert params(page)["unit"] == "account"
    expect(page.get_by_role("heading", name="Weekly active accounts")).to_be_visible()
    accounts = card(page, "wau")
    # The demo has 80 users in 11 accounts: far fewer accounts than users are active.
    assert int(accounts) < int(users)

    page.get_by_label("Count", exact=True).select_option("user")
    page.get_by_label("Segment by", exact=True).select_option("user.department")
    # The values come from the data, fetched when the property is chosen.
    values = page.get_by_label("Equal to", exact=True)
    expect(values).to_be_enabled()
    expect(values.locator("option", has_text="Sales")).to_have_count(1)
    values.select_option("Sales")
    page.get_by_role("button", name="Apply").click()
    settled(page)
    assert params(page)["segment"] == "user.department"
    assert params(page)["segment_value"] == "Sales"
    expect(page.locator(".subtitle")).to_contain_text("segment: department = Sales")
    assert int(card(page, "wau")) < int(users)

    page.get_by_label("From", exact=True).fill("2026-09-06")
    page.get_by_label("To", exact=True).fill("2026-10-31")
    page.get_by_role("button", name="Apply").click()
    settled(page)
    assert params(page)["from"] == "2026-09-06"
    assert params(page)["to"] == "2026-10-31"
    # Reloading the URL reproduces the view.
    shown = card(page, "wau")
    page.reload()
    assert card(page, "wau") == shown
    expect(page.get_by_label("Equal to", exact=True)).to_have_value("Sales")


def test_overview_numbers_equal_the_json_api(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO)
    settled(page)
    date_from = page.get_by_label("From", exact=True).input_value()
    date_to = page.get_by_label("To", exact=True).input_value()
    base = {"from": date_from, "to": date_to, "unit": "user", "period": "week"}
    for key, measure in (("wau", "wau"), ("mau", "mau")):
        result = query(site, {"kind": "trend", "measure": measure, **base})
        # The default range ends on a week's last day, so the last row is the card's week.
        assert card(page, key) == f"{result.rows[-1]['value']:,.0f}"
    features = query(site, {"kind": "feature_adoption", "from": date_from, "to": date_to})
    reports = next(r for r in features.rows if r["feature"] == "Reports")
    row = page.locator("table[data-table='features'] tr", has_text="Reports")
    expect(row.locator("td").nth(1)).to_have_text(f"{reports['users']:,}")


def test_csv_export_is_the_api_result(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/features?from=2026-08-02&to=2026-10-31")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV of Feature adoption").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename == "demo-features-features-2026-08-02-2026-10-31.csv"
    spec = {"kind": "feature_adoption", "from": "2026-08-02", "to": "2026-10-31", "unit": "user"}
    assert saved.read_text("utf-8") == query(site, spec).to_csv()


def test_tables_sort_by_a_column(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/features")
    table = page.locator("table[data-table='features']")
    header = table.get_by_role("button", name="Uses", exact=True)
    column = table.locator("tbody tr td:nth-child(3)")

    def uses() -> list[int]:
        return [int(t.replace(",", "")) for t in column.all_inner_texts()]

    header.click()
    expect(table.locator("th").nth(2)).to_have_attribute("aria-sort", "descending")
    assert uses() == sorted(uses(), reverse=True)
    header.click()
    expect(table.locator("th").nth(2)).to_have_attribute("aria-sort", "ascending")
    assert uses() == sorted(uses())


def test_keyboard_reaches_the_content(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/features")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The first control after the skip link's target is the filter bar's first field.
    expect(page.get_by_label("From", exact=True)).to_be_focused()
    # Table headings are buttons: Enter sorts.
    button = page.locator("table[data-table='features']").get_by_role(
        "button", name="Users", exact=True
    )
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("table[data-table='features'] th").nth(1)).to_have_attribute(
        "aria-sort", "descending"
    )


def test_bad_filter_is_reported_and_the_page_kept(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/activity?from=2026-02-30&period=year")
    settled(page)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("`from`: '2026-02-30' is not a date (use YYYY-MM-DD)")
    expect(alert).to_contain_text("`period` must be day or week or month here, not 'year'")
    expect(page.locator(".js-plotly-plot")).to_have_count(4)
    screenshot(page, "bad-filter")


def test_empty_project_says_how_to_send_events(page: Page, site: Dashboard) -> None:
    page.goto(site.url + "/projects/empty")
    expect(page.get_by_role("heading", name="No data yet")).to_be_visible()
    expect(page.locator(".empty-state")).to_contain_text(site.url + "/v1/track")
    screenshot(page, "empty")


def test_pages_read_at_1280_by_800(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/activity")
    settled(page)
    # Nothing wider than the window: no sideways scrolling at 1280 px.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280
