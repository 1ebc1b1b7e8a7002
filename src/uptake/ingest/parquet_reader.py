"""Parquet files, streamed in record batches; a row's "line" is its 1-based row number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from uptake.errors import ImportFileError
from uptake.ingest.chunk import Chunk, RawRows
from uptake.ingest.options import TableName

_MAGIC = b"PAR1"


def open_parquet(path: Path) -> pq.ParquetFile:
    """Open a Parquet file and read its footer; a file that is not Parquet, or is cut short,
    is an ImportFileError."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(4)
        f.seek(max(size - 4, 0))
        tail = f.read(4)
    if head != _MAGIC:
        raise ImportFileError(f"{path}: not a Parquet file (it does not start with PAR1)")
    if tail != _MAGIC or size < 12:
        raise ImportFileError(f"{path}: truncated Parquet file (its footer is missing)")
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise ImportFileError(f"{path}: unreadable Parquet file: {exc}") from None


def parquet_columns(path: Path) -> list[str]:
    """The top-level column names of a Parquet file."""
    return list(open_parquet(path).schema_arrow.names)


def read_parquet(path: Path, table: TableName, batch_rows: int) -> Iterator[Chunk]:
    """Stream a Parquet file as chunks of its own typed columns."""
    parquet = open_parquet(path)
    size = path.stat().st_size
    total = max(parquet.metadata.num_rows, 1)
    done = 0
    try:
        for batch in parquet.iter_batches(batch_size=batch_rows):
            rows = pa.Table.from_batches([batch])
            lines = np.arange(done + 1, done + rows.num_rows + 1, dtype=np.int64)
            done += rows.num_rows
            yield Chunk(
                parts=(RawRows(table=table, rows=rows, lines=lines),),
                records=rows.num_rows,
                # Row groups compress alike, so rows done is a fair measure of bytes read.
                bytes_done=size * done // total,
            )
    except (pa.ArrowException, OSError) as exc:
        raise ImportFileError(f"{path}: unreadable Parquet data after row {done}: {exc}") from None
    finally:
        parquet.close()
