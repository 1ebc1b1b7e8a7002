"""Logging in and out of the dashboard on the real server: CSRF on both forms, the session
cookie's flags, safe redirects after login, expiry, deleted users, and the failed-login limit."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.dashboard import PASSWORD, USER, Dashboard, csrf_of, login, running_dashboard
from uptake.server.dashboard_users import DashboardUsers
from uptake.server.home import ServerHome
from uptake.web.pages.login import WRONG


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """One server for the module; each test makes its own sessions."""
    with running_dashboard(tmp_path_factory.mktemp("sessions") / "home") as dashboard:
        yield dashboard


def cookie_header(answer: httpx.Response, name: str) -> str:
    """The Set-Cookie header that sets `name`."""
    found = [h for h in answer.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(found) == 1, answer.headers.get_list("set-cookie")
    return found[0]


def test_login_starts_a_session_with_safe_cookie_flags(site: Dashboard) -> None:
    with site.anonymous() as client:
        answer = login(client, USER, PASSWORD, next_url="/projects/acme/features?unit=account")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/projects/acme/features?unit=account"
        flags = [f.strip().lower() for f in cookie_header(answer, "uptake_session").split(";")]
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
        # Plain HTTP on 127.0.0.1: a Secure cookie would never come back.
        assert "secure" not in flags
        assert client.get("/projects/acme/features").status_code == 200


def test_login_form_carries_its_own_csrf_cookie(site: Dashboard) -> None:
    with site.anonymous() as client:
        form = client.get("/login")
    flags = [f.strip().lower() for f in cookie_header(form, "uptake_login_csrf").split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/login" in flags
    token = cookie_header(form, "uptake_login_csrf").split(";")[0].split("=", 1)[1]
    assert csrf_of(form.text) == token


def test_login_without_the_csrf_token_is_refused(site: Dashboard) -> None:
    with site.anonymous() as client:
        client.get("/login")
        answer = client.post(
            "/login", data={"name": USER, "password": PASSWORD, "csrf": "forged", "next": "/"}
        )
        assert answer.status_code == 403
        assert "This form has expired" in answer.text
        assert "uptake_session" not in client.cookies
    with site.anonymous() as other:
        # A cross-site page can post the form but cannot read or send our cookie: no token.
        answer = other.post("/login", data={"name": USER, "password": PASSWORD, "csrf": "x"})
        assert answer.status_code == 403


def test_cross_site_login_posts_are_refused_even_with_a_token(site: Dashboard) -> None:
    with site.anonymous() as client:
        token = csrf_of(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"name": USER, "password": PASSWORD, "csrf": token, "next": "/"},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
    assert answer.status_code == 403


def test_a_failed_login_does_not_say_which_part_was_wrong(site: Dashboard) -> None:
    with site.anonymous() as client:
        wrong_password = login(client, USER, "not the password")
        unknown_user = login(client, "nobody", "not the password")
    for answer in (wrong_password, unknown_user):
        assert answer.status_code == 401
        assert WRONG in answer.text
        assert "uptake_session" not in answer.headers.get("set-cookie", "")
    assert WRONG == "Unknown user name or wrong password."


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:x"]
)
def test_login_never_redirects_off_site(site: Dashboard, target: str) -> None:
    with site.anonymous() as client:
        answer = login(client, USER, PASSWORD, next_url=target)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_logout_needs_the_session_token_and_ends_the_session(site: Dashboard) -> None:
    with site.logged_in() as client:
        page = client.get("/projects/acme")
        forged = client.post("/logout", data={"csrf": "forged"})
        assert forged.status_code == 403
        assert client.get("/projects/acme").status_code == 200  # still logged in
        old = client.cookies["uptake_session"]
        answer = client.post("/logout", data={"csrf": csrf_of(page.text)})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"
        assert cookie_header(answer, "uptake_session").startswith('uptake_session="";')
    with site.anonymous() as replay:
        # The old cookie is worth nothing: the session is gone on the server.
        replay.cookies.set("uptake_session", old)
        assert replay.get("/projects/acme").status_code == 303


def test_logout_is_a_post(site: Dashboard) -> None:
    with site.logged_in() as client:
        assert client.get("/logout").status_code == 405


def test_a_new_login_is_a_new_session(site: Dashboard) -> None:
    with site.logged_in() as first, site.logged_in() as second:
        assert first.cookies["uptake_session"] != second.cookies["uptake_session"]
        assert first.get("/projects/acme").status_code == 200
        assert second.get("/projects/acme").status_code == 200


def test_sessions_expire(site: Dashboard) -> None:
    with site.logged_in() as client:
        assert client.get("/projects/acme").status_code == 200
        # Move every session's end into the past, as time would.
        with sqlite3.connect(ServerHome(site.server.home).keys_path) as con:
            con.execute("UPDATE dashboard_sessions SET expires_at = '2000-01-01T00:00:00Z'")
        answer = client.get("/projects/acme")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fprojects%2Facme"


def test_deleting_a_user_ends_its_sessions(site: Dashboard) -> None:
    users = DashboardUsers(ServerHome(site.server.home).keys_path)
    users.create("temp", "temporary password")
    with site.anonymous() as client:
        assert login(client, "temp", "temporary password").status_code == 303
        assert client.get("/projects/acme").status_code == 200
        users.delete("temp")
        assert client.get("/projects/acme").status_code == 303


def test_passwords_are_stored_as_salted_scrypt_hashes(site: Dashboard) -> None:
    DashboardUsers(ServerHome(site.server.home).keys_path).create("twin", PASSWORD)
    with sqlite3.connect(ServerHome(site.server.home).keys_path) as con:
        rows = con.execute(
            "SELECT password_hash FROM dashboard_users WHERE name IN (?, 'twin')", (USER,)
        ).fetchall()
    hashes = [row[0] for row in rows]
    for stored in hashes:
        scheme, n, r, p, salt, digest = stored.split("$")
        assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
        assert (len(base64.b64decode(salt)), len(base64.b64decode(digest))) == (16, 32)
        assert PASSWORD not in stored
    # Same password, different salts: nothing tells that two people share a password.
    assert hashes[0] != hashes[1]


def test_failed_logins_are_limited_per_address(tmp_path: Path) -> None:
    with running_dashboard(tmp_path / "home") as site, site.anonymous() as client:
        # A burst of 10 failures is allowed, then one per 6 seconds.
        codes = [login(client, USER, "wrong password").status_code for _ in range(11)]
        assert codes == [401] * 10 + [429]
        answer = login(client, USER, PASSWORD)
        assert answer.status_code == 429
        assert int(answer.headers["retry-after"]) >= 1
        assert "Too many failed logins" in answer.text
