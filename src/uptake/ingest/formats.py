"""Which format a file is in and which table it fills, decided before anything is written."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from uptake.errors import ImportFileError
from uptake.ingest.jsonl_reader import JsonLayout, first_object, sniff_layout
from uptake.ingest.options import FileFormat, ImportOptions, TableName
from uptake.ingest.parquet_reader import open_parquet
from uptake.ingest.segment import looks_like_segment

_EXTENSIONS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# File-name prefixes (lower case) that name a table.
_TABLE_PREFIXES: tuple[tuple[str, TableName], ...] = (
    ("event", "events"),
    ("user", "users"),
    ("account", "accounts"),
    ("response", "responses"),
    ("survey", "responses"),
)
_SNIFF_BYTES = 1 << 16


@dataclass(frozen=True)
class Source:
    """A file to import: its format, its table (None for Segment files, which fill several)
    and its size in bytes."""

    path: Path
    format: FileFormat
    table: TableName | None
    size_bytes: int
    delimiter: str = ","


def _readable(path: Path) -> int:
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    if path.is_dir():
        raise ImportFileError(f"{path}: is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise ImportFileError(f"{path}: cannot read it (permission denied)")
    return path.stat().st_size


def _format(path: Path, options: ImportOptions) -> FileFormat:
    if options.format is not None:
        return options.format
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        shown = path.suffix or "no extension"
        raise ImportFileError(
            f"{path}: unknown file type ({shown}); name it .csv, .jsonl, .json or .parquet, "
            "or pass --format csv|json|parquet|segment"
        )
    return found


def table_from_name(path: Path) -> TableName | None:
    """The table a file name suggests (events*, users*, accounts*, responses* / surveys*)."""
    stem = path.name.lower()
    for prefix, table in _TABLE_PREFIXES:
        if stem.startswith(prefix):
            return table
    return None


def _not_binary(path: Path, what: str) -> None:
    with path.open("rb") as f:
        if b"\x00" in f.read(_SNIFF_BYTES):
            raise ImportFileError(f"{path}: binary data, not a {what} file")


def detect(path: Path, options: ImportOptions) -> Source:
    """Check a file is readable and decide its format and table; raises ImportFileError."""
    size = _readable(path)
    fmt = _format(path, options)
    layout: JsonLayout | None = None
    match fmt:
        case "parquet":
            open_parquet(path).close()
        case "csv":
            _not_binary(path, "CSV")
        case "json" | "segment":
            layout = sniff_layout(path)
    if fmt == "json" and options.table is None and size:
        assert layout is not None
        if looks_like_segment(first_object(path, layout)):
            fmt = "segment"
    delimiter = options.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    if fmt == "segment":
        if options.table is not None:
            raise ImportFileError(
                f"{path}: Segment files fill events, users and accounts by message type; "
                "drop --table (or pass --format json to read it as plain rows)"
            )
        return Source(path, fmt, None, size, delimiter)
    table = options.table or table_from_name(path)
    if table is None:
        raise ImportFileError(
            f"{path}: cannot tell which table this file fills from its name; "
            "add --table events|users|accounts|responses"
        )
    return Source(path, fmt, table, size, delimiter)
