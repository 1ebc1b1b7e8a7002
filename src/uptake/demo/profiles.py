"""The demo's accounts and users as canonical Arrow tables (`store/schema.py`)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from uptake.demo.population import SITE_NAMES
from uptake.demo.scenario import Scenario
from uptake.demo.vocabulary import CSMS, DEPARTMENTS, INDUSTRIES, PLANS, REGIONS, ROLES
from uptake.store.schema import CANONICAL_SCHEMAS, PROPS, TS

DAY_S = 86_400


def timestamps(scn: Scenario, days: np.ndarray) -> pa.Array:
    """Day offsets (fractions = time of day, NaN/inf = null) as timestamps, to the second."""
    start_s = int(np.datetime64(scn.start, "s").astype(np.int64))
    known = np.isfinite(days)
    seconds = start_s + np.round(np.where(known, days, 0.0) * DAY_S).astype(np.int64)
    return pa.array(seconds * 1_000_000, TS, mask=~known)


def _labels(vocabulary: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    return pa.array(vocabulary, pa.string()).take(pa.array(codes))


def traits(columns: dict[str, pa.Array]) -> pa.Array:
    """A map column with the same keys on every row, one value per key and row."""
    names = list(columns)
    k = len(names)
    n = len(columns[names[0]])
    # Row i's j-th item sits at j * n + i in the concatenated value arrays.
    order = (np.arange(k)[None, :] * n + np.arange(n)[:, None]).ravel()
    keys = pa.array(names, pa.string()).take(pa.array(np.tile(np.arange(k), n)))
    items = pa.concat_arrays(list(columns.values())).take(pa.array(order))
    offsets = pa.array(np.arange(n + 1, dtype=np.int32) * k)
    return pa.MapArray.from_arrays(offsets, keys, items, type=PROPS)


def accounts_table(scn: Scenario) -> pa.Table:
    """Accounts: customers (started_at set) and leads (started_at null, no seats, mrr 0)."""
    a = scn.accounts
    columns = {
        "account_id": pa.array(a.account_id, pa.string()),
        "name": pa.array(a.name, pa.string()),
        "plan": _labels(PLANS, a.plan),
        "seats": pa.array(a.seats, pa.int64()),
        "created_at": timestamps(scn, a.created_day),
        "started_at": timestamps(scn, a.started_day),
        "renewal_at": timestamps(scn, a.renewal_day),
        "churned_at": timestamps(scn, a.churned_day),
        "mrr": pa.array(a.mrr, pa.float64()),
        "traits": traits(
            {
                "industry": _labels(INDUSTRIES, a.industry),
                "region": _labels(REGIONS, a.region),
                "csm": _labels(CSMS, a.csm),
            }
        ),
    }
    return pa.Table.from_pydict(columns, schema=CANONICAL_SCHEMAS["accounts"])


def users_table(scn: Scenario) -> pa.Table:
    """Users with their account, signup time, licensed flag and department / site / role."""
    u = scn.users
    columns = {
        "user_id": pa.array(u.user_id, pa.string()),
        "account_id": pa.array(scn.accounts.account_id, pa.string()).take(pa.array(u.account)),
        "created_at": timestamps(scn, u.created_day),
        "licensed": pa.array(u.licensed, pa.bool_()),
        "traits": traits(
            {
                "department": _labels(DEPARTMENTS, u.department),
                "site": _labels(SITE_NAMES, u.site),
                "role": _labels(ROLES, u.role),
            }
        ),
    }
    return pa.Table.from_pydict(columns, schema=CANONICAL_SCHEMAS["users"])
