"""The Accounts page and an account's page over HTTP on the real server: numbers worked out by
hand from the `acme` story (tests/web/dashboard.py) plus one account sent through the
tracking API (a hostile name and id, no activity), the JSON API giving the same numbers, CSV
downloads, search, the unknown-account 404 and escaping."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from markupsafe import escape

from tests.web.dashboard import Dashboard, running_dashboard

RANGE = "from=2026-01-04&to=2026-01-17"
EVIL_ID = "x/<1>&?#"
EVIL_NAME = "<script>alert('x')</script> & Co"
EVIL_PATH = "/projects/acme/accounts/" + quote(EVIL_ID, safe="")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One server for the module; the acme story gets one more account through a Segment
    group call: a hostile name and id, 5 seats, an MRR, a start date, one user (dee) who never
    did anything."""
    home = tmp_path_factory.mktemp("accounts") / "home"
    with running_dashboard(home, empty=("fresh",)) as dashboard:
        group = {
            "type": "group",
            "userId": "dee",
            "groupId": EVIL_ID,
            "traits": {
                "name": EVIL_NAME,
                "plan": "free",
                "seats": 5,
                "mrr": 99.5,
                "startedAt": "2025-12-01T00:00:00Z",
            },
        }
        with dashboard.server.client() as writer:
            answer = writer.post("/v1/group", json=group)
        assert answer.status_code == 200, answer.text
        yield dashboard


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    """A logged-in client."""
    with site.logged_in() as client:
        yield client


class _Cells(HTMLParser):
    """The text of every cell of every body row of the tables of a page, by table name."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("data-table") or ""
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def cells(page: str, table: str) -> list[list[str]]:
    """The cell texts of one table of a page (as a person reads them)."""
    parser = _Cells()
    parser.feed(page)
    return parser.tables[table]


def facts(page: str) -> dict[str, str]:
    """The account page's header: label -> value."""
    block = page.split("data-facts", 1)[1].split("</dl>", 1)[0]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block, re.S)
    return {html.unescape(k): html.unescape(v) for k, v in pairs}


def query(site: Dashboard, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON API's rows for a spec (read token of acme)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/acme/query", json=spec)
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()["rows"]
    return rows


def test_accounts_csv_worked_out_by_hand(ada: httpx.Client) -> None:
    answer = ada.get(f"/projects/acme/accounts?{RANGE}&format=csv&table=accounts")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="acme-accounts-accounts-2026-01-04-2026-01-17.csv"'
    )
    # Acme Corp (a1): ann and bob, both active; events ann 3 + bob 4 = 7; nothing in the 14
    #   days before, so no change; no profile has a licensed flag, so seats used = active
    #   users (2); no seats, so no utilization; Reports adopted, "Bold" not: 1 of 2; last
    #   activity bob's report_viewed on day 10 (2026-01-14) at noon.
    # Beta Ltd (a2): cat, 1 login on day 2 (2026-01-06).
    # The hostile account: dee, never active: zeros, 0 of 5 seats used.
    assert answer.text.splitlines() == [
        "account_id,name,plan,seats,started_at,renewal_at,churned_at,mrr,users,active_users,"
        "seats_used,seat_utilization,features_adopted,features_total,events,"
        "active_users_previous,active_users_change,last_active_at,seats_used_source",
        "a1,Acme Corp,pro,,,,,,2,2,2,,1,2,7,0,,2026-01-14 12:00:00,active_users",
        "a2,Beta Ltd,,,,,,,1,1,1,,0,2,1,0,,2026-01-06 12:00:00,active_users",
        f"{EVIL_ID},{EVIL_NAME},free,5,2025-12-01 00:00:00,,,99.5,1,0,0,0.0,0,2,0,0,,,active_users",
    ]


def test_accounts_table_equals_the_json_api(site: Dashboard, ada: httpx.Client) -> None:
    page = ada.get(f"/projects/acme/accounts?{RANGE}").text
    spec = {"kind": "account_usage", "unit": "account", "from": "2026-01-04", "to": "2026-01-17"}
    rows = query(site, spec)
    shown = cells(page, "accounts")
    # Account, plan, users, active users, change, seats, seats used, utilization, features
    # adopted, last active: in the API's order (most active first).
    assert shown == [
        ["Acme Corp", "pro", "2", "2", "—", "—", "2", "—", "1", "2026-01-14"],
        ["Beta Ltd", "—", "1", "1", "—", "—", "1", "—", "0", "2026-01-06"],
        [EVIL_NAME, "free", "1", "0", "—", "5", "0", "0.0%", "0", "—"],
    ]
    assert [[r["name"], str(r["users"]), str(r["active_users"])] for r in rows] == [
        row[0:1] + row[2:4] for row in shown
    ]
    assert [str(r["features_adopted"]) for r in rows] == [row[8] for row in shown]
    # The warning rides along to the page.
    assert "No user profile carries a `licensed` flag" in html.unescape(page)


