"""CSV files, streamed block by block with pyarrow (every column read as text), with the
physical line of each row even when quoted fields span several lines."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from uptake.errors import ImportFileError
from uptake.ingest.chunk import Chunk, RawRows
from uptake.ingest.options import TableName
from uptake.ingest.rejects import Reject

# pyarrow parses a block at a time; 8 MiB keeps a batch around 100k rows of a typical export.
BLOCK_BYTES = 8 << 20


@dataclass(frozen=True)
class _Skipped:
    """A record pyarrow could not parse: its record number (header = 1) and text."""

    record: int
    text: str
    expected: int
    actual: int


def _text_bytes(array: pa.Array) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The bytes of all text values of a string array, straight from its data buffer."""
    buffers = array.buffers()
    if len(buffers) < 3 or buffers[2] is None:
        return np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[
        array.offset : array.offset + len(array) + 1
    ]
    return np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]


def _newlines(array: pa.Array) -> int:
    """How many newline bytes the text values of `array` hold."""
    return int(np.count_nonzero(_text_bytes(array) == 10))


def _batch_bytes(batch: pa.RecordBatch) -> int:
    """About how many bytes of the file a batch came from: its text plus a separator or line
    end per field (quotes are not counted). For progress only."""
    text = sum(len(_text_bytes(column)) for column in batch.columns)
    return int(text + batch.num_rows * batch.num_columns)


def _spans(batch: pa.RecordBatch) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Physical lines each row spans: 1 plus the newlines inside its quoted fields."""
    spans = np.ones(batch.num_rows, dtype=np.int64)
    # Counting per row costs a pass per column; most files have no embedded newlines at all.
    if not any(_newlines(column) for column in batch.columns):
        return spans
    for column in batch.columns:
        counts = pc.count_substring(column, "\n").fill_null(0)
        spans += counts.to_numpy(zero_copy_only=False)
    return spans


class _LineTracker:
    """Gives rows and skipped records their physical line as batches arrive in order."""

    def __init__(self, first_record: int, first_line: int) -> None:
        self.record = first_record
        self.line = first_line
        self.skipped: deque[_Skipped] = deque()

    def place(
        self, spans: np.ndarray[Any, np.dtype[np.int64]], final: bool = False
    ) -> tuple[np.ndarray[Any, np.dtype[np.int64]], list[tuple[int, _Skipped]]]:
        """Lines of a batch's rows, and of the skipped records that fall before its last row
        (all remaining ones when `final`)."""
        n = len(spans)
        cum = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(spans, out=cum[1:])
        lines = np.empty(n, dtype=np.int64)
        placed: list[tuple[int, _Skipped]] = []
        i = 0
        while self.skipped:
            skip = self.skipped[0]
            before = skip.record - self.record
            if before > n - i and not final:
                break
            before = min(before, n - i)
            lines[i : i + before] = self.line + cum[i : i + before] - cum[i]
            self.line += int(cum[i + before] - cum[i])
            i += before
            placed.append((self.line, skip))
            self.line += 1 + skip.text.count("\n")
            self.record = skip.record + 1
            self.skipped.popleft()
        lines[i:] = self.line + cum[i:n] - cum[i]
        self.line += int(cum[n] - cum[i])
        self.record += n - i
        return lines, placed


def _skip(row: Any) -> str:
    return "skip"


def read_header(path: Path, delimiter: str, encoding: str) -> list[str]:
    """The column names of a CSV file ([] for an empty file); a nameless or repeated column
    is an ImportFileError."""
    try:
        with pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(use_threads=False, encoding=encoding),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=_skip
            ),
        ) as reader:
            names = list(reader.schema.names)
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return []
        raise ImportFileError(f"{path}: not a readable CSV file: {exc}") from None
    seen: set[str] = set()
    for i, name in enumerate(names, start=1):
        if not name.strip():
            raise ImportFileError(f"{path}: column {i} of the header has no name")
        if name in seen:
            raise ImportFileError(f"{path}: column {name!r} appears twice in the header")
        seen.add(name)
    return names


def read_csv(path: Path, table: TableName, delimiter: str, encoding: str) -> Iterator[Chunk]:
    """Stream a CSV file as chunks of text columns; blank lines are skipped, rows with the
    wrong number of fields become rejects."""
    names = read_header(path, delimiter, encoding)
    if not names:
        return
    tracker = _LineTracker(first_record=2, first_line=2 + sum(n.count("\n") for n in names))

    def on_invalid(row: Any) -> str:
        tracker.skipped.append(
            _Skipped(row.number, row.text, row.expected_columns, row.actual_columns)
        )
        return "skip"

    source = pa.OSFile(str(path), "rb")
    consumed = sum(len(name) + 1 for name in names)
    try:
        reader = pa_csv.open_csv(
            source,
            # One thread: pyarrow numbers skipped records only when parsing serially.
            read_options=pa_csv.ReadOptions(
                use_threads=False, block_size=BLOCK_BYTES, encoding=encoding
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise ImportFileError(f"{path}: not a readable CSV file: {_short(exc)}") from None
            # pyarrow reads ahead of the batches it hands out, so the file position runs ahead
            # of the rows converted; progress counts what the batches hold instead.
            consumed += _batch_bytes(batch)
            yield _chunk(path, table, batch, tracker, min(consumed, source.tell()), final=False)
        yield _chunk(path, table, None, tracker, source.size(), final=True)
    except pa.ArrowInvalid as exc:
        raise ImportFileError(f"{path}: not a readable CSV file: {_short(exc)}") from None
    finally:
        source.close()


def _short(exc: Exception) -> str:
    message = str(exc).splitlines()[0]
    if "invalid UTF8" in message:
        return f"{message} (the file is not UTF-8 text: pass its encoding, e.g. --encoding latin-1)"
    return message


def _chunk(
    path: Path,
    table: TableName,
    batch: pa.RecordBatch | None,
    tracker: _LineTracker,
    bytes_done: int,
    final: bool,
) -> Chunk:
    if batch is None:
        spans = np.zeros(0, dtype=np.int64)
        rows = None
    else:
        spans = _spans(batch)
        rows = pa.Table.from_batches([batch])
    lines, placed = tracker.place(spans, final=final)
    rejects = tuple(
        Reject(
            file=str(path),
            line=line,
            reason=f"wrong number of fields: expected {s.expected}, found {s.actual}",
            raw=s.text,
        )
        for line, s in placed
    )
    parts: tuple[RawRows, ...] = ()
    records = len(placed)
    if rows is not None and rows.num_rows:
        # A blank line parses as a row of NULLs; so does a row of empty fields: no data.
        nulls = sum(
            (c.is_null().to_numpy(zero_copy_only=False).astype(np.int64) for c in rows.columns),
            start=np.zeros(rows.num_rows, dtype=np.int64),
        )
        keep = nulls < rows.num_columns
        if not keep.all():
            rows = rows.filter(pa.array(keep))
            lines = lines[keep]
        records += rows.num_rows
        parts = (RawRows(table=table, rows=rows, lines=lines),)
    return Chunk(parts=parts, rejects=rejects, records=records, bytes_done=bytes_done)
