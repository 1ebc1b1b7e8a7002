"""Segment messages -> canonical rows, and the field errors of bad ones (no server needed)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from uptake.web.messages import (
    MAX_MESSAGE_BYTES,
    FieldError,
    Rows,
    parse_message,
    parse_messages,
)

RECEIVED = dt.datetime(2026, 11, 20, 12, 0, 0)


def rows(message: dict[str, object], kind: str | None = None) -> Rows:
    result = parse_message(message, kind, RECEIVED)
    assert isinstance(result, Rows), result
    return result


def errors(message: object, kind: str | None = None) -> list[FieldError]:
    result = parse_message(message, kind, RECEIVED)
    assert isinstance(result, list), result
    return result


def test_track_becomes_one_event_with_utc_time_and_text_properties() -> None:
    # 10:00 at +02:00 is 08:00 UTC; property values are stored as text, as file imports do.
    out = rows(
        {
            "userId": "ann",
            "event": "report_exported",
            "timestamp": "2026-11-19T10:00:00+02:00",
            "messageId": "m-1",
            "properties": {"format": "pdf", "pages": 3, "draft": False, "gone": None},
            "context": {"groupId": "acme"},
        },
        "track",
    )
    assert out.users == [] and out.accounts == []
    assert out.events == [
        {
            "message_id": "m-1",
            "user_id": "ann",
            "anonymous_id": None,
            "account_id": "acme",
            "event": "report_exported",
            "timestamp": dt.datetime(2026, 11, 19, 8, 0, 0),
            "received_at": RECEIVED,
            "properties": '{"format":"pdf","pages":"3","draft":"false"}',
        }
    ]


def test_anonymous_track_uses_the_anonymous_id_and_the_receive_time() -> None:
    (event,) = rows({"anonymousId": "dev-9", "event": "opened", "messageId": "m"}, "track").events
    assert (event["user_id"], event["anonymous_id"]) == ("dev-9", "dev-9")
    assert event["timestamp"] == RECEIVED  # no timestamp: when it was received


def test_original_timestamp_is_used_when_timestamp_is_absent() -> None:
    message = {"userId": "u", "event": "e", "originalTimestamp": "2026-11-01T00:00:00Z"}
    (event,) = rows(message, "track").events
    assert event["timestamp"] == dt.datetime(2026, 11, 1)


def test_numeric_user_ids_are_text() -> None:
    (event,) = rows({"userId": 42, "event": "e", "messageId": "m"}, "track").events
    assert event["user_id"] == "42"


def test_a_call_without_message_id_gets_one_from_its_content() -> None:
    # The same call twice (same user, event, time, properties) is one message; a different
    # property makes another.
    call = {"userId": "u", "event": "e", "timestamp": "2026-11-01T00:00:00Z", "properties": {}}
    first = rows(call, "track").events[0]["message_id"]
    again = rows(dict(call), "track").events[0]["message_id"]
    other = rows({**call, "properties": {"x": 1}}, "track").events[0]["message_id"]
    assert first == again != other


def test_page_and_screen_become_named_events_with_page_context() -> None:
    page = rows(
        {
            "userId": "u",
            "name": "Pricing",
            "properties": {"url": "https://x/p"},
            "context": {"page": {"path": "/p", "url": "https://ignored"}},
            "messageId": "p1",
        },
        "page",
    ).events[0]
    assert page["event"] == "page_viewed"
    # The call's own properties win over context.page; the call's name is a property.
    assert json.loads(page["properties"]) == {"path": "/p", "url": "https://x/p", "name": "Pricing"}
    screen = rows({"userId": "u", "name": "Home", "messageId": "s1"}, "screen").events[0]
    assert (screen["event"], json.loads(screen["properties"])) == (
        "screen_viewed",
        {"name": "Home"},
    )


def test_identify_upserts_the_user_with_typed_columns_and_text_traits() -> None:
    out = rows(
        {
            "userId": "ann",
            "traits": {
                "createdAt": "2026-01-05T09:00:00Z",
                "licensed": True,
                "role": "admin",
                "accountId": "acme",
                "age": 41,
            },
        },
        "identify",
    )
    assert out.events == [] and out.accounts == []
    assert out.users == [
        {
            "user_id": "ann",
            "account_id": "acme",
            "created_at": dt.datetime(2026, 1, 5, 9, 0),
            "licensed": True,
            "traits": {"role": "admin", "age": "41"},
        }
    ]


def test_identify_traits_in_context_as_rudderstack_sends_them() -> None:
    out = rows({"userId": "r1", "context": {"traits": {"email": "r@x", "plan": "pro"}}}, "identify")
    assert out.users[0]["traits"] == {"email": "r@x", "plan": "pro"}


def test_group_upserts_the_account_and_links_the_user() -> None:
    out = rows(
        {
            "userId": "ann",
            "groupId": "acme",
            "traits": {
                "name": "Acme",
                "plan": "pro",
                "seats": 25,
                "mrr": 990,
                "renewalAt": "2027-01-01",
                "industry": "retail",
            },
        },
        "group",
    )
    assert out.accounts == [
        {
            "account_id": "acme",
            "name": "Acme",
            "plan": "pro",
            "seats": 25,
            "mrr": 990.0,
            "renewal_at": dt.datetime(2027, 1, 1),
            "traits": {"industry": "retail"},
        }
    ]
    assert out.users == [{"user_id": "ann", "account_id": "acme", "traits": None}]


@pytest.mark.parametrize(
    ("kind", "message", "expected"),
    [
        ("track", {"event": "e"}, [FieldError("userId", "userId or anonymousId is required")]),
        (
            "track",
            {"userId": "u"},
            [FieldError("event", "track calls need a non-empty event name")],
        ),
        (
            "track",
            {"userId": "u", "event": "  "},
            [FieldError("event", "track calls need a non-empty event name")],
        ),
        ("group", {"userId": "u"}, [FieldError("groupId", "group calls need a groupId")]),
        ("track", {"userId": ["u"], "event": "e"}, [FieldError("userId", "must be a string")]),
        (
            "track",
            {"userId": "u", "event": "e", "properties": [1]},
            [FieldError("properties", "must be a JSON object")],
        ),
        (
            "track",
            {"userId": "u", "event": "e", "timestamp": "yesterday"},
            [FieldError("timestamp", "'yesterday' is not an ISO-8601 date-time")],
        ),
        (
            "track",
            {"userId": "u", "event": "e", "timestamp": 1700000000},
            [FieldError("timestamp", "must be an ISO-8601 date-time text")],
        ),
        (
            "track",
            {"userId": "u", "event": "e", "timestamp": "1900-01-01T00:00:00Z"},
            [FieldError("timestamp", "'1900-01-01T00:00:00Z' is out of range (1970 to 2199)")],
        ),
        (
            "group",
            {"userId": "u", "groupId": "g", "traits": {"seats": 2.5}},
            [FieldError("traits.seats", "must be a whole number")],
        ),
        (
            "identify",
            {"userId": "u", "traits": {"createdAt": "soon"}},
            [FieldError("traits.created_at", "'soon' is not an ISO-8601 date-time")],
        ),
        (
            None,
            {"userId": "u"},
            [FieldError("type", "missing: use one of track, identify, group, page, screen")],
        ),
        (
            None,
            {"type": "alias", "userId": "u"},
            [
                FieldError(
                    "type",
                    "'alias' is not supported: use one of track, identify, group, page, screen",
                )
            ],
        ),
        ("track", "not an object", [FieldError("", "must be a JSON object")]),
    ],
)
def test_bad_messages_say_which_field_is_wrong(
    kind: str | None, message: object, expected: list[FieldError]
) -> None:
    assert errors(message, kind) == expected


def test_a_batch_keeps_the_good_messages_and_lists_the_bad_by_index() -> None:
    big = {
        "type": "track",
        "userId": "u",
        "event": "e",
        "properties": {"x": "y" * MAX_MESSAGE_BYTES},
    }
    parsed = parse_messages(
        [
            {"type": "track", "userId": "u", "event": "a", "messageId": "1"},
            {"type": "track", "event": "b", "messageId": "2"},
            big,
            {"type": "identify", "userId": "u", "traits": {"role": "x"}, "messageId": "4"},
        ],
        None,
        RECEIVED,
    )
    assert parsed.accepted == 2
    assert [e["event"] for e in parsed.rows.events] == ["a"]
    assert [u["user_id"] for u in parsed.rows.users] == ["u"]
    assert [(r.index, r.message_id, r.errors) for r in parsed.rejected] == [
        (1, "2", (FieldError("userId", "userId or anonymousId is required"),)),
        (2, None, (FieldError("", "message is larger than 32 KB"),)),
    ]


def test_a_batch_of_one_oversized_message_rejects_it() -> None:
    big = {
        "type": "track",
        "userId": "u",
        "event": "e",
        "properties": {"x": "y" * MAX_MESSAGE_BYTES},
    }
    parsed = parse_messages([big], None, RECEIVED)
    assert (parsed.accepted, [r.index for r in parsed.rejected]) == (0, [0])


def test_page_names_must_be_text() -> None:
    assert errors({"userId": "u", "name": 5}, "page") == [FieldError("name", "must be a string")]
