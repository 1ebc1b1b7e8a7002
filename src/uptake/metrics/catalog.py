"""Every metric kind: the tagged union of specs, parsing with clear errors, and descriptions."""

from __future__ import annotations

import functools
import inspect
import operator
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, cast

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from uptake.errors import SpecError
from uptake.metrics.account_kpis import ChurnRate, LeadConversion, RenewalRate
from uptake.metrics.account_usage import AccountUsage
from uptake.metrics.activity_kpi import ActivityKpi
from uptake.metrics.adopter_categories import AdopterCategories
from uptake.metrics.adoption_rate import AdoptionRate, ProductAdoptionRate
from uptake.metrics.bass_forecast import BassForecast
from uptake.metrics.critical_mass import CriticalMass
from uptake.metrics.feature_adoption import FeatureAdoption
from uptake.metrics.funnel import Funnel
from uptake.metrics.journey_funnel import JourneyFunnel
from uptake.metrics.journey_members import JourneyMembers
from uptake.metrics.key_action_discovery import KeyActionDiscovery
from uptake.metrics.launch_impact import LaunchImpact
from uptake.metrics.lifecycle import Lifecycle
from uptake.metrics.login_rate import LoginRate
from uptake.metrics.paths import Paths
from uptake.metrics.retention import Retention
from uptake.metrics.returning_visitors import ReturningVisitors
from uptake.metrics.satisfaction import Csat, Nps, TaskCompletion
from uptake.metrics.spec import MetricSpec
from uptake.metrics.stickiness import Stickiness, StickinessRatio
from uptake.metrics.time_to import TimeTo
from uptake.metrics.trends import Trend
from uptake.metrics.user_directory import UserSearch
from uptake.metrics.user_timeline import UserResponses, UserTimeline

# One line per metric module; keep sorted by kind.
SPECS: tuple[type[MetricSpec], ...] = (
    AccountUsage,
    ActivityKpi,
    AdopterCategories,
    AdoptionRate,
    BassForecast,
    ChurnRate,
    CriticalMass,
    Csat,
    FeatureAdoption,
    Funnel,
    JourneyFunnel,
    JourneyMembers,
    KeyActionDiscovery,
    LaunchImpact,
    LeadConversion,
    Lifecycle,
    LoginRate,
    Nps,
    Paths,
    ProductAdoptionRate,
    RenewalRate,
    Retention,
    ReturningVisitors,
    Stickiness,
    StickinessRatio,
    TaskCompletion,
    TimeTo,
    Trend,
    UserResponses,
    UserSearch,
    UserTimeline,
)

_BY_KIND: dict[str, type[MetricSpec]] = {spec.model_fields["kind"].default: spec for spec in SPECS}
_UNION = functools.reduce(operator.or_, SPECS)
# The union is built at run time, which type checkers cannot follow.
_ADAPTER: TypeAdapter[Any] = TypeAdapter(cast(Any, Annotated[_UNION, Field(discriminator="kind")]))


def kinds() -> list[str]:
    """All metric kinds, sorted."""
    return sorted(_BY_KIND)


def _where(loc: tuple[int | str, ...]) -> str:
    # Drop the union tag pydantic puts first ("trend.measure" -> "measure").
    parts = [str(p) for p in loc]
    if parts and parts[0] in _BY_KIND:
        parts = parts[1:]
    return ".".join(parts) or "(spec)"


def parse_spec(data: Mapping[str, Any] | MetricSpec) -> MetricSpec:
    """Validate a JSON-like spec into its metric model; SpecError names every problem."""
    if isinstance(data, MetricSpec):
        return data
    if not isinstance(data, Mapping):
        raise SpecError("a metric spec must be a JSON object with a `kind`")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in _BY_KIND:
        raise SpecError(f"unknown metric kind {kind!r}; known kinds: {', '.join(kinds())}")
    try:
        spec = _ADAPTER.validate_python(dict(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise SpecError(f"invalid {kind} spec: {problems}") from None
    assert isinstance(spec, MetricSpec)
    return spec


class Parameter(BaseModel):
    """One parameter of a metric kind."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str
    default: Any
    description: str


class MetricInfo(BaseModel):
    """A metric kind as `uptake metrics` and `GET /api/.../metrics` show it."""

    model_config = ConfigDict(frozen=True)

    kind: str
    title: str
    definition: str
    parameters: list[Parameter]


def _type_name(annotation: Any) -> str:
    """A short readable type: `user | account` for a Literal, `list[str] | None`, `date`..."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(str(a) for a in args)
    if origin in (types.UnionType, typing.Union):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join(_type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is type(None):
        return "None"
    return str(getattr(annotation, "__name__", annotation)).replace("datetime.", "")


def describe() -> list[MetricInfo]:
    """Every metric kind with its definition and parameters, sorted by kind."""
    out = []
    for kind in kinds():
        spec = _BY_KIND[kind]
        params = []
        for name, field in spec.model_fields.items():
            if name == "kind":
                continue
            if field.is_required():
                default: Any = "(required)"
            elif field.default_factory is not None:
                default = "(see description)"
            else:
                default = field.get_default(call_default_factory=False)
            params.append(
                Parameter(
                    name=field.alias or name,
                    type=_type_name(field.annotation),
                    default=default,
                    description=field.description or "",
                )
            )
        out.append(
            MetricInfo(
                kind=kind,
                title=spec.title,
                definition=inspect.cleandoc(spec.__doc__ or ""),
                parameters=params,
            )
        )
    return out
