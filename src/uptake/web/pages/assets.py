"""Static files: the dashboard's CSS and JavaScript (`/static/...`) and Plotly.js, served from
the installed `plotly` package (`/vendor/plotly-<version>.min.js`): no CDN, it works offline.

Plotly.js's URL carries its version, so browsers may keep it for a year; our own files carry a
hash of their content (`?v=`), so a changed file is fetched again at once.

Plotly.js injects `<style>` elements, which a strict CSP blocks (and reports). It skips its
own rules when the page has an element `#plotly.js-style-global.no-inline-styles` (our
`<link>` to `static/plotly.css`, which holds those rules), and skips MapLibre's (map traces,
which we do not use) when an element with the id it checks exists: `plotly_style_guards()`
reads that id from the bundle, so an upgrade of plotly keeps working.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

from uptake.web.pages.errors import PageError

router = APIRouter(include_in_schema=False)

_VERSION = re.compile(rb"plotly\.js v([0-9][0-9A-Za-z.+-]*)")
_STYLE_GUARD = re.compile(
    rb'if\(!document\.getElementById\("([0-9a-f]{32,128})"\)\)\{var \w+=document\.createElement'
    rb'\("style"\)'
)
_YEAR = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class PlotlyBundle:
    """The Plotly.js file of the installed plotly package."""

    path: Path
    version: str
    style_guards: tuple[str, ...]


@functools.cache
def plotly_bundle() -> PlotlyBundle:
    """Where Plotly.js is, its version, and the ids that stop it injecting `<style>`."""
    spec = importlib.util.find_spec("plotly")
    assert spec is not None and spec.origin is not None, "the plotly package is a dependency"
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    data = path.read_bytes()
    found = _VERSION.search(data[:2000])
    version = found.group(1).decode() if found else "unknown"
    guards = tuple(dict.fromkeys(m.group(1).decode() for m in _STYLE_GUARD.finditer(data)))
    return PlotlyBundle(path, version, guards)


def plotly_url() -> str:
    """The URL of Plotly.js (versioned, cached for a year)."""
    return f"/vendor/plotly-{plotly_bundle().version}.min.js"


def plotly_style_guards() -> tuple[str, ...]:
    """Element ids whose presence stops Plotly.js from injecting a `<style>` element."""
    return plotly_bundle().style_guards


@functools.cache
def static_url(name: str) -> str:
    """The URL of one of our static files, with a hash of its content."""
    content = importlib.resources.files("uptake.web").joinpath("static", name).read_bytes()
    return f"/static/{name}?v={hashlib.sha256(content).hexdigest()[:12]}"


@router.get("/vendor/plotly-{version}.min.js")
async def plotly_js(version: str) -> FileResponse:
    """Plotly.js from the installed package."""
    bundle = plotly_bundle()
    if version != bundle.version:
        raise PageError(404, "Not found", f"this server has Plotly.js {bundle.version}")
    return FileResponse(bundle.path, media_type="text/javascript", headers={"Cache-Control": _YEAR})


def static_files() -> StaticFiles:
    """The app for `/static`: the files of uptake/web/static."""
    return StaticFiles(packages=[("uptake.web", "static")])
