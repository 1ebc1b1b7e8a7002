"""Journeys: ordered stages a user or account goes through, each entered when its criteria
hold; declared in uptake.toml as `[[journeys]]`, by hand or from a template from the literature.

Templates (`template = "adoption"` or `"customer"`) expand to default stages expressed with the
workspace's own definitions; a stage listed under the journey with a template's stage name
replaces that stage's criteria:

- adoption: Awareness, Interest, Evaluation, Trial, Adoption: the adoption process of Beal &
  Bohlen (1957), "The Diffusion Process", Iowa State Agricultural Extension Special Report 18,
  taken up by Rogers (1962), "Diffusion of Innovations", ch. 4 (the five stages).
- customer: Reach, Acquisition, Conversion, Retention, Loyalty: the customer life cycle of
  Cutler & Sterne (2000), "E-Metrics: Business Metrics for the New Economy" (NetGenesis), as
  used by Chaffey & Ellis-Chadwick, "Digital Marketing" (Pearson), on customer lifecycle
  management.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from uptake.definitions.filter import Filter, FilterOp, Scalar

Template = Literal["adoption", "customer"]
TEMPLATES: tuple[Template, ...] = ("adoption", "customer")
CountOf = Literal["events", "days"]
# Timestamp columns a stage can be entered by (entered at the value, when not null).
EntityField = Literal[
    "user.created_at",
    "account.created_at",
    "account.started_at",
    "account.renewal_at",
    "account.churned_at",
]
# Any workspace feature / any key action.
ANY = "*"

_WHAT = ("events", "feature", "key_action", "value_moment", "active", "field", "property")
_COUNTING = ("min_count", "count", "within_days", "after_previous_days")

CriterionKind = Literal[
    "events", "feature", "key_action", "value_moment", "active", "field", "property"
]


class Criterion(BaseModel):
    """One condition of a stage; a stage is entered when all of its criteria hold.

    Exactly one of: `events` (names or glob patterns, with optional `where` event-property
    filters), `feature` (a workspace feature, `"*"` = any), `key_action` (`"*"` = any),
    `value_moment = true`, `active = true` (the workspace's activity events), `field` (a
    timestamp: entered at its value, never while null) or `property` with `op` / `value` (a
    condition on the unit's current profile, which has no time: entered when the unit was
    first known). Event criteria hold from the `min_count`-th qualifying event (or distinct
    UTC day with `count = "days"`) that falls within `within_days` of the first one counted
    (None: ever); with `after_previous_days`, only events at least that many days after the
    previous stage was entered count.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Defined before the `property` field, which shadows the builtin in the class body.
    @property
    def kind(self) -> CriterionKind:
        """Which kind of condition this is."""
        for name in _WHAT:
            if getattr(self, name) not in (None, False):
                return name  # type: ignore[return-value]
        raise AssertionError("validated criteria have a kind")

    @property
    def counted(self) -> bool:
        """True when more than the first qualifying event matters (raw events are read)."""
        return self.min_count > 1 or self.count == "days" or self.after_previous_days is not None

    events: list[str] | None = Field(default=None, description="Event names or glob patterns.")
    where: list[Filter] = Field(default_factory=list, description="Event property filters.")
    feature: str | None = Field(default=None, description="A workspace feature; * = any.")
    key_action: str | None = Field(default=None, description="A workspace key action; * = any.")
    value_moment: bool = Field(default=False, description="The workspace's value moment.")
    active: bool = Field(default=False, description="Any activity event of the workspace.")
    min_count: int = Field(default=1, ge=1, description="Events (or days) needed; default 1.")
    count: CountOf = Field(default="events", description="Count events or distinct UTC days.")
    within_days: int | None = Field(
        default=None, ge=1, description="Window for min_count; None = no window (ever)."
    )
    after_previous_days: int | None = Field(
        default=None, ge=0, description="Only events this many days after the previous stage."
    )
    field: EntityField | None = Field(default=None, description="A timestamp column.")
    property: str | None = Field(default=None, description="user.<key> or account.<key>.")
    op: FilterOp | None = None
    value: Scalar | list[Scalar] | None = None

    @field_validator("events")
    @classmethod
    def _names(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            if not v:
                raise ValueError("`events` must not be empty")
            for name in v:
                if not name or name[0].isspace():
                    raise ValueError(
                        f"event name or pattern {name!r} is empty or starts with a space"
                    )
        return v

    @field_validator("where")
    @classmethod
    def _event_props(cls, v: list[Filter]) -> list[Filter]:
        for f in v:
            if f.namespace != "event":
                raise ValueError(f"{f.property!r}: `where` filters event properties (event.<key>)")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> Criterion:
        given = [name for name in _WHAT if getattr(self, name) not in (None, False)]
        if not given:
            raise ValueError(
                "a criterion needs one of events, feature, key_action, value_moment = true, "
                "active = true, field or property"
            )
        if len(given) > 1:
            raise ValueError(
                f"a criterion takes one of {', '.join(_WHAT)}; got {' and '.join(given)}"
            )
        kind = given[0]
        if self.where and kind != "events":
            raise ValueError("`where` applies to `events` criteria only")
        if kind in ("field", "property"):
            # Compared with the defaults, not `model_fields_set`: a dumped model sets them all.
            set_counting = [
                n for n in _COUNTING if getattr(self, n) != type(self).model_fields[n].default
            ]
            if set_counting:
                raise ValueError(f"{', '.join(set_counting)}: only for event criteria, not {kind}")
        if kind != "property" and (self.op is not None or self.value is not None):
            raise ValueError("`op` and `value` apply to `property` criteria only")
        if self.within_days is not None and self.min_count < 2:
            raise ValueError("`within_days` needs `min_count` of 2 or more")
        if kind == "property":
            self.condition()
        return self

    def condition(self) -> Filter:
        """The property condition as a Filter (property criteria only); ValueError if invalid."""
        assert self.property is not None
        try:
            f = Filter(property=self.property, op=self.op or "eq", value=self.value)
        except ValidationError as exc:
            raise ValueError(
                exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
            ) from None
        if f.namespace == "event" or f.key is None:
            raise ValueError(
                f"property criteria are on user.<key> or account.<key>, not {self.property!r} "
                "(use events with `where` for event properties)"
            )
        return f


class Stage(BaseModel):
    """A named stage: entered the first time all of its criteria hold, not before the previous
    stage was entered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)
    description: str = ""


def _stage(name: str, description: str, *criteria: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "description": description, "criteria": list(criteria)}


# Default stages of each template. Why these criteria: docs/_parts/workspace-journeys.md.
TEMPLATE_STAGES: dict[Template, list[dict[str, Any]]] = {
    "adoption": [
        _stage("Awareness", "First seen: any event.", {"events": ["*"]}),
        _stage(
            "Interest",
            "Came back: active on 2 different days within 14 days.",
            {"active": True, "count": "days", "min_count": 2, "within_days": 14},
        ),
        _stage("Evaluation", "Tried a feature: used any workspace feature.", {"feature": ANY}),
        _stage("Trial", "Did real work: any key action.", {"key_action": ANY}),
        _stage("Adoption", "Got value: reached the value moment.", {"value_moment": True}),
    ],
    "customer": [
        _stage("Reach", "First seen: any event.", {"events": ["*"]}),
        _stage(
            "Acquisition", "Signed up (an account: its first user).", {"field": "user.created_at"}
        ),
        _stage("Conversion", "Became a paying customer.", {"field": "account.started_at"}),
        _stage(
            "Retention",
            "Active again 30 days or more after converting.",
            {"active": True, "after_previous_days": 30},
        ),
        _stage(
            "Loyalty",
            "Renewed: the renewal date has passed and the account has not churned.",
            {"field": "account.renewal_at"},
            {"property": "account.churned_at", "op": "is_not_set"},
        ),
    ],
}


class Journey(BaseModel):
    """`[[journeys]]`: a name, the unit it follows by default, and ordered stages (declared,
    or a template's with some stages overridden by name)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    unit: Literal["user", "account"] = Field(default="user", description="Default unit.")
    template: Template | None = Field(default=None, description="adoption | customer")
    description: str = ""
    stages: list[Stage] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _expand_template(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("template") is None:
            return data
        template = data["template"]
        if template not in TEMPLATES:
            raise ValueError(
                f"unknown journey template {template!r}; templates: {', '.join(TEMPLATES)}"
            )
        defaults = TEMPLATE_STAGES[template]
        names = [s["name"] for s in defaults]
        overrides: dict[str, Any] = {}
        for stage in data.get("stages") or []:
            name = stage.get("name") if isinstance(stage, dict) else getattr(stage, "name", None)
            if name not in names:
                raise ValueError(
                    f"stage {name!r} is not a stage of template {template!r} "
                    f"({', '.join(names)}): a template's stages can be overridden, not added"
                )
            overrides[str(name)] = stage
        return {**data, "stages": [overrides.get(s["name"], s) for s in defaults]}

    @model_validator(mode="after")
    def _stages(self) -> Journey:
        if not self.stages:
            raise ValueError(
                f"journey {self.name!r} has no stages: add [[journeys.stages]] or a template"
            )
        seen: set[str] = set()
        for stage in self.stages:
            if stage.name in seen:
                raise ValueError(f"journey {self.name!r}: stage name {stage.name!r} is used twice")
            seen.add(stage.name)
        first = self.stages[0]
        if any(c.after_previous_days is not None for c in first.criteria):
            raise ValueError(
                f"journey {self.name!r}: the first stage {first.name!r} has no previous stage "
                "for `after_previous_days`"
            )
        return self

    def stage_names(self) -> list[str]:
        """The stage names in order."""
        return [s.name for s in self.stages]


def check_references(
    journeys: list[Journey], features: list[str], key_actions: list[str], has_value_moment: bool
) -> None:
    """ValueError (one line) when a journey names a feature or key action that is not declared,
    or uses `*` / the value moment where the workspace declares none."""
    for journey in journeys:
        for stage in journey.stages:
            where = f"journey {journey.name!r} stage {stage.name!r}"
            for c in stage.criteria:
                if c.feature is not None:
                    _check_name(where, "feature", "[[features]]", c.feature, features)
                if c.key_action is not None:
                    _check_name(where, "key action", "[[key_actions]]", c.key_action, key_actions)
                if c.value_moment and not has_value_moment:
                    raise ValueError(
                        f"{where} uses the value moment, but none is declared: add "
                        "[value_moment] to uptake.toml or override the stage"
                    )


def _check_name(where: str, label: str, table: str, name: str, known: list[str]) -> None:
    if name == ANY:
        if not known:
            raise ValueError(
                f"{where} uses any {label}, but none is declared: add {table} to uptake.toml "
                "or override the stage"
            )
    elif name not in known:
        raise ValueError(f"{where}: unknown {label} {name!r}; defined: {known}")
