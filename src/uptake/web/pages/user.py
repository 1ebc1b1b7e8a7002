"""A person's page: their profile (account, traits, signup, licence, first and last seen),
their events per period, their timeline of events newest first (paged: "older events" carries
`before` and `before_id`, the last event shown) and their survey answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from uptake.result import Result
from uptake.web.pages.charts import Chart, Series, series_chart
from uptake.web.pages.errors import PageError
from uptake.web.pages.page import Page
from uptake.web.pages.tables import ColumnView, TableView, table_view
from uptake.web.pages.users import PAGE as USERS
from uptake.web.pages.users import account_path, pin_user_unit, user_traits, when, yes_no
from uptake.web.pages.view import Computed, View, open_view, respond

PAGE = Page(
    "user",
    "User",
    USERS.path,
    order=USERS.order + 1,
    periods=("day", "week", "month"),
    default_period="week",
    nav=False,
    units=("user",),
)
router = APIRouter(include_in_schema=False)

# Events per page of the timeline.
PAGE_SIZE = 50


@dataclass(frozen=True)
class Fact:
    """One labelled value of the profile; `href` links it."""

    label: str
    value: str
    href: str | None = None


@dataclass
class UserContent:
    """The person's page, section by section; `problems` lists what could not be computed."""

    user_id: str
    facts: list[Fact] = field(default_factory=list)
    traits: list[Fact] = field(default_factory=list)
    activity: Chart | None = None
    activity_table: TableView | None = None
    timeline: TableView | None = None
    older_url: str | None = None
    newest_url: str | None = None
    before: str | None = None
    answers: TableView | None = None
    problems: list[str] = field(default_factory=list)
    tables: dict[str, Computed] = field(default_factory=dict)


def _text(value: object) -> str:
    return "—" if value is None or value == "" else str(when(value))


def _profile(view: View, user_id: str) -> Result | None:
    """The person's user_search row (None: nobody by that id). Someone first seen after `to`
    is looked up again up to the latest event, so they still have a page."""
    traits = user_traits(view)
    spec = view.filters.spec("user_search", unit="user", user_ids=[user_id], traits=traits)
    spec.pop("period", None)
    # The segment decides what is counted, not who exists.
    spec.pop("filters", None)
    found = view.compute(spec)
    latest = view.facts.latest
    if (
        found.result is not None
        and not found.result.rows
        and latest
        and latest > view.filters.date_to
    ):
        found = view.compute({**spec, "to": latest.isoformat()})
    if found.result is None:
        raise PageError(400, "This user cannot be shown", found.error or "")
    return found.result if found.result.rows else None


def _facts(view: View, content: UserContent, row: dict[str, Any]) -> None:
    account = row["account_name"] or row["account_id"]
    href = view.url(path=account_path(str(row["account_id"]))) if row["account_id"] else None
    content.facts = [
        Fact("Account", _text(account), href),
        Fact("Signed up", _text(row["created_at"])),
        Fact("Licensed", _text(yes_no(row["licensed"]))),
        Fact("First seen (UTC)", _text(row["first_seen_at"])),
        Fact("Last seen (UTC)", _text(row["last_seen_at"])),
        Fact("Events in range", f"{row['events_in_range']:,}"),
        Fact("Active days in range", f"{row['active_days_in_range']:,}"),
    ]
    content.traits = [
        Fact(key, str(row[key])) for key in user_traits(view) if row.get(key) is not None
    ]


def _activity(view: View, content: UserContent, user_id: str) -> None:
    f = view.filters
    period = f.period or "week"
    one = {"property": "user.user_id", "op": "eq", "value": user_id}
    spec = f.spec("trend", unit="user", measure="total", events=["*"], filters=[one])
    computed = view.compute(spec)
    content.tables["activity"] = computed
    if computed.result is None:
        content.problems.append(f"Events per {period}: {computed.error}")
        return
    result = computed.result
    content.activity = series_chart(
        "chart-user-activity",
        f"Events per {period}",
        result.column("period"),
        [Series("Events", result.column("value"), "bar")],
        "Events",
    )
    content.activity_table = table_view(
        "activity", f"Events per {period}", result,
        [ColumnView("period", period.capitalize(), "date"), ColumnView("value", "Events", "count")],
        view.csv_url("activity"),
    )  # fmt: skip


