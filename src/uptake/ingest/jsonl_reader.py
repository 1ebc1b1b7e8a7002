"""JSON files: JSON lines (one object per line; a malformed line is a reject), or JSON documents
(an array of objects, a `{"batch": [...]}` object, or objects one after another), streamed with
an incremental decoder so a large array never sits in memory whole."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pyarrow as pa

from uptake.errors import ImportFileError
from uptake.ingest.chunk import Chunk, RawRows
from uptake.ingest.options import TableName
from uptake.ingest.rejects import Reject

JsonLayout = Literal["lines", "documents"]
# Objects per chunk: parsed JSON is large in Python (about 1 KB per small object).
JSON_CHUNK_RECORDS = 20_000
_READ_CHARS = 1 << 20
# One record may not exceed this; beyond it a decode failure is malformed JSON, not a short read.
_MAX_RECORD_CHARS = 64 << 20
_SNIFF_BYTES = 1 << 16
_NON_SPACE = re.compile(r"\S")
_decode = json.JSONDecoder().decode


@dataclass(frozen=True)
class JsonRecord:
    """One top-level value: `value` is the parsed value, or the line's text when `error`."""

    line: int
    value: Any
    error: str | None = None


def to_text(value: Any) -> str | None:
    """A JSON value as canonical text: strings as they are, numbers as JSON text, booleans as
    true / false, objects and arrays as compact JSON; None stays None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sniff_layout(path: Path) -> JsonLayout:
    """JSON lines when the first non-blank line is a whole object on its own; else documents.
    Binary data or text that is not JSON at all is an ImportFileError."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
        if b"\x00" in head:
            raise ImportFileError(f"{path}: binary data, not a JSON file")
        f.seek(0)
        for raw in iter(lambda: f.readline(_READ_CHARS), b""):
            text = raw.decode("utf-8-sig", errors="replace").strip()
            if not text:
                continue
            if text.startswith("{") and text.endswith("}") and raw.endswith(b"\n"):
                return "lines"
            if text.startswith(("{", "[")):
                return "documents"
            raise ImportFileError(
                f"{path}: not a JSON file (it starts with {text[:30]!r}, not an object or array)"
            )
    return "lines"


class JsonRecords:
    """The records of a JSON file in order; `bytes_done` tells how far the reading got."""

    def __init__(self, path: Path, layout: JsonLayout) -> None:
        self.path = path
        self.layout = layout
        self.bytes_done = 0

    def __iter__(self) -> Iterator[JsonRecord]:
        if self.layout == "lines":
            return self._lines()
        return self._documents()

    def _lines(self) -> Iterator[JsonRecord]:
        with self.path.open("rb") as f:
            for number, raw in enumerate(f, start=1):
                self.bytes_done += len(raw)
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                try:
                    # Decoding first skips json.loads' encoding sniffing on bytes (about 15%).
                    yield JsonRecord(number, _decode(raw.decode("utf-8")))
                except ValueError as exc:
                    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                    yield JsonRecord(number, text, f"malformed JSON: {_reason(exc)}")

    def _documents(self) -> Iterator[JsonRecord]:
        try:
            with self.path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig") as f:
                stream = _DocumentStream(f, self.path)
                while stream.peek() is not None:
                    for record in stream.document():
                        self.bytes_done = raw.tell()
                        yield record
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{self.path}: not UTF-8 text ({exc.reason})") from None


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    return "not UTF-8 text"


class _DocumentStream:
    """An incremental reader of top-level JSON values that tracks line numbers."""

    def __init__(self, f: IO[str], path: Path) -> None:
        self.f = f
        self.path = path
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _advance(self, to: int) -> None:
        self.line += self.buf.count("\n", self.pos, to)
        self.pos = to

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.f.read(_READ_CHARS)
        if not data:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + data
        self.pos = 0
        return True

    def peek(self) -> str | None:
        """The next non-space character (not consumed), or None at the end."""
        while True:
            found = _NON_SPACE.search(self.buf, self.pos)
            if found is not None:
                self._advance(found.start())
                return self.buf[self.pos]
            self._advance(len(self.buf))
            if not self._fill():
                return None

    def _error(self, what: str) -> ImportFileError:
        return ImportFileError(f"{self.path}: not valid JSON at line {self.line}: {what}")

    def take(self, expected: str) -> None:
        """Consume the character `expected` (after spaces)."""
        if self.peek() != expected:
            raise self._error(f"expected {expected!r}")
        self._advance(self.pos + 1)

    def value(self) -> Any:
        """Decode one complete value (after spaces), reading more of the file as needed."""
        if self.peek() is None:
            raise self._error("the document ends early")
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof or len(self.buf) - self.pos > _MAX_RECORD_CHARS:
                    line = self.line + self.buf.count("\n", self.pos, exc.pos)
                    raise ImportFileError(
                        f"{self.path}: not valid JSON at line {line}: {exc.msg}"
                    ) from None
                self._fill()
                continue
            # A number that ends the buffer may go on in the next read.
            if end == len(self.buf) and self._fill():
                continue
            self._advance(end)
            return value

    def document(self) -> Iterator[JsonRecord]:
        """The records of the next top-level value: an array's elements, a batch object's
        `batch` elements, or the value itself."""
        start = self.line
        match self.peek():
            case "[":
                yield from self._elements()
            case "{":
                self.take("{")
                members: dict[str, Any] = {}
                batch = False
                while self.peek() != "}":
                    if members or batch:
                        self.take(",")
                    key = self.value()
                    self.take(":")
                    if key == "batch" and self.peek() == "[":
                        batch = True
                        yield from self._elements()
                    else:
                        members[str(key)] = self.value()
                self.take("}")
                if not batch:
                    yield JsonRecord(start, members)
            case _:
                yield JsonRecord(start, self.value())

    def _elements(self) -> Iterator[JsonRecord]:
        self.take("[")
        first = True
        while self.peek() != "]":
            if not first:
                self.take(",")
                if self.peek() == "]":
                    raise self._error("a trailing comma before ']'")
            first = False
            line = self.line
            if self.peek() is None:
                raise self._error("the array never ends")
            yield JsonRecord(line, self.value())
        self.take("]")


