"""The Diffusion page in a real browser on the seeded demo: charts drawn without console errors
or CSP violations, the feature switch kept in the URL, and the table equal to the JSON API's
answer for the same spec. Screenshots: diffusion.png, diffusion-switched.png."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote_plus, urlparse

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, settled
from tests.web.dashboard import Dashboard
from uptake.result import Result

DIFFUSION = "/projects/demo/diffusion"


def api(site: Dashboard, spec: dict[str, object]) -> Result:
    """The JSON API's answer for a spec (read token of the demo project)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/demo/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def spec_of(page: Page) -> dict[str, object]:
    """The bass_forecast spec the page's URL asks for."""
    query = {k: v[0] for k, v in parse_qs(urlparse(page.url).query, keep_blank_values=True).items()}
    spec: dict[str, object] = {
        "kind": "bass_forecast",
        "from": query["from"],
        "to": query["to"],
        "unit": query["unit"],
        "period": query["period"],
        "launch": query["launch"],
    }
    if query["adopt"]:
        spec["feature"] = query["adopt"].removeprefix("feature:")
    return spec


def test_open_diffusion_switch_feature_and_match_the_api(page: Page, site: Dashboard) -> None:
    page.goto(site.url + "/projects/demo")
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Diffusion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Diffusion")
    settled(page)
    expect(page.locator("[data-chart='chart-s-curve'] .main-svg").first).to_be_visible()
    screenshot(page, "diffusion")

    choice = page.get_by_label("Adoption of")
    first = choice.input_value()
    assert first.startswith("feature:")  # the demo's features have release dates
    values = [o.get_attribute("value") for o in choice.locator("option").all()]
    other = next(v for v in values if v and v != first)
    choice.select_option(other)
    page.get_by_role("button", name="Show diffusion").click()
    expect(page).to_have_url(re.compile(re.escape("adopt=" + quote_plus(other))))
    settled(page)
    expect(page.locator("[data-chart='chart-s-curve'] .main-svg").first).to_be_visible()
    screenshot(page, "diffusion-switched")

    result = api(site, spec_of(page))
    rows = page.locator("table[data-table='forecast'] tbody tr")
    expect(rows).to_have_count(len(result.rows))
    shown = [
        (rows.nth(i).locator("td").nth(0).text_content() or "").strip()
        for i in range(len(result.rows))
    ]
    assert shown == [str(r["period"]) for r in result.rows]
    to_date = rows.nth(0).locator("td").nth(2).text_content() or ""
    assert to_date.strip() == f"{result.rows[0]['cumulative']:,}"
    status = page.locator("[data-bass-status]").get_attribute("data-bass-status")
    assert status == result.summary["status"]


def test_keyboard_reaches_the_diffusion_controls(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DIFFUSION)
    settled(page)
    page.get_by_label("Launch (time zero)").focus()
    expect(page.get_by_label("Launch (time zero)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show diffusion")).to_be_focused()
