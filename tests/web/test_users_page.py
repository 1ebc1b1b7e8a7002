"""The Users page and a person's page over HTTP on the real server: the search, the profile,
events per period, the paged timeline and survey answers, worked out by hand from the `acme`
story (tests/web/dashboard.py) plus the people and answers below; equal to the JSON API; a
hostile user id encoded in links and escaped in pages."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import TEST_SETTINGS, load_store
from tests.stories import Story, day, journeys, response, user
from tests.web.conftest import PROJECT, RunningServer, create_key, free_port, make_home
from tests.web.dashboard import Dashboard, add_user, make_acme
from uptake.result import Result
from uptake.server.home import ServerHome
from uptake.store import Store

# Every character a path or a page could trip on.
HOSTILE = "a/b?c#d<e>&f"
RANGE = "from=2026-01-04&to=2026-01-17"

# Added to the acme story (ann, bob, cat: see tests/web/dashboard.py):
#   HOSTILE (profile: Beta Ltd, Ops): login d3 09:00, bold_clicked d4 10:00
#   pat (no profile, events on Beta Ltd): 52 logins, one an hour: d5 00:00 .. d7 03:00
#   survey answers (week 1 = Jan 4-10, week 2 = Jan 11-17):
#     nps:  ann d1 9 and d5 3 (her latest in week 1), bob d2 6, HOSTILE d3 8, pat d4 10,
#           cat d9 10
#     csat: bob d2 2, cat d2 5, ann d8 4, HOSTILE d9 7 (not on the 1-5 scale)
#     task: bob d9 1, cat d9 0, ann d10 1
#     onboarding_nps (another name): ann d2 10
PAT_TIMES = [day(5, h) for h in range(24)] + [day(6, h) for h in range(24)]
PAT_TIMES += [day(7, h) for h in range(4)]
EXTRA = journeys(
    {
        HOSTILE: [("login", day(3, 9)), ("bold_clicked", day(4, 10), {"x": "<i>1</i>"})],
        "pat": [("login", when) for when in PAT_TIMES],
    },
    users={
        HOSTILE: user(account="a2", department="Ops"),
        "ann": user(account="a1"),
        "bob": user(account="a1"),
        "cat": user(account="a2"),
    },
    account_of={"pat": "a2"},
    responses=[
        response("ann", "nps", day(1, 8), 9, "Great <b>reports</b>"),
        response("ann", "nps", day(5), 3),
        response("bob", "nps", day(2), 6),
        response(HOSTILE, "nps", day(3), 8),
        response("pat", "nps", day(4), 10),
        response("cat", "nps", day(9), 10),
        response("bob", "csat", day(2), 2),
        response("cat", "csat", day(2), 5),
        response("ann", "csat", day(8), 4),
        response(HOSTILE, "csat", day(9), 7),
        response("bob", "task", day(9), 1),
        response("cat", "task", day(9), 0),
        response("ann", "task", day(10), 1),
        response("ann", "onboarding_nps", day(2), 10),
    ],
)


@contextmanager
def acme_with(home: Path, extra: Story, empty: tuple[str, ...] = ()) -> Iterator[Dashboard]:
    """A server on a home whose `acme` holds its story plus `extra`; projects without data
    (`empty`); the dashboard login; a read token for acme."""
    make_acme(home)
    with Store.open(ServerHome(home).project_path(PROJECT) / "uptake.duckdb", TEST_SETTINGS) as s:
        load_store(s, extra)
    make_home(home, *empty)
    add_user(home)
    server = RunningServer(
        home, free_port(), create_key(home, PROJECT, "write"), create_key(home, PROJECT, "read")
    )
    server.start()
    try:
        yield Dashboard(server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One server for the module (pages only read)."""
    with acme_with(tmp_path_factory.mktemp("users") / "home", EXTRA) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    """A logged-in client."""
    with site.logged_in() as client:
        yield client