def first_object(path: Path, layout: JsonLayout, look: int = 100) -> dict[str, Any] | None:
    """The first JSON object among the first `look` records (None if there is none)."""
    for i, record in enumerate(JsonRecords(path, layout)):
        if record.error is None and isinstance(record.value, dict):
            return record.value
        if i >= look:
            break
    return None


class _MapColumn:
    """A map column built from flat keys / values / offsets (no per-row tuples to convert)."""

    def __init__(self) -> None:
        self.offsets = [0]
        self.valid: list[bool] = []
        self.keys: list[str] = []
        self.values: list[str] = []

    def _pad(self, rows: int) -> None:
        while len(self.valid) < rows:
            self.valid.append(False)
            self.offsets.append(len(self.keys))

    def set(self, row: int, entries: dict[str, str] | None) -> None:
        """The map of row `row` (rows set in increasing order; None = null)."""
        self._pad(row)
        if entries:
            self.keys.extend(entries)
            self.values.extend(entries.values())
        self.valid.append(bool(entries))
        self.offsets.append(len(self.keys))

    def array(self, rows: int) -> pa.MapArray:
        """The column for `rows` rows."""
        self._pad(rows)
        mask = np.array([not v for v in self.valid] + [False])
        return pa.MapArray.from_arrays(
            pa.array(self.offsets, type=pa.int32(), mask=mask),
            pa.array(self.keys, type=pa.string()),
            pa.array(self.values, type=pa.string()),
        )


def rows_from_objects(
    path: Path,
    table: TableName,
    objects: list[tuple[int, dict[str, Any], Any]],
    object_keys: frozenset[str],
) -> tuple[RawRows | None, list[Reject]]:
    """Raw rows from (line, fields, original record) triples: values as canonical text, except
    the `object_keys` members (properties / traits), whose objects become maps; a non-object
    there, or an empty record, is a reject."""
    texts: dict[str, list[str | None]] = {}
    maps: dict[str, _MapColumn] = {}
    lines: list[int] = []
    originals: list[Any] = []
    rejects: list[Reject] = []
    capacity = len(objects)
    for line, fields, original in objects:
        nested: dict[str, dict[str, str] | None] = {}
        problem = None if fields else "an empty object"
        for key in object_keys:
            if key in fields:
                entries = _entries(fields[key])
                if entries is False:
                    problem = f"{key} is not a JSON object"
                    break
                nested[key] = entries
        if problem is not None:
            rejects.append(Reject(str(path), line, problem, original))
            continue
        row = len(lines)
        for key, value in fields.items():
            if key in object_keys:
                continue
            column = texts.get(key)
            if column is None:
                column = texts[key] = [None] * capacity
            # Most values are text already: skip the call for them.
            column[row] = value if value.__class__ is str else to_text(value)
        for key, entries in nested.items():
            maps.setdefault(key, _MapColumn()).set(row, entries)
        lines.append(line)
        originals.append(original)
    n = len(lines)
    if not n:
        return None, rejects
    arrays = {key: pa.array(values[:n], type=pa.string()) for key, values in texts.items()}
    arrays.update({key: column.array(n) for key, column in maps.items()})
    rows = RawRows(
        table=table,
        rows=pa.table(arrays),
        lines=np.array(lines, dtype=np.int64),
        originals=originals,
    )
    return rows, rejects


def _entries(value: Any) -> dict[str, str] | Literal[False] | None:
    """Map entries of an object member (None for null or empty, False for a non-object)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return False
    if not isinstance(value, dict):
        return False
    return {
        str(k): v if v.__class__ is str else to_text(v)  # type: ignore[misc]
        for k, v in value.items()
        if v is not None
    } or None


def read_json(path: Path, table: TableName, object_keys: frozenset[str]) -> Iterator[Chunk]:
    """Stream a JSON file of plain rows for `table` in chunks; malformed lines and values that
    are not objects become rejects."""
    records = JsonRecords(path, sniff_layout(path))
    pending: list[tuple[int, dict[str, Any], Any]] = []
    rejects: list[Reject] = []
    count = 0
    for record in records:
        count += 1
        if record.error is not None:
            rejects.append(Reject(str(path), record.line, record.error, record.value))
        elif not isinstance(record.value, dict):
            rejects.append(Reject(str(path), record.line, "not a JSON object", record.value))
        else:
            pending.append((record.line, record.value, record.value))
        if count >= JSON_CHUNK_RECORDS:
            yield _json_chunk(path, table, pending, rejects, object_keys, count, records.bytes_done)
            pending, rejects, count = [], [], 0
    yield _json_chunk(path, table, pending, rejects, object_keys, count, records.bytes_done)


def _json_chunk(
    path: Path,
    table: TableName,
    pending: list[tuple[int, dict[str, Any], Any]],
    rejects: list[Reject],
    object_keys: frozenset[str],
    count: int,
    bytes_done: int,
) -> Chunk:
    rows, more = rows_from_objects(path, table, pending, object_keys)
    return Chunk(
        parts=(rows,) if rows is not None else (),
        rejects=tuple(rejects + more),
        records=count,
        bytes_done=bytes_done,
    )
