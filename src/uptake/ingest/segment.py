"""Segment-format messages (track, page, screen, identify, group) -> rows of the canonical
tables, following Segment's spec: https://segment.com/docs/connections/spec/

track / page / screen become events (page -> `page_viewed`, screen -> `screen_viewed`, with
the page's name, url, path, title ... in properties); identify upserts the user and its traits;
group upserts the account and links the user to it (the user's account_id).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from uptake.ingest.chunk import Chunk, RawRows
from uptake.ingest.jsonl_reader import (
    JSON_CHUNK_RECORDS,
    JsonRecord,
    JsonRecords,
    rows_from_objects,
    sniff_layout,
)
from uptake.ingest.options import TableName
from uptake.ingest.rejects import Reject

SEGMENT_TYPES = frozenset({"track", "page", "screen", "identify", "group", "alias"})
_TIMESTAMP_KEYS = ("timestamp", "originalTimestamp", "sentAt", "receivedAt")
# Canonical profile columns taken out of traits (snake_case or Segment's camelCase).
_USER_TRAITS = {"created_at": ("createdAt", "created_at"), "licensed": ("licensed",)}
_ACCOUNT_TRAITS = {
    "name": ("name",),
    "plan": ("plan",),
    "seats": ("seats",),
    "created_at": ("createdAt", "created_at"),
    "started_at": ("startedAt", "started_at"),
    "renewal_at": ("renewalAt", "renewal_at"),
    "churned_at": ("churnedAt", "churned_at"),
    "mrr": ("mrr",),
}

Row = tuple[TableName, dict[str, Any]]


def looks_like_segment(record: dict[str, Any] | None) -> bool:
    """Whether a JSON object is a Segment message (or a `{"batch": [...]}` of them)."""
    if record is None:
        return False
    if isinstance(record.get("batch"), list) and "type" not in record:
        return True
    return record.get("type") in SEGMENT_TYPES


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = obj.get(key)
        if value is not None:
            return value
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _take(traits: dict[str, Any], spec: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """Canonical columns out of traits (removed from them)."""
    out: dict[str, Any] = {}
    for column, keys in spec.items():
        for key in keys:
            if key in traits:
                value = traits.pop(key)
                out.setdefault(column, value)
    return out


def message_rows(message: dict[str, Any], page_event: str, screen_event: str) -> list[Row] | str:
    """The canonical rows of one message, or the reason it cannot be imported."""
    kind = message.get("type")
    context = _object(message.get("context"))
    user = _first(message, ("userId",))
    anonymous = _first(message, ("anonymousId",))
    when = _first(message, _TIMESTAMP_KEYS)
    if kind in ("track", "page", "screen"):
        properties = dict(_object(message.get("properties")))
        if kind == "track":
            event = message.get("event")
            if event is None or event == "":
                return "track call without an event name"
        else:
            event = page_event if kind == "page" else screen_event
            # Segment puts the page's url / path / title / referrer in properties and, from
            # browsers, in context.page; the call's own name and category win.
            page = _object(context.get("page")) if kind == "page" else {}
            properties = {**page, **properties}
            for key in ("name", "category"):
                if message.get(key) is not None:
                    properties[key] = message[key]
        return [
            (
                "events",
                {
                    "message_id": message.get("messageId"),
                    "user_id": user,
                    "anonymous_id": anonymous,
                    "account_id": context.get("groupId"),
                    "event": event,
                    "timestamp": when,
                    "received_at": message.get("receivedAt"),
                    "properties": properties or None,
                },
            )
        ]
    if kind == "identify":
        if user is None and anonymous is None:
            return "identify call without userId or anonymousId"
        traits = dict(_object(message.get("traits")))
        columns = _take(traits, _USER_TRAITS)
        account = _first(context, ("groupId",)) or _first(traits, ("accountId", "account_id"))
        traits.pop("accountId", None)
        traits.pop("account_id", None)
        row = {"user_id": user or anonymous, "account_id": account, **columns}
        return [("users", {**row, "traits": traits or None})]
    if kind == "group":
        group = message.get("groupId")
        if group is None or group == "":
            return "group call without groupId"
        traits = dict(_object(message.get("traits")))
        columns = _take(traits, _ACCOUNT_TRAITS)
        rows: list[Row] = [("accounts", {"account_id": group, **columns, "traits": traits or None})]
        if user is not None or anonymous is not None:
            rows.append(("users", {"user_id": user or anonymous, "account_id": group}))
        return rows
    if kind == "alias":
        return "alias calls are not supported (merge the two ids before importing)"
    if kind is None:
        return "not a Segment message (no type)"
    return f"unknown Segment type {kind!r}"


def _messages(records: JsonRecords) -> Iterator[JsonRecord]:
    """Records with `{"batch": [...]}` lines opened up into their messages."""
    for record in records:
        value = record.value
        if record.error is None and isinstance(value, dict) and "type" not in value:
            batch = value.get("batch")
            if isinstance(batch, list):
                for item in batch:
                    yield JsonRecord(record.line, item)
                continue
        yield record


def read_segment(path: Path, page_event: str, screen_event: str) -> Iterator[Chunk]:
    """Stream a file of Segment messages as chunks with rows for events, users and accounts."""
    records = JsonRecords(path, sniff_layout(path))
    pending: dict[TableName, list[tuple[int, dict[str, Any], Any]]] = {}
    rejects: list[Reject] = []
    count = 0
    for record in _messages(records):
        count += 1
        if record.error is not None:
            rejects.append(Reject(str(path), record.line, record.error, record.value))
        elif not isinstance(record.value, dict):
            rejects.append(Reject(str(path), record.line, "not a JSON object", record.value))
        else:
            rows = message_rows(record.value, page_event, screen_event)
            if isinstance(rows, str):
                rejects.append(Reject(str(path), record.line, rows, record.value))
            else:
                for table, fields in rows:
                    pending.setdefault(table, []).append((record.line, fields, record.value))
        if count >= JSON_CHUNK_RECORDS:
            yield _chunk(path, pending, rejects, records.bytes_done)
            pending, rejects, count = {}, [], 0
    yield _chunk(path, pending, rejects, records.bytes_done)


def _chunk(
    path: Path,
    pending: dict[TableName, list[tuple[int, dict[str, Any], Any]]],
    rejects: list[Reject],
    bytes_done: int,
) -> Chunk:
    """One chunk; `records` counts table rows (a group call gives an account and a user row)
    plus the messages rejected whole, so read = inserted + updated + duplicates + rejected."""
    parts: list[RawRows] = []
    more: list[Reject] = []
    # Accounts and users before events: an event's account comes from its user at commit.
    for table in ("accounts", "users", "events"):
        objects = pending.get(table)
        if not objects:
            continue
        rows, bad = rows_from_objects(path, table, objects, frozenset({"properties", "traits"}))
        more.extend(bad)
        if rows is not None:
            parts.append(rows)
    records = len(rejects) + sum(len(objects) for objects in pending.values())
    return Chunk(
        parts=tuple(parts), rejects=tuple(rejects + more), records=records, bytes_done=bytes_done
    )
