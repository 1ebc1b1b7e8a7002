"""An account's page: its facts (plan, seats, dates, MRR and usage in the range, the
`account_usage` row), usage over time (active users and events per period), the features its
users adopted, its users (linked to their timelines) and its survey answers (NPS, CSAT), every
metric filtered on `account.account_id`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.result import Result
from uptake.web.pages.accounts import PAGE as ACCOUNTS
from uptake.web.pages.accounts import change_text, per_account, usage_spec
from uptake.web.pages.charts import Chart, Series, series_chart
from uptake.web.pages.errors import PageError
from uptake.web.pages.formatting import MISSING, format_value
from uptake.web.pages.page import Page
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page(
    "account",
    "Account",
    ACCOUNTS.path,
    order=ACCOUNTS.order + 1,
    periods=("day", "week", "month"),
    default_period="week",
    nav=False,
    units=("account",),
)
router = APIRouter(include_in_schema=False)

# The users table lists at most this many people (user_search's own maximum).
MAX_USERS = 1000


@dataclass(frozen=True)
class Fact:
    """One labelled value of the account's header."""

    label: str
    value: str


@dataclass
class Section:
    """A chart with its table, or why it could not be drawn, or a note that it is empty."""

    chart: Chart | None = None
    table: TableView | None = None
    problem: str | None = None
    note: str | None = None


