"""Users and Satisfaction in a real browser on the seeded demo: search a user, open their
timeline, page to older events, open Satisfaction; numbers equal to the JSON API's; no console
errors or CSP violations (conftest.py); screenshots for a person to look at."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, settled
from tests.web.dashboard import Dashboard
from uptake.result import Result
from uptake.web.pages.formatting import format_value

DEMO = "/projects/demo"


def api(site: Dashboard, spec: dict[str, Any]) -> Result:
    """The JSON API's answer for a spec (read token of the demo project)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/demo/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def shown_range(page: Page) -> dict[str, str]:
    """The filter bar's dates."""
    return {
        "from": page.get_by_label("From", exact=True).input_value(),
        "to": page.get_by_label("To", exact=True).input_value(),
    }


def test_search_a_user_open_their_timeline_and_page_older(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO)
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    screenshot(page, "users")
    page.get_by_label("Search users").fill("Juniper")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/projects/demo/users\?.*q=Juniper"))
    # The count and the first row are the JSON API's for the same search.
    expected = api(
        site,
        {
            "kind": "user_search",
            **shown_range(page),
            "q": "Juniper",
            "traits": ["department", "role", "site"],
        },
    )
    assert expected.rows, "the demo has users at Juniper Realty"
    matches = page.locator("[data-matches]")
    expect(matches).to_have_attribute("data-matches", str(expected.summary["matches"]))
    first = expected.rows[0]
    table = page.locator("table[data-table='users']")
    row = table.locator("tbody tr").first
    expect(row.locator("td").first).to_have_text(first["user_id"])
    expect(row.locator("td").nth(1)).to_have_text("Juniper Realty")
    screenshot(page, "users-search")

    row.get_by_role("link", name=first["user_id"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"User: {first['user_id']}")
    settled(page)
    expect(page.locator("[data-chart='chart-user-activity'].js-plotly-plot")).to_have_count(1)
    timeline = page.locator("table[data-table='timeline'] tbody tr")
    # The newest page: 50 events, more than that in the range.
    assert first["events_in_range"] > 50
    expect(timeline).to_have_count(50)
    newest = timeline.first.locator("td").first.inner_text().strip()
    screenshot(page, "user")

    page.get_by_role("link", name="Older events →").click()
    expect(page).to_have_url(re.compile(r"before=.*before_id="))
    expect(page.get_by_role("link", name="← Newest events")).to_be_visible()
    older = page.locator("table[data-table='timeline'] tbody tr")
    expect(older).to_have_count(min(50, first["events_in_range"] - 50))
    assert older.first.locator("td").first.inner_text().strip() < newest
    screenshot(page, "user-older")


def test_satisfaction_charts_and_numbers(page: Page, site: Dashboard) -> None:
    page.goto(site.url + DEMO)
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Satisfaction").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Satisfaction")
    settled(page)
    # NPS with its band, the answer groups, CSAT, task completion.
    expect(page.locator(".js-plotly-plot")).to_have_count(4)
    expect(page.get_by_role("heading", name=re.compile("confidence interval"))).to_be_visible()
    period = page.get_by_label("Period", exact=True).input_value()
    spec = {"kind": "nps", **shown_range(page), "period": period}
    nps = api(site, spec)
    answered = [r for r in nps.rows if r["nps"] is not None]
    assert answered, "the demo has NPS answers in its default range"
    panel = page.locator("section.panel", has=page.locator("table[data-table='nps']"))
    panel.locator("summary").click()
    cells = page.locator("table[data-table='nps'] tbody tr").nth(nps.rows.index(answered[-1]))
    expect(cells.locator("td").nth(2)).to_have_text(format_value(answered[-1]["nps"], "score"))
    # Hovering the NPS chart shows the interval in the unified label.
    plot = page.locator("[data-chart='chart-nps'] .nsewdrag").first
    box = plot.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 5, box["y"] + box["height"] / 2)
    expect(page.locator("[data-chart='chart-nps'] .hoverlayer")).to_contain_text("NPS")
    screenshot(page, "satisfaction")
