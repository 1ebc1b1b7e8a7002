"""What the hand-written implementations need from the demo's uptake.toml, read with tomllib
alone (not uptake's parser): the activity exclusions and the features.

They support what the demo declares: `events = ["*"]` activity with an exclude list, features
made of exact event names, and `event.<key> eq <text>` property conditions.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Condition:
    """An event-property condition: the property `key` equals the text `value`."""

    key: str
    value: str


@dataclass(frozen=True)
class Feature:
    """A workspace feature: its name, exact event names, release date and conditions."""

    name: str
    events: tuple[str, ...]
    released_at: dt.date | None
    where: tuple[Condition, ...]


@dataclass(frozen=True)
class Catalog:
    """Activity exclusions and features (sorted by name, as uptake reports them)."""

    excluded: tuple[str, ...]
    features: tuple[Feature, ...]


def _condition(raw: dict[str, object]) -> Condition:
    prop, op, value = raw.get("property"), raw.get("op"), raw.get("value")
    if not (isinstance(prop, str) and prop.startswith("event.") and op == "eq"):
        raise ValueError(f"unsupported feature condition {raw!r}: only event.<key> eq <text>")
    return Condition(prop.removeprefix("event."), str(value))


def read_catalog(toml: Path) -> Catalog:
    """The catalog of a workspace file; ValueError for definitions the benchmark lacks."""
    data = tomllib.loads(toml.read_text(encoding="utf-8"))
    activity = data.get("activity", {})
    if activity.get("events", ["*"]) != ["*"]:
        raise ValueError("the hand-written KPIs expect [activity] events = ['*']")
    features = []
    for raw in data.get("features", []):
        events = tuple(raw["events"])
        if any(ch in name for name in events for ch in "*?"):
            raise ValueError(f"feature {raw['name']!r}: glob patterns are not supported here")
        released = raw.get("released_at")
        features.append(
            Feature(
                name=raw["name"],
                events=events,
                released_at=released if isinstance(released, dt.date) else None,
                where=tuple(_condition(c) for c in raw.get("where", [])),
            )
        )
    return Catalog(
        excluded=tuple(activity.get("exclude", [])),
        features=tuple(sorted(features, key=lambda f: f.name)),
    )
