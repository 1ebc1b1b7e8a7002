"""Workspace definitions: what the events mean (activity, features, key actions, value, KPIs)."""

from __future__ import annotations

from uptake.definitions.filter import Filter, FilterOp
from uptake.definitions.journey import Criterion, Journey, Stage
from uptake.definitions.workspace_file import (
    Activity,
    Definitions,
    Engine,
    EventSelector,
    Feature,
    KeyAction,
    Kpi,
    Seats,
    ValueMoment,
    load_definitions,
    parse_definitions,
)

__all__ = [
    "Activity",
    "Criterion",
    "Definitions",
    "Engine",
    "EventSelector",
    "Feature",
    "Filter",
    "FilterOp",
    "Journey",
    "KeyAction",
    "Kpi",
    "Seats",
    "Stage",
    "ValueMoment",
    "load_definitions",
    "parse_definitions",
]
