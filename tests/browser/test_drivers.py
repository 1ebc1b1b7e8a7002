"""The Drivers page in a real browser: the ranking chart and table (the same numbers as the
JSON API), the caveat, recording a key action with the keyboard, and the launch comparison
chosen with the page's own form. Fails on any console error or CSP violation (conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, settled
from tests.web.conftest import RunningServer, create_key, free_port
from tests.web.dashboard import Dashboard, add_user
from tests.web.test_drivers_page import LAUNCH, LAUNCH_FEATURES, RANKING, SIGNUPS, _project


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """This module's server: `signups` (the key-action story) and `launch` (the launch story);
    a read token for `signups`. Overrides the conftest's server for this module."""
    home = tmp_path_factory.mktemp("browser-drivers") / "home"
    _project(home, "signups", SIGNUPS)
    _project(home, "launch", LAUNCH, LAUNCH_FEATURES)
    add_user(home)
    server = RunningServer(
        home, free_port(), create_key(home, "signups", "write"),
        create_key(home, "signups", "read"),
    )  # fmt: skip
    server.start(timeout=300)
    try:
        yield Dashboard(server)
    finally:
        server.stop()


def test_ranking_equals_the_api_and_records_a_key_action(page: Page, site: Dashboard) -> None:
    page.goto(site.url + RANKING)
    settled(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Drivers")
    nav = page.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link", name="Drivers")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Correlation, not causation.")).to_be_visible()
    expect(page.locator("[data-chart='chart-lift'].js-plotly-plot")).to_have_count(1)
    screenshot(page, "drivers")

    spec = {"kind": "key_action_discovery", "from": "2026-01-04", "to": "2026-02-13"}
    with site.server.reader() as reader:
        api = reader.post("/api/projects/signups/query", json=spec).json()
    rows = page.locator("table[data-table='key_actions'] tbody tr")
    expect(rows).to_have_count(len(api["rows"]))
    for i, row in enumerate(api["rows"]):
        cells = rows.nth(i).locator("td")
        expect(cells.nth(0)).to_have_text(row["event"])
        lift = "—" if row["lift"] is None else f"{row['lift'] * 100:+.1f} pts"
        expect(cells.nth(5)).to_have_text(lift)

    # Keyboard only: focus the export row's button and press Enter.
    button = page.get_by_role("button", name="Use as key action: export")
    button.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"notice=recorded&key_action=export$"))
    settled(page)
    expect(page.locator("[data-notice]")).to_contain_text("Recorded key action 'export'")
    expect(page.locator("tr[data-event='export']")).to_contain_text("Already a key action")
    # The filters survived the round trip.
    assert "from=2026-01-04&to=2026-02-13" in page.url
    screenshot(page, "drivers-recorded")


def test_launch_impact_chosen_with_the_form(page: Page, site: Dashboard) -> None:
    page.goto(site.url + "/projects/launch/drivers?from=2026-01-04&to=2026-02-01")
    settled(page)
    # 28 days after the launch reach past `to`: the page says so and how to fix it.
    expect(page.get_by_text("the after window ends on 2026-02-15")).to_be_visible()
    page.get_by_label("Feature", exact=True).select_option("Reports")
    page.get_by_label("Days before and after").select_option("14")
    page.get_by_role("button", name="Compare").click()
    settled(page)
    assert "launch_window_days=14" in page.url and "feature=Reports" in page.url
    expect(page.locator("[data-did]")).to_contain_text("+0.54")
    expect(page.locator("[data-chart='chart-launch'].js-plotly-plot")).to_have_count(1)
    expect(page.locator("[data-launch-warnings]")).to_contain_text("Adopters chose to adopt")
    screenshot(page, "drivers-launch")
