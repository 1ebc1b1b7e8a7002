"""Milestones per user or account: when each first did something, and when each signed up."""

from __future__ import annotations

import ibis

from uptake.definitions import EventSelector, Filter
from uptake.metrics.filters import compare, entity_filters, event_filters
from uptake.metrics.selection import needs_raw_events, raw_events, selector_predicate
from uptake.metrics.tables import Tables


def first_times(
    tables: Tables, unit: str, selector: EventSelector | None, filters: list[Filter]
) -> ibis.Table:
    """Rows (entity, first_at): the first time ever (all history) each user or account did one
    of the chosen events (None: any activity event). Reads `first_seen` unless event
    properties are involved."""
    if needs_raw_events(selector, filters):
        rows = raw_events(tables, selector, filters, None, None)
        entity = rows.user_id if unit == "user" else rows.account_id
        rows = rows.filter(entity.notnull())
        return rows.group_by(entity=entity).agg(first_at=rows.timestamp.min())
    fs = tables.first_seen
    entity = fs.user_id if unit == "user" else fs.account_id
    preds = [selector_predicate(fs.event, selector, tables.definitions), entity.notnull()]
    preds += [compare(fs.event, f) for f in event_filters(filters)]
    rows = entity_filters(fs.filter(*preds), filters, tables)
    entity = rows.user_id if unit == "user" else rows.account_id
    return rows.group_by(entity=entity).agg(first_at=rows.first_at.min())


def signup_times(tables: Tables, unit: str, filters: list[Filter]) -> ibis.Table:
    """Rows (entity, signed_up_at): when each user or account started.

    A user's signup is the earlier of its profile's `created_at` and its first event of any
    kind (a profile synced late must not make someone active before they "signed up"). An
    account's is its `started_at` (customer since), else `created_at`, else its first event:
    activity while still a lead does not move an account's start. Users or accounts known only
    from a profile, with no date and no event, are left out.
    """
    first_any = first_times(tables, unit, EventSelector(events=["*"]), [])
    if unit == "user":
        profiles = entity_filters(tables.users, filters, tables)
        dated = profiles.select(entity=profiles.user_id, profile_at=profiles.created_at)
    else:
        accounts = tables.accounts
        accounts = entity_filters(
            accounts, [f for f in filters if f.namespace == "account"], tables
        )
        dated = accounts.select(
            entity=accounts.account_id,
            profile_at=accounts.started_at.fill_null(accounts.created_at),
        )
    # Every entity seen in a profile or in events, with the first date known for it.
    joined = dated.outer_join(first_any, dated.entity == first_any.entity)
    profile_at, first_at = joined.profile_at, joined.first_at
    # `least` skips nulls on both engines: either date alone is the answer.
    signed = ibis.least(profile_at, first_at) if unit == "user" else profile_at.fill_null(first_at)
    out = joined.select(entity=joined.entity.fill_null(joined.entity_right), signed_up_at=signed)
    if filters:
        # Entities known only from events must pass the user/account filters too. A user's
        # account (for `account.*` filters) is the one on its profile.
        if unit == "user":
            # A view: `tables.users` is already in this expression (the profiles above).
            profiles_again = tables.users.view()
            users = profiles_again.select(
                profile_user=profiles_again.user_id, account_id=profiles_again.account_id
            )
            base = out.view()
            with_account = base.left_join(users, base.entity == users.profile_user)
            candidates = with_account.select(
                "entity", "signed_up_at", user_id=with_account.entity, account_id="account_id"
            )
        else:
            candidates = out.mutate(user_id=ibis.null("string"), account_id=out.entity)
        kept = entity_filters(candidates, [f for f in filters if f.namespace != "event"], tables)
        out = kept.select("entity", "signed_up_at")
    return out.filter(out.signed_up_at.notnull())
