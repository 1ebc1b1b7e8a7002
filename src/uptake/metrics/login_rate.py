"""Login rate: licensed users who logged in during a period, over the licensed users."""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from uptake.definitions import EventSelector
from uptake.metrics.filters import entity_filters, with_breakdown
from uptake.metrics.milestones import signup_times
from uptake.metrics.period_counts import count_by_period
from uptake.metrics.periods import bucket
from uptake.metrics.selection import activity_rows
from uptake.metrics.spec import MetricSpec
from uptake.metrics.spine import period_frame, period_spine
from uptake.metrics.tables import Tables

LicensedSource = Literal["licensed_flag", "seats", "known_users", "accounts"]

FALLBACK_WARNING = (
    "No user profile carries a `licensed` flag and the workspace sets no `seats.licensed`: "
    "the denominator fell back to all users known by each period's end."
)
SEATS_SPLIT_WARNING = (
    "`seats.licensed` is one number for the whole workspace and cannot be split by a breakdown "
    "or by user/account filters, so `licensed` and `login_rate` are empty; set `licensed` on "
    "user profiles instead."
)


class LoginRate(MetricSpec):
    """Share of licensed users who did the workspace's login event in the period.

    - logged_in: users who did `activity.login_event` at least once in the period.
    - licensed: users whose profile has `licensed = true` when any profile carries the flag
      (true or false); else the workspace's `seats.licensed`; else every user known (signed up)
      by the period's end, with a warning. With unit='account': accounts with a login over
      accounts that are customers (started) by the period's end.
    - login_rate: logged_in / licensed, a fraction (null when licensed is 0 or unknown); within
      0-1 when the licenses cover everyone who logs in (unlicensed users' logins also count).
    - licensed_source: where `licensed` came from (licensed_flag, seats, known_users, accounts).
    """

    title: ClassVar[str] = "Login rate: users who logged in / licensed users"

    kind: Literal["login_rate"] = "login_rate"

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, [breakdown], logged_in, licensed, login_rate, licensed_source)."""
        definitions = tables.definitions
        week_start = self.resolved_week_start(definitions)
        spine = period_spine(self.date_from, self.date_to, self.period, week_start)
        by = ["breakdown"] if self.breakdown else []

        login = EventSelector(events=[definitions.activity.login_event])
        rows = activity_rows(tables, self.unit, login, self.filters, self.date_from, self.date_to)
        rows = with_breakdown(rows, tables, self.unit, self.breakdown)
        rows = rows.mutate(period=bucket(rows.day, self.period, week_start))
        logged = rows.group_by(["period", *by]).agg(logged_in=rows.entity.nunique())

        signed = signup_times(tables, self.unit, self.filters)
        known_rows = with_breakdown(
            signed.select("entity", at=signed.signed_up_at), tables, self.unit, self.breakdown
        )
        flagged = self._flagged(tables) if self.unit == "user" else None
        sources = [rows, known_rows] + ([flagged] if flagged is not None else [])
        frame = period_frame(spine, by, *sources)
        known = count_by_period(
            known_rows, frame, by, self.date_from, self.date_to, self.period, week_start
        )

        j = known.left_join(
            logged, [known.period == logged.period, *[known[c] == logged[c] for c in by]]
        )
        base = j.select(
            "period", *[j[c] for c in by], logged_in=j.logged_in.fill_null(0), known=j.cumulative
        )
        if flagged is None:
            licensed: ir.IntegerValue = base.known
            source: ir.StringValue = ibis.literal("accounts")
            out = base
        else:
            out, licensed, source = self._user_denominator(tables, base, flagged, by)
        result = out.select(
            "period",
            *by,
            logged_in=out.logged_in,
            licensed=licensed,
            login_rate=out.logged_in.cast("float64") / licensed.nullif(0).cast("float64"),
            licensed_source=source,
        )
        return result.order_by(["period", *by])

    def _flagged(self, tables: Tables) -> ibis.Table:
        """Rows (entity, [breakdown]) of users flagged licensed that pass the filters."""
        users = tables.users
        users = entity_filters(users.filter(users.licensed), self.filters, tables)
        return with_breakdown(users.select(entity=users.user_id), tables, self.unit, self.breakdown)

    def _user_denominator(
        self, tables: Tables, base: ibis.Table, flagged: ibis.Table, by: list[str]
    ) -> tuple[ibis.Table, ir.IntegerValue, ir.StringValue]:
        """The per-user denominator: flags when any profile carries one, else seats, else the
        users known by the period's end."""
        users = tables.users
        # Which source applies is decided on the whole workspace, not the filtered users, so a
        # filter never silently switches the denominator's meaning.
        flags = users.aggregate(profiles_with_flag=users.licensed.count())
        counts = (
            flagged.group_by(by).agg(flagged=flagged.entity.nunique())
            if by
            else flagged.aggregate(flagged=flagged.entity.nunique())
        )
        if by:
            j = base.left_join(counts, [base[c] == counts[c] for c in by])
            j = j.select(*[j[c] for c in base.columns], flagged=j.flagged.fill_null(0))
        else:
            j = base.cross_join(counts)
        j = j.cross_join(flags)
        has_flags = j.profiles_with_flag > 0

        seats = tables.definitions.seats.licensed
        narrowed = bool(by) or any(f.namespace != "event" for f in self.filters)
        fallback: ir.IntegerValue
        fallback_source: LicensedSource
        if seats is None:
            fallback, fallback_source = j.known, "known_users"
        elif narrowed:
            fallback, fallback_source = ibis.null("int64"), "seats"
        else:
            fallback, fallback_source = ibis.literal(seats, "int64"), "seats"
        licensed = ibis.ifelse(has_flags, j.flagged, fallback).cast("int64")
        source = ibis.ifelse(has_flags, "licensed_flag", fallback_source)
        return j, licensed, source

    def warnings(self, table: pa.Table) -> list[str]:
        """Says when the denominator fell back to known users, or seats could not be split."""
        if "licensed_source" not in table.column_names:
            return []
        sources = set(table.column("licensed_source").to_pylist())
        out = []
        if "known_users" in sources:
            out.append(FALLBACK_WARNING)
        if "seats" in sources and None in table.column("licensed").to_pylist():
            out.append(SEATS_SPLIT_WARNING)
        return out
