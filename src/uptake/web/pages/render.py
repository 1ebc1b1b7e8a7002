"""Rendering: the Jinja2 templates (autoescaped, strict about undefined names), data embedded
in pages as JSON that cannot break out of its `<script>` block, and CSV downloads."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import jinja2
import orjson
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from uptake import __version__
from uptake.web.pages.assets import plotly_style_guards, plotly_url, static_url

# Inside <script type="application/json"> the HTML parser only looks for `</script` (and
# `<!--`): escaping <, > and & as JSON \u escapes keeps any text inert, and the JSON stays
# equal. U+2028/2029 are escaped too, so the text is also a valid JavaScript literal.
_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot embed {type(value).__name__} as JSON")


def embed_json(value: Any) -> Markup:
    """`value` as JSON safe to place inside a `<script type="application/json">` element."""
    text = orjson.dumps(value, default=_plain, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    return Markup(_UNSAFE_RE.sub(lambda m: _UNSAFE[m.group(0)], text))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("uptake.web", "templates"),
        # Every template, whatever its name: nothing reaches a page unescaped by accident.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["embed_json"] = embed_json
    env.globals.update(
        static=static_url,
        plotly_url=plotly_url,
        plotly_style_guards=plotly_style_guards,
        version=__version__,
    )
    return env


TEMPLATES = _environment()

# Pages show one person's view of private data: never stored by the browser or a proxy.
_NO_STORE = {"Cache-Control": "no-store"}


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """An HTML page from `template` with `context` (and `request`)."""
    html = TEMPLATES.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers=_NO_STORE)


def render_error(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """The error page: what went wrong and what to do."""
    return render(request, "error.html", status, title=title, message=message)


def csv_response(text: str, filename: str) -> Response:
    """A CSV download."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", filename).strip("-") or "table.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}"', **_NO_STORE},
    )
