"""The Retention and Funnels pages in a real browser (the seeded tiny demo): the heatmap drawn
under the CSP and redrawn when an option changes, the numbers equal to the JSON API's; a funnel
built in the page, saved, opened from its saved link in a fresh page, and its CSV downloaded.

Every test fails on a console error, an uncaught exception or a CSP violation (conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlparse

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import Console, screenshot, settled
from tests.web.dashboard import Dashboard
from uptake.result import Result

DEMO = "/projects/demo"


def query(site: Dashboard, spec: dict[str, Any]) -> Result:
    """The JSON API's answer for a spec (read token of the demo project)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/demo/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def params(page: Page) -> dict[str, list[str]]:
    """The page URL's query parameters (every value)."""
    return parse_qs(urlparse(page.url).query, keep_blank_values=True)


def drawn(page: Page, chart: str) -> Any:
    """The data Plotly drew in a chart (its traces, as the browser holds them)."""
    return page.evaluate(
        "(id) => document.querySelector(`[data-chart='${id}']`).data"
        ".map((t) => ({type: t.type, x: t.x, y: t.y, z: t.z}))",
        chart,
    )


def test_retention_heatmap_redraws_when_an_option_changes(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/retention")
    settled(page)
    heatmap = page.locator("[data-chart='chart-retention-heatmap']")
    # The heatmap is a canvas drawn into the SVG as a data: image (allowed by img-src).
    expect(heatmap.locator(".hm image")).to_have_count(1)
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    before = drawn(page, "chart-retention-heatmap")[0]
    assert before["type"] == "heatmap"
    screenshot(page, "retention")

    page.get_by_label("Came back", exact=True).select_option("on_or_after")
    page.get_by_label("Weeks shown", exact=True).fill("4")
    page.get_by_role("button", name="Show", exact=True).click()
    settled(page)
    assert params(page)["retention"] == ["on_or_after"]
    assert params(page)["periods"] == ["4"]
    after = drawn(page, "chart-retention-heatmap")[0]
    assert after["x"] == ["Week 0", "Week 1", "Week 2", "Week 3", "Week 4"]
    assert after["z"] != before["z"]

    # The numbers drawn are the JSON API's for the same spec: the mean row on top, then the
    # cohorts, oldest first.
    date_from = page.get_by_label("From", exact=True).input_value()
    date_to = page.get_by_label("To", exact=True).input_value()
    result = query(site, {"kind": "retention", "from": date_from, "to": date_to,
                          "period": "week", "retention": "on_or_after", "periods": 4})  # fmt: skip
    mean = [r["retention_rate"] for r in result.rows if r["is_mean"]]
    first = min(r["cohort"] for r in result.rows if not r["is_mean"])
    oldest = [r["retention_rate"] for r in result.rows if r["cohort"] == first]
    assert after["z"][0] == mean
    assert after["z"][1] == oldest
    assert drawn(page, "chart-retention-curve")[0]["y"] == mean
    # The filter bar keeps the options: switching to accounts leaves them in the URL.
    page.get_by_label("Count", exact=True).select_option("account")
    page.get_by_role("button", name="Apply").click()
    settled(page)
    assert params(page)["retention"] == ["on_or_after"]
    assert params(page)["unit"] == ["account"]


def test_build_save_and_share_a_funnel(page: Page, site: Dashboard, console: Console) -> None:
    page.goto(site.url + DEMO + "/funnels")
    expect(page.get_by_role("heading", name="Build a funnel")).to_be_visible()
    page.get_by_label("Step 1", exact=True).fill("login")
    page.get_by_label("Step 2", exact=True).fill("feature:Forecasting")
    page.get_by_role("button", name="Add step").click()
    # The script adds the field in place (no round trip) and moves the focus to it.
    expect(page.get_by_label("Step 3", exact=True)).to_be_focused()
    page.keyboard.type("feature:AI assistant")
    page.get_by_role("button", name="Add step").click()
    page.get_by_label("Step 4", exact=True).fill("mistake")
    page.get_by_role("button", name="Remove step 4").click()
    expect(page.get_by_label("Step 4", exact=True)).to_have_count(0)
    # Enter in a field shows the funnel: the form's first submit button is "Show funnel", not a
    # step's "Remove".
    page.get_by_label("Step 3", exact=True).press("Enter")
    settled(page)
    assert params(page)["step"] == ["login", "feature:Forecasting", "feature:AI assistant"]
    bars = drawn(page, "chart-funnel")[0]
    assert bars["type"] == "bar"
    assert bars["x"] == ["1. login", "2. Forecasting", "3. AI assistant"]

    date_from = page.get_by_label("From", exact=True).input_value()
    date_to = page.get_by_label("To", exact=True).input_value()
    steps = ["login", {"feature": "Forecasting"}, {"feature": "AI assistant"}]
    spec = {"kind": "funnel", "from": date_from, "to": date_to, "unit": "user", "steps": steps}
    result = query(site, spec)
    assert bars["y"] == result.column("entities")
    cells = page.locator("table[data-table='funnel'] tbody tr td:nth-child(3)")
    assert cells.all_inner_texts() == [f"{n:,}" for n in result.column("entities")]
    screenshot(page, "funnels")

    page.get_by_label("Name", exact=True).fill("Forecasting to AI")
    page.get_by_role("button", name="Save funnel").click()
    expect(page).to_have_url(re.compile(r"#saved-funnels$"))
    saved = page.locator("#saved-funnels").get_by_role("link", name="Forecasting to AI")
    expect(saved).to_have_attribute("aria-current", "page")
    link = saved.get_attribute("href")
    assert link is not None

    # The saved link in a fresh page shows the same funnel, and its CSV is the API's rows.
    fresh = page.context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.errors.append(f"fresh page: {message.text}")

    fresh.on("console", on_console)
    fresh.goto(site.url + link)
    settled(fresh)
    assert parse_qsl(urlparse(fresh.url).query)[:2] == [("from", date_from), ("to", date_to)]
    assert drawn(fresh, "chart-funnel")[0]["y"] == result.column("entities")
    with fresh.expect_download() as download:
        fresh.get_by_role("link", name="Download CSV of Funnel steps").click()
    assert Path(download.value.path()).read_text("utf-8") == result.to_csv()
    screenshot(fresh, "funnel-saved")
    fresh.close()


def test_funnel_problems_read_well_in_the_browser(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO + "/funnels?step=login&step=no_such_event&window=0")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Step 2: this project has no event 'no_such_event'")
    expect(alert).to_contain_text("The conversion window must be a whole number of at least 1")
    expect(page.get_by_label("Conversion window", exact=True)).to_have_value("0")
    screenshot(page, "funnel-problems")
