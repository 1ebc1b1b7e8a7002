"""Account usage: one row per customer account with its users, active users, seats used,
features adopted, events and last activity over [from, to]: the table customer success reads."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from pydantic import Field, field_validator

from uptake.definitions import Feature, Filter
from uptake.metrics.filters import entity_filters
from uptake.metrics.periods import Period
from uptake.metrics.ratios import ratio
from uptake.metrics.selection import activity_rows, is_pattern, names_predicate, raw_events
from uptake.metrics.spec import EventChoice, MetricSpec
from uptake.metrics.tables import Tables

SeatsUsedSource = Literal["licensed_flag", "active_users"]

NO_FLAG_WARNING = (
    "No user profile carries a `licensed` flag, so seats_used counts every active user of the "
    "account (set `licensed` on user profiles to count licensed seats only)."
)
NO_FEATURES_WARNING = (
    "No features are defined, so features_adopted and features_total are 0: add [[features]] "
    "entries to uptake.toml."
)


def _midnight(day: dt.date) -> ir.TimestampValue:
    return ibis.timestamp(day.isoformat())


def _date(day: dt.date) -> ir.DateValue:
    return ibis.date(day.isoformat())


def _loose(table: ibis.Table) -> ibis.Table:
    """The same columns, all nullable: a union needs equal schemas, and a NOT NULL column of
    the store meets a nullable one of a view or another table."""
    return table.select(
        *[table[c].cast(table[c].type().copy(nullable=True)).name(c) for c in table.columns]
    )


class AccountUsage(EventChoice, MetricSpec):
    """How each customer account uses the product over [from, to], one row per account.

    Accounts are those of the accounts table plus any account seen on an event up to `to`;
    an account without activity gets zeros. Activity is attributed to the account the event
    carries. The chosen events (`events` / `feature`; default: the activity definition) drive
    active users, events and last activity.

    - users: users known on the account by `to`: profiles of the account (created by `to`, or
      undated) and users with any event on it up to `to`.
    - active_users: distinct users with a chosen event on the account in the range.
    - seats_used: active users whose profile has `licensed = true`; when no user profile in
      the workspace carries the flag, every active user (seats_used_source says which, with a
      warning).
    - seat_utilization: seats_used / seats (0-1, above 1 when more licensed users are active
      than seats were bought); None without seats (or 0 seats).
    - features_adopted: workspace features used at least once in the range on the account;
      features_total: features defined in the workspace.
    - events: chosen events on the account in the range.
    - active_users_previous: active users in the equally long range just before `from`;
      active_users_change = (active_users - previous) / previous, None when previous is 0.
    - last_active_at: the latest chosen event on the account, ever, up to the end of `to`.
    - A user.<key> filter counts only the users passing it in every column (the accounts
      listed stay the same); an account.<key> filter picks the accounts.
    """

    title: ClassVar[str] = "Per account: users, active users, seats used, features, last activity"
    breakdown_namespaces: ClassVar[tuple[str, ...]] = ()

    kind: Literal["account_usage"] = "account_usage"
    unit: Literal["account"] = Field(
        default="account", description="Always account: one row per customer account."
    )
    period: Period | None = Field(  # type: ignore[assignment]
        default=None, description="Not used: each row covers the whole range (leave it out)."
    )

    @field_validator("unit", mode="before")
    @classmethod
    def _accounts_only(cls, v: Any) -> Any:
        if v != "account":
            raise ValueError(
                f"account_usage has one row per account, so unit must be 'account' (got {v!r})"
            )
        return v

    @field_validator("period")
    @classmethod
    def _no_period(cls, v: Period | None) -> Period | None:
        if v is not None:
            raise ValueError(
                "account_usage covers the whole range in one row per account: leave out "
                "`period` (use a trend filtered on account.account_id for usage over time)"
            )
        return v

    @field_validator("breakdown")
    @classmethod
    def _breakdown_ref(cls, v: str | None) -> str | None:
        if v is not None:
            raise ValueError(
                "account_usage has one row per account already: filter on account.<key> "
                "instead of a breakdown"
            )
        return v

    @field_validator("filters")
    @classmethod
    def _no_event_filters(cls, v: list[Filter]) -> list[Filter]:
        for f in v:
            if f.namespace == "event":
                raise ValueError(
                    f"{f.property!r}: account_usage filters on account.<key> and user.<key> "
                    "properties; choose the events with `events` or `feature`"
                )
        return v

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (account_id, name, plan, seats, started_at, renewal_at, churned_at, mrr, users,
        active_users, seats_used, seat_utilization, features_adopted, features_total, events,
        active_users_previous, active_users_change, last_active_at, seats_used_source)."""
        features = list(tables.definitions.features)
        accounts = tables.accounts
        ids = self._account_ids(tables).view()
        current, previous, licensed = (t.view() for t in self._activity(tables))
        known = self._known_users(tables).view()
        adopted = self._features_adopted(tables, features).view()
        last = self._last_active(tables).view()
        users = tables.users
        flags = users.aggregate(profiles_with_flag=users.licensed.count()).view()

        joined = (
            ids.cross_join(flags)
            .left_join(accounts, ids.account_id == accounts.account_id)
            .left_join(known, ids.account_id == known.account_id)
            .left_join(current, ids.account_id == current.account_id)
            .left_join(previous, ids.account_id == previous.account_id)
            .left_join(licensed, ids.account_id == licensed.account_id)
            .left_join(adopted, ids.account_id == adopted.account_id)
            .left_join(last, ids.account_id == last.account_id)
        )
        active = current.active_users.fill_null(0)
        before = previous.active_users_previous.fill_null(0)
        has_flags = flags.profiles_with_flag > 0
        seats_used = ibis.ifelse(has_flags, licensed.seats_used.fill_null(0), active)
        source = ibis.ifelse(has_flags, "licensed_flag", "active_users")
        out = joined.select(
            account_id=ids.account_id,
            name=accounts.name,
            plan=accounts.plan,
            seats=accounts.seats,
            started_at=accounts.started_at,
            renewal_at=accounts.renewal_at,
            churned_at=accounts.churned_at,
            mrr=accounts.mrr,
            users=known.users.fill_null(0),
            active_users=active,
            seats_used=seats_used,
            seat_utilization=ratio(seats_used, accounts.seats),
            features_adopted=adopted.features_adopted.fill_null(0),
            features_total=ibis.literal(len(features), "int64"),
            events=current.events.fill_null(0),
            active_users_previous=before,
            active_users_change=ratio(active - before, before),
            last_active_at=last.last_active_at,
            seats_used_source=source,
        )
        return out.order_by([ibis.desc("active_users"), "account_id"])

    def warnings(self, table: pa.Table) -> list[str]:
        """Says when seats_used fell back to active users, and when no features are defined."""
        if table.num_rows == 0:
            return []
        out = []
        if "active_users" in table.column("seats_used_source").to_pylist():
            out.append(NO_FLAG_WARNING)
        if table.column("features_total")[0].as_py() == 0:
            out.append(NO_FEATURES_WARNING)
        return out

    def _user_filters(self) -> list[Filter]:
        return [f for f in self.filters if f.namespace == "user"]

    def _account_ids(self, tables: Tables) -> ibis.Table:
        """Rows (account_id): the accounts table's accounts and those seen on events by `to`,
        passing the account filters."""
        accounts = tables.accounts.select("account_id")
        fs = tables.first_seen
        seen = fs.filter(
            fs.account_id.notnull(), fs.first_at < _midnight(self.date_to + dt.timedelta(days=1))
        ).select("account_id")
        ids = ibis.union(_loose(accounts), _loose(seen), distinct=True)
        by_account = [f for f in self.filters if f.namespace == "account"]
        return entity_filters(ids, by_account, tables)

    def _activity(self, tables: Tables) -> tuple[ibis.Table, ibis.Table, ibis.Table]:
        """(account_id, active_users, events) in the range, (account_id, active_users_previous)
        in the range before it, and (account_id, seats_used): active users flagged licensed."""
        days = (self.date_to - self.date_from).days + 1
        before = self.date_from - dt.timedelta(days=days)
        selector = self.selector(tables.definitions)
        rows = activity_rows(tables, "account", selector, self.filters, before, self.date_to)
        start = _date(self.date_from)
        now = rows.filter(rows.day >= start)
        current = now.group_by("account_id").agg(
            active_users=now.user_id.nunique(), events=now.n.sum()
        )
        past = rows.filter(rows.day < start)
        previous = past.group_by("account_id").agg(active_users_previous=past.user_id.nunique())
        users = tables.users
        flagged = now.filter(now.user_id.isin(users.filter(users.licensed).user_id))
        licensed = flagged.group_by("account_id").agg(seats_used=flagged.user_id.nunique())
        return current, previous, licensed

    def _known_users(self, tables: Tables) -> ibis.Table:
        """Rows (account_id, users): users known on each account by `to` (profiles and event
        users), passing the user filters."""
        end = _midnight(self.date_to + dt.timedelta(days=1))
        users = tables.users
        profiles = users.filter(
            users.account_id.notnull(), users.created_at.isnull() | (users.created_at < end)
        )
        profiles = entity_filters(profiles, self._user_filters(), tables)
        fs = tables.first_seen
        seen = entity_filters(
            fs.filter(fs.account_id.notnull(), fs.first_at < end), self._user_filters(), tables
        )
        pairs = ibis.union(
            _loose(profiles.select("user_id", "account_id")),
            _loose(seen.select("user_id", "account_id")),
            distinct=True,
        )
        return pairs.group_by("account_id").agg(users=pairs.count())

    def _features_adopted(self, tables: Tables, features: list[Feature]) -> ibis.Table:
        """Rows (account_id, features_adopted): features used on the account in the range."""
        parts = []
        plain = [f for f in features if not f.where]
        if plain:
            d = tables.daily
            d = d.filter(
                d.day >= _date(self.date_from), d.day <= _date(self.date_to), d.account_id.notnull()
            )
            d = entity_filters(d, self.filters, tables)
            # Exact names: one join with a small (event, feature) table tags the rows, cheaper
            # than a predicate per feature; glob patterns are matched on the rollup's names.
            pairs = sorted({(e, f.name) for f in plain for e in f.events if not is_pattern(e)})
            if pairs:
                named = ibis.memtable(
                    {"event": [p[0] for p in pairs], "feature": [p[1] for p in pairs]},
                    schema={"event": "string", "feature": "string"},
                )
                hits = d.join(named, "event")
                parts.append(hits.select("account_id", "feature"))
            for feature in plain:
                patterns = [e for e in feature.events if is_pattern(e)]
                if patterns:
                    hits = d.filter(names_predicate(d.event, patterns))
                    parts.append(hits.select("account_id", feature=ibis.literal(feature.name)))
        for feature in features:
            if not feature.where:
                continue
            # Event-property conditions: only raw events keep the properties.
            ev = raw_events(tables, feature, self.filters, self.date_from, self.date_to)
            ev = ev.filter(ev.account_id.notnull())
            parts.append(ev.select("account_id", feature=ibis.literal(feature.name)))
        if not parts:
            return ibis.memtable(
                {"account_id": [], "features_adopted": []},
                schema={"account_id": "string", "features_adopted": "int64"},
            )
        loose = [_loose(p) for p in parts]
        used = ibis.union(*loose, distinct=True) if len(loose) > 1 else loose[0].distinct()
        return used.group_by("account_id").agg(features_adopted=used.count())

    def _last_active(self, tables: Tables) -> ibis.Table:
        """Rows (account_id, last_active_at): the latest chosen event on the account up to the
        end of `to` (exact times: raw events)."""
        selector = self.selector(tables.definitions)
        ev = raw_events(tables, selector, self.filters, None, self.date_to)
        ev = ev.filter(ev.account_id.notnull())
        return ev.group_by("account_id").agg(last_active_at=ev.timestamp.max())
