"""The Paths page in a real browser: the empty state's suggestion, the Sankey drawn as SVG with
hover, the controls in the URL, the edge table and its CSV equal to the JSON API's answer.

Every test fails on a console error, an uncaught exception or a CSP violation (conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, settled
from tests.web.dashboard import Dashboard
from uptake.result import Result

DEMO = "/projects/demo/paths"


def query(site: Dashboard, spec: dict[str, Any]) -> Result:
    """The JSON API's answer for a spec (read token of the demo project)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/demo/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def params(page: Page) -> dict[str, str]:
    """The page URL's query parameters."""
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def spec_of(page: Page) -> dict[str, Any]:
    """The `paths` spec the page's URL stands for."""
    p = params(page)
    spec: dict[str, Any] = {
        "kind": "paths",
        "from": p["from"],
        "to": p["to"],
        "unit": p["unit"],
        "direction": p["direction"],
        "steps": int(p["steps"]),
    }
    anchor = p["anchor"]
    if anchor.startswith("feature:"):
        spec["feature"] = anchor.removeprefix("feature:")
    else:
        spec["event"] = anchor
    if p.get("exclude"):
        spec["exclude"] = [e.strip() for e in p["exclude"].split(",")]
    return spec


def table_rows(page: Page) -> list[list[str]]:
    """The edge table's cells as shown."""
    rows = page.locator("table[data-table='paths'] tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def test_from_the_suggestion_to_a_sankey_equal_to_the_api(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO)
    settled(page)
    expect(page.get_by_role("heading", name="Choose where the paths start")).to_be_visible()
    screenshot(page, "paths-empty")
    suggestion = page.locator(".empty-state a")
    event = suggestion.inner_text()
    suggestion.click()
    settled(page)
    assert params(page)["anchor"] == event
    expect(page.get_by_label("Start from", exact=True)).to_have_value(event)
    # Plotly draws the Sankey as SVG: one node group per (step, event).
    expect(page.locator(".js-plotly-plot")).to_have_count(1)
    result = query(site, spec_of(page))
    nodes = 1 + len({(r["step"], r["to_event"]) for r in result.rows})
    expect(page.locator("[data-chart='chart-paths'] g.sankey-node")).to_have_count(nodes)
    expect(page.locator("[data-chart='chart-paths'] canvas")).to_have_count(0)
    # The table is the API's rows, numbers formatted for people.
    shown = table_rows(page)
    assert [row[:3] for row in shown] == [
        [str(r["step"]), r["from_event"], r["to_event"]] for r in result.rows
    ]
    assert [row[3] for row in shown] == [f"{r['units']:,}" for r in result.rows]
    assert result.summary["anchor_units"] == sum(r["units"] for r in result.rows if r["step"] == 1)
    # Hovering the anchor's node tells how many did it.
    anchor_node = page.locator("[data-chart='chart-paths'] g.sankey-node .node-rect").first
    anchor_node.hover()
    expect(page.locator("[data-chart='chart-paths'] .hoverlayer")).to_contain_text(
        f"step 0: {event}"
    )
    screenshot(page, "paths")


def test_controls_live_in_the_url_and_csv_is_the_api_result(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO)
    settled(page)
    event = page.locator(".empty-state a").inner_text()
    page.get_by_label("Start from", exact=True).select_option(event)
    page.get_by_label("Direction", exact=True).select_option("before")
    page.get_by_label("Steps", exact=True).select_option("2")
    page.get_by_role("button", name="Show paths").click()
    settled(page)
    assert params(page)["direction"] == "before"
    assert params(page)["steps"] == "2"
    steps = {int(row[0]) for row in table_rows(page)}
    assert steps <= {1, 2}
    expect(page.locator("[data-chart='chart-paths']")).to_contain_text("step -1:")
    screenshot(page, "paths-before")
    # The filter bar keeps the path options.
    page.get_by_label("Count", exact=True).select_option("account")
    page.get_by_role("button", name="Apply").click()
    settled(page)
    assert params(page)["unit"] == "account"
    assert params(page)["direction"] == "before"
    assert params(page)["anchor"] == event
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV of Path edges").click()
    saved = Path(download.value.path()).read_text("utf-8")
    assert saved == query(site, spec_of(page)).to_csv()


def test_keyboard_reaches_the_path_options(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO)
    settled(page)
    page.get_by_label("Start from", exact=True).focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Direction", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Steps", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Leave out events", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show paths")).to_be_focused()
