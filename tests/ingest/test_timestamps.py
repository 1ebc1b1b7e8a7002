"""Timestamps: ISO 8601 with and without offsets, dates, epochs by magnitude or unit, patterns,
and typed Parquet / JSON values — all stored as naive UTC."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from tests.ingest.lookups import counts, rows

T = dt.datetime
# 1767528000 s since 1970 = 20454 days (56 years, 14 of them leap) + 3 days + 12 h
# = 2026-01-04 12:00:00 UTC.
NOON = 1767528000


def test_text_timestamps_of_every_accepted_shape(ws, write, load):
    path = write(
        "events.csv",
        "user_id,event,timestamp\n"
        "a,t,2026-01-04T12:00:00+02:00\n"  # offset +2 h -> 10:00 UTC
        "b,t,2026-01-04T12:00:00-05:30\n"  # offset -5:30 -> 17:30 UTC
        "c,t,2026-01-04T12:00:00Z\n"  # Z = UTC
        "d,t,2026-01-04 12:00:00\n"  # no offset = UTC
        "e,t,2026-01-04\n"  # a date = midnight UTC
        f"f,t,{NOON}\n"  # epoch seconds (< 1e11)
        f"g,t,{NOON}123\n"  # epoch milliseconds (< 1e14)
        f"h,t,{NOON}.5\n"  # fractional epoch seconds
        "i,t,2026-01-04T12:00Z\n"  # ISO without seconds
        "j,t,2026-01-04T12:00:00.123456+01:00\n"  # microseconds and an offset -> 11:00
        f"k,t,{NOON}000000\n"  # epoch microseconds (< 1e17)
        "l,t, 2026-01-04 12:00:00 \n",  # surrounding spaces are ignored
    )
    [summary] = load(path)
    assert counts(summary) == (12, 12, 0, 0, 0)
    assert rows(ws, 'SELECT user_id, "timestamp" FROM events ORDER BY user_id') == [
        ("a", T(2026, 1, 4, 10, 0)),
        ("b", T(2026, 1, 4, 17, 30)),
        ("c", T(2026, 1, 4, 12, 0)),
        ("d", T(2026, 1, 4, 12, 0)),
        ("e", T(2026, 1, 4, 0, 0)),
        ("f", T(2026, 1, 4, 12, 0)),
        ("g", T(2026, 1, 4, 12, 0, 0, 123000)),
        ("h", T(2026, 1, 4, 12, 0, 0, 500000)),
        ("i", T(2026, 1, 4, 12, 0)),
        ("j", T(2026, 1, 4, 11, 0, 0, 123456)),
        ("k", T(2026, 1, 4, 12, 0)),
        ("l", T(2026, 1, 4, 12, 0)),
    ]


def test_bad_timestamps_are_rejected_with_the_value(write, load):
    # Lines: 2 not a date; 3 Feb 30 does not exist; 4 a value longer than 60 characters is
    # cut with an ellipsis.
    long_value = "x" * 70
    path = write(
        "events.csv",
        f"user_id,event,timestamp\na,t,soon\nb,t,2026-02-30\nc,t,{long_value}\n",
    )
    [summary] = load(path)
    assert counts(summary) == (3, 0, 0, 0, 3)
    assert [(r.line, r.reason) for r in summary.first_rejects] == [
        (2, "timestamp 'soon' is not a date or time"),
        (3, "timestamp '2026-02-30' is not a date or time"),
        (4, f"timestamp '{'x' * 60}…' is not a date or time"),
    ]


def test_timestamp_unit_overrides_the_magnitude_guess(ws, write, load):
    # 1767528000 read as milliseconds = 1767528 s = 20 days + 39528 s = 1970-01-21 10:58:48.
    path = write("events.csv", f"user_id,event,timestamp\na,t,{NOON}\n")
    load(path, timestamp_unit="ms")
    assert rows(ws, 'SELECT "timestamp" FROM events') == [(T(1970, 1, 21, 10, 58, 48),)]


def test_timestamp_format_reads_day_first_dates(ws, write, load):
    # 04/01/2026 is 4 January with %d/%m/%Y; epochs still read as epochs.
    path = write(
        "events.csv", f"user_id,event,timestamp\na,t,04/01/2026 12:30\nb,t,{NOON}\nc,t,2026-01-04\n"
    )
    [summary] = load(path, timestamp_format="%d/%m/%Y %H:%M")
    # c's ISO date does not match the pattern: with a pattern, only the pattern is read.
    assert [(r.line, r.reason) for r in summary.first_rejects] == [
        (4, "timestamp '2026-01-04' is not a date or time"),
    ]
    assert rows(ws, 'SELECT user_id, "timestamp" FROM events ORDER BY 1') == [
        ("a", T(2026, 1, 4, 12, 30)),
        ("b", T(2026, 1, 4, 12, 0)),
    ]


def test_typed_parquet_timestamps(ws, tmp_path, load):
    # A zoned timestamp column (Paris, 13:00 local = 12:00 UTC), an epoch-milliseconds integer
    # column mapped as received_at, and a date column mapped as a property stays text.
    noon_utc = T(2026, 1, 4, 12, tzinfo=dt.UTC)
    table = pa.table(
        {
            "user_id": ["ann"],
            "event": ["login"],
            "timestamp": pa.array([noon_utc], pa.timestamp("ms", tz="Europe/Paris")),
            "got": pa.array([NOON * 1000 + 250], pa.int64()),
            "day": pa.array([dt.date(2026, 1, 4)], pa.date32()),
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    load(path, mapping={"received_at": "got"})
    assert rows(
        ws, 'SELECT "timestamp", received_at, CAST(properties AS MAP(VARCHAR, VARCHAR)) FROM events'
    ) == [
        (T(2026, 1, 4, 12), T(2026, 1, 4, 12, 0, 0, 250000), {"day": "2026-01-04"}),
    ]


def test_json_numbers_are_epochs(ws, write, load):
    path = write(
        "events.jsonl",
        f'{{"user_id": "a", "event": "t", "timestamp": {NOON}}}\n'
        f'{{"user_id": "b", "event": "t", "timestamp": {NOON}250}}\n',
    )
    load(path)
    assert rows(ws, 'SELECT user_id, "timestamp" FROM events ORDER BY 1') == [
        ("a", T(2026, 1, 4, 12)),
        ("b", T(2026, 1, 4, 12, 0, 0, 250000)),
    ]
