"""Saved funnels in the home's server.sqlite (`uptake.server.saved_funnels`), on a real SQLite
file: names unique per project whatever their case, overwrite only when asked, delete, names
that read well, and the same funnels for a second opener of the file (the server after a
restart, or the CLI beside it). The page's save / share / delete: test_funnels_page.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from uptake.server.home import ServerHome
from uptake.server.saved_funnels import NameTaken, SavedFunnelError, SavedFunnels

QUERY = "from=2026-01-04&to=2026-01-17&unit=user&step=login&step=report_viewed"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def store(tmp_path: Path) -> SavedFunnels:
    """The saved funnels of a fresh home."""
    return SavedFunnels(ServerHome(tmp_path / "home").keys_path)


def test_save_get_and_list_by_project(store: SavedFunnels) -> None:
    saved = store.save("acme", "  Onboarding ", QUERY, "ada")
    # Surrounding spaces are not part of the name.
    assert (saved.project, saved.name, saved.query, saved.created_by) == (
        "acme", "Onboarding", QUERY, "ada",
    )  # fmt: skip
    assert STAMP.match(saved.created_at)
    store.save("acme", "Activation", "step=a&step=b", "bob")
    store.save("other", "Onboarding", "step=x&step=y", "ada")
    assert [f.name for f in store.funnels("acme")] == ["Activation", "Onboarding"]
    assert [f.query for f in store.funnels("other")] == ["step=x&step=y"]
    assert store.funnels("nobody") == []
    assert store.get("acme", "onboarding") == saved
    assert store.get("acme", "Nope") is None


def test_a_taken_name_needs_replace(store: SavedFunnels) -> None:
    store.save("acme", "Onboarding", QUERY, "ada")
    # The same name in another case is the same funnel.
    with pytest.raises(NameTaken, match="a funnel called 'Onboarding' is already saved in acme"):
        store.save("acme", "ONBOARDING", "step=a&step=b", "bob")
    assert store.get("acme", "Onboarding") is not None
    assert store.funnels("acme")[0].query == QUERY
    replaced = store.save("acme", "ONBOARDING", "step=a&step=b", "bob", replace=True)
    # One funnel, with the new query, author and spelling.
    assert [(f.name, f.query, f.created_by) for f in store.funnels("acme")] == [
        ("ONBOARDING", "step=a&step=b", "bob")
    ]
    assert replaced.name == "ONBOARDING"


def test_delete(store: SavedFunnels) -> None:
    store.save("acme", "Onboarding", QUERY, "ada")
    store.save("other", "Onboarding", QUERY, "ada")
    store.delete("acme", "onboarding ")
    assert store.funnels("acme") == []
    # Only that project's.
    assert len(store.funnels("other")) == 1
    with pytest.raises(SavedFunnelError, match="no funnel called 'Onboarding' is saved in acme"):
        store.delete("acme", "Onboarding")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "give the funnel a name"),
        ("   ", "give the funnel a name"),
        ("x" * 81, "a funnel name has at most 80 characters, not 81"),
        ("two\nlines", "a funnel name cannot hold control characters"),
    ],
)
def test_names_that_cannot_be_saved(store: SavedFunnels, name: str, message: str) -> None:
    with pytest.raises(SavedFunnelError, match=re.escape(message)):
        store.save("acme", name, QUERY, "ada")
    assert store.funnels("acme") == []


def test_a_query_string_must_be_there_and_of_sane_size(store: SavedFunnels) -> None:
    with pytest.raises(SavedFunnelError, match="1 to 8000 characters"):
        store.save("acme", "Empty", "", "ada")
    with pytest.raises(SavedFunnelError, match="1 to 8000 characters"):
        store.save("acme", "Huge", "step=" + "x" * 8000, "ada")
    # 80 characters of name and 8,000 of query are fine.
    store.save("acme", "n" * 80, "s" * 8000, "ada")
    assert len(store.funnels("acme")) == 1


def test_a_second_opener_sees_the_same_funnels(tmp_path: Path) -> None:
    path = ServerHome(tmp_path / "home").keys_path
    SavedFunnels(path).save("acme", "Onboarding", QUERY, "ada")
    # A new instance on the same file: the server after a restart, or the CLI.
    again = SavedFunnels(path)
    assert [(f.name, f.query) for f in again.funnels("acme")] == [("Onboarding", QUERY)]


def test_an_unopenable_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "server.sqlite"
    folder.mkdir()
    with pytest.raises(SavedFunnelError, match="cannot open the server file"):
        SavedFunnels(folder)
