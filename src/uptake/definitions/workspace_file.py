"""The workspace file `uptake.toml`: validated definitions of what events mean."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from uptake.definitions.filter import Filter
from uptake.definitions.journey import Journey, check_references
from uptake.errors import DefinitionError

EVENT_PATTERN = re.compile(r"^[^\s].*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EventSelector(_Frozen):
    """Events picked by name or glob pattern (`report_*`, `?` = one character), optionally
    narrowed by conditions on event properties (all must hold)."""

    events: list[str] = Field(min_length=1, description="Event names or glob patterns.")
    where: list[Filter] = Field(default_factory=list, description="Event property filters.")

    @field_validator("events")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for name in v:
            if not name or not EVENT_PATTERN.match(name):
                raise ValueError(f"event name or pattern {name!r} is empty or starts with a space")
        return v

    @field_validator("where")
    @classmethod
    def _event_props_only(cls, v: list[Filter]) -> list[Filter]:
        for f in v:
            if f.namespace != "event":
                raise ValueError(
                    f"{f.property!r}: a feature or action can only filter on event properties "
                    "(event.<key>)"
                )
        return v


class Feature(EventSelector):
    """A product feature: the events that mean someone used it."""

    name: str = Field(min_length=1)
    released_at: dt.date | None = Field(
        default=None, description="Release date; time to first use counts from it (else signup)."
    )
    description: str = ""


class Kpi(EventSelector):
    """A named activity count, e.g. CRM-style 'records created' or 'tasks closed'."""

    name: str = Field(min_length=1)
    description: str = ""


class KeyAction(EventSelector):
    """An action that marks real engagement (e.g. 'created an opportunity')."""

    name: str = Field(min_length=1)


class ValueMoment(EventSelector):
    """The moment a user first gets value (e.g. 'first deal won')."""

    name: str = Field(min_length=1)


class Activity(_Frozen):
    """Which events count as being active, and which one is the login."""

    events: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    exclude: list[str] = Field(
        default_factory=list, description="Passive events that do not make a user active."
    )
    login_event: str = Field(default="login", min_length=1)


class Seats(_Frozen):
    """Licensed seats: used for the login rate when users carry no `licensed` flag."""

    licensed: int | None = Field(default=None, ge=0)


class Engine(_Frozen):
    """Where metrics run when not on the workspace's own DuckDB file."""

    url: str = Field(description="e.g. pyspark://local[2], clickhouse://host/db")
    tables: dict[str, str] = Field(
        default_factory=dict, description="Canonical table -> the engine's table name."
    )


class Definitions(_Frozen):
    """Everything a workspace declares about its events; the root of `uptake.toml`."""

    name: str = Field(default="workspace", min_length=1)
    week_start: Literal["sunday", "monday"] = "sunday"
    activity: Activity = Field(default_factory=Activity)
    seats: Seats = Field(default_factory=Seats)
    features: list[Feature] = Field(default_factory=list)
    key_actions: list[KeyAction] = Field(default_factory=list)
    value_moment: ValueMoment | None = None
    kpis: list[Kpi] = Field(default_factory=list)
    journeys: list[Journey] = Field(default_factory=list)
    engine: Engine | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> Definitions:
        for label, items in (
            ("feature", self.features),
            ("key action", self.key_actions),
            ("kpi", self.kpis),
            ("journey", self.journeys),
        ):
            seen: set[str] = set()
            for item in items:
                if item.name in seen:
                    raise ValueError(f"{label} name {item.name!r} is defined twice")
                seen.add(item.name)
        check_references(
            self.journeys,
            [f.name for f in self.features],
            [k.name for k in self.key_actions],
            self.value_moment is not None,
        )
        return self

    def feature(self, name: str) -> Feature:
        """The feature called `name`; raises KeyError listing the known ones."""
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(f"unknown feature {name!r}; defined: {[f.name for f in self.features]}")

    def key_action(self, name: str) -> KeyAction:
        """The key action called `name`; raises KeyError listing the known ones."""
        for k in self.key_actions:
            if k.name == name:
                return k
        raise KeyError(
            f"unknown key action {name!r}; defined: {[k.name for k in self.key_actions]}"
        )

    def journey(self, name: str) -> Journey:
        """The journey called `name`; raises KeyError listing the known ones."""
        for j in self.journeys:
            if j.name == name:
                return j
        raise KeyError(f"unknown journey {name!r}; defined: {[j.name for j in self.journeys]}")

    def kpi(self, name: str) -> Kpi:
        """The KPI called `name`; raises KeyError listing the known ones."""
        for k in self.kpis:
            if k.name == name:
                return k
        raise KeyError(f"unknown kpi {name!r}; defined: {[k.name for k in self.kpis]}")


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_definitions(data: dict[str, object], source: str = "uptake.toml") -> Definitions:
    """Validate a parsed workspace document; errors name the file and the field."""
    try:
        return Definitions.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_location(err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
        )
        raise DefinitionError(f"{source}: {problems}") from None


def load_definitions(path: Path) -> Definitions:
    """Read and validate a workspace file (TOML)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(f"{path}: no workspace file here (run `uptake init`)") from None
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path}: not valid TOML: {exc}") from None
    return parse_definitions(data, source=str(path))