def test_names_link_to_account_pages_with_the_range(ada: httpx.Client) -> None:
    page = ada.get(f"/projects/acme/accounts?{RANGE}").text
    assert (
        'href="/projects/acme/accounts/a1?from=2026-01-04&amp;to=2026-01-17&amp;unit=account"'
        in (page)
    )
    # The hostile id is encoded in the link (/ < > & ? # all escaped).
    assert f'href="{EVIL_PATH}?from=2026-01-04' in page
    assert EVIL_PATH == "/projects/acme/accounts/x%2F%3C1%3E%26%3F%23"


def test_search_by_name(ada: httpx.Client) -> None:
    page = ada.get(f"/projects/acme/accounts?{RANGE}&q=BETA").text
    # Case-insensitive, on the name: only Beta Ltd.
    assert [row[0] for row in cells(page, "accounts")] == ["Beta Ltd"]
    assert 'value="BETA"' in page
    # The CSV of the page is the same search.
    csv = ada.get(f"/projects/acme/accounts?{RANGE}&q=BETA&format=csv&table=accounts").text
    assert [line.split(",")[0] for line in csv.splitlines()[1:]] == ["a2"]
    none = ada.get(f"/projects/acme/accounts?{RANGE}&q=zzz").text
    assert "No accounts match these filters." in none


def test_the_unit_is_always_the_account(ada: httpx.Client) -> None:
    page = ada.get(f"/projects/acme/accounts?{RANGE}&unit=user").text
    # Whatever the URL says, the page counts accounts and says so; the filter bar has no unit
    # control (Page.units is accounts only).
    assert "2026-01-04 to 2026-01-17 · per account" in page
    assert 'id="f-unit"' not in page
    assert len(cells(page, "accounts")) == 3
    # The navigation leaves the pin behind: Activity opens with its own default (users).
    assert 'href="/projects/acme/activity?from=2026-01-04&amp;to=2026-01-17"' in page
    assert 'id="f-unit"' in ada.get(f"/projects/acme/activity?{RANGE}").text


def test_a_user_segment_counts_only_those_users(ada: httpx.Client) -> None:
    page = ada.get(
        f"/projects/acme/accounts?{RANGE}&segment=user.department&segment_value=Sales"
    ).text
    # Sales: ann (Acme Corp) and cat (Beta Ltd); every account stays listed. Acme Corp: ann's
    # 3 events and Reports; Beta Ltd: cat.
    assert [row[:4] + row[8:9] for row in cells(page, "accounts")] == [
        ["Acme Corp", "pro", "1", "1", "1"],
        ["Beta Ltd", "—", "1", "1", "0"],
        [EVIL_NAME, "free", "0", "0", "0"],
    ]


def test_account_page_worked_out_by_hand(site: Dashboard, ada: httpx.Client) -> None:
    answer = ada.get(f"/projects/acme/accounts/a1?{RANGE}")
    assert answer.status_code == 200
    page = answer.text
    assert "<h1>Account: Acme Corp</h1>" in page
    assert facts(page) == {
        "Account id": "a1",
        "Plan": "pro",
        "Seats": "—",
        "Customer since": "—",
        "Renewal": "—",
        "Churned": "—",
        "MRR": "—",
        "Users": "2",
        "Active users": "2",
        "Change in active users": "—",
        "Seats used": "2",
        "Seat utilization": "—",
        "Features adopted": "1 of 2",
        "Last active": "2026-01-14 12:00 UTC",
    }
    # Week 1 (days 0-6): ann (login, report) and bob (login): 2 active, 3 events. Week 2: ann
    # (login day 8), bob (login and report day 9, report day 10): 2 active, 4 events.
    assert cells(page, "active") == [["2026-01-04", "2"], ["2026-01-11", "2"]]
    assert cells(page, "events") == [["2026-01-04", "3"], ["2026-01-11", "4"]]
    # Reports: both users, 3 uses, both first-timers, 2 of 2 active users; days to first use
    # from the release (Jan 4, 00:00) or the signup (first event) if later: ann 1 day, bob
    # 8 days; median 4.5.
    assert cells(page, "features") == [
        ['<b>Bold</b> & "quoted"', "0", "0", "0", "0.0%", "—"],
        ["Reports", "2", "3", "2", "100.0%", "4.5 d"],
    ]
    # Users newest activity first: bob (day 10, 4 events on 3 days), ann (day 8, 3 on 3).
    assert cells(page, "users") == [
        ["bob", "Support", "—", "2026-01-14", "4", "3"],
        ["ann", "Sales", "—", "2026-01-12", "3", "3"],
    ]
    assert 'href="/projects/acme/users/bob?from=2026-01-04&amp;to=2026-01-17&amp;unit=account"' in (
        page
    )
    # The story has no survey answers.
    assert "No NPS answers from this account&#39;s users in this range." in page
    assert "No CSAT answers from this account&#39;s users in this range." in page


