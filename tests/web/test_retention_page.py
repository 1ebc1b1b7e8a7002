"""The Retention page over HTTP on the real server: the cohort triangle of the `acme` story
(tests/web/dashboard.py) worked out by hand, equal to the JSON API's answer for the same spec,
its options in the URL, and bad options reported on the page instead of failing it.

The story, in Sunday weeks (week 1: Jan 4-10, week 2: Jan 11-17):
  ann (a1, Sales):   login d0, report_viewed d1, login d8
  bob (a1, Support): login d1, login d9, report_viewed d9, report_viewed d10
  cat (a2, Sales):   login d2
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.dashboard import Dashboard, running_dashboard
from uptake.result import Result

PAGE = "/projects/acme/retention"
RANGE = "from=2026-01-04&to=2026-01-17"
HEADER = "cohort,cohort_size,period,retained,retention_rate,is_mean"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One server for the module (the page only reads)."""
    home = tmp_path_factory.mktemp("retention") / "home"
    with running_dashboard(home, empty=("fresh",)) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    """A logged-in client."""
    with site.logged_in() as client:
        yield client


def api(site: Dashboard, spec: dict[str, Any]) -> Result:
    """The JSON API's answer (read token of `acme`)."""
    with site.server.reader() as reader:
        answer = reader.post("/api/projects/acme/query", json=spec)
    assert answer.status_code == 200, answer.text
    return Result.model_validate(answer.json())


