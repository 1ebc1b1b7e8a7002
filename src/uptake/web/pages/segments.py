"""What the segment filter offers: the user and account properties a project has, and the
values each one takes in the data.

These are lists for a form, not metrics: they read the small users / accounts tables directly.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from uptake.metrics import Tables
from uptake.metrics.filters import account_property, user_property

# Account columns worth segmenting by (text, few values); numbers and dates are not offered.
ACCOUNT_COLUMNS = ("name", "plan")
MAX_VALUES = 500


def _trait_keys(table: ibis.Table) -> list[str]:
    keys = table.select(key=table.traits.keys().unnest()).distinct()
    found = keys.to_pyarrow().column("key").to_pylist()
    return sorted(str(k) for k in found if k)


def segment_properties(tables: Tables) -> list[str]:
    """`user.<trait>` for every user trait, then the account name and plan and
    `account.<trait>` for every account trait, each group sorted."""
    users = [f"user.{k}" for k in _trait_keys(tables.users)]
    accounts = [f"account.{c}" for c in ACCOUNT_COLUMNS]
    accounts += [f"account.{k}" for k in _trait_keys(tables.accounts) if k not in ACCOUNT_COLUMNS]
    return users + accounts


def segment_values(tables: Tables, prop: str) -> list[str]:
    """The distinct values (as text) of a `user.<key>` / `account.<key>` property, sorted, at
    most `MAX_VALUES`; [] for anything else."""
    namespace, _, key = prop.partition(".")
    column: ir.Value
    if namespace == "user" and key:
        column = user_property(tables.users, key)
    elif namespace == "account" and key:
        column = account_property(tables.accounts, key)
    else:
        return []
    text = column.cast("string")
    table = tables.users if namespace == "user" else tables.accounts
    values = table.select(value=text).filter(ibis._.value.notnull()).distinct()
    found = values.order_by("value").limit(MAX_VALUES).to_pyarrow().column("value").to_pylist()
    return [str(v) for v in found]
