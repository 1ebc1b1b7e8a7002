"""Adoption times for diffusion metrics: when each user or account was "launched" (could first
adopt) and when it first adopted, plus `DiffusionSpec`, the parameters every diffusion metric
(adopter categories, critical mass, the Bass forecast) shares.

A unit adopts at its first-ever use of the chosen events (a feature, event names/patterns, or
the workspace's activity events); history before `from` counts. Its launch is one of:

- release: the feature's released_at (midnight UTC), or the unit's signup when that is later
  (nobody can adopt before they exist, as feature_adoption's since='release').
- date: a fixed `launch_date` (a rollout's go-live), or the unit's signup when later.
- signup: a user's signup (the earlier of the profile's created_at and its first event, as
  elsewhere in uptake); an account's started_at, else created_at, else the earliest
  created_at of its users, else its first event.
- trait: a date held in a trait named by `launch_trait` (a user trait; an account trait with
  unit='account'), e.g. seat_assigned_at; text that does not parse as a date or timestamp
  leaves the unit out (`candidates` flags it so metrics can warn).

The population is every unit that exists by the end of `to` (a profile, an event, or for an
account a user profile naming it; one without any date counts as existing), passes the
user/account filters and has a launch on or before `to`; with per-unit launches (signup,
trait) the launch must also be on or after `from` (a launch cohort). Event filters and, with
unit='account', user filters narrow which events count as adoption, not the population.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, assert_never

import ibis
import ibis.expr.types as ir
from pydantic import Field, field_validator, model_validator

from uptake.definitions import EventSelector, Filter
from uptake.errors import SpecError
from uptake.metrics.filters import entity_filters
from uptake.metrics.milestones import first_times
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.tables import Tables

Launch = Literal["release", "signup", "date", "trait"]

SECONDS_PER_DAY = 86_400


class DiffusionSpec(EventChoice, MetricSpec):
    """Parameters of every diffusion metric: what adoption is (events / feature / activity)
    and when each unit could first adopt (`launch`). Breakdowns are not supported."""

    launch: Launch = Field(
        default="signup",
        description=(
            "When a unit could first adopt: release (the feature's released_at), signup, date "
            "(`launch_date`, e.g. a rollout go-live) or trait (a date in trait `launch_trait`)."
        ),
    )
    launch_date: dt.date | None = Field(
        default=None, description="With launch='date': the go-live day (UTC midnight)."
    )
    launch_trait: str | None = Field(
        default=None,
        description="With launch='trait': the trait holding an ISO date, e.g. seat_assigned_at.",
    )

    @field_validator("launch_trait")
    @classmethod
    def _trait_name(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("`launch_trait` must name a trait, e.g. seat_assigned_at")
        return v

    @model_validator(mode="after")
    def _launch_options(self) -> DiffusionSpec:
        if self.breakdown is not None:
            raise ValueError(
                f"{self.kind} does not support `breakdown`; compare groups with `filters` instead"
            )
        if self.launch == "date" and self.launch_date is None:
            raise ValueError("launch='date' needs `launch_date` (the go-live day, YYYY-MM-DD)")
        if self.launch != "date" and self.launch_date is not None:
            raise ValueError("`launch_date` only applies to launch='date'")
        if self.launch == "trait" and self.launch_trait is None:
            raise ValueError("launch='trait' needs `launch_trait` (a trait holding a date)")
        if self.launch != "trait" and self.launch_trait is not None:
            raise ValueError("`launch_trait` only applies to launch='trait'")
        if self.launch == "release" and self.feature is None:
            raise ValueError(
                "launch='release' needs `feature`: the launch is the feature's released_at"
            )
        if self.launch_date is not None and self.launch_date > self.date_to:
            raise ValueError(
                f"launch_date ({self.launch_date}) is after `to` ({self.date_to}): "
                "nothing can have been adopted yet"
            )
        return self

    def population_filters(self) -> list[Filter]:
        """The filters that define the population (and which events count); subclasses may
        add their own (critical_mass's licensed users)."""
        return list(self.filters)

    def fixed_launch(self, tables: Tables) -> dt.date | None:
        """The one launch day of release / date launches; None for per-unit launches. SpecError
        when the feature has no released_at or the release is after `to`."""
        match self.launch:
            case "release":
                selector = self.selector(tables.definitions)
                released = getattr(selector, "released_at", None)
                if released is None:
                    raise SpecError(
                        f"launch='release' needs a released_at on feature {self.feature!r} in "
                        "uptake.toml (or use launch='date' with a launch_date)"
                    )
                assert isinstance(released, dt.date)
                if released > self.date_to:
                    raise SpecError(
                        f"feature {self.feature!r} is released on {released}, after `to` "
                        f"({self.date_to}): nothing can have been adopted yet"
                    )
                return released
            case "date":
                return self.launch_date
            case "signup" | "trait":
                return None
            case _:
                assert_never(self.launch)


def _midnight(day: dt.date) -> ir.TimestampValue:
    return ibis.timestamp(day.isoformat())


def _user_units(tables: Tables, filters: list[Filter], trait: str | None) -> ibis.Table:
    """Rows (entity, signed_up_at, trait_text): every user with a profile or an event, its
    signup (earlier of created_at and first event; null when neither is known) and the launch
    trait's text (null without `trait`)."""
    first_any = first_times(tables, "user", EventSelector(events=["*"]), [])
    users = tables.users
    profiles = users.select(
        entity=users.user_id,
        account_id=users.account_id,
        created_at=users.created_at,
        trait_text=users.traits[trait] if trait else ibis.null("string"),
    )
    joined = profiles.outer_join(first_any, profiles.entity == first_any.entity)
    rows = joined.select(
        entity=joined.entity.fill_null(joined.entity_right),
        account_id=joined.account_id,
        # `least` skips nulls on both engines: either date alone is the signup.
        signed_up_at=ibis.least(joined.created_at, joined.first_at),
        trait_text=joined.trait_text,
    )
    rows = rows.mutate(user_id=rows.entity)
    kept = entity_filters(rows, [f for f in filters if f.namespace != "event"], tables)
    return kept.select("entity", "signed_up_at", "trait_text")


def _account_units(tables: Tables, filters: list[Filter], trait: str | None) -> ibis.Table:
    """Rows (entity, signed_up_at, trait_text) for every account with a profile, an event or a
    user whose profile names it;
    the signup is started_at, else created_at, else its earliest user's created_at, else its
    first event."""
    accounts = tables.accounts
    profiles = accounts.select(
        account_id=accounts.account_id,
        profile_at=accounts.started_at.fill_null(accounts.created_at),
        trait_text=accounts.traits[trait] if trait else ibis.null("string"),
    )
    users = tables.users.filter(tables.users.account_id.notnull())
    first_user = users.group_by(account_id=users.account_id).agg(user_at=users.created_at.min())
    first_any = first_times(tables, "account", EventSelector(events=["*"]), [])
    # An account exists once it has a profile, an event or a user naming it.
    ids = ibis.union(
        profiles.select(entity=profiles.account_id.cast("string")),
        first_any.select(entity=first_any.entity.cast("string")),
        first_user.select(entity=first_user.account_id.cast("string")),
        distinct=True,
    )
    joined = (
        ids.left_join(profiles, ids.entity == profiles.account_id)
        .left_join(first_user, ids.entity == first_user.account_id)
        .left_join(first_any, ids.entity == first_any.entity)
    )
    rows = joined.select(
        entity=ids.entity,
        signed_up_at=profiles.profile_at.fill_null(first_user.user_at).fill_null(
            first_any.first_at
        ),
        trait_text=profiles.trait_text,
    )
    rows = rows.mutate(user_id=ibis.null("string"), account_id=rows.entity)
    # User filters say whose events count (see `first_times`), not which accounts exist.
    kept = entity_filters(rows, [f for f in filters if f.namespace == "account"], tables)
    return kept.select("entity", "signed_up_at", "trait_text")


def candidates(spec: DiffusionSpec, tables: Tables) -> ibis.Table:
    """Rows (entity, launch_at, adopted_at, adoption_days, launch_unparsed): `adoption_times`
    plus the units left out because their launch trait holds text that is not a date
    (launch_unparsed true, launch_at null), so that a metric can count them in a warning."""
    filters = spec.population_filters()
    end = _midnight(spec.date_to + dt.timedelta(days=1))
    trait = spec.launch_trait if spec.launch == "trait" else None
    units = (
        _user_units(tables, filters, trait)
        if spec.unit == "user"
        else _account_units(tables, filters, trait)
    )
    # Exists by the end of `to`; a profile without any date is taken as existing.
    units = units.filter(units.signed_up_at.isnull() | (units.signed_up_at < end))
    signed = units.signed_up_at
    fixed = spec.fixed_launch(tables)
    unparsed: ir.BooleanValue = ibis.literal(False)
    match spec.launch:
        case "release" | "date":
            assert fixed is not None
            day = _midnight(fixed)
            launch_at: ir.TimestampValue = ibis.cases(
                (signed.isnull() | (signed < day), day), else_=signed
            )
        case "signup":
            launch_at = signed
        case "trait":
            text = units.trait_text.strip()
            launch_at = text.try_cast("timestamp")
            unparsed = text.notnull() & (text != "") & launch_at.isnull()
        case _:
            assert_never(spec.launch)
    units = units.select("entity", launch_at=launch_at, launch_unparsed=unparsed)
    in_window = units.launch_at < end
    if fixed is None:
        # Per-unit launches: `from` picks the launch cohort.
        in_window = in_window & (units.launch_at >= _midnight(spec.date_from))
    units = units.filter(units.launch_unparsed | in_window)

    firsts = first_times(tables, spec.unit, spec.selector(tables.definitions), spec.filters)
    firsts = firsts.filter(firsts.first_at < end)
    joined = units.left_join(firsts, units.entity == firsts.entity)
    seconds = joined.first_at.delta(joined.launch_at, unit="second")
    days = seconds.cast("float64") / SECONDS_PER_DAY
    return joined.select(
        entity=joined.entity,
        launch_at=joined.launch_at,
        adopted_at=joined.first_at,
        # Use before the launch (beta users) counts as adopting at the launch. Not `greatest`:
        # engines skip nulls there, and null means "not adopted".
        adoption_days=ibis.cases(
            (joined.launch_unparsed, ibis.null("float64")), (days < 0, 0.0), else_=days
        ),
        launch_unparsed=joined.launch_unparsed,
    )


def adoption_times(spec: DiffusionSpec, tables: Tables) -> ibis.Table:
    """Rows (entity, launch_at, adopted_at, adoption_days), one per unit of the population.

    - entity: the user id (unit='user') or account id (unit='account').
    - launch_at: when the unit could first adopt (timestamp, UTC; see the module docstring).
    - adopted_at: its first-ever use of the chosen events, on or before the end of `to`; null
      for a non-adopter. It may precede launch_at (a beta user).
    - adoption_days: (adopted_at - launch_at) in fractional days (seconds / 86,400), clipped at
      0 when the first use came before the launch; null for a non-adopter.

    Never executes anything; rows are unordered. Stable for other diffusion metrics to build on.
    """
    rows = candidates(spec, tables)
    rows = rows.filter(~rows.launch_unparsed)
    return rows.select("entity", "launch_at", "adopted_at", "adoption_days")
