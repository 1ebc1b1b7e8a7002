"""Invariants on generated files: rejects carry their exact physical line, the counts add up
(read = inserted + updated + duplicates + rejected), and a second import adds nothing."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_SETTINGS
from uptake.ingest import ImportOptions, import_files
from uptake.store import Store

ROW_KINDS = st.sampled_from(["good", "multiline", "no_user", "bad_time", "few_fields", "blank"])


def csv_story(kinds: list[str], crlf: bool) -> tuple[str, list[tuple[int, str]], int, int]:
    """A CSV text and what importing it must give: (line, reason) of each reject, rows read
    and rows inserted. Every good row has its own user, so none is a duplicate."""
    end = "\r\n" if crlf else "\n"
    lines = ["user_id,event,timestamp,note"]
    expected: list[tuple[int, str]] = []
    read = inserted = 0
    line = 2
    for i, kind in enumerate(kinds):
        span = 1
        match kind:
            case "good":
                text = f"u{i},login,2026-01-04 10:00,n{i}"
            case "multiline":
                text = f'u{i},login,2026-01-04 10:00,"a{end}b{end}c"'
                span = 3
            case "no_user":
                text = ",login,2026-01-04 10:00,x"
                expected.append((line, "missing user_id"))
            case "bad_time":
                text = f"u{i},login,bad{i},x"
                expected.append((line, f"timestamp 'bad{i}' is not a date or time"))
            case "few_fields":
                text = f"u{i},login,2026-01-04 10:00"
                expected.append((line, "wrong number of fields: expected 4, found 3"))
            case _:
                text = ""
        if kind != "blank":
            read += 1
        if kind in ("good", "multiline"):
            inserted += 1
        lines.append(text)
        line += span
    return end.join(lines) + end, expected, read, inserted


@settings(max_examples=30, deadline=None)
@given(kinds=st.lists(ROW_KINDS, min_size=1, max_size=12), crlf=st.booleans())
def test_csv_rejects_lines_and_counts(kinds: list[str], crlf: bool) -> None:
    text, expected, read, inserted = csv_story(kinds, crlf)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "events.csv"
        path.write_bytes(text.encode())
        with Store.open(folder / "ws.duckdb", TEST_SETTINGS) as store:
            [first] = import_files(store, [path], ImportOptions(), rejects_dir=folder / "r")
            [again] = import_files(store, [path], ImportOptions(), rejects_dir=folder / "r")
            stored = store.row_counts()["events"]
        written = []
        if first.rejects_file is not None:
            written = [json.loads(x) for x in Path(first.rejects_file).read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in written] == expected
    assert (first.rows_read, first.inserted, first.rejected) == (read, inserted, len(expected))
    for s in (first, again):
        assert s.rows_read == s.inserted + s.updated + s.duplicates + s.rejected
    assert (again.inserted, again.duplicates) == (0, inserted)
    assert stored == inserted


@settings(max_examples=25, deadline=None)
@given(
    users=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["x", "y", ""])),
        min_size=1,
        max_size=10,
    )
)
def test_profile_counts_add_up(users: list[tuple[str, str]]) -> None:
    # Ids repeat within and across two imports of the same rows.
    text = "user_id,site\n" + "".join(f"{u},{s}\n" for u, s in users)
    distinct = len({u for u, _ in users})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "users.csv"
        path.write_text(text)
        with Store.open(folder / "ws.duckdb", TEST_SETTINGS) as store:
            [first] = import_files(store, [path], ImportOptions(), rejects_dir=folder / "r")
            [again] = import_files(store, [path], ImportOptions(), rejects_dir=folder / "r")
            stored = store.row_counts()["users"]
    assert (first.rows_read, first.inserted, first.updated) == (len(users), distinct, 0)
    assert (again.rows_read, again.inserted, again.updated) == (len(users), 0, distinct)
    for s in (first, again):
        assert s.rows_read == s.inserted + s.updated + s.duplicates + s.rejected
    assert stored == distinct
