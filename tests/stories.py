"""Narrated test stories: who did what when, turned into canonical tables.

    story = journeys({
        "ann": [("signup", day(0)), ("export", day(3))],
        "bob": [("signup", day(1), {"plan": "pro"})],
    }, users={"ann": user(account="acme", created=day(0), department="Sales")})

Day 0 is Sunday 2026-01-04, so `day(0)`..`day(6)` is one Sunday-start week, and `day(7)` starts
the next. Times default to noon UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from uptake.store.schema import CANONICAL_SCHEMAS

DAY0 = dt.date(2026, 1, 4)  # a Sunday
assert DAY0.weekday() == 6


def day(n: int, hour: int = 12, minute: int = 0, second: int = 0) -> dt.datetime:
    """Noon (or the given time) UTC of day `n` after Sunday 2026-01-04."""
    return dt.datetime.combine(DAY0 + dt.timedelta(days=n), dt.time(hour, minute, second))


def date(n: int) -> dt.date:
    """The calendar date of day `n`."""
    return DAY0 + dt.timedelta(days=n)


def user(
    account: str | None = None,
    created: dt.datetime | None = None,
    licensed: bool | None = None,
    **traits: Any,
) -> dict[str, Any]:
    """A user profile row (traits are stored as text)."""
    return {
        "account_id": account,
        "created_at": created,
        "licensed": licensed,
        "traits": [(k, _text(v)) for k, v in traits.items()] or None,
    }


def account(
    name: str | None = None,
    plan: str | None = None,
    seats: int | None = None,
    created: dt.datetime | None = None,
    started: dt.datetime | None = None,
    renewal: dt.datetime | None = None,
    churned: dt.datetime | None = None,
    mrr: float | None = None,
    **traits: Any,
) -> dict[str, Any]:
    """An account profile row."""
    return {
        "name": name,
        "plan": plan,
        "seats": seats,
        "created_at": created,
        "started_at": started,
        "renewal_at": renewal,
        "churned_at": churned,
        "mrr": mrr,
        "traits": [(k, _text(v)) for k, v in traits.items()] or None,
    }


def response(
    user_id: str, survey: str, when: dt.datetime, score: float | None, comment: str | None = None
) -> dict[str, Any]:
    """A survey answer."""
    return {
        "user_id": user_id,
        "survey": survey,
        "timestamp": when,
        "score": score,
        "comment": comment,
    }


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@dataclass(frozen=True)
class Story:
    """Canonical tables of a narrated story."""

    events: pa.Table
    users: pa.Table
    accounts: pa.Table
    responses: pa.Table
    notes: dict[str, Any] = field(default_factory=dict)


def journeys(
    paths: dict[str, list[tuple[Any, ...]]],
    users: dict[str, dict[str, Any]] | None = None,
    accounts: dict[str, dict[str, Any]] | None = None,
    responses: list[dict[str, Any]] | None = None,
    account_of: dict[str, str] | None = None,
) -> Story:
    """Build a story. Each step is (event, when) or (event, when, properties).

    `account_of` puts a user's events on an account without a user profile; a user profile's
    `account_id` does the same for events that carry no account of their own.
    """
    users = users or {}
    account_of = account_of or {}
    rows: list[dict[str, Any]] = []
    for uid, steps in paths.items():
        for i, step in enumerate(steps):
            name, when = step[0], step[1]
            props = step[2] if len(step) > 2 else {}
            acct = account_of.get(uid) or (users.get(uid) or {}).get("account_id")
            rows.append(
                {
                    "message_id": hashlib.md5(f"{uid}/{i}/{name}/{when}".encode()).hexdigest(),
                    "user_id": uid,
                    "anonymous_id": None,
                    "account_id": acct,
                    "event": name,
                    "timestamp": when,
                    "received_at": when,
                    "properties": json.dumps({k: _text(v) for k, v in props.items()})
                    if props
                    else None,
                }
            )
    user_rows = [{"user_id": k, **v} for k, v in users.items()]
    account_rows = [{"account_id": k, **v} for k, v in (accounts or {}).items()]
    response_rows = [
        {
            "response_id": f"r{i}",
            "account_id": (users.get(r["user_id"]) or {}).get("account_id"),
            **r,
        }
        for i, r in enumerate(responses or [])
    ]
    return Story(
        events=pa.Table.from_pylist(rows, schema=CANONICAL_SCHEMAS["events"]),
        users=pa.Table.from_pylist(user_rows, schema=CANONICAL_SCHEMAS["users"]),
        accounts=pa.Table.from_pylist(account_rows, schema=CANONICAL_SCHEMAS["accounts"]),
        responses=pa.Table.from_pylist(response_rows, schema=CANONICAL_SCHEMAS["responses"]),
    )
