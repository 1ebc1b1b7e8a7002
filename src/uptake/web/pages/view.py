"""What every page starts from: the logged-in session, the project, the filters from the query
string and the navigation; and how a page runs its metrics (in a worker thread, within the
server's query time limit, one failing metric never taking the page down).

A page module does three things: `view = await open_view(request, project, PAGE)`, computes
its results with `view.compute(spec)` inside `await view.run(...)`, and returns
`respond(view, "its.html", tables, ...)`, which also answers `?format=csv&table=NAME`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from uptake.errors import UptakeError
from uptake.metrics import Tables
from uptake.result import Result
from uptake.web.pages.errors import LoginRequired, PageError
from uptake.web.pages.filters import PARAMS, Filters, parse_filters
from uptake.web.pages.page import Page, project_url
from uptake.web.pages.render import csv_response, render
from uptake.web.pages.segments import segment_properties, segment_values
from uptake.web.pages.state import dashboard_state, server_state
from uptake.web.project import Project
from uptake.web.sessions import SESSION_COOKIE, Session

T = TypeVar("T")


def current_session(request: Request) -> Session | None:
    """The browser's live session, if any."""
    return dashboard_state(request).sessions.get(request.cookies.get(SESSION_COOKIE))


def require_session(request: Request) -> Session:
    """The browser's session; LoginRequired (a redirect to the login form) without one."""
    session = current_session(request)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return session


@dataclass(frozen=True)
class Computed:
    """A metric's result, or the one-line reason it could not be computed."""

    result: Result | None
    error: str | None = None


@dataclass(frozen=True)
class ProjectFacts:
    """What the filter bar needs to know about a project's data."""

    latest: dt.date | None
    properties: list[str]
    values: list[str]


@dataclass
class View:
    """One page of one project as one user asked for it."""

    request: Request
    session: Session
    page: Page
    project: Project
    projects: list[str]
    filters: Filters
    facts: ProjectFacts
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The project's name."""
        return self.project.name

    @property
    def navigation(self) -> list[Page]:
        """The pages of the left navigation."""
        return dashboard_state(self.request).navigation()

    @property
    def tracking_url(self) -> str:
        """Where this project's apps send events (as the browser reached this server)."""
        return str(self.request.base_url).rstrip("/") + "/v1/track"

    @property
    def segment_values_url(self) -> str:
        """Where the filter bar's script fetches the values of a segment property."""
        return project_url(self.name, "/segment-values")

    def url(self, page: Page | None = None, path: str | None = None, **changes: str | None) -> str:
        """A page of this project with the current filters (and page parameters, for the
        same page), some of them changed (None removes one)."""
        target = page or self.page
        same = target == self.page and path is None
        if not same and self.filters.period not in target.periods and "period" not in changes:
            # A period the other page does not offer would only be an error there.
            changes["period"] = None
        if not same and len(self.page.units) < len(target.units) and "unit" not in changes:
            # This page pinned its one unit: a page that lets people choose starts from its
            # own default, not from the pin.
            changes["unit"] = None
        params = dict(self.extra) if same else {}
        params.update({k: v for k, v in changes.items() if v is not None and k not in PARAMS})
        query = self.filters.query(**{k: v for k, v in changes.items() if k in PARAMS})
        extra = urlencode(params)
        if path is not None:
            base = project_url(self.name, path)
        elif same:
            # This very page (a feature's page has its own path under its Page's).
            base = quote(self.request.url.path, safe="/")
        else:
            base = target.url(self.name)
        return base + "?" + query + (f"&{extra}" if extra else "")

    def csv_url(self, table: str) -> str:
        """The CSV download of one of this page's tables."""
        return self.url(format="csv", table=table)

    async def run(self, work: Callable[[], T]) -> T:
        """Run blocking engine work in a worker thread, within the query time limit."""
        return await run_work(self.request, work)

    def compute(self, spec: Mapping[str, Any]) -> Computed:
        """Run one metric (blocking: call inside `run`): its result, or why there is none."""
        try:
            return Computed(self.project.compute(spec))
        except UptakeError as exc:
            return Computed(None, str(exc))


async def run_work(request: Request, work: Callable[[], T]) -> T:
    """Run blocking engine work in a worker thread, within the server's query time limit."""
    limit = server_state(request).config.query_timeout_seconds
    try:
        return await asyncio.wait_for(run_in_threadpool(work), limit)
    except TimeoutError:
        raise PageError(
            503,
            "This page took too long",
            f"Its metrics did not finish within {limit:g} s. Try a shorter date range.",
        ) from None


def _facts(project: Project, segment: str) -> ProjectFacts:
    def facts(tables: Tables) -> ProjectFacts:
        value = tables.events.timestamp.max().to_pyarrow().as_py()
        properties = segment_properties(tables)
        values = segment_values(tables, segment) if segment in properties else []
        return ProjectFacts(None if value is None else value.date(), properties, values)

    return project.read(facts)


async def open_view(
    request: Request, project: str, page: Page, extra: Mapping[str, str] | None = None
) -> View:
    """The view of `page` for `project`: LoginRequired without a session, PageError when the
    project does not exist or cannot be opened; filter problems are in `view.filters.errors`."""
    session = require_session(request)
    state = server_state(request)
    names = state.home.project_names()
    if project not in names:
        known = ", ".join(names) or "none yet"
        raise PageError(
            404,
            "No such project",
            f"There is no project {project!r} on this server (projects: {known}).",
        )
    try:
        opened = state.projects.get(project)
    except UptakeError as exc:
        raise PageError(503, "This project cannot be opened", str(exc)) from None
    query = request.query_params
    facts = await run_work(request, lambda: _facts(opened, query.get("segment", "")))
    filters = parse_filters(
        {k: query[k] for k in PARAMS if k in query},
        latest=facts.latest,
        week_start=opened.workspace.definitions.week_start,
        today=dt.datetime.now(dt.UTC).date(),
        properties=facts.properties,
        periods=page.periods,
        default_period=page.default_period,
    )
    return View(request, session, page, opened, names, filters, facts, dict(extra or {}))


def respond(view: View, template: str, tables: Mapping[str, Computed], **context: Any) -> Response:
    """The page as HTML, or with `?format=csv&table=NAME` that table's rows as CSV (the same
    result the page shows)."""
    query = view.request.query_params
    if query.get("format") == "csv":
        name = query.get("table", "")
        if view.filters.errors:
            raise PageError(400, "Bad filter", " ".join(view.filters.errors))
        if name not in tables:
            known = ", ".join(sorted(tables)) or "none"
            raise PageError(404, "No such table", f"This page has no table {name!r} ({known}).")
        found = tables[name]
        if found.result is None:
            raise PageError(400, "No data", found.error or "this table could not be computed")
        f = view.filters
        filename = f"{view.name}-{view.page.key}-{name}-{f.date_from}-{f.date_to}.csv"
        return csv_response(found.result.to_csv(), filename)
    return render(view.request, template, view=view, tables=tables, **context)