@dataclass
class AccountContent:
    """Everything the page shows about one account."""

    account_id: str
    name: str
    found: bool = False
    facts: list[Fact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    active: Section = field(default_factory=Section)
    events: Section = field(default_factory=Section)
    features: Section = field(default_factory=Section)
    users: Section = field(default_factory=Section)
    nps: Section = field(default_factory=Section)
    csat: Section = field(default_factory=Section)
    tables: dict[str, Computed] = field(default_factory=dict)


def _when(value: Any) -> str:
    """A timestamp as its UTC day (the time when it is not midnight)."""
    if value is None:
        return MISSING
    if isinstance(value, dt.datetime):
        midnight = value.time() == dt.time()
        return value.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M UTC")
    return str(value)


def _facts(row: dict[str, Any]) -> list[Fact]:
    """The header: what the accounts table says, then the usage in the range."""
    seats = row["seats"]
    adopted = f"{row['features_adopted']} of {row['features_total']}"
    return [
        Fact("Account id", row["account_id"]),
        Fact("Plan", row["plan"] or MISSING),
        Fact("Seats", format_value(seats, "count")),
        Fact("Customer since", _when(row["started_at"])),
        Fact("Renewal", _when(row["renewal_at"])),
        Fact("Churned", _when(row["churned_at"])),
        Fact("MRR", MISSING if row["mrr"] is None else f"{row['mrr']:,.2f}"),
        Fact("Users", format_value(row["users"], "count")),
        Fact("Active users", format_value(row["active_users"], "count")),
        Fact("Change in active users", change_text(row["active_users_change"])),
        Fact("Seats used", format_value(row["seats_used"], "count")),
        Fact("Seat utilization", format_value(row["seat_utilization"], "fraction")),
        Fact("Features adopted", adopted),
        Fact("Last active", _when(row["last_active_at"])),
    ]


def _over_time(view: View, name: str, title: str, label: str, result: Result, kind: str) -> Section:
    period = view.filters.period or "week"
    chart = series_chart(
        f"chart-{name}",
        title,
        result.column("period"),
        [Series(label, result.column("value"), "bar" if kind == "bar" else "line")],
        label,
    )
    table = table_view(
        name,
        title,
        result,
        [ColumnView("period", period.capitalize(), "date"), ColumnView("value", label, "count")],
        view.csv_url(name),
    )
    return Section(chart, table)


def _computed(content: AccountContent, name: str, computed: Computed) -> Result | None:
    content.tables[name] = computed
    return computed.result


def _usage(view: View, content: AccountContent, one: dict[str, Any]) -> None:
    f = view.filters
    period = f.period or "week"
    specs = {
        "active": f.spec("trend", unit="user", measure="unique", filters=[one]),
        "events": f.spec("trend", unit="user", measure="total", filters=[one]),
    }
    for name, spec in specs.items():
        result = _computed(content, name, view.compute(spec))
        if result is None:
            setattr(content, name, Section(problem=content.tables[name].error))
        elif name == "active":
            content.active = _over_time(
                view, name, f"Active users per {period}", "Active users", result, "line"
            )
        else:
            content.events = _over_time(view, name, f"Events per {period}", "Events", result, "bar")


def _features(view: View, content: AccountContent, one: dict[str, Any]) -> None:
    if not view.project.workspace.definitions.features:
        content.features = Section(
            note="No features are defined: declare [[features]] in uptake.toml to see which "
            "ones this account uses."
        )
        return
    spec = view.filters.spec("feature_adoption", unit="user", period=None, filters=[one])
    result = _computed(content, "features", view.compute(spec))
    if result is None:
        content.features = Section(problem=content.tables["features"].error)
        return
    columns = [
        ColumnView("feature", "Feature"),
        ColumnView("users", "Users", "count"),
        ColumnView("uses", "Uses", "count"),
        ColumnView("first_time_users", "First-time users", "count"),
        ColumnView("adoption_rate", "Adoption", "fraction"),
        ColumnView("median_days_to_first_use", "Median days to first use", "days"),
    ]
    table = table_view("features", "Adoption by feature", result, columns, view.csv_url("features"))
    content.features = Section(table=table)


def user_path(user_id: str) -> str:
    """The path (under the project) of a user's page (the Users page's timeline)."""
    return "/users/" + quote(user_id, safe="")


def _users(view: View, content: AccountContent, one: dict[str, Any]) -> None:
    spec = view.filters.spec("user_search", unit="user", limit=MAX_USERS, filters=[one])
    result = _computed(content, "users", view.compute(spec))
    if result is None:
        content.users = Section(problem=content.tables["users"].error)
        return
    columns = [
        ColumnView("user_id", "User"),
        ColumnView("department", "Department"),
        ColumnView("role", "Role"),
        ColumnView("last_seen", "Last seen", "date"),
        ColumnView("events_in_range", "Events in range", "count"),
        ColumnView("active_days_in_range", "Active days", "count"),
    ]
    rows = [
        {
            **row,
            "last_seen": row["last_seen_at"].date() if row["last_seen_at"] else None,
        }
        for row in result.rows
    ]
    table = table_view(
        "users",
        "Users and their activity",
        result,
        columns,
        view.csv_url("users"),
        # The Users page's timeline of that person, over the same range.
        link=lambda row: view.url(
            path="/users/" + quote(str(row["user_id"]), safe=""), period=None
        ),
        rows=rows,
    )
    matches = result.rows[0]["matches"] if result.rows else 0
    note = f"Showing {len(rows)} of {matches} users." if matches > len(rows) else None
    content.users = Section(table=table, note=note)


def _surveys(view: View, content: AccountContent, one: dict[str, Any]) -> None:
    f = view.filters
    period = f.period or "week"
    nps = _computed(content, "nps", view.compute(f.spec("nps", unit="user", filters=[one])))
    if nps is None:
        content.nps = Section(problem=content.tables["nps"].error)
    elif not any(nps.column("responses")):
        content.nps = Section(note="No NPS answers from this account's users in this range.")
    else:
        chart = series_chart(
            "chart-nps",
            f"NPS per {period}",
            nps.column("period"),
            [Series("NPS", nps.column("nps"))],
            "NPS (-100 to 100)",
            y_format="number",
        )
        columns = [
            ColumnView("period", period.capitalize(), "date"),
            ColumnView("responses", "Answers", "count"),
            ColumnView("promoters", "Promoters", "count"),
            ColumnView("passives", "Passives", "count"),
            ColumnView("detractors", "Detractors", "count"),
            ColumnView("nps", "NPS", "score"),
        ]
        content.nps = Section(
            chart, table_view("nps", "NPS answers", nps, columns, view.csv_url("nps"))
        )
    csat = _computed(content, "csat", view.compute(f.spec("csat", unit="user", filters=[one])))
    if csat is None:
        content.csat = Section(problem=content.tables["csat"].error)
    elif not any(csat.column("responses")):
        content.csat = Section(note="No CSAT answers from this account's users in this range.")
    else:
        chart = series_chart(
            "chart-csat",
            f"CSAT per {period}",
            csat.column("period"),
            [Series("Satisfied", csat.column("csat_percent"))],
            "% satisfied",
            y_format="percent",
        )
        columns = [
            ColumnView("period", period.capitalize(), "date"),
            ColumnView("responses", "Answers", "count"),
            ColumnView("satisfied", "Satisfied", "count"),
            ColumnView("csat_percent", "CSAT", "percent"),
        ]
        content.csat = Section(
            chart, table_view("csat", "CSAT answers", csat, columns, view.csv_url("csat"))
        )


def build(view: View, account_id: str) -> AccountContent:
    """The account's sections (blocking: runs in a worker thread); `found` is False when the
    project has no such account."""
    content = AccountContent(account_id, account_id)
    one = {"property": "account.account_id", "op": "eq", "value": account_id}
    facts = view.compute(usage_spec(view, one))
    content.tables["facts"] = facts
    if facts.result is None:
        # The header cannot be computed; the rest may still tell something.
        content.found = True
        content.warnings.append(f"Account facts: {facts.error}")
    elif not facts.result.rows:
        return content
    else:
        row = facts.result.rows[0]
        content.found = True
        content.name = row["name"] or account_id
        content.facts = _facts(row)
        content.warnings.extend(facts.result.warnings)
    if view.facts.latest is None:
        return content
    _usage(view, content, one)
    _features(view, content, one)
    _users(view, content, one)
    _surveys(view, content, one)
    return content


@router.get("/projects/{project}/accounts/{account_id:path}")
async def account_page(request: Request, project: str, account_id: str) -> Response:
    """An account's page."""
    view = await open_view(request, project, PAGE)
    per_account(view)
    content = await view.run(lambda: build(view, account_id))
    if not content.found:
        segment = view.filters.segment
        narrowed = f", or it is not in the segment {segment.label}" if segment else ""
        raise PageError(
            404,
            "No such account",
            f"Project {project!r} has no account {account_id!r} (not in its accounts, nor on "
            f"any event up to {view.filters.date_to}{narrowed}). Pick one on the Accounts page.",
        )
    return respond(
        view,
        "account.html",
        content.tables,
        content=content,
        heading=f"Account: {content.name}",
        charts=True,
        accounts_url=view.url(page=ACCOUNTS),
    )
