"""The dashboard's pages over HTTP on the real server: redirects to the login, security
headers, numbers (worked out by hand from the `acme` story in tests/web/dashboard.py), CSV
downloads, filter errors, escaping, error pages and static files."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.web.dashboard import Dashboard, running_dashboard
from uptake.web.pages.assets import plotly_bundle

RANGE = "from=2026-01-04&to=2026-01-17"
PAGES = ["/projects/acme", "/projects/acme/features", "/projects/acme/activity"]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One server for the module (pages only read)."""
    home = tmp_path_factory.mktemp("pages") / "home"
    with running_dashboard(home, empty=("fresh",)) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    """A logged-in client."""
    with site.logged_in() as client:
        yield client


def card_value(page: str, key: str) -> str:
    """The big number of a KPI card."""
    found = re.search(
        rf'data-kpi="{key}".*?<p class="kpi-value" data-kpi-value>([^<]*)</p>', page, re.S
    )
    assert found, f"no card {key}"
    return found.group(1).strip()


@pytest.mark.parametrize("path", [*PAGES, "/projects/acme/features/Reports", "/", "/projects"])
def test_every_page_needs_a_login(site: Dashboard, path: str) -> None:
    with site.anonymous() as client:
        answer = client.get(f"{path}?unit=account")
    assert answer.status_code == 303
    # Back to the very same view after logging in: the path and its query string.
    assert answer.headers["location"] == "/login?next=" + quote(f"{path}?unit=account", safe="")


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page(ada: httpx.Client, path: str) -> None:
    answer = ada.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-frame-options"] == "DENY"
    # Private numbers: no browser or proxy cache keeps them.
    assert answer.headers["cache-control"] == "no-store"
    # No inline script and no inline style anywhere: the CSP would block them.
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", answer.text)
    assert " style=" not in answer.text and "<style" not in answer.text
    assert not re.search(r"\son[a-z]+=", answer.text)


def test_api_docs_keep_working_without_the_dashboard_csp(site: Dashboard) -> None:
    with site.anonymous() as client:
        docs = client.get("/docs")
    # FastAPI's Swagger page loads its script from a CDN with an inline bootstrap; the strict
    # policy would blank it, so it goes without (and keeps the other headers).
    assert docs.status_code == 200
    assert "content-security-policy" not in docs.headers
    assert docs.headers["x-content-type-options"] == "nosniff"


def test_default_range_is_the_last_twelve_complete_weeks(ada: httpx.Client) -> None:
    page = ada.get("/projects/acme/features").text
    # The latest event is Wednesday 2026-01-14, so the last complete (Sunday) week ends
    # Saturday 2026-01-10, and twelve weeks back start on Sunday 2025-10-19.
    assert "2025-10-19 to 2026-01-10" in page
    assert 'name="from" value="2025-10-19"' in page
    assert 'name="to" value="2026-01-10"' in page


def test_features_csv_is_the_table_worked_out_by_hand(ada: httpx.Client) -> None:
    answer = ada.get(f"/projects/acme/features?{RANGE}&format=csv&table=features")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="acme-features-features-2026-01-04-2026-01-17.csv"'
    )
    # Reports: ann and bob (2 users) viewed reports 3 times, both for the first time ever; all
    # three users were active, so adoption is 2/3. Time to first use starts at the later of
    # the release (Jan 4, 00:00) and the signup (first event): ann noon day 0 -> day 1 is
    # 1 day, bob noon day 1 -> day 9 is 8 days; the median is 4.5. Nobody clicked Bold.
    assert answer.text.splitlines() == [
        "feature,users,uses,first_time_users,active_users,adoption_rate,"
        "median_days_to_first_use,released_at",
        '"<b>Bold</b> & ""quoted""",0,0,0,3,0.0,,',
        "Reports,2,3,2,3,0.6666666666666666,4.5,2026-01-04",
    ]


def test_segment_narrows_the_numbers(ada: httpx.Client) -> None:
    answer = ada.get(
        f"/projects/acme/features?{RANGE}&segment=user.department&segment_value=Sales"
        "&format=csv&table=features"
    )
    # Sales is ann and cat: only ann used Reports (once, 1 day after signup); both were active.
    assert answer.text.splitlines()[2] == "Reports,1,1,1,2,0.5,1.0,2026-01-04"


def test_overview_cards_worked_out_by_hand(ada: httpx.Client) -> None:
    page = ada.get(f"/projects/acme?{RANGE}").text
    # Weekly actives on the last day of each week: week 2 (Jan 11-17) has ann and bob, week 1
    # had all three; monthly actives (30 days) are all three both times.
    assert card_value(page, "wau") == "2"
    assert card_value(page, "mau") == "3"
    assert "-33%" in page  # 2 against 3
    accounts = ada.get(f"/projects/acme?{RANGE}&unit=account").text
    # Per account: week 2 only Acme Corp (a1); week 1 both accounts.
    assert card_value(accounts, "wau") == "1"


