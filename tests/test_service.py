"""The service's compile cache: a repeated question skips building and compiling its query, and
the cache never hands back an answer that is out of date."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from pathlib import Path

from tests.conftest import TEST_SETTINGS, definitions_of, load_store
from tests.stories import date, day, journeys
from uptake import service
from uptake.metrics import Tables, parse_spec
from uptake.service import CompileCache, compute, explain
from uptake.store import Store
from uptake.store.event_stage import EventStage

# Week 1 (days 0-6): ann and bob log in; week 2 (days 7-13): ann exports, bob gets a
# notification, which the definitions below do not count as activity.
STORY = journeys(
    {
        "ann": [("login", day(0)), ("export", day(8))],
        "bob": [("login", day(1)), ("notification_received", day(9))],
    }
)
WEEKS = {"kind": "trend", "measure": "unique", "period": "week", "from": str(date(0))}
TWO_WEEKS = {**WEEKS, "to": str(date(13))}
NOT_NOTIFICATIONS = {"activity": {"events": ["*"], "exclude": ["notification_received"]}}


def values(result):
    return [(row["period"], row["value"]) for row in result.rows]


def test_the_same_spec_compiles_once(tables_for):
    tables = tables_for(STORY)
    cache = CompileCache()
    first, hit_first = cache.compile(parse_spec(TWO_WEEKS), tables)
    again, hit_again = cache.compile(parse_spec(dict(TWO_WEEKS)), tables)
    assert (hit_first, hit_again) == (False, True)
    assert again is first
    assert (len(cache), cache.hits, cache.misses) == (1, 1, 1)


def test_cached_answers_equal_fresh_ones(tables_for):
    # wk1: ann, bob; wk2: ann (export), bob (notification, activity by default).
    tables = tables_for(STORY)
    fresh = compute(TWO_WEEKS, tables)
    cached = compute(TWO_WEEKS, tables)
    assert values(fresh) == values(cached) == [(date(0), 2), (date(7), 2)]
    assert cached.sql == fresh.sql == explain(TWO_WEEKS, tables)


def test_another_spec_misses(tables_for):
    # Only week 1 in range: ann and bob.
    tables = tables_for(STORY)
    cache = CompileCache()
    cache.compile(parse_spec(TWO_WEEKS), tables)
    _, hit = cache.compile(parse_spec({**WEEKS, "to": str(date(6))}), tables)
    assert not hit
    assert values(compute({**WEEKS, "to": str(date(6))}, tables)) == [(date(0), 2)]


def test_other_definitions_miss(tables_for):
    # Without notifications, week 2 has only ann.
    tables = tables_for(STORY)
    narrower = dataclasses.replace(tables, definitions=definitions_of(NOT_NOTIFICATIONS))
    assert values(compute(TWO_WEEKS, tables)) == [(date(0), 2), (date(7), 2)]
    assert values(compute(TWO_WEEKS, narrower)) == [(date(0), 2), (date(7), 1)]


def test_default_dates_are_resolved_before_keying(tables_for):
    # A spec without dates means "the 90 days to today": parsed, it names today's date, so a
    # query cached yesterday (the same spec text) is not reused today.
    tables = tables_for(STORY)
    cache = CompileCache()
    today = parse_spec({"kind": "trend"})
    yesterday = today.model_copy(update={"date_to": today.date_to - dt.timedelta(days=1)})
    cache.compile(yesterday, tables)
    _, hit = cache.compile(today, tables)
    assert not hit


def test_least_recently_used_entries_go_first(tables_for):
    tables = tables_for(STORY)
    cache = CompileCache(entries=2)
    specs = [{**WEEKS, "to": str(date(n))} for n in (6, 13, 20)]
    for spec in specs:
        cache.compile(parse_spec(spec), tables)
    assert len(cache) == 2
    _, oldest_hit = cache.compile(parse_spec(specs[0]), tables)
    assert not oldest_hit


def test_entries_go_with_their_tables(tables_for):
    cache = CompileCache()
    tables = tables_for(STORY)
    cache.compile(parse_spec(TWO_WEEKS), tables)
    assert len(cache) == 1
    del tables
    gc.collect()
    assert len(cache) == 0


def test_new_data_shows_in_a_cached_query(tmp_path: Path):
    # The SQL is cached, never the rows: cat's login committed after the first run counts.
    store = Store.open(tmp_path / "store.duckdb", TEST_SETTINGS)
    try:
        load_store(store, STORY)
        tables = Tables.in_store(store.backend, definitions_of(None))
        assert values(compute(TWO_WEEKS, tables)) == [(date(0), 2), (date(7), 2)]
        later = journeys({"cat": [("login", day(10))]})
        stage = EventStage(store)
        stage.add(later.events)
        stage.commit()
        hits = service.CACHE.hits
        rerun = compute(TWO_WEEKS, tables)
        assert service.CACHE.hits == hits + 1
        assert values(rerun) == [(date(0), 2), (date(7), 3)]
    finally:
        store.close()