def test_account_page_equals_the_json_api(site: Dashboard, ada: httpx.Client) -> None:
    one = [{"property": "account.account_id", "op": "eq", "value": "a1"}]
    base = {"from": "2026-01-04", "to": "2026-01-17", "filters": one}
    page = ada.get(f"/projects/acme/accounts/a1?{RANGE}").text
    (usage,) = query(site, {"kind": "account_usage", "unit": "account", **base})
    shown = facts(page)
    assert [shown["Users"], shown["Active users"], shown["Seats used"]] == [
        str(usage["users"]),
        str(usage["active_users"]),
        str(usage["seats_used"]),
    ]
    trend = query(site, {"kind": "trend", "measure": "total", "period": "week", **base})
    assert [[r["period"], str(r["value"])] for r in trend] == cells(page, "events")


def test_account_csv_downloads(ada: httpx.Client) -> None:
    facts_csv = ada.get(f"/projects/acme/accounts/a1?{RANGE}&format=csv&table=facts")
    assert facts_csv.status_code == 200
    assert facts_csv.text.splitlines()[1] == (
        "a1,Acme Corp,pro,,,,,,2,2,2,,1,2,7,0,,2026-01-14 12:00:00,active_users"
    )
    events = ada.get(f"/projects/acme/accounts/a1?{RANGE}&format=csv&table=events")
    assert events.text.splitlines() == ["period,value", "2026-01-04,3", "2026-01-11,4"]
    users = ada.get(f"/projects/acme/accounts/a1?{RANGE}&format=csv&table=users")
    assert [line.split(",")[0] for line in users.text.splitlines()] == ["user_id", "bob", "ann"]


def test_hostile_account_name_and_id_are_escaped(ada: httpx.Client) -> None:
    answer = ada.get(f"{EVIL_PATH}?{RANGE}")
    assert answer.status_code == 200
    page = answer.text
    assert EVIL_NAME not in page and "<script>alert" not in page
    assert f"<h1>Account: {escape(EVIL_NAME)}</h1>" in page
    shown = facts(page)
    # Never active: no usage, 0 of 5 seats; its start date and MRR from the group call.
    assert shown["Account id"] == EVIL_ID
    assert [shown["Seats"], shown["Seats used"], shown["Seat utilization"]] == ["5", "0", "0.0%"]
    assert [shown["Customer since"], shown["MRR"]] == ["2025-12-01", "99.50"]
    assert cells(page, "active") == [["2026-01-04", "0"], ["2026-01-11", "0"]]
    # dee has no events: listed, never seen.
    assert cells(page, "users") == [["dee", "—", "—", "—", "0", "0"]]
    listing = ada.get(f"/projects/acme/accounts?{RANGE}").text
    assert EVIL_NAME not in listing
    assert str(escape(EVIL_NAME)) in listing


def test_unknown_account_is_a_404_page(ada: httpx.Client) -> None:
    answer = ada.get(f"/projects/acme/accounts/nope?{RANGE}")
    assert answer.status_code == 404
    assert "No such account" in answer.text
    assert (
        "Project &#39;acme&#39; has no account &#39;nope&#39; (not in its accounts, nor on any "
        "event up to 2026-01-17). Pick one on the Accounts page." in answer.text
    )


def test_accounts_pages_need_a_login(site: Dashboard) -> None:
    with site.anonymous() as client:
        for path in ("/projects/acme/accounts", "/projects/acme/accounts/a1"):
            answer = client.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"] == "/login?next=" + quote(path, safe="")


def test_a_project_without_events_says_how_to_send_them(ada: httpx.Client) -> None:
    page = ada.get("/projects/fresh/accounts").text
    assert "No data yet" in page
    assert "uptake keys create --project fresh --kind write" in page


def test_an_account_page_marks_accounts_in_the_navigation(ada: httpx.Client) -> None:
    page = ada.get(f"/projects/acme/accounts/a1?{RANGE}").text
    # Reached from Accounts, not listed itself: the navigation says where it belongs, and the
    # project picker would open Accounts in another project.
    assert re.search(
        r'<a href="/projects/acme/accounts\?[^"]*" aria-current="page">Accounts</a>', page
    )
    assert '<input type="hidden" name="page" value="accounts">' in page
