"""The Accounts page and an account's page in a real browser, on the seeded tiny demo: sort a
column, search by name, open an account, its numbers equal to the JSON API's; screenshots.

Every test fails on a console error, an uncaught exception or a CSP violation (conftest.py).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.browser.conftest import Console, screenshot, settled
from tests.web.dashboard import Dashboard

ACCOUNTS = "/projects/demo/accounts"


def query(site: Dashboard, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON API's rows for a spec (read token of the demo project)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/demo/query", json=spec)
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()["rows"]
    return rows


def usage_spec(page: Page, *filters: dict[str, Any]) -> dict[str, Any]:
    """The account_usage spec of the range the page shows."""
    return {
        "kind": "account_usage",
        "from": page.get_by_label("From", exact=True).input_value(),
        "to": page.get_by_label("To", exact=True).input_value(),
        "filters": list(filters),
    }


def test_accounts_table_sorts_and_equals_the_api(page: Page, site: Dashboard) -> None:
    page.goto(site.url + ACCOUNTS)
    settled(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    nav = page.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link", name="Accounts")).to_have_attribute("aria-current", "page")
    # Always per account: the unit control is hidden.
    expect(page.get_by_label("Count", exact=True)).to_be_hidden()
    table = page.locator("table[data-table='accounts']")
    rows = query(site, usage_spec(page))
    # Most active first, as the API orders them; the demo's leads have no activity.
    names = [r["name"] or r["account_id"] for r in rows]
    expect(table.locator("tbody tr td:nth-child(1)")).to_have_text(names)
    expect(table.locator("tbody tr td:nth-child(4)")).to_have_text(
        [f"{r['active_users']:,}" for r in rows]
    )
    screenshot(page, "accounts")

    header = table.get_by_role("button", name="Seats used", exact=True)
    column = table.locator("tbody tr td:nth-child(7)")

    def seats_used() -> list[int]:
        return [int(t.replace(",", "")) for t in column.all_inner_texts()]

    header.click()
    expect(table.locator("th").nth(6)).to_have_attribute("aria-sort", "descending")
    assert seats_used() == sorted(seats_used(), reverse=True)
    header.press("Enter")
    expect(table.locator("th").nth(6)).to_have_attribute("aria-sort", "ascending")
    assert seats_used() == sorted(seats_used())


def test_search_then_open_an_account(page: Page, site: Dashboard) -> None:
    page.goto(site.url + ACCOUNTS)
    table = page.locator("table[data-table='accounts']")
    first = table.locator("tbody tr td:nth-child(1)").first.inner_text().strip()
    # Search for the first word of the most active account's name, in lower case.
    needle = first.split()[0].lower()
    box = page.get_by_label("Find an account by name", exact=True)
    box.fill(needle)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    assert parse_qs(urlparse(page.url).query)["q"] == [needle]
    matching = query(
        site, usage_spec(page, {"property": "account.name", "op": "contains", "value": needle})
    )
    shown = table.locator("tbody tr td:nth-child(1)")
    expect(shown).to_have_text([r["name"] for r in matching])
    assert all(needle in name.lower() for name in shown.all_inner_texts())
    screenshot(page, "accounts-search")

    shown.first.get_by_role("link").click()
    account = matching[0]
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Account: {account['name']}")
    settled(page)
    # Active users and events per period at least; NPS and CSAT when its users answered.
    assert page.locator(".js-plotly-plot").count() >= 2
    facts = page.locator("[data-facts]")
    expect(facts.locator("div", has_text="Account id").locator("dd")).to_have_text(
        account["account_id"]
    )
    expect(facts.locator("div", has_text=re.compile(r"^Active users")).locator("dd")).to_have_text(
        f"{account['active_users']:,}"
    )
    users = page.locator("table[data-table='users'] tbody tr")
    expect(users.first).to_be_visible()
    # Each user links to their timeline on the Users page.
    link = users.first.get_by_role("link")
    expect(link).to_have_attribute("href", re.compile(r"^/projects/demo/users/[^?]+\?from="))
    screenshot(page, "account")
    page.get_by_role("link", name="← All accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")


def test_unknown_account_page(page: Page, site: Dashboard, console: Console) -> None:
    console.expect("status of 404")  # the page's own answer
    page.goto(site.url + ACCOUNTS + "/no-such-account")
    expect(page.get_by_role("heading", level=1)).to_have_text("No such account")
    expect(page.get_by_text("Pick one on the Accounts page.", exact=False)).to_be_visible()