def _timeline(
    view: View, content: UserContent, user_id: str, before: dt.datetime | None, before_id: str
) -> None:
    params: dict[str, Any] = {"user_id": user_id, "limit": PAGE_SIZE}
    if before is not None:
        params["before"] = before.isoformat()
        if before_id:
            params["before_message_id"] = before_id
    spec = view.filters.spec("user_timeline", unit="user", **params)
    spec.pop("period", None)
    computed = view.compute(spec)
    content.tables["timeline"] = computed
    if computed.result is None:
        content.problems.append(f"Timeline: {computed.error}")
        return
    result = computed.result
    shown = [{**row, "timestamp": when(row["timestamp"])} for row in result.rows]
    columns = [
        ColumnView("timestamp", "Time (UTC)"),
        ColumnView("event", "Event"),
        ColumnView("features", "Features"),
        ColumnView("account_id", "Account"),
        ColumnView("properties", "Properties"),
    ]
    title = "Timeline, newest first" if before is None else f"Timeline, before {when(before)}"
    table = table_view("timeline", title, result, columns, view.csv_url("timeline"), rows=shown)
    empty = "No older events in this range." if before else "No events in this range."
    content.timeline = replace(table, empty=empty)
    if before is not None:
        content.before = str(when(before))
        content.newest_url = view.url()
    if len(result.rows) == PAGE_SIZE:
        last = result.rows[-1]
        content.older_url = view.url(
            before=last["timestamp"].isoformat(), before_id=str(last["message_id"])
        )


def _answers(view: View, content: UserContent, user_id: str) -> None:
    spec = view.filters.spec("user_responses", unit="user", user_id=user_id)
    spec.pop("period", None)
    computed = view.compute(spec)
    content.tables["answers"] = computed
    if computed.result is None:
        content.problems.append(f"Survey answers: {computed.error}")
        return
    shown = [{**row, "timestamp": when(row["timestamp"])} for row in computed.result.rows]
    columns = [
        ColumnView("timestamp", "Time (UTC)"),
        ColumnView("survey", "Survey"),
        ColumnView("score", "Score", "number"),
        ColumnView("comment", "Comment"),
    ]
    table = table_view(
        "answers", "Survey answers", computed.result, columns, view.csv_url("answers"), rows=shown
    )
    content.answers = replace(table, empty="No survey answers in this range.")


def build(view: View, user_id: str, before: dt.datetime | None, before_id: str) -> UserContent:
    """The person's sections (blocking: runs in a worker thread); PageError 404 for nobody."""
    profile = _profile(view, user_id)
    if profile is None:
        raise PageError(
            404,
            "No such user",
            f"Project {view.name!r} has no user {user_id!r}: no profile and no events. "
            "Search for them on the Users page.",
        )
    content = UserContent(user_id)
    _facts(view, content, profile.rows[0])
    content.tables["profile"] = Computed(profile)
    _activity(view, content, user_id)
    _timeline(view, content, user_id, before, before_id)
    _answers(view, content, user_id)
    return content


def _before(view: View, text: str) -> dt.datetime | None:
    """The paging cursor from the URL; a bad one is reported and ignored."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        view.filters = view.filters.with_error(
            f"`before`: {text!r} is not a time (use YYYY-MM-DDTHH:MM:SS); showing the newest events"
        )
        return None


@router.get("/projects/{project}/users/{user_id:path}")
async def user_page(request: Request, project: str, user_id: str) -> Response:
    """A person's page."""
    view = await open_view(request, project, PAGE)
    pin_user_unit(view)
    query = request.query_params
    before = _before(view, query.get("before", "").strip())
    before_id = query.get("before_id", "").strip() if before is not None else ""
    content = await view.run(lambda: build(view, user_id, before, before_id))
    return respond(
        view,
        "user.html",
        content.tables,
        content=content,
        heading=f"User: {user_id}",
        charts=True,
        users_url=view.url(page=USERS),
    )
