"""Segment messages from HTTP calls -> canonical rows, with an error per bad field.

Validation follows Segment's HTTP Tracking API (https://segment.com/docs/connections/sources/
catalog/libraries/server/http-api/): every call needs `userId` or `anonymousId`; `track`
needs `event`, `group` needs `groupId`; `properties`, `traits` and `context` are objects;
timestamps are ISO-8601. Each message may be at most 32 KB. The mapping to rows is the file
importer's (`ingest.segment.message_rows`), so a message sent over HTTP and the same message
imported from a file give the same rows.

Time: an event's time is its `timestamp`, else `originalTimestamp`, else when it was received;
a time without a zone is UTC. (Segment also corrects device clock skew from `sentAt`; uptake
does not, so that a retried message keeps its time and stays deduplicated.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from uptake.ingest.jsonl_reader import to_text
from uptake.ingest.segment import message_rows

MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_ID_CHARS = 255
TRACKING_TYPES = ("track", "identify", "group", "page", "screen")
PAGE_EVENT = "page_viewed"
SCREEN_EVENT = "screen_viewed"
_TIME_KEYS = ("timestamp", "originalTimestamp")
_PROFILE_TIMES = ("created_at", "started_at", "renewal_at", "churned_at")


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field of a message (`field` is a dotted path, "" = the whole)."""

    field: str
    message: str


@dataclass(frozen=True)
class Rejected:
    """A message that was not stored: its position in the request and why."""

    index: int
    message_id: str | None
    errors: tuple[FieldError, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the API's error bodies."""
        return {
            "index": self.index,
            "messageId": self.message_id,
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }


@dataclass
class Rows:
    """Canonical rows bound for each table, as column-ready dicts."""

    events: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: Rows) -> None:
        """Append another set of rows after these."""
        self.events.extend(other.events)
        self.users.extend(other.users)
        self.accounts.extend(other.accounts)

    @property
    def count(self) -> int:
        """Rows in all tables."""
        return len(self.events) + len(self.users) + len(self.accounts)


@dataclass
class Parsed:
    """The rows of the accepted messages, and the rejected ones."""

    rows: Rows
    accepted: int
    rejected: list[Rejected]


