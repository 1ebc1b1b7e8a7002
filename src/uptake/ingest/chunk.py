"""A chunk of raw rows as a reader hands it on: the rows, where each came from, and the rows
the reader itself could not parse."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from uptake.ingest.options import TableName
from uptake.ingest.rejects import Reject


@dataclass(frozen=True)
class RawRows:
    """Rows bound for one canonical table, still in the file's own columns and types.

    `lines` holds each row's physical line (CSV, JSON) or 1-based row number (Parquet);
    `originals` the raw record per row for the rejects file (None = the row itself).
    """

    table: TableName
    rows: pa.Table
    lines: np.ndarray[Any, np.dtype[np.int64]]
    originals: Sequence[Any] | None = None

    def original(self, index: int) -> Any:
        """The raw record of row `index`, as JSON-ready values."""
        if self.originals is not None:
            return self.originals[index]
        row = self.rows.slice(index, 1).to_pylist()[0]
        return {k: json_ready(v) for k, v in row.items()}


@dataclass(frozen=True)
class Chunk:
    """What a reader yields: raw rows per table, rows it rejected, and progress.

    `records` counts every record read (parsed or rejected; blank lines excluded);
    `bytes_done` is how far into the file the reader is.
    """

    parts: tuple[RawRows, ...]
    rejects: tuple[Reject, ...] = field(default=())
    records: int = 0
    bytes_done: int = 0


def json_ready(value: Any) -> Any:
    """A raw value made JSON-serializable (timestamps as ISO text, bytes as text)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value
