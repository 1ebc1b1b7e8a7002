"""Features: the adoption table of every feature declared in uptake.toml (unique users, total
uses, first-time users, adoption %, median time to first use), sortable, each row linking to
the feature's own page."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.web.pages.page import Page
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page("features", "Features", "/features", order=20)
router = APIRouter(include_in_schema=False)


def feature_path(name: str) -> str:
    """The path (under the project) of a feature's page."""
    return "/features/" + quote(name, safe="")


@dataclass
class FeaturesContent:
    """The adoption table, or why there is none."""

    table: TableView | None = None
    problem: str | None = None
    tables: dict[str, Computed] = field(default_factory=dict)


def build(view: View) -> FeaturesContent:
    """The feature table (blocking: runs in a worker thread)."""
    if view.facts.latest is None or not view.project.workspace.definitions.features:
        return FeaturesContent()
    computed = view.compute(view.filters.spec("feature_adoption"))
    if computed.result is None:
        return FeaturesContent(problem=computed.error, tables={"features": computed})
    who = "Users" if view.filters.unit == "user" else "Accounts"
    columns = [
        ColumnView("feature", "Feature"),
        ColumnView("users", who, "count"),
        ColumnView("uses", "Uses", "count"),
        ColumnView("first_time_users", f"First-time {who.lower()}", "count"),
        ColumnView("adoption_rate", "Adoption", "fraction"),
        ColumnView("median_days_to_first_use", "Median days to first use", "days"),
        ColumnView("released_at", "Released", "date"),
    ]
    table = table_view(
        "features",
        "Feature adoption",
        computed.result,
        columns,
        view.csv_url("features"),
        link=lambda row: view.url(path=feature_path(str(row["feature"]))),
    )
    return FeaturesContent(table=table, tables={"features": computed})


@router.get("/projects/{project}/features")
async def features_page(request: Request, project: str) -> Response:
    """The Features page."""
    view = await open_view(request, project, PAGE)
    content = await view.run(lambda: build(view))
    return respond(view, "features.html", content.tables, content=content, heading="Features")
