"""A real `uptake serve` for the dashboard tests, on a home built through the Python API: a
small narrated project (`acme`, the story below, numbers worked out by hand in the tests),
optionally the seeded tiny demo (`demo`), and a dashboard login."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import TEST_SETTINGS, load_store
from tests.stories import account, day, journeys, user
from tests.web.conftest import PROJECT, RunningServer, create_key, free_port, make_home
from uptake.demo import generate
from uptake.server.dashboard_users import DashboardUsers
from uptake.server.home import ServerHome
from uptake.store import Store

USER = "ada"
PASSWORD = "correct horse battery"
DEMO = "demo"
DEMO_END = dt.date(2026, 11, 18)  # a Wednesday: the demo's default range ends Saturday the 14th

# Features of `acme` (appended to its uptake.toml). The second name is there to be escaped.
ACME_FEATURES = """
[[features]]
name = "Reports"
events = ["report_viewed"]
released_at = 2026-01-04

[[features]]
name = "<b>Bold</b> & \\"quoted\\""
events = ["bold_clicked"]
"""

# Two Sunday-start weeks: week 1 is days 0-6 (2026-01-04..10), week 2 days 7-13 (..01-17).
#   ann (Acme Corp, Sales):   login d0, report_viewed d1, login d8
#   bob (Acme Corp, Support): login d1, login d9, report_viewed d9, report_viewed d10
#   cat (Beta Ltd, Sales):    login d2
# The latest event is day 10 (Wednesday 2026-01-14).
ACME_STORY = journeys(
    {
        "ann": [("login", day(0)), ("report_viewed", day(1)), ("login", day(8))],
        "bob": [
            ("login", day(1)),
            ("login", day(9)),
            ("report_viewed", day(9)),
            ("report_viewed", day(10)),
        ],
        "cat": [("login", day(2))],
    },
    users={
        "ann": user(account="a1", department="Sales", site="Lyon"),
        "bob": user(account="a1", department="Support", site="Lyon"),
        # A value that must stay text wherever the page shows it.
        "cat": user(account="a2", department="Sales", site="</script><script>alert(1)</script>"),
    },
    accounts={"a1": account(name="Acme Corp", plan="pro"), "a2": account(name="Beta Ltd")},
)


def add_user(home: Path, name: str = USER, password: str = PASSWORD) -> None:
    """A dashboard login (through the Python API: the CLI has its own tests)."""
    DashboardUsers(ServerHome(home).keys_path).create(name, password)


def make_acme(home: Path) -> None:
    """Project `acme` holding the story above, with its features declared."""
    make_home(home, PROJECT)
    folder = ServerHome(home).project_path(PROJECT)
    toml = folder / "uptake.toml"
    toml.write_text(toml.read_text("utf-8") + ACME_FEATURES, "utf-8")
    with Store.open(folder / "uptake.duckdb", TEST_SETTINGS) as store:
        load_store(store, ACME_STORY)


def make_demo(home: Path) -> None:
    """Project `demo`: the seeded tiny demo workspace (about 10k events over 40 weeks)."""
    generate(
        ServerHome(home).projects_dir / DEMO,
        size="tiny",
        seed=7,
        end=DEMO_END,
        force=True,
        settings=TEST_SETTINGS,
    )


@dataclass
class Dashboard:
    """A running server with a dashboard login."""

    server: RunningServer
    user: str = USER
    password: str = PASSWORD

    @property
    def url(self) -> str:
        """Base URL."""
        return self.server.url

    def anonymous(self) -> httpx.Client:
        """A client with no session (redirects are not followed)."""
        return httpx.Client(base_url=self.url, timeout=60)

    @contextmanager
    def logged_in(self) -> Iterator[httpx.Client]:
        """A client with a fresh session."""
        with self.anonymous() as client:
            assert login(client, self.user, self.password).status_code == 303
            yield client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(client: httpx.Client, name: str, password: str, next_url: str = "/") -> httpx.Response:
    """Fill in and send the login form as a browser would; the response (not followed)."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    return client.post(
        "/login",
        data={"csrf": csrf_of(form.text), "name": name, "password": password, "next": next_url},
    )


@contextmanager
def running_dashboard(
    home: Path, demo: bool = False, empty: tuple[str, ...] = ()
) -> Iterator[Dashboard]:
    """A server on a new home with `acme`, the demo (with `demo`) and projects without data
    (`empty`); a read token for `acme` (for the demo when `demo`); the login USER / PASSWORD."""
    make_acme(home)
    if demo:
        make_demo(home)
    make_home(home, *empty)
    add_user(home)
    project = DEMO if demo else PROJECT
    server = RunningServer(
        home, free_port(), create_key(home, project, "write"), create_key(home, project, "read")
    )
    server.start()
    try:
        yield Dashboard(server)
    finally:
        server.stop()