def test_tables_link_each_feature_to_its_page(ada: httpx.Client) -> None:
    page = ada.get(f"/projects/acme/features?{RANGE}").text
    link = "/projects/acme/features/Reports?from=2026-01-04&amp;to=2026-01-17&amp;unit=user"
    assert f'href="{link}"' in page
    feature = ada.get(f"/projects/acme/features/Reports?{RANGE}")
    assert feature.status_code == 200
    assert "Adopters by account" in feature.text
    by_account = ada.get(f"/projects/acme/features/Reports?{RANGE}&format=csv&table=by_account")
    # Acme Corp's two users both adopted in the range; Beta Ltd's one did not.
    assert by_account.text.splitlines()[1:] == [
        "Reports,Acme Corp,2,3,2,2,1.0,4.5,2026-01-04",
        "Reports,Beta Ltd,0,0,0,1,0.0,,2026-01-04",
    ]


def test_bad_filters_are_reported_and_the_page_stays(ada: httpx.Client) -> None:
    answer = ada.get("/projects/acme/activity?from=2026-02-30&unit=team&period=year")
    assert answer.status_code == 200
    page = html.unescape(answer.text)
    assert "`from`: '2026-02-30' is not a date (use YYYY-MM-DD)" in page
    assert "`unit` must be user or account, not 'team'" in page
    assert "`period` must be day or week or month here, not 'year'" in page
    assert "Lifecycle of users" in page  # the page is still drawn, with the defaults
    csv = ada.get("/projects/acme/activity?from=2026-02-30&format=csv&table=lifecycle")
    assert csv.status_code == 400
    unknown = ada.get("/projects/acme?segment=user.shoe_size&segment_value=44")
    assert "no property &#39;user.shoe_size&#39; to segment by" in unknown.text


def test_to_before_from_falls_back_to_the_default_range(ada: httpx.Client) -> None:
    page = html.unescape(ada.get("/projects/acme?from=2026-01-17&to=2026-01-04").text)
    assert "`to` (2026-01-04) is before `from` (2026-01-17)" in page
    assert "2025-10-19 to 2026-01-10" in page


def test_user_text_is_escaped_everywhere(ada: httpx.Client) -> None:
    evil = "</script><script>alert(1)</script>"
    page = ada.get(f"/projects/acme?{RANGE}&segment=user.site&segment_value={quote(evil)}").text
    assert evil not in page
    # In the segment list and the subtitle, as HTML text...
    assert html.escape(evil, quote=True) in page
    # ...and inside the cards' JSON specs, as JSON escapes.
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in page
    features = ada.get(f"/projects/acme/features?{RANGE}").text
    assert "<b>Bold</b>" not in features
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &#34;quoted&#34;" in features


def test_csv_of_an_unknown_table_is_a_404_page(ada: httpx.Client) -> None:
    answer = ada.get("/projects/acme/features?format=csv&table=nope")
    assert answer.status_code == 404
    assert "This page has no table &#39;nope&#39; (features)." in answer.text


def test_unknown_project_and_feature(ada: httpx.Client) -> None:
    project = ada.get("/projects/zzz")
    assert project.status_code == 404
    assert (
        "There is no project &#39;zzz&#39; on this server (projects: acme, fresh)." in project.text
    )
    feature = ada.get("/projects/acme/features/Nope")
    assert feature.status_code == 404
    assert "Project &#39;acme&#39; defines no feature &#39;Nope&#39;." in feature.text


def test_home_and_project_picker(ada: httpx.Client) -> None:
    assert ada.get("/").headers["location"] == "/projects/acme"
    picked = ada.get("/projects?project=acme&page=activity&unit=account")
    assert picked.headers["location"] == "/projects/acme/activity?unit=account"
    listing = ada.get("/projects")
    assert '<a href="/projects/acme">acme</a>' in listing.text
    assert '<a href="/projects/fresh">fresh</a>' in listing.text


@pytest.mark.parametrize("path", ["", "/features", "/activity"])
def test_a_project_without_data_says_how_to_send_events(
    site: Dashboard, ada: httpx.Client, path: str
) -> None:
    page = ada.get(f"/projects/fresh{path}").text
    assert "No data yet" in page
    assert f"{site.url}/v1/track" in page
    assert "uptake keys create --project fresh --kind write" in page


def test_segment_values_for_the_filter_bar(site: Dashboard, ada: httpx.Client) -> None:
    values = ada.get("/projects/acme/segment-values?property=user.department")
    assert values.json() == ["Sales", "Support"]
    assert ada.get("/projects/acme/segment-values?property=user.nope").status_code == 400
    with site.anonymous() as client:
        assert client.get("/projects/acme/segment-values?property=user.site").status_code == 401


def test_static_files_and_plotly(site: Dashboard, ada: httpx.Client) -> None:
    page = ada.get("/projects/acme/activity").text
    version = plotly_bundle().version
    assert f'<script src="/vendor/plotly-{version}.min.js" defer></script>' in page
    with site.anonymous() as client:
        plotly = client.get(f"/vendor/plotly-{version}.min.js")
        assert plotly.status_code == 200
        assert plotly.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert plotly.headers["content-type"].startswith("text/javascript")
        assert plotly.content == Path(plotly_bundle().path).read_bytes()
        css = re.search(r'href="(/static/dashboard\.css\?v=[0-9a-f]{12})"', page)
        assert css and client.get(css.group(1)).status_code == 200
        assert client.get("/vendor/plotly-0.0.1.min.js").status_code == 404


def test_dashboard_routes_stay_out_of_the_api_schema(site: Dashboard) -> None:
    with site.anonymous() as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith(("/v1/", "/api/", "/healthz"))]
