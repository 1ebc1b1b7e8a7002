"""Event properties for the demo, built as one Arrow map column per chunk (vectorized), then
stored as JSON text.

Each event gets the properties its name declares in `vocabulary.PROPERTIES` (values as text, as
the store keeps them); events that declare none get a null map.
"""

from __future__ import annotations

from typing import assert_never

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from uptake.demo.vocabulary import EVENT_CODE, PROPERTIES, Amount, Choice, Count, PropertySpec
from uptake.store.properties_json import map_to_json
from uptake.store.schema import PROPS


def _values(spec: PropertySpec, n: int, rng: np.random.Generator) -> pa.Array:
    match spec:
        case Choice(values=values, weights=weights):
            p = np.asarray(weights, dtype=np.float64)
            picks = rng.choice(len(values), n, p=p / p.sum())
            return pa.array(values, pa.string()).take(pa.array(picks))
        case Amount(median=median, sigma=sigma):
            amount = np.round(rng.lognormal(np.log(median), sigma, n) / 100.0) * 100
            return pc.cast(pa.array(np.maximum(amount, 100).astype(np.int64)), pa.string())
        case Count(low=low, high=high):
            return pc.cast(pa.array(rng.integers(low, high + 1, n)), pa.string())
        case _:
            assert_never(spec)


def event_properties(codes: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """The `properties` column (JSON object text) for events with these event codes."""
    positions: list[np.ndarray] = []
    keys: list[pa.Array] = []
    items: list[pa.Array] = []
    for name, specs in PROPERTIES.items():
        where = np.flatnonzero(codes == EVENT_CODE[name])
        if len(where) == 0:
            continue
        for spec in specs:
            positions.append(where)
            keys.append(pa.repeat(pa.scalar(spec.key, pa.string()), len(where)))
            items.append(_values(spec, len(where), rng))
    n = len(codes)
    if not positions:
        return pa.nulls(n, pa.string())
    pos = np.concatenate(positions)
    order = pa.array(np.argsort(pos, kind="stable"))
    per_event = np.bincount(pos, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(per_event)]).astype(np.int32)
    maps = pa.MapArray.from_arrays(
        pa.array(offsets),
        pa.concat_arrays(keys).take(order),
        pa.concat_arrays(items).take(order),
        type=PROPS,
        mask=pa.array(per_event == 0),
    )
    # Events store properties as JSON text (see store/properties_json.py).
    return map_to_json(maps)
