"""The canonical tables: their columns, as Arrow schemas (the contract with importers) and DDL.

All timestamps are naive UTC (`TIMESTAMP`, microseconds): converting at the edge keeps every
engine's date arithmetic in one zone whatever its session time zone is.

Event `properties` are JSON object text (DuckDB `JSON`): a DuckDB MAP was 8x slower to write
for the same read speed (see store/properties_json.py); the event stage also accepts a
`map<string, string>` column and converts it. User and account `traits` stay maps: those tables
are small and upserts merge traits key by key with `map_concat`.
"""

from __future__ import annotations

import pyarrow as pa

PROPS = pa.map_(pa.string(), pa.string())
TS = pa.timestamp("us")

CANONICAL_SCHEMAS: dict[str, pa.Schema] = {
    "events": pa.schema(
        [
            pa.field("message_id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("anonymous_id", pa.string()),
            pa.field("account_id", pa.string()),
            pa.field("event", pa.string(), nullable=False),
            pa.field("timestamp", TS, nullable=False),
            pa.field("received_at", TS, nullable=False),
            pa.field("properties", pa.string()),
        ]
    ),
    "users": pa.schema(
        [
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("account_id", pa.string()),
            pa.field("created_at", TS),
            pa.field("licensed", pa.bool_()),
            pa.field("traits", PROPS),
        ]
    ),
    "accounts": pa.schema(
        [
            pa.field("account_id", pa.string(), nullable=False),
            pa.field("name", pa.string()),
            pa.field("plan", pa.string()),
            pa.field("seats", pa.int64()),
            pa.field("created_at", TS),
            pa.field("started_at", TS),
            pa.field("renewal_at", TS),
            pa.field("churned_at", TS),
            pa.field("mrr", pa.float64()),
            pa.field("traits", PROPS),
        ]
    ),
    "responses": pa.schema(
        [
            pa.field("response_id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("account_id", pa.string()),
            pa.field("survey", pa.string(), nullable=False),
            pa.field("timestamp", TS, nullable=False),
            pa.field("score", pa.float64()),
            pa.field("comment", pa.string()),
        ]
    ),
}

TABLES = tuple(CANONICAL_SCHEMAS)

# DDL kept literal (not generated) so the on-disk layout is reviewable in one place.
DDL = """
CREATE TABLE IF NOT EXISTS events (
    message_id   VARCHAR NOT NULL,
    user_id      VARCHAR NOT NULL,
    anonymous_id VARCHAR,
    account_id   VARCHAR,
    "event"      VARCHAR NOT NULL,
    "timestamp"  TIMESTAMP NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    properties   JSON
);
CREATE TABLE IF NOT EXISTS users (
    user_id    VARCHAR PRIMARY KEY,
    account_id VARCHAR,
    created_at TIMESTAMP,
    licensed   BOOLEAN,
    traits     MAP(VARCHAR, VARCHAR),
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    account_id VARCHAR PRIMARY KEY,
    name       VARCHAR,
    plan       VARCHAR,
    seats      BIGINT,
    created_at TIMESTAMP,
    started_at TIMESTAMP,
    renewal_at TIMESTAMP,
    churned_at TIMESTAMP,
    mrr        DOUBLE,
    traits     MAP(VARCHAR, VARCHAR),
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS responses (
    response_id VARCHAR NOT NULL,
    user_id     VARCHAR NOT NULL,
    account_id  VARCHAR,
    survey      VARCHAR NOT NULL,
    "timestamp" TIMESTAMP NOT NULL,
    score       DOUBLE,
    "comment"   VARCHAR
);
-- Rollups, maintained at each commit. Rows are partial (several rows may share a key):
-- readers always aggregate (sum n, min first_at), and `Store.compact()` folds them.
CREATE TABLE IF NOT EXISTS daily (
    "day"      DATE NOT NULL,
    user_id    VARCHAR NOT NULL,
    account_id VARCHAR,
    "event"    VARCHAR NOT NULL,
    n          BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS first_seen (
    user_id    VARCHAR NOT NULL,
    account_id VARCHAR,
    "event"    VARCHAR NOT NULL,
    first_at   TIMESTAMP NOT NULL
);
-- The dedupe keys of the stored events, narrow: a commit checks its new events against the
-- keys of their days here instead of reading the days' message ids from `events` (a 16-byte
-- string column: the check read 20M of them per commit on a busy day). `key` is the lower 64
-- bits of the message id's MD5 (stable across DuckDB versions, unlike hash()); a key that
-- matches is confirmed against `events` itself, so a collision can never drop an event.
CREATE TABLE IF NOT EXISTS message_keys (
    "day" DATE NOT NULL,
    "key" UBIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS imports (
    import_id     VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    "table"       VARCHAR NOT NULL,
    finished_at   TIMESTAMP NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_inserted BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    "key"   VARCHAR PRIMARY KEY,
    "value" VARCHAR NOT NULL
);
"""

SCHEMA_VERSION = "2"

# An event's dedupe key as stored in `message_keys` (SQL over an events-shaped relation).
MESSAGE_DAY = 'CAST("timestamp" AS DATE) AS "day"'
MESSAGE_KEY = 'md5_number_lower(message_id) AS "key"'
