"""Users: search people by id, trait value or account name (`?q=`), with their profile and
activity in the range; each row links to the person's page and to their account's page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.result import Result
from uptake.web.pages.page import Page
from uptake.web.pages.tables import Cell, ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page("users", "Users", "/users", order=62, units=("user",))
router = APIRouter(include_in_schema=False)

# Trait columns shown at most (the first user traits of the project, by name); search still
# looks at every trait value.
MAX_TRAIT_COLUMNS = 4
MAX_QUERY_CHARS = 200


def pin_user_unit(view: View) -> None:
    """People are counted one by one on these pages (survey answers are people's): the unit is
    always the user whatever the URL says, and the filter bar hides its unit control."""
    view.filters = replace(view.filters, unit="user")


def user_path(user_id: str) -> str:
    """The path (under the project) of a person's page; any character of the id is encoded."""
    return "/users/" + quote(user_id, safe="")


def account_path(account_id: str) -> str:
    """The path (under the project) of an account's page."""
    return "/accounts/" + quote(account_id, safe="")


def user_traits(view: View) -> list[str]:
    """The project's user trait keys (from the segment filter's list), sorted."""
    return [p.split(".", 1)[1] for p in view.facts.properties if p.startswith("user.")]


def when(value: object) -> object:
    """A timestamp as `YYYY-MM-DD HH:MM:SS` (UTC) for a page; anything else unchanged."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def yes_no(value: object) -> str | None:
    """A flag as yes / no; None when unknown."""
    return None if value is None else ("yes" if value else "no")


def link_column(table: TableView, key: str, hrefs: list[str | None]) -> TableView:
    """The table with the cells of column `key` linked, row by row."""
    index = [c.key for c in table.columns].index(key)
    rows = []
    # The table may show fewer rows than the result (MAX_SHOWN_ROWS).
    for row, href in zip(table.rows, hrefs, strict=False):
        cells = list(row)
        cells[index] = Cell(cells[index].text, cells[index].sort, href)
        rows.append(cells)
    return replace(table, rows=rows)


@dataclass
class UsersContent:
    """The search result table, or why there is none."""

    q: str
    table: TableView | None = None
    matches: int = 0
    problem: str | None = None
    tables: dict[str, Computed] = field(default_factory=dict)


def _table(view: View, result: Result, traits: list[str]) -> TableView:
    columns = [
        ColumnView("user_id", "User"),
        ColumnView("account", "Account"),
        *[ColumnView(key, key.replace("_", " ").capitalize()) for key in traits],
        ColumnView("licensed", "Licensed"),
        ColumnView("first_seen_at", "First seen (UTC)"),
        ColumnView("last_seen_at", "Last seen (UTC)"),
        ColumnView("events_in_range", "Events in range", "count"),
        ColumnView("active_days_in_range", "Active days in range", "count"),
    ]
    shown: list[dict[str, Any]] = [
        {
            **row,
            "account": row["account_name"] or row["account_id"],
            "licensed": yes_no(row["licensed"]),
            "first_seen_at": when(row["first_seen_at"]),
            "last_seen_at": when(row["last_seen_at"]),
        }
        for row in result.rows
    ]
    table = table_view(
        "users",
        "Users",
        result,
        columns,
        view.csv_url("users"),
        link=lambda row: view.url(path=user_path(str(row["user_id"]))),
        rows=shown,
    )
    table = replace(table, empty="Nobody matches: try fewer letters, or clear the search.")
    accounts = [
        view.url(path=account_path(str(row["account_id"]))) if row["account_id"] else None
        for row in result.rows
    ]
    return link_column(table, "account", accounts)


def build(view: View, q: str) -> UsersContent:
    """The search (blocking: runs in a worker thread)."""
    content = UsersContent(q)
    traits = user_traits(view)[:MAX_TRAIT_COLUMNS]
    spec = view.filters.spec("user_search", q=q, traits=traits)
    spec.pop("period", None)
    computed = view.compute(spec)
    content.tables["users"] = computed
    if computed.result is None:
        content.problem = computed.error
        return content
    content.matches = int(computed.result.summary.get("matches", 0))
    content.table = _table(view, computed.result, traits)
    return content


@router.get("/projects/{project}/users")
async def users_page(request: Request, project: str) -> Response:
    """The Users page."""
    q = request.query_params.get("q", "").strip()[:MAX_QUERY_CHARS]
    view = await open_view(request, project, PAGE, {"q": q} if q else None)
    pin_user_unit(view)
    content = await view.run(lambda: build(view, q))
    return respond(view, "users.html", content.tables, content=content, heading="Users")
