"""A feature's page: its adoption curve since release (new adopters per period and adopters to
date, as a share of all users too) and who adopted it, by account and by a user property
(department by default: `?by=user.<key>`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.definitions import Feature
from uptake.result import Result
from uptake.web.pages.charts import Chart, Series, series_chart
from uptake.web.pages.errors import PageError
from uptake.web.pages.features import PAGE as FEATURES
from uptake.web.pages.features import feature_path
from uptake.web.pages.page import Page
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page(
    "feature",
    "Feature",
    FEATURES.path,
    order=FEATURES.order + 1,
    periods=("week", "month"),
    default_period="week",
    nav=False,
)
router = APIRouter(include_in_schema=False)

DEFAULT_BY = "user.department"


@dataclass
class FeatureContent:
    """The curve, the adopter tables, and what could not be computed."""

    feature: Feature
    since: str
    by: str | None
    curve: Chart | None = None
    share: Chart | None = None
    curve_table: TableView | None = None
    by_account: TableView | None = None
    by_property: TableView | None = None
    problems: list[str] = field(default_factory=list)
    tables: dict[str, Computed] = field(default_factory=dict)


def _adopter_table(view: View, name: str, title: str, label: str, result: Result) -> TableView:
    who = "Users" if view.filters.unit == "user" else "Accounts"
    columns = [
        ColumnView("breakdown", label),
        ColumnView("users", who, "count"),
        ColumnView("first_time_users", "First-time", "count"),
        ColumnView("uses", "Uses", "count"),
        ColumnView("adoption_rate", "Adoption", "fraction"),
    ]
    # Most adopters first; the CSV keeps the result's own order.
    rows = sorted(result.rows, key=lambda r: (-(r.get("users") or 0), str(r.get("breakdown"))))
    return table_view(name, title, result, columns, view.csv_url(name), rows=rows)


def _curve(view: View, content: FeatureContent, result: Result) -> None:
    rows = result.rows
    who = "users" if view.filters.unit == "user" else "accounts"
    x = [r["period"] for r in rows]
    content.curve = series_chart(
        "chart-adopters",
        "Adopters since release" if content.feature.released_at else "Adopters",
        x,
        [
            Series("New adopters", [r["new_adopters"] for r in rows], kind="bar"),
            Series("Adopters to date", [r["cumulative_adopters"] for r in rows]),
        ],
        y_title=who.capitalize(),
    )
    content.share = series_chart(
        "chart-adoption-share",
        f"Share of all {who} who have adopted it",
        x,
        [Series("Adopted", [r["cumulative_adoption_percent"] for r in rows])],
        y_title=f"% of {who}",
        y_format="percent",
    )
    columns = [
        ColumnView("period", "Period", "date"),
        ColumnView("new_adopters", "New adopters", "count"),
        ColumnView("cumulative_adopters", "Adopters to date", "count"),
        ColumnView("total_users", f"All {who}", "count"),
        ColumnView("cumulative_adoption_percent", "Adopted", "percent"),
    ]
    content.curve_table = table_view(
        "curve", "Adoption curve", result, columns, view.csv_url("curve")
    )


def build(view: View, feature: Feature, by: str | None) -> FeatureContent:
    """The feature's charts and tables (blocking: runs in a worker thread)."""
    f = view.filters
    since = feature.released_at if feature.released_at else f.date_from
    content = FeatureContent(feature, since.isoformat(), by)
    if view.facts.latest is None:
        return content
    # The curve starts at the release, whatever the range's start: "since release".
    curve = view.compute(
        f.spec("adoption_rate", feature=feature.name, **{"from": min(since, f.date_to).isoformat()})
    )
    content.tables["curve"] = curve
    if curve.result is not None:
        _curve(view, content, curve.result)
    else:
        content.problems.append(f"Adoption curve: {curve.error}")

    whole = {"features": [feature.name], "period": None}
    accounts = view.compute(f.spec("feature_adoption", breakdown="account.name", **whole))
    content.tables["by_account"] = accounts
    if accounts.result is not None:
        content.by_account = _adopter_table(
            view, "by_account", "Adopters by account", "Account", accounts.result
        )
    else:
        content.problems.append(f"By account: {accounts.error}")
    if by is not None and f.unit == "user":
        people = view.compute(f.spec("feature_adoption", breakdown=by, **whole))
        content.tables["by_property"] = people
        label = by.split(".", 1)[1].capitalize()
        if people.result is not None:
            content.by_property = _adopter_table(
                view, "by_property", f"Adopters by {label.lower()}", label, people.result
            )
        else:
            content.problems.append(f"By {label.lower()}: {people.error}")
    return content


def _by(view: View, asked: str | None) -> str | None:
    users = [p for p in view.facts.properties if p.startswith("user.")]
    if asked and asked in users:
        return asked
    return DEFAULT_BY if DEFAULT_BY in users else (users[0] if users else None)


@router.get("/projects/{project}/features/{feature:path}")
async def feature_page(request: Request, project: str, feature: str) -> Response:
    """A feature's page."""
    asked = request.query_params.get("by")
    view = await open_view(request, project, PAGE, {"by": asked} if asked else None)
    try:
        chosen = view.project.workspace.definitions.feature(feature)
    except KeyError:
        raise PageError(
            404, "No such feature", f"Project {project!r} defines no feature {feature!r}."
        ) from None
    by = _by(view, asked)
    if asked and by != asked:
        view.filters = view.filters.with_error(
            f"`by`: {asked!r} is not a user property of this project; showing {by}"
        )
    content = await view.run(lambda: build(view, chosen, by))
    return respond(
        view,
        "feature.html",
        content.tables,
        content=content,
        heading=f"Feature: {chosen.name}",
        charts=True,
        features_url=view.url(page=FEATURES),
        self_path=feature_path(chosen.name),
    )