def figure(page: str, chart_id: str) -> dict[str, Any]:
    """A chart's Plotly figure, read from its JSON block."""
    found = re.search(rf'<script type="application/json" id="{chart_id}">(.*?)</script>', page)
    assert found, f"no chart {chart_id}"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def table_rows(page: str) -> list[list[str]]:
    """The cells of the retention table, as text."""
    body = re.search(r'data-table="retention">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, "no retention table"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    cells = [re.findall(r"<td.*?</td>", r, re.S) for r in rows]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in row] for row in cells]


def csv_lines(client: httpx.Client, query: str) -> list[str]:
    """The retention table's CSV download for a query string."""
    answer = client.get(f"{PAGE}?{query}&format=csv&table=retention")
    assert answer.status_code == 200, answer.text
    return answer.text.splitlines()


def test_weekly_triangle_worked_out_by_hand_equals_the_api(
    site: Dashboard, ada: httpx.Client
) -> None:
    page = ada.get(f"{PAGE}?{RANGE}")
    assert page.status_code == 200
    # First-time cohorts by first activity: ann (d0), bob (d1) and cat (d2) all start in week 1;
    # nobody new in week 2. Of week 1's three, ann (d8) and bob (d9, d10) are active in week 2:
    # 2 of 3. The mean row sums sizes and returns over the cohorts whose cell is reported:
    # week 0: 3 of 3 (+ 0 of 0), week 1: 2 of 3 (week 2's cohort has no week 1 yet).
    expected = [
        HEADER,
        "2026-01-04,3,0,3,1.0,False",
        "2026-01-04,3,1,2,0.6666666666666666,False",
        "2026-01-11,0,0,0,,False",
        ",3,0,3,1.0,True",
        ",3,1,2,0.6666666666666666,True",
    ]
    assert csv_lines(ada, RANGE) == expected
    spec = {"kind": "retention", "from": "2026-01-04", "to": "2026-01-17", "unit": "user",
            "period": "week", "cohort": "first_time", "retention": "on", "periods": 8}  # fmt: skip
    assert api(site, spec).to_csv().splitlines() == expected

    # The heatmap: the mean on top, then the cohorts with their sizes; rate as colour, counts
    # (retained, size) in the hover; week 2's cohort is empty (no rate to colour).
    heat = figure(page.text, "chart-retention-heatmap")["data"][0]
    assert heat["type"] == "heatmap"
    assert heat["x"] == ["Week 0", "Week 1"]
    assert heat["y"] == [
        "All cohorts (weighted mean) · 3 users",
        "2026-01-04 · 3 users",
        "2026-01-11 · 0 users",
    ]
    assert heat["z"] == [[1.0, 2 / 3], [1.0, 2 / 3], [None, None]]
    assert heat["customdata"] == [[[3, 3], [2, 3]], [[3, 3], [2, 3]], [[0, 0], None]]
    # A fixed 0-100% scale, light (none retained) to dark (all): ColorBrewer's Blues.
    assert (heat["zmin"], heat["zmax"]) == (0, 1)
    assert (heat["colorscale"][0], heat["colorscale"][-1]) == ([0.0, "#f7fbff"], [1.0, "#08306b"])
    # The curve is the mean row.
    curve = figure(page.text, "chart-retention-curve")["data"][0]
    assert (curve["x"], curve["y"]) == ([0, 1], [1.0, 2 / 3])
    assert table_rows(page.text) == [
        ["All cohorts (weighted mean)", "3", "100.0% (3)", "66.7% (2)"],
        ["2026-01-04", "3", "100.0% (3)", "66.7% (2)"],
        ["2026-01-11", "0", "—", ""],
    ]


def test_a_feature_as_the_start_event(site: Dashboard, ada: httpx.Client) -> None:
    query = f"{RANGE}&start=feature%3AReports"
    # First report views: ann d1 (week 1), bob d9 (week 2). ann is active again in week 2
    # (login d8): 1 of 1. Mean: week 0 is 2 of 2, week 1 only week 1's cohort, 1 of 1.
    expected = [
        HEADER,
        "2026-01-04,1,0,1,1.0,False",
        "2026-01-04,1,1,1,1.0,False",
        "2026-01-11,1,0,1,1.0,False",
        ",2,0,2,1.0,True",
        ",1,1,1,1.0,True",
    ]
    assert csv_lines(ada, query) == expected
    spec = {"kind": "retention", "from": "2026-01-04", "to": "2026-01-17", "period": "week",
            "start_feature": "Reports"}  # fmt: skip
    assert api(site, spec).to_csv().splitlines() == expected
    page = ada.get(f"{PAGE}?{query}").text
    assert '<option value="feature:Reports" selected>Feature: Reports</option>' in page


def test_daily_cumulative_retention_differs_from_on_the_day(ada: httpx.Client) -> None:
    base = "from=2026-01-04&to=2026-01-14&period=day&periods=2"
    # Day cohorts (first activity): ann d0, bob d1, cat d2; days 3-10 have nobody new.
    # "on": ann is back on d1 (day 1 after) but not d2; bob is not back on d2 or d3; cat never.
    on = [line for line in csv_lines(ada, base) if line.split(",")[1] != "0"]
    assert on == [
        HEADER,
        "2026-01-04,1,0,1,1.0,False",
        "2026-01-04,1,1,1,1.0,False",
        "2026-01-04,1,2,0,0.0,False",
        "2026-01-05,1,0,1,1.0,False",
        "2026-01-05,1,1,0,0.0,False",
        "2026-01-05,1,2,0,0.0,False",
        "2026-01-06,1,0,1,1.0,False",
        "2026-01-06,1,1,0,0.0,False",
        "2026-01-06,1,2,0,0.0,False",
        ",3,0,3,1.0,True",
        ",3,1,1,0.3333333333333333,True",
        ",3,2,0,0.0,True",
    ]
    # "on or after": returning on day k or any later day up to `to` (d10). ann is back on d8
    # (day 8 after d0), bob on d9 and d10 (day 8-9 after d1): both count on days 1 and 2.
    after = [
        line
        for line in csv_lines(ada, base + "&retention=on_or_after")
        if line.split(",")[1] != "0"
    ]
    assert after == [
        HEADER,
        "2026-01-04,1,0,1,1.0,False",
        "2026-01-04,1,1,1,1.0,False",
        "2026-01-04,1,2,1,1.0,False",
        "2026-01-05,1,0,1,1.0,False",
        "2026-01-05,1,1,1,1.0,False",
        "2026-01-05,1,2,1,1.0,False",
        "2026-01-06,1,0,1,1.0,False",
        "2026-01-06,1,1,0,0.0,False",
        "2026-01-06,1,2,0,0.0,False",
        ",3,0,3,1.0,True",
        ",3,1,2,0.6666666666666666,True",
        ",3,2,2,0.6666666666666666,True",
    ]
    # Every other line is an empty cohort: 11 day cohorts (d0-d10) with cells up to 2 days
    # after but not past d10: 9 x 3 + 2 + 1 = 30 cells, 9 of them above, 21 empty.
    assert len(csv_lines(ada, base)) == 1 + 30 + 3


def test_accounts_and_recurring_cohorts(ada: httpx.Client) -> None:
    # Per account: a1's first activity is d0 (ann), a2's d2 (cat): both in week 1; a1 comes
    # back in week 2, a2 does not.
    accounts = csv_lines(ada, f"{RANGE}&unit=account")
    assert accounts[1:3] == ["2026-01-04,2,0,2,1.0,False", "2026-01-04,2,1,1,0.5,False"]
    # Recurring: every week with activity is a cohort: week 1 has all three, week 2 ann and
    # bob; of week 1's, ann and bob are back in week 2.
    recurring = csv_lines(ada, f"{RANGE}&cohort=recurring")
    assert recurring[1:] == [
        "2026-01-04,3,0,3,1.0,False",
        "2026-01-04,3,1,2,0.6666666666666666,False",
        "2026-01-11,2,0,2,1.0,False",
        ",5,0,5,1.0,True",
        ",3,1,2,0.6666666666666666,True",
    ]


def test_options_live_in_the_url_and_the_filter_bar_keeps_them(ada: httpx.Client) -> None:
    page = ada.get(
        f"{PAGE}?{RANGE}&cohort=recurring&retention=on_or_after&periods=3&return=report_viewed"
    ).text
    filters = re.search(r'<form class="filters" .*?</form>', page, re.S)
    assert filters
    # Applying a filter keeps the page's options (hidden fields of the filter bar)...
    for name, value in (("cohort", "recurring"), ("retention", "on_or_after"), ("periods", "3"),
                        ("return", "report_viewed")):  # fmt: skip
        assert f'<input type="hidden" name="{name}" value="{value}">' in filters.group(0)
    # ...and the options form keeps the filter bar's.
    options = re.search(r'aria-label="Retention options">(.*?)</form>', page, re.S)
    assert options
    assert '<input type="hidden" name="from" value="2026-01-04">' in options.group(1)
    assert '<option value="recurring" selected>' in options.group(1)
    assert '<option value="report_viewed" selected>report_viewed</option>' in options.group(1)
    assert 'name="periods" min="1" max="52" value="3"' in options.group(1)
    # The CSV link carries them too.
    assert "retention=on_or_after" in re.findall(r'href="([^"]*format=csv[^"]*)"', page)[0]


def test_bad_options_are_reported_and_the_page_stays(ada: httpx.Client) -> None:
    answer = ada.get(f"{PAGE}?{RANGE}&cohort=sometimes&retention=never&periods=0&start=nope")
    assert answer.status_code == 200
    page = html.unescape(answer.text)
    assert "`cohort` must be first_time or recurring, not 'sometimes'" in page
    assert "`retention` must be on or on_or_after, not 'never'" in page
    assert "`periods` must be a whole number from 1 to 52, not '0': showing 8" in page
    assert (
        "Start event: this project has no event 'nope': check the spelling or pick one from "
        "the list; showing activity instead" in page
    )
    # The defaults are shown meanwhile: the triangle worked out above.
    heat = figure(answer.text, "chart-retention-heatmap")["data"][0]
    assert heat["z"][0] == [1.0, 2 / 3]
    # A CSV of a view with problems is refused with the reasons, not silently defaulted.
    csv = ada.get(f"{PAGE}?{RANGE}&periods=0&format=csv&table=retention")
    assert csv.status_code == 400
    feature = html.unescape(ada.get(f"{PAGE}?{RANGE}&return=feature%3ANope").text)
    assert "Return event: there is no feature 'Nope' (features: Reports" in feature


def test_no_cohorts_says_what_to_do(ada: httpx.Client) -> None:
    # Nobody ever clicked Bold: no cohort to draw.
    start = "feature%3A%3Cb%3EBold%3C%2Fb%3E+%26+%22quoted%22"
    answer = ada.get(f"{PAGE}?{RANGE}&start={start}")
    assert answer.status_code == 200
    assert "No cohorts in this range" in answer.text
    # The feature's name is text wherever it appears.
    assert "<b>Bold</b>" not in answer.text
    assert "Feature: &lt;b&gt;Bold&lt;/b&gt; &amp; &#34;quoted&#34;" in answer.text
    assert 'data-chart="chart-retention-heatmap"' not in answer.text


def test_needs_a_login_and_data(site: Dashboard, ada: httpx.Client) -> None:
    with site.anonymous() as client:
        assert client.get(PAGE).status_code == 303
    fresh = ada.get("/projects/fresh/retention").text
    assert "No data yet" in fresh
    nav = ada.get("/projects/acme").text
    assert 'href="/projects/acme/retention?' in nav
