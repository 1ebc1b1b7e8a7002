"""Funnels: build a funnel in the page (steps, order, conversion window, breakdown), see how
many users (or accounts) reach each step, the conversion and drop-off between steps and the
time to convert; save it under a name and share its link.

The builder is a plain GET form, so the URL is the funnel (see `funnel_form.py`). A saved
funnel is that URL's query string, kept by name in the home's `server.sqlite`; its link is the
page's URL with that query string, so it keeps working after a restart (and even after the
saved entry is deleted) and shows the same dates to whoever opens it. Saving and deleting are
POSTs carrying the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from uptake.server.saved_funnels import NameTaken, SavedFunnelError, SavedFunnels
from uptake.web.body import read_body
from uptake.web.pages import funnel_chart
from uptake.web.pages.charts import Chart
from uptake.web.pages.errors import PageError
from uptake.web.pages.event_choices import EventChoices, choice_label, event_choices
from uptake.web.pages.funnel_chart import Completion
from uptake.web.pages.funnel_form import (
    ORDERS,
    WINDOW_UNITS,
    FunnelForm,
    packed,
    parse_funnel,
    unpacked,
)
from uptake.web.pages.page import Page, project_url
from uptake.web.pages.render import render
from uptake.web.pages.state import server_state
from uptake.web.pages.tables import TableView
from uptake.web.pages.view import Computed, View, open_view, require_session, respond
from uptake.web.security import cross_site, same_token

PAGE = Page("funnels", "Funnels", "/funnels", order=45)
router = APIRouter(include_in_schema=False)

MAX_FORM_BYTES = 16 * 1024
SAVED_ANCHOR = "#saved-funnels"


@dataclass(frozen=True)
class SavedLink:
    """A saved funnel as the page lists it; `current` when it is the funnel on the page."""

    name: str
    url: str
    created_by: str
    created_at: str
    current: bool


@dataclass
class FunnelContent:
    """The builder, the funnel's chart and table (or the problems that stop it), and the
    project's saved funnels."""

    form: FunnelForm
    query: str
    choices: EventChoices | None = None
    problems: list[str] = field(default_factory=list)
    chart: Chart | None = None
    table: TableView | None = None
    completions: list[Completion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    example_url: str | None = None
    example: list[str] = field(default_factory=list)
    saved: list[SavedLink] = field(default_factory=list)
    tables: dict[str, Computed] = field(default_factory=dict)

    @property
    def savable(self) -> bool:
        """Whether the funnel on the page can be saved: two steps or more and no problems."""
        return len(self.form.chosen) >= 2 and not self.problems

    def label(self, choice: str) -> str:
        """How a step reads (`Feature: Reports` or the event name)."""
        return choice_label(choice)


def page_url(project: str, query: str) -> str:
    """The Funnels page of `project` with a query string."""
    return project_url(project, PAGE.path) + (f"?{query}" if query else "")


def canonical_query(view: View, form: FunnelForm) -> str:
    """The query string that reproduces the funnel: the filter bar's explicit range, unit and
    segment, then the funnel (blank steps left out)."""
    return urlencode([*view.filters.params().items(), *form.pairs()])


def _store(request: Request) -> SavedFunnels:
    return SavedFunnels(server_state(request).home.keys_path)


def _problems(view: View, form: FunnelForm, choices: EventChoices) -> list[str]:
    problems = list(form.errors)
    for n, step in enumerate(form.chosen, 1):
        if problem := choices.problem(step):
            problems.append(f"Step {n}: {problem}")
    if form.breakdown and form.breakdown not in view.facts.properties:
        problems.append(
            f"There is no property {form.breakdown!r} to break down by in this project; "
            "choose one from the list"
        )
    return problems


def build(view: View, form: FunnelForm, saved: SavedFunnels) -> FunnelContent:
    """The page's content (blocking: runs in a worker thread)."""
    query = canonical_query(view, form)
    content = FunnelContent(form, query)
    content.saved = [
        SavedLink(s.name, page_url(view.name, s.query), s.created_by, s.created_at,
                  current=s.query == query)
        for s in saved.funnels(view.name)
    ]  # fmt: skip
    if view.facts.latest is None:
        return content
    choices = view.project.read(event_choices)
    content.choices = choices
    content.problems = _problems(view, form, choices)
    example = choices.values()[:2]
    if len(example) == 2:
        content.example = example
        pairs = [*view.filters.params().items(), *FunnelForm(tuple(example)).pairs()]
        content.example_url = page_url(view.name, urlencode(pairs))
    if len(form.chosen) < 2:
        return content
    if content.problems:
        content.tables["funnel"] = Computed(None, " ".join(content.problems))
        return content
    computed = view.compute(view.filters.spec("funnel", **form.spec()))
    content.tables["funnel"] = computed
    if computed.result is None:
        content.problems.append(computed.error or "This funnel could not be computed.")
        return content
    who = "users" if view.filters.unit == "user" else "accounts"
    csv_url = page_url(view.name, query + "&" + urlencode({"format": "csv", "table": "funnel"}))
    content.notes = list(computed.result.warnings)
    content.completions = funnel_chart.completions(computed.result)
    content.chart = funnel_chart.funnel_chart(computed.result, who)
    content.table = funnel_chart.funnel_table(computed.result, who, csv_url)
    return content


async def _page(
    request: Request,
    project: str,
    status: int = 200,
    save_error: str | None = None,
    save_name: str = "",
) -> Response:
    form = parse_funnel(request.query_params.multi_items())
    view = await open_view(request, project, PAGE, packed(form))
    store = await run_in_threadpool(_store, request)
    content = await view.run(lambda: build(view, form, store))
    context = {
        "content": content,
        "heading": "Funnels",
        "charts": True,
        "orders": ORDERS,
        "window_units": WINDOW_UNITS,
        "save_error": save_error,
        "save_name": save_name,
        "save_action": project_url(project, "/funnels/saved") + f"?{content.query}",
        "delete_action": project_url(project, "/funnels/saved/delete") + f"?{content.query}",
    }
    if status != 200:
        # An answer to a POST that went wrong: the page again, with what to fix.
        return render(request, "funnels.html", status, view=view, tables=content.tables, **context)
    return respond(view, "funnels.html", content.tables, **context)


@router.get("/projects/{project}/funnels")
async def funnels_page(request: Request, project: str) -> Response:
    """The Funnels page (the builder's edits and the filter bar's packed funnel redirect to
    the plain URL of the funnel)."""
    plain = unpacked(request.query_params.multi_items())
    if plain is not None:
        require_session(request)
        return RedirectResponse(page_url(project, urlencode(plain)), status_code=303)
    return await _page(request, project)


async def _checked_form(request: Request) -> dict[str, str]:
    """The posted form, once the session's CSRF token in it is checked (PageError 403)."""
    session = require_session(request)
    limit = server_state(request).config.body_timeout_seconds
    body = await read_body(request, MAX_FORM_BYTES, limit)
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    form = {k: v[0] for k, v in fields.items()}
    if cross_site(request) or not same_token(session.csrf_token, form.get("csrf")):
        raise PageError(
            403,
            "Not saved",
            "This form is out of date or came from another site: go back, reload the page and "
            "try again.",
        )
    return form


@router.post("/projects/{project}/funnels/saved")
async def save_funnel(request: Request, project: str) -> Response:
    """Save the funnel of the query string under the posted `name` (`replace` to overwrite)."""
    posted = await _checked_form(request)
    name = posted.get("name", "")
    form = parse_funnel(request.query_params.multi_items())
    view = await open_view(request, project, PAGE, packed(form))
    choices = await view.run(lambda: view.project.read(event_choices))
    if len(form.chosen) < 2 or view.filters.errors or _problems(view, form, choices):
        message = "Build a funnel of two steps or more, and fix what the page shows, to save it."
        return await _page(request, project, 400, message, name)
    store = await run_in_threadpool(_store, request)
    try:
        await run_in_threadpool(
            store.save,
            project,
            name,
            canonical_query(view, form),
            view.session.user,
            posted.get("replace") == "on",
        )
    except NameTaken as exc:
        return await _page(request, project, 409, str(exc), name)
    except SavedFunnelError as exc:
        return await _page(request, project, 400, str(exc), name)
    return RedirectResponse(
        page_url(project, canonical_query(view, form)) + SAVED_ANCHOR, status_code=303
    )


@router.post("/projects/{project}/funnels/saved/delete")
async def delete_funnel(request: Request, project: str) -> Response:
    """Delete the saved funnel called `name`, then back to the page it was deleted from."""
    posted = await _checked_form(request)
    view = await open_view(request, project, PAGE)
    store = await run_in_threadpool(_store, request)
    try:
        await run_in_threadpool(store.delete, view.name, posted.get("name", ""))
    except SavedFunnelError as exc:
        raise PageError(404, "No such saved funnel", f"{exc}.") from None
    back = page_url(project, request.url.query)
    return RedirectResponse(back + SAVED_ANCHOR, status_code=303)
