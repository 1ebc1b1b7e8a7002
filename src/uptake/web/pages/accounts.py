"""Accounts: every customer account with its plan, seats, seats used, utilization, active users
and their change against the range before, features adopted and last activity, from the
`account_usage` metric; sortable, searchable by name (`q`), each row linking to the account's
page. The unit is always the account, so the filter bar's unit control is hidden."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.result import Result
from uptake.web.pages.formatting import MISSING
from uptake.web.pages.page import Page
from uptake.web.pages.tables import Cell, ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page("accounts", "Accounts", "/accounts", order=60, units=("account",))
router = APIRouter(include_in_schema=False)

# Longest search text kept (a name filter, not a document).
MAX_QUERY_CHARS = 200


def account_path(account_id: str) -> str:
    """The path (under the project) of an account's page."""
    return "/accounts/" + quote(account_id, safe="")


def per_account(view: View) -> None:
    """Pin the view's unit to the account: these pages always count accounts (the filter bar
    hides its unit control), and the subtitle and links say so."""
    view.filters = dataclasses.replace(view.filters, unit="account")


def usage_spec(view: View, *filters: dict[str, Any]) -> dict[str, Any]:
    """The account_usage spec of the view (its range and segment) with more filters; one row
    per account covers the whole range, so a page's period is left out."""
    return view.filters.spec("account_usage", unit="account", period=None, filters=list(filters))


def change_text(change: float | None) -> str:
    """Active users against the range before, as an arrow and a signed percentage (never
    colour alone); a dash when there were none before."""
    if change is None:
        return MISSING
    if change == 0:
        return "= 0%"
    arrow = "▲" if change > 0 else "▼"
    return f"{arrow} {change * 100:+.0f}%"


def last_active(value: dt.datetime | None) -> dt.date | None:
    """The day of the last activity (the table shows days; the CSV keeps the time)."""
    return value.date() if value is not None else None


@dataclass
class AccountsContent:
    """The accounts table, or why there is none."""

    table: TableView | None = None
    problem: str | None = None
    features_total: int = 0
    warnings: list[str] = field(default_factory=list)
    tables: dict[str, Computed] = field(default_factory=dict)


def accounts_table(view: View, result: Result) -> TableView:
    """The sortable table: name linked to the account's page, then the usage columns."""
    columns = [
        ColumnView("label", "Account"),
        ColumnView("plan", "Plan"),
        ColumnView("users", "Users", "count"),
        ColumnView("active_users", "Active users", "count"),
        ColumnView("active_users_change", "Change", "fraction"),
        ColumnView("seats", "Seats", "count"),
        ColumnView("seats_used", "Seats used", "count"),
        ColumnView("seat_utilization", "Utilization", "fraction"),
        ColumnView("features_adopted", "Features adopted", "count"),
        ColumnView("last_active", "Last active", "date"),
    ]
    rows = [
        {
            **row,
            # An account known only from events has no name: show its id.
            "label": row["name"] if row["name"] else row["account_id"],
            "last_active": last_active(row["last_active_at"]),
        }
        for row in result.rows
    ]
    table = table_view(
        "accounts",
        "Accounts",
        result,
        columns,
        view.csv_url("accounts"),
        link=lambda row: view.url(path=account_path(str(row["account_id"]))),
        rows=rows,
    )
    change = [c.key for c in columns].index("active_users_change")
    # The table may show fewer rows than the result (MAX_SHOWN_ROWS).
    for cells, row in zip(table.rows, rows, strict=False):
        value = row["active_users_change"]
        cells[change] = Cell(change_text(value), cells[change].sort)
    return dataclasses.replace(table, empty="No accounts match these filters.")


def build(view: View, q: str) -> AccountsContent:
    """The accounts table (blocking: runs in a worker thread)."""
    if view.facts.latest is None:
        return AccountsContent()
    by_name = [{"property": "account.name", "op": "contains", "value": q}] if q else []
    computed = view.compute(usage_spec(view, *by_name))
    if computed.result is None:
        return AccountsContent(problem=computed.error, tables={"accounts": computed})
    result = computed.result
    total = int(result.rows[0]["features_total"]) if result.rows else 0
    return AccountsContent(
        table=accounts_table(view, result),
        features_total=total,
        warnings=list(result.warnings),
        tables={"accounts": computed},
    )


@router.get("/projects/{project}/accounts")
async def accounts_page(request: Request, project: str) -> Response:
    """The Accounts page."""
    q = request.query_params.get("q", "").strip()[:MAX_QUERY_CHARS]
    view = await open_view(request, project, PAGE, {"q": q} if q else None)
    per_account(view)
    content = await view.run(lambda: build(view, q))
    return respond(
        view,
        "accounts.html",
        content.tables,
        content=content,
        heading="Accounts",
        q=q,
        all_url=PAGE.url(view.name) + "?" + view.filters.query(),
    )