def api(site: Dashboard, spec: dict[str, Any]) -> Result:
    """The JSON API's answer for a spec."""
    with site.server.reader() as reader:
        answer = reader.post(f"/api/projects/{PROJECT}/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def as_csv(result: Result) -> list[list[str]]:
    """The API's rows as the page's CSV writes them (JSON carries times as ISO text)."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        text = str(value)
        return text.replace("T", " ") if re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:]+", text) else text

    return [[c.name for c in result.columns]] + [
        [cell(row[c.name]) for c in result.columns] for row in result.rows
    ]


def csv_rows(answer: httpx.Response) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(answer.text)))


def timeline_times(page: str) -> list[str]:
    """The times of the timeline table's rows, in page order."""
    table = page.split('data-table="timeline"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'data-sort="(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"', table)


def user_url(user_id: str, query: str = RANGE) -> str:
    return f"/projects/acme/users/{quote(user_id, safe='')}?{query}"


HEADER = [
    "user_id", "account_id", "account_name", "created_at", "licensed", "department", "site",
    "first_seen_at", "last_seen_at", "events_in_range", "active_days_in_range", "matches",
]  # fmt: skip
# Jan 4-17 (days 0-13), latest seen first. Trait columns: the project's user traits
# (department, site). Events and active days count every event in the range:
#   bob: d1, d9 (2), d10 -> 4 events on 3 days, last d10 noon
#   ann: d0, d1, d8 -> 3 on 3 days, last d8 noon
#   pat: 24 + 24 + 4 -> 52 on 3 days, last d7 03:00
#   HOSTILE: d3, d4 -> 2 on 2 days; cat: d2 -> 1 on 1 day
BOB = ["bob", "a1", "Acme Corp", "", "", "Support", "Lyon", "2026-01-05 12:00:00",
       "2026-01-14 12:00:00", "4", "3", "5"]  # fmt: skip
ANN = ["ann", "a1", "Acme Corp", "", "", "Sales", "Lyon", "2026-01-04 12:00:00",
       "2026-01-12 12:00:00", "3", "3", "5"]  # fmt: skip
PAT = ["pat", "a2", "Beta Ltd", "", "", "", "", "2026-01-09 00:00:00", "2026-01-11 03:00:00",
       "52", "3", "5"]  # fmt: skip
EVIL = [HOSTILE, "a2", "Beta Ltd", "", "", "Ops", "", "2026-01-07 09:00:00",
        "2026-01-08 10:00:00", "2", "2", "5"]  # fmt: skip
CAT = ["cat", "a2", "Beta Ltd", "", "", "Sales", "</script><script>alert(1)</script>",
       "2026-01-06 12:00:00", "2026-01-06 12:00:00", "1", "1", "5"]  # fmt: skip


def test_users_page_needs_a_login(site: Dashboard) -> None:
    with site.anonymous() as client:
        answer = client.get("/projects/acme/users?q=ann")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=" + quote(
        "/projects/acme/users?q=ann", safe=""
    )


@pytest.mark.parametrize(
    "path", ["/projects/acme/users", "/projects/acme/users/ann", "/projects/acme/satisfaction"]
)
def test_pages_need_a_login_and_carry_no_inline_code(
    site: Dashboard, ada: httpx.Client, path: str
) -> None:
    with site.anonymous() as client:
        assert client.get(path).status_code == 303
    answer = ada.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    # The CSP would block inline script and style: the pages carry none.
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", answer.text)
    assert " style=" not in answer.text and "<style" not in answer.text
    assert not re.search(r"\son[a-z]+=", answer.text)


def test_everyone_latest_seen_first_equal_to_the_api(site: Dashboard, ada: httpx.Client) -> None:
    rows = csv_rows(ada.get(f"/projects/acme/users?{RANGE}&format=csv&table=users"))
    assert rows == [HEADER, BOB, ANN, PAT, EVIL, CAT]
    spec = {
        "kind": "user_search",
        "from": "2026-01-04",
        "to": "2026-01-17",
        "traits": ["department", "site"],
    }
    assert as_csv(api(site, spec)) == rows
    page = ada.get(f"/projects/acme/users?{RANGE}").text
    assert 'data-matches="5"' in page


def test_search_by_trait_and_by_account_name(ada: httpx.Client) -> None:
    # "lyon" is ann's and bob's site; "BETA" is Beta Ltd: pat, HOSTILE and cat.
    lyon = csv_rows(ada.get(f"/projects/acme/users?{RANGE}&q=lyon&format=csv&table=users"))
    assert [r[0] for r in lyon[1:]] == ["bob", "ann"]
    assert {r[-1] for r in lyon[1:]} == {"2"}
    beta = csv_rows(ada.get(f"/projects/acme/users?{RANGE}&q=BETA&format=csv&table=users"))
    assert [r[0] for r in beta[1:]] == ["pat", HOSTILE, "cat"]
    page = ada.get(f"/projects/acme/users?{RANGE}&q=lyon").text
    # The search box keeps the text, and the filter bar carries it along.
    assert 'name="q" value="lyon"' in page
    assert '<input type="hidden" name="q" value="lyon">' in page
    assert "2 users match “lyon”" in page
    nobody = ada.get(f"/projects/acme/users?{RANGE}&q=zzz").text
    assert "Nobody matches: try fewer letters, or clear the search." in nobody


def test_rows_link_to_the_person_and_the_account(ada: httpx.Client) -> None:
    page = ada.get(f"/projects/acme/users?{RANGE}").text
    query = "from=2026-01-04&amp;to=2026-01-17&amp;unit=user"
    # Every character of the id is percent-encoded in the link.
    assert f'href="/projects/acme/users/a%2Fb%3Fc%23d%3Ce%3E%26f?{query}"' in page
    assert f'href="/projects/acme/users/ann?{query}"' in page
    assert f'href="/projects/acme/accounts/a1?{query}">Acme Corp</a>' in page
    # ...and shown as text.
    assert HOSTILE not in page
    assert html.escape(HOSTILE) in page


def test_a_persons_page_worked_out_by_hand(ada: httpx.Client) -> None:
    answer = ada.get(user_url("ann"))
    assert answer.status_code == 200
    page = answer.text
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(?:<a [^>]*>)?(?:<code>)?([^<]*)", page))
    assert facts == {
        "User id": "ann",
        "Account": "Acme Corp",
        "Signed up": "—",
        "Licensed": "—",
        "First seen (UTC)": "2026-01-04 12:00:00",
        "Last seen (UTC)": "2026-01-12 12:00:00",
        "Events in range": "3",
        "Active days in range": "3",
        "department": "Sales",
        "site": "Lyon",
    }
    # Events per week: login d0 and report_viewed d1 in week 1; login d8 in week 2.
    activity = csv_rows(ada.get(user_url("ann", RANGE + "&format=csv&table=activity")))
    assert activity == [["period", "value"], ["2026-01-04", "2"], ["2026-01-11", "1"]]
    timeline = csv_rows(ada.get(user_url("ann", RANGE + "&format=csv&table=timeline")))
    assert [r[:5] for r in timeline] == [
        ["timestamp", "event", "account_id", "properties", "features"],
        ["2026-01-12 12:00:00", "login", "a1", "", ""],
        ["2026-01-05 12:00:00", "report_viewed", "a1", "", "Reports"],
        ["2026-01-04 12:00:00", "login", "a1", "", ""],
    ]
    # Her answers in the range, newest first.
    answers = csv_rows(ada.get(user_url("ann", RANGE + "&format=csv&table=answers")))
    assert [r[:4] for r in answers] == [
        ["timestamp", "survey", "score", "comment"],
        ["2026-01-14 12:00:00", "task", "1.0", ""],
        ["2026-01-12 12:00:00", "csat", "4.0", ""],
        ["2026-01-09 12:00:00", "nps", "3.0", ""],
        ["2026-01-06 12:00:00", "onboarding_nps", "10.0", ""],
        ["2026-01-05 08:00:00", "nps", "9.0", "Great <b>reports</b>"],
    ]
    assert "Great &lt;b&gt;reports&lt;/b&gt;" in page
    assert 'href="/projects/acme/accounts/a1?from=2026-01-04&amp;to=2026-01-17' in page


def test_the_timeline_pages_older_events(site: Dashboard, ada: httpx.Client) -> None:
    first = ada.get(user_url("pat")).text
    rows = timeline_times(first)
    # 50 newest of pat's 52: d7 03:00 down to d5 02:00.
    assert len(rows) == 50
    assert (rows[0], rows[-1]) == ("2026-01-11 03:00:00", "2026-01-09 02:00:00")
    older = re.search(r'<a href="([^"]+)" rel="next">Older events', first)
    assert older, "no link to older events"
    link = html.unescape(older.group(1))
    assert "before=2026-01-09T02%3A00%3A00&before_id=" in link
    second = ada.get(link).text
    rows = timeline_times(second)
    assert rows == ["2026-01-09 01:00:00", "2026-01-09 00:00:00"]
    assert "Older events" not in second
    assert "Newest events" in second
    # The page's second page equals the API's answer for the same cursor.
    cursor = dict(re.findall(r"(before|before_id)=([^&]+)", link))
    spec = {
        "kind": "user_timeline",
        "user_id": "pat",
        "from": "2026-01-04",
        "to": "2026-01-17",
        "limit": 50,
        "before": "2026-01-09T02:00:00",
        "before_message_id": cursor["before_id"],
    }
    csv_page = csv_rows(ada.get(link + "&format=csv&table=timeline"))
    assert as_csv(api(site, spec)) == csv_page
    assert [r[0] for r in csv_page[1:]] == ["2026-01-09 01:00:00", "2026-01-09 00:00:00"]


def test_events_per_week_of_someone_without_a_profile(ada: httpx.Client) -> None:
    # pat: 48 logins on d5-d6 (week 1), 4 on d7 (week 2).
    activity = csv_rows(ada.get(user_url("pat", RANGE + "&format=csv&table=activity")))
    assert activity == [["period", "value"], ["2026-01-04", "48"], ["2026-01-11", "4"]]


def test_hostile_user_id_is_encoded_and_escaped(ada: httpx.Client) -> None:
    answer = ada.get(user_url(HOSTILE))
    assert answer.status_code == 200
    page = answer.text
    assert HOSTILE not in page and "<e>" not in page and "<i>1</i>" not in page
    assert "<h1>User: a/b?c#d&lt;e&gt;&amp;f</h1>" in page
    # Its events (the bold_clicked one carries a property with markup), escaped.
    assert "{&#34;x&#34;: &#34;&lt;i&gt;1&lt;/i&gt;&#34;}" in page
    timeline = csv_rows(ada.get(user_url(HOSTILE, RANGE + "&format=csv&table=timeline")))
    assert [r[:5] for r in timeline[1:]] == [
        ["2026-01-08 10:00:00", "bold_clicked", "a2", '{"x": "<i>1</i>"}',
         '<b>Bold</b> & "quoted"'],
        ["2026-01-07 09:00:00", "login", "a2", "", ""],
    ]  # fmt: skip


def test_filter_form_of_a_hostile_id_posts_back_to_the_same_person(ada: httpx.Client) -> None:
    page = ada.get(user_url(HOSTILE)).text
    action = re.search(r'<form class="filters" method="get" action="([^"]+)"', page)
    assert action
    # Submitting the filter bar (a GET to its action) shows the same person again.
    again = ada.get(
        html.unescape(action.group(1)), params={"from": "2026-01-04", "to": "2026-01-10"}
    )
    assert again.status_code == 200
    assert "<h1>User: a/b?c#d&lt;e&gt;&amp;f</h1>" in again.text
    assert "2026-01-04 to 2026-01-10" in again.text


def test_unknown_user_is_a_404_page_that_says_so(ada: httpx.Client) -> None:
    answer = ada.get(user_url("nobody<x>"))
    assert answer.status_code == 404
    assert (
        "Project &#39;acme&#39; has no user &#39;nobody&lt;x&gt;&#39;: no profile and no events."
        in answer.text
    )


def test_bad_paging_cursor_is_reported(ada: httpx.Client) -> None:
    page = html.unescape(ada.get(user_url("ann", RANGE + "&before=yesterday")).text)
    assert "`before`: 'yesterday' is not a time (use YYYY-MM-DDTHH:MM:SS)" in page
    assert "Timeline, newest first" in page
