"""The Satisfaction page over HTTP on the real server: NPS with its confidence band,
promoters / passives / detractors, CSAT and task completion per week, worked out by hand from
the answers added to the `acme` story (tests/web/test_users_page.py's EXTRA), equal to the JSON
API; survey choice; the empty state of a project without answers."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from scipy.stats import norm

from tests.web.dashboard import Dashboard
from tests.web.test_users_page import EXTRA, acme_with, api, as_csv, csv_rows

WEEKS = "from=2026-01-04&to=2026-01-17&period=week"
PAGE = "/projects/acme/satisfaction"
SPEC = {"from": "2026-01-04", "to": "2026-01-17", "unit": "user", "period": "week"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One server for the module: acme with the answers, and `fresh` without any data."""
    home = tmp_path_factory.mktemp("satisfaction") / "home"
    with acme_with(home, EXTRA, empty=("fresh",)) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def ada(site: Dashboard) -> Iterator[httpx.Client]:
    """A logged-in client."""
    with site.logged_in() as client:
        yield client


def table(ada: httpx.Client, name: str, query: str = WEEKS) -> list[dict[str, str]]:
    rows = csv_rows(ada.get(f"{PAGE}?{query}&format=csv&table={name}"))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def wald(promoters: int, detractors: int, n: int) -> tuple[float, float, float]:
    """NPS and its 95% interval, nps ± z·100·sqrt((pP + pD − (pP − pD)²) / n), clipped to
    ±100: the textbook interval of a difference of two multinomial shares."""
    p, d = promoters / n, detractors / n
    half = norm.ppf(0.975) * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    nps = (p - d) * 100
    return nps, max(nps - half, -100.0), min(nps + half, 100.0)


def test_nps_per_week_by_hand_and_equal_to_the_api(site: Dashboard, ada: httpx.Client) -> None:
    rows = table(ada, "nps")
    # Week 1: ann's latest answer is 3 (detractor; her 9 is older), bob 6 (detractor),
    # HOSTILE 8 (passive), pat 10 (promoter): 1 - 2 of 4 = -25.
    # Week 2: cat's 10 alone: 100, an interval of width 0.
    low, high = wald(1, 2, 4)[1:]
    assert low == -100.0  # -25 - 81.3, clipped
    assert [
        (r["period"], r["responses"], r["promoters"], r["passives"], r["detractors"]) for r in rows
    ] == [("2026-01-04", "4", "1", "1", "2"), ("2026-01-11", "1", "1", "0", "0")]
    assert [float(r["nps"]) for r in rows] == [-25.0, 100.0]
    assert [float(r["nps_ci_low"]) for r in rows] == [-100.0, 100.0]
    assert [float(r["nps_ci_high"]) for r in rows] == pytest.approx([high, 100.0])
    assert csv_rows(ada.get(f"{PAGE}?{WEEKS}&format=csv&table=nps")) == as_csv(
        api(site, {"kind": "nps", **SPEC})
    )
    groups = table(ada, "nps_groups")
    assert [r["promoters"] for r in groups] == ["1", "1"]


def test_csat_and_task_completion_by_hand(site: Dashboard, ada: httpx.Client) -> None:
    # CSAT week 1: bob 2, cat 5 -> 1 of 2 satisfied; week 2: ann 4 satisfied, HOSTILE's 7 is
    # off the 1-5 scale (invalid).
    csat = table(ada, "csat")
    assert [
        (r["period"], r["responses"], r["satisfied"], r["invalid_scores"], r["csat_percent"])
        for r in csat
    ] == [("2026-01-04", "2", "1", "0", "50.0"), ("2026-01-11", "1", "1", "1", "100.0")]
    # Task week 1: no attempts (no rate); week 2: bob 1, cat 0, ann 1 -> 2 of 3.
    task = table(ada, "task")
    assert [(r["period"], r["attempts"], r["completed"]) for r in task] == [
        ("2026-01-04", "0", "0"),
        ("2026-01-11", "3", "2"),
    ]
    assert task[0]["task_completion_rate"] == ""
    assert float(task[1]["task_completion_rate"]) == pytest.approx(2 / 3)
    for kind, name in (("csat", "csat"), ("task_completion", "task")):
        page = csv_rows(ada.get(f"{PAGE}?{WEEKS}&format=csv&table={name}"))
        assert page == as_csv(api(site, {"kind": kind, **SPEC}))


def _figure(page: str, chart_id: str) -> dict[str, Any]:
    block = re.search(
        rf'<script type="application/json" id="{chart_id}">(.*?)</script>', page, re.S
    )
    assert block, f"no chart {chart_id}"
    figure: dict[str, Any] = json.loads(block.group(1))
    return figure


def test_nps_chart_is_a_line_in_a_shaded_band(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{WEEKS}").text
    low, high, nps = _figure(page, "chart-nps")["data"]
    assert [t["type"] for t in (low, high, nps)] == ["scatter", "scatter", "scatter"]
    assert high["fill"] == "tonexty" and "fill" not in low and "fill" not in nps
    assert low["y"] == [-100.0, 100.0] and nps["y"] == [-25.0, 100.0]
    assert nps["name"] == "NPS" and high["name"] == "95% confidence interval"
    bars = _figure(page, "chart-nps-groups")
    assert [t["name"] for t in bars["data"]] == ["promoters", "passives", "detractors"]
    assert bars["layout"]["barmode"] == "relative"
    assert [t["y"] for t in bars["data"]] == [[1, 1], [1, 0], [2, 0]]
    assert _figure(page, "chart-csat")["data"][0]["y"] == [50.0, 100.0]
    assert _figure(page, "chart-task")["data"][0]["y"] == [None, pytest.approx(2 / 3)]


def test_surveys_with_other_names_can_be_chosen(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{WEEKS}").text
    assert '<select id="s-nps_survey" name="nps_survey">' in page
    assert '<option value="onboarding_nps">onboarding_nps</option>' in page
    # onboarding_nps: ann's 10 in week 1, nothing in week 2 (no score).
    rows = table(ada, "nps", WEEKS + "&nps_survey=onboarding_nps")
    assert [(r["responses"], r["nps"]) for r in rows] == [("1", "100.0"), ("0", "")]
    chosen = ada.get(f"{PAGE}?{WEEKS}&nps_survey=onboarding_nps").text
    # The filter bar carries the choice along.
    assert '<input type="hidden" name="nps_survey" value="onboarding_nps">' in chosen
    unknown = html.unescape(ada.get(f"{PAGE}?{WEEKS}&nps_survey=nope").text)
    assert "`nps_survey`: no survey 'nope' in this project's answers; showing 'nps'" in unknown


def test_count_per_account_still_counts_people(ada: httpx.Client) -> None:
    page = ada.get(f"{PAGE}?{WEEKS}&unit=account").text
    # The unit is pinned: the filter bar has no unit control (Page.units is users only).
    assert "2026-01-04 to 2026-01-17 · per user" in page
    assert 'id="f-unit"' not in page
    assert table(ada, "nps", WEEKS + "&unit=account") == table(ada, "nps")


def test_a_project_without_answers_says_how_to_import_them(ada: httpx.Client) -> None:
    answer = ada.get("/projects/fresh/satisfaction")
    assert answer.status_code == 200
    assert "No survey answers yet" in answer.text
    assert "uptake -w HOME/projects/fresh import responses.csv" in answer.text
    assert 'id="chart-nps"' not in answer.text
    missing = ada.get("/projects/fresh/satisfaction?format=csv&table=nps")
    assert missing.status_code == 404
