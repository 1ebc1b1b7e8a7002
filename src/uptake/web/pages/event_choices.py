"""What the Retention and Funnels pages offer to pick events from: the workspace's features and
the project's event names, most frequent first, and how a picked value reads.

A choice is written the same way on both pages (and in their URLs): an event name (or glob
pattern such as `report_*`), or `feature:<name>` for a feature declared in uptake.toml.

These are lists for a form, not metrics: they read the small `daily` rollup directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import ibis

from uptake.metrics import Tables
from uptake.metrics.selection import glob_regex, is_pattern

FEATURE_PREFIX = "feature:"
# Event names offered in the lists (most frequent first); more would only make them unusable.
OFFERED_EVENTS = 100
# Names read to check that a typed event exists; past this many the check is skipped.
KNOWN_EVENTS = 5000


@dataclass(frozen=True)
class EventChoices:
    """The features (names, in uptake.toml's order) and event names (most frequent first, at
    most `OFFERED_EVENTS`) a page offers; `known` holds every event name seen, or None when
    there are too many to check against."""

    features: tuple[str, ...]
    events: tuple[str, ...]
    known: frozenset[str] | None

    def values(self) -> list[str]:
        """Every offered choice as written in a URL: features first, then events."""
        return [FEATURE_PREFIX + f for f in self.features] + list(self.events)

    def problem(self, choice: str) -> str | None:
        """Why `choice` cannot match anything in this project (None: it can, or we cannot
        tell): an unknown feature, or an event name or pattern no event has."""
        if choice.startswith(FEATURE_PREFIX):
            name = choice[len(FEATURE_PREFIX) :]
            if name in self.features:
                return None
            known = ", ".join(self.features) or "none are declared in uptake.toml"
            return f"there is no feature {name!r} (features: {known})"
        if self.known is None:
            return None
        if is_pattern(choice):
            regex = re.compile(glob_regex(choice))
            if any(regex.match(name) for name in self.known):
                return None
            return f"no event name matches {choice!r} in this project"
        if choice in self.known:
            return None
        return f"this project has no event {choice!r}: check the spelling or pick one from the list"


def choice_spec(choice: str) -> dict[str, Any]:
    """A choice as a funnel step: `{"feature": name}` or `{"events": [name]}`."""
    if choice.startswith(FEATURE_PREFIX):
        return {"feature": choice[len(FEATURE_PREFIX) :]}
    return {"events": [choice]}


def choice_label(choice: str) -> str:
    """How a choice reads in lists and headings: `Feature: Reports` or the event name."""
    if choice.startswith(FEATURE_PREFIX):
        return "Feature: " + choice[len(FEATURE_PREFIX) :]
    return choice


def event_choices(tables: Tables) -> EventChoices:
    """The project's features and event names (blocking: run through `Project.read`)."""
    daily = tables.daily
    counts = (
        daily.group_by("event")
        .agg(uses=daily.n.sum())
        .order_by([ibis.desc("uses"), "event"])
        .limit(KNOWN_EVENTS)
    )
    names = [str(n) for n in counts.to_pyarrow().column("event").to_pylist() if n]
    features = tuple(f.name for f in tables.definitions.features)
    known = frozenset(names) if len(names) < KNOWN_EVENTS else None
    return EventChoices(features, tuple(names[:OFFERED_EVENTS]), known)
