"""The narrow dedupe keys (`message_keys`): one per stored event, the day and the lower 64 bits
of the message id's MD5; a matching key is confirmed against `events`, so a collision never
drops an event; a version-1 store gets its keys built when it is opened for writing."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.conftest import TEST_SETTINGS
from tests.store.test_event_stage import commit, events, fetch
from tests.stories import date, day
from uptake.store import Store


def md5_lower(message_id: str) -> int:
    """DuckDB's md5_number_lower, computed here with hashlib: the digest's last 8 bytes read
    little-endian (by hand for 'abc': MD5 900150983cd24fb0 d6963f7d28e17f72, last 8 bytes
    reversed: 0x727fe1287d3f96d6 = 8250560606382298838, what DuckDB returns)."""
    return int.from_bytes(hashlib.md5(message_id.encode()).digest()[8:], "little")


def test_every_stored_event_has_its_key(tmp_path: Path) -> None:
    with Store.open(tmp_path / "ws.duckdb", TEST_SETTINGS) as store:
        commit(store, events(("m1", "ann", "login", day(0)), ("m2", "bob", "login", day(1, 23))))
        # A retry and a new event: only m3 is new.
        commit(store, events(("m1", "ann", "login", day(0)), ("m3", "bob", "login", day(1))))
        keys = fetch(store, 'SELECT "day", "key" FROM message_keys ORDER BY "day", "key"')
    expected = sorted(
        [(date(0), md5_lower("m1")), (date(1), md5_lower("m2")), (date(1), md5_lower("m3"))]
    )
    assert keys == expected


def test_a_colliding_key_never_drops_an_event(tmp_path: Path) -> None:
    with Store.open(tmp_path / "ws.duckdb", TEST_SETTINGS) as store:
        # A stored key equal to the new event's, as if another stored id hashed the same.
        store.con.execute("INSERT INTO message_keys VALUES (?, ?)", [date(0), md5_lower("new")])
        stats = commit(store, events(("new", "ann", "login", day(0))))
        assert (stats.staged, stats.inserted) == (1, 1)
        assert fetch(store, "SELECT message_id FROM events") == [("new",)]
        # ...and once stored for real, a retry of it is caught.
        again = commit(store, events(("new", "ann", "login", day(0))))
        assert (again.staged, again.inserted) == (1, 0)


def test_a_version_1_store_gets_its_keys_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    with Store.open(path, TEST_SETTINGS) as store:
        commit(store, events(("m1", "ann", "login", day(0)), ("m2", "bob", "login", day(2))))
        # What a store written before message_keys looked like: no keys, version 1.
        store.con.execute("DELETE FROM message_keys")
        store.con.execute("UPDATE meta SET \"value\" = '1' WHERE \"key\" = 'schema_version'")
    with Store.open(path, TEST_SETTINGS) as store:
        assert fetch(store, 'SELECT "value" FROM meta WHERE "key" = \'schema_version\'') == [("2",)]
        keys = fetch(store, 'SELECT "day", "key" FROM message_keys ORDER BY "day"')
        assert keys == [(date(0), md5_lower("m1")), (date(2), md5_lower("m2"))]
        # The rebuilt keys dedupe as before: the same two events again add nothing.
        stats = commit(
            store, events(("m1", "ann", "login", day(0)), ("m2", "bob", "login", day(2)))
        )
        assert (stats.staged, stats.inserted) == (2, 0)