def utc_now() -> dt.datetime:
    """Now, as naive UTC (the store's convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def parse_time(value: Any) -> dt.datetime | str:
    """An ISO-8601 text as naive UTC, or the reason it is not one."""
    if not isinstance(value, str):
        return "must be an ISO-8601 date-time text"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return f"{value[:40]!r} is not an ISO-8601 date-time"
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    if not dt.datetime(1970, 1, 1) <= parsed < dt.datetime(2200, 1, 1):
        return f"{value[:40]!r} is out of range (1970 to 2199)"
    return parsed


def _identifier(message: dict[str, Any], key: str, errors: list[FieldError]) -> str | None:
    """An id field as text (Segment allows numbers), or None when absent or empty."""
    value = message.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.append(FieldError(key, "must be a string"))
        return None
    text = value if isinstance(value, str) else to_text(value)
    assert text is not None
    if len(text) > MAX_ID_CHARS:
        errors.append(FieldError(key, f"is longer than {MAX_ID_CHARS} characters"))
        return None
    return text


def _check_objects(message: dict[str, Any], errors: list[FieldError]) -> None:
    for key in ("properties", "traits", "context", "integrations"):
        value = message.get(key)
        if value is not None and not isinstance(value, dict):
            errors.append(FieldError(key, "must be a JSON object"))


def _text_map(value: Any) -> dict[str, str] | None:
    """Traits as a text map (the file importer's conversion; nulls dropped)."""
    if not isinstance(value, dict):
        return None
    out = {str(k): v if isinstance(v, str) else to_text(v) for k, v in value.items()}
    return {k: v for k, v in out.items() if v is not None} or None


def _properties_json(value: Any) -> str | None:
    """Properties as JSON object text with text values, as imported files store them."""
    entries = _text_map(value)
    return None if entries is None else orjson.dumps(entries).decode()


def _content_id(row: dict[str, Any]) -> str:
    """A message id from the content, for calls that carry none: a repeat of the same call
    (same user, event, time and properties) is the same message."""
    parts = (row["user_id"], row["event"], row["timestamp"].isoformat(), row["properties"] or "")
    return hashlib.md5("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()


def _profile_columns(row: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    """Typed profile columns from traits (created_at ..., seats, mrr, licensed)."""
    out = dict(row)
    for column in _PROFILE_TIMES:
        if out.get(column) is not None:
            parsed = parse_time(out[column])
            if isinstance(parsed, str):
                errors.append(FieldError(f"traits.{column}", parsed))
            else:
                out[column] = parsed
    seats = out.get("seats")
    if seats is not None:
        if isinstance(seats, bool) or not isinstance(seats, int | float) or seats != int(seats):
            errors.append(FieldError("traits.seats", "must be a whole number"))
        else:
            out["seats"] = int(seats)
    mrr = out.get("mrr")
    if mrr is not None:
        if isinstance(mrr, bool) or not isinstance(mrr, int | float):
            errors.append(FieldError("traits.mrr", "must be a number"))
        else:
            out["mrr"] = float(mrr)
    licensed = out.get("licensed")
    if licensed is not None and not isinstance(licensed, bool):
        errors.append(FieldError("traits.licensed", "must be true or false"))
    if "name" in out and out["name"] is not None:
        out["name"] = to_text(out["name"])
    if "plan" in out and out["plan"] is not None:
        out["plan"] = to_text(out["plan"])
    out["traits"] = _text_map(out.get("traits"))
    return out


def parse_message(
    message: Any, kind: str | None, received_at: dt.datetime
) -> Rows | list[FieldError]:
    """The canonical rows of one message, or what is wrong with it.

    `kind` is the endpoint's call type (None for a batch item, which names its own `type`).
    """
    if not isinstance(message, dict):
        return [FieldError("", "must be a JSON object")]
    errors: list[FieldError] = []
    call = kind or message.get("type")
    if call not in TRACKING_TYPES:
        shown = "missing" if call is None else f"{call!r} is not supported"
        return [FieldError("type", f"{shown}: use one of {', '.join(TRACKING_TYPES)}")]
    user = _identifier(message, "userId", errors)
    anonymous = _identifier(message, "anonymousId", errors)
    message_id = _identifier(message, "messageId", errors)
    if user is None and anonymous is None and not errors:
        errors.append(FieldError("userId", "userId or anonymousId is required"))
    if call == "track":
        event = message.get("event")
        if not isinstance(event, str) or not event.strip():
            errors.append(FieldError("event", "track calls need a non-empty event name"))
        elif len(event) > MAX_ID_CHARS:
            errors.append(FieldError("event", f"is longer than {MAX_ID_CHARS} characters"))
    if call in ("page", "screen"):
        for key in ("name", "category"):
            value = message.get(key)
            if value is not None and not isinstance(value, str):
                errors.append(FieldError(key, "must be a string"))
    group = _identifier(message, "groupId", errors) if call == "group" else None
    if call == "group" and group is None and not any(e.field == "groupId" for e in errors):
        errors.append(FieldError("groupId", "group calls need a groupId"))
    _check_objects(message, errors)
    when: dt.datetime = received_at
    for key in _TIME_KEYS:
        if message.get(key) is not None:
            parsed = parse_time(message[key])
            if isinstance(parsed, str):
                errors.append(FieldError(key, parsed))
            else:
                when = parsed
            break
    if errors:
        return errors
    if call == "identify" and isinstance(message.get("context"), dict):
        # RudderStack's SDKs (and some Segment ones) send identify traits in context.traits.
        in_context = message["context"].get("traits")
        if isinstance(in_context, dict) and in_context:
            own = message.get("traits")
            message = {
                **message,
                "traits": {**in_context, **(own if isinstance(own, dict) else {})},
            }
    clean = {
        **message,
        "type": call,
        "userId": user,
        "anonymousId": anonymous,
        "messageId": message_id,
        "groupId": group,
        "timestamp": when,
        "receivedAt": received_at,
    }
    produced = message_rows(clean, PAGE_EVENT, SCREEN_EVENT)
    if isinstance(produced, str):  # message_rows's own checks, already covered above
        return [FieldError("", produced)]
    rows = Rows()
    for table, fields in produced:
        if table == "events":
            row = dict(fields)
            row["user_id"] = row["user_id"] or row["anonymous_id"]
            row["properties"] = _properties_json(row["properties"])
            if row["message_id"] is None:
                row["message_id"] = _content_id(row)
            rows.events.append(row)
        else:
            row = _profile_columns(fields, errors)
            (rows.users if table == "users" else rows.accounts).append(row)
    return errors or rows


def parse_messages(messages: list[Any], kind: str | None, received_at: dt.datetime) -> Parsed:
    """Parse a request's messages: rows of the good ones, an entry per bad one. Batch
    messages (`kind` None) larger than MAX_MESSAGE_BYTES are rejected (a single call's body
    limit is checked when it is read)."""
    rows = Rows()
    rejected: list[Rejected] = []
    accepted = 0
    for index, message in enumerate(messages):
        result: Rows | list[FieldError]
        if kind is None and len(orjson.dumps(message)) > MAX_MESSAGE_BYTES:
            result = [FieldError("", f"message is larger than {MAX_MESSAGE_BYTES // 1024} KB")]
        else:
            result = parse_message(message, kind, received_at)
        if isinstance(result, Rows):
            rows.extend(result)
            accepted += 1
        else:
            message_id = message.get("messageId") if isinstance(message, dict) else None
            shown = message_id if isinstance(message_id, str) else None
            rejected.append(Rejected(index, shown, tuple(result)))
    return Parsed(rows, accepted, rejected)
