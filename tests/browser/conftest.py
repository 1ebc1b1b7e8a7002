"""Playwright on Debian's Chromium (never a downloaded browser) against the real server: one
server for the session (the seeded tiny demo, the `acme` story, a project without data), one
browser, and a fresh browser context per test that fails the test on any console error,
uncaught exception or Content-Security-Policy violation.

Screenshots go to test-output/screenshots/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.web.dashboard import PASSWORD, USER, Dashboard, running_dashboard

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
# Every violation reaches the console, whatever the browser's own reporting does.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


# Module scope, not session: Playwright's sync API runs an event loop (on greenlets) in the
# main thread while it is open, and tests that run after it (asyncio.run, hypothesis's source
# parsing) fail if it is still alive.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the whole run."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium (apt-get install chromium); .ci/run does it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """The server: projects acme (the story), demo (tiny, seeded) and empty."""
    home = tmp_path_factory.mktemp("browser") / "home"
    with running_dashboard(home, demo=True, empty=("empty",)) as dashboard:
        yield dashboard


@dataclass
class Console:
    """What the page said on its console, and the errors it threw."""

    errors: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect(self, fragment: str) -> None:
        """Allow console errors containing `fragment` (e.g. the 401 of a failed login)."""
        self.expected.append(fragment)

    def unexpected(self) -> list[str]:
        """Errors not allowed with `expect`."""
        return [e for e in self.errors if not any(x in e for x in self.expected)]


@pytest.fixture(scope="module")
def login_state(browser: Browser, site: Dashboard, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A logged-in browser state (cookies), saved once: each test starts from it."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(site.url + "/login")
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/projects/**")
    path = tmp_path_factory.mktemp("state") / "state.json"
    path.write_text(json.dumps(context.storage_state()), "utf-8")
    context.close()
    return str(path)


def _watch(page: Page, console: Console) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))


@pytest.fixture
def console() -> Console:
    """The console of the test's page."""
    return Console()


def _context(browser: Browser, state: str | None) -> BrowserContext:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, storage_state=state)
    context.add_init_script(REPORT_CSP)
    context.set_default_timeout(30_000)
    return context


@pytest.fixture
def anonymous(browser: Browser, console: Console) -> Iterator[Page]:
    """A page with no session; the test fails on console errors."""
    context = _context(browser, None)
    page = context.new_page()
    _watch(page, console)
    yield page
    context.close()
    assert console.unexpected() == []


@pytest.fixture
def page(browser: Browser, login_state: str, console: Console) -> Iterator[Page]:
    """A logged-in page; the test fails on console errors, uncaught exceptions or CSP
    violations."""
    context = _context(browser, login_state)
    page = context.new_page()
    _watch(page, console)
    yield page
    context.close()
    assert console.unexpected() == []


def screenshot(page: Page, name: str) -> None:
    """Save the whole page under test-output/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def settled(page: Page) -> None:
    """Wait until the page's charts are drawn (dashboard.js marks <html data-charts>)."""
    page.wait_for_selector("html[data-charts='ready']", state="attached")
