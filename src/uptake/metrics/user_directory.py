"""The user directory: find people by id, trait or account name, with their profile and how
active they were (the Users page's search)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

import ibis
import pyarrow as pa
from pydantic import Field, field_validator

from uptake.definitions import Filter
from uptake.metrics.filters import entity_filters
from uptake.metrics.spec import MetricSpec
from uptake.metrics.tables import Tables

# Columns of every user_search row besides the trait columns (which come after `licensed`).
PROFILE_COLUMNS = ("user_id", "account_id", "account_name", "created_at", "licensed")
ACTIVITY_COLUMNS = (
    "first_seen_at", "last_seen_at", "events_in_range", "active_days_in_range", "matches",
)  # fmt: skip
MAX_SEARCH_ROWS = 1000


class PeopleSpec(MetricSpec):
    """Base of the metrics about individual people: always per user, no breakdown."""

    unit: Literal["user"] = Field(
        default="user", description="Always user: these metrics list people."
    )

    @field_validator("unit", mode="before")
    @classmethod
    def _people_only(cls, v: Any) -> Any:
        if v != "user":
            raise ValueError(f"this metric lists people, so unit must be 'user' (got {v!r})")
        return v

    @field_validator("breakdown")
    @classmethod
    def _no_breakdown(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError("this metric lists people one by one: leave out `breakdown`")
        return v


def people_filters(filters: list[Filter]) -> list[Filter]:
    """The filters unchanged; ValueError for an event filter (people are not events)."""
    for f in filters:
        if f.namespace == "event":
            raise ValueError(
                f"{f.property!r}: people and their answers are not events; filter on "
                "user.<key> or account.<key> properties"
            )
    return filters


class UserSearch(PeopleSpec):
    """People whose user id, any trait value or account name contains `q` (case-insensitive;
    empty `q`: everyone), with their profile and activity.

    People are everyone with a profile (users table) and everyone with an event on or before
    `to`. account_id is the profile's, else the account of their events (the greatest id when
    they used several); account_name comes from the accounts table. Trait columns are the
    listed `traits` keys (null when a person lacks one). first_seen_at / last_seen_at are their
    first and latest event on or before `to` (every event counts, as in the timeline);
    events_in_range and active_days_in_range count events and days with an event in
    [from, to]. `matches` is the number of people matching before `limit` cut the list (the
    same on every row). Sorted by last_seen_at, newest first, people never seen last, then
    user_id.
    """

    title: ClassVar[str] = "Find users by id, trait or account name, with their activity"

    kind: Literal["user_search"] = "user_search"
    q: str = Field(
        default="",
        max_length=200,
        description="Text to find in the user id, a trait value or the account name "
        "(case-insensitive); empty: everyone.",
    )
    user_ids: list[str] | None = Field(
        default=None, description="Only these exact user ids; None: no such restriction."
    )
    traits: list[str] = Field(
        default_factory=lambda: ["department", "role"],
        description="Trait keys shown as columns of their own (default department, role).",
    )
    limit: int = Field(
        default=100, ge=1, le=MAX_SEARCH_ROWS, description="Most rows returned (1-1000)."
    )

    @field_validator("filters")
    @classmethod
    def _people_filters(cls, v: list[Filter]) -> list[Filter]:
        return people_filters(v)

    @field_validator("traits")
    @classmethod
    def _trait_columns(cls, v: list[str]) -> list[str]:
        taken = set(PROFILE_COLUMNS) | set(ACTIVITY_COLUMNS)
        for key in v:
            if not key.strip():
                raise ValueError("a trait key in `traits` is empty")
            if key in taken:
                raise ValueError(
                    f"trait {key!r} has the name of a column of the result; leave it out of "
                    "`traits`"
                )
        if len(set(v)) != len(v):
            raise ValueError("`traits` names a trait twice")
        return v

    @field_validator("user_ids")
    @classmethod
    def _some_ids(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            raise ValueError("`user_ids` must not be empty (leave it out for everyone)")
        return v

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (user_id, account_id, account_name, created_at, licensed, <traits...>,
        first_seen_at, last_seen_at, events_in_range, active_days_in_range, matches)."""
        end = ibis.timestamp((self.date_to + dt.timedelta(days=1)).isoformat())
        users, accounts = tables.users, tables.accounts

        fs = tables.first_seen
        fs = fs.filter(fs.first_at < end)
        seen = fs.group_by("user_id").agg(
            first_seen_at=fs.first_at.min(), event_account=fs.account_id.max()
        )
        profiles = users.select(
            "user_id", "account_id", "created_at", "licensed",
            **{key: users.traits[key] for key in self.traits},
        )  # fmt: skip
        joined = profiles.outer_join(seen, profiles.user_id == seen.user_id)
        people = joined.select(
            user_id=ibis.coalesce(joined.user_id, joined.user_id_right),
            account_id=ibis.coalesce(joined.account_id, joined.event_account),
            created_at=joined.created_at,
            licensed=joined.licensed,
            **{key: joined[key] for key in self.traits},
            first_seen_at=joined.first_seen_at,
        ).view()  # ends the join chain: Ibis cannot join on a column computed inside one
        named = accounts.select(account_key=accounts.account_id, account_name=accounts.name)
        people = people.left_join(named, people.account_id == named.account_key).drop("account_key")
        people = self._matching(people.view(), tables)

        d = tables.daily
        d = d.filter(
            d.day >= ibis.date(self.date_from.isoformat()),
            d.day <= ibis.date(self.date_to.isoformat()),
        )
        counts = d.group_by(activity_user=d.user_id).agg(
            events_in_range=d.n.sum(), active_days_in_range=d.day.nunique()
        )
        # The exact time of the latest event needs the events themselves (the rollup keeps
        # days); one grouped scan of two columns.
        ev = tables.events
        ev = ev.filter(ev.timestamp < end)
        latest = ev.group_by(latest_user=ev.user_id).agg(last_seen_at=ev.timestamp.max())

        rows = people.left_join(latest, people.user_id == latest.latest_user).left_join(
            counts, people.user_id == counts.activity_user
        )
        out = rows.select(
            *PROFILE_COLUMNS,
            *self.traits,
            first_seen_at=rows.first_seen_at,
            last_seen_at=rows.last_seen_at,
            events_in_range=rows.events_in_range.fill_null(0),
            active_days_in_range=rows.active_days_in_range.fill_null(0),
            matches=rows.user_id.count().over(),
        )
        # Never seen last whatever the engine's default place for nulls.
        return out.order_by(
            [out.last_seen_at.isnull(), out.last_seen_at.desc(), out.user_id]
        ).limit(self.limit)

    def _matching(self, people: ibis.Table, tables: Tables) -> ibis.Table:
        """The people passing `user_ids`, `q` and the filters."""
        if self.user_ids is not None:
            people = people.filter(people.user_id.isin(self.user_ids))
        if self.q:
            needle = self.q.lower()
            users = tables.users
            values = users.select("user_id", value=users.traits.values().unnest())
            by_trait = values.filter(values.value.lower().contains(needle)).user_id
            people = people.filter(
                people.user_id.lower().contains(needle)
                | people.account_name.lower().contains(needle).fill_null(False)
                | people.user_id.isin(by_trait)
            )
        return entity_filters(people, self.filters, tables)

    def summarize(self, table: pa.Table) -> dict[str, Any]:
        """{"matches": how many people matched before `limit`} (0 when none did)."""
        if table.num_rows == 0:
            return {"matches": 0}
        return {"matches": int(table.column("matches")[0].as_py())}

    def warnings(self, table: pa.Table) -> list[str]:
        """A note when `limit` cut the list."""
        matches = self.summarize(table)["matches"]
        if matches <= table.num_rows:
            return []
        return [
            f"showing {table.num_rows} of {matches} matching users: narrow the search or raise "
            f"`limit` (at most {MAX_SEARCH_ROWS})"
        ]
