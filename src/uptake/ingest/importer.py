"""Importing files: detect, read, normalize and write them, all files in one transaction.

A command's files land together or not at all: every file is checked (readable, format, table,
required columns) before anything is written, and a file that turns out corrupt half-way rolls
the whole transaction back, rejects files included. Bad rows do not fail the import: they are
counted, written to a rejects file and the good rows land.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import assert_never

import duckdb
import pyarrow as pa

from uptake.errors import ImportFileError
from uptake.ingest.chunk import Chunk
from uptake.ingest.csv_reader import read_csv, read_header
from uptake.ingest.formats import Source, detect
from uptake.ingest.jsonl_reader import read_json
from uptake.ingest.mapping import OBJECT_COLUMNS, ColumnPlan, plan_columns
from uptake.ingest.normalize import Normalizer, normalizing_connection
from uptake.ingest.options import MAP_COLUMN, ImportOptions, TableName
from uptake.ingest.parquet_reader import parquet_columns, read_parquet
from uptake.ingest.rejects import Reject, RejectsFile
from uptake.ingest.segment import read_segment
from uptake.ingest.summary import ImportSummary, record_imports
from uptake.ingest.table_writer import Counts, TableWriter
from uptake.store import Store

ProgressCallback = Callable[[int, int], None]
"""Called as bytes are read: (bytes done, bytes in all files)."""


def _plan(table: TableName, names: Sequence[str], options: ImportOptions) -> ColumnPlan:
    return plan_columns(names, table, options.mapping_for(table), options.ignore_extra)


def _check_columns(source: Source, options: ImportOptions) -> None:
    """A CSV or Parquet file names its columns up front: check the required ones are there."""
    assert source.table is not None
    match source.format:
        case "csv":
            names = read_header(source.path, source.delimiter, options.encoding)
            if not names:
                return
        case "parquet":
            names = parquet_columns(source.path)
        case _:
            return
    plan = _plan(source.table, names, options)
    missing = plan.missing()
    if missing:
        column = missing[0]
        either = " (or anonymous_id)" if column == "user_id" and source.table == "events" else ""
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise ImportFileError(
            f"{source.path}: no {column} column{either} for {source.table} (columns: {shown}); "
            f"map one with --map {column}=COLUMN"
        )


def _object_keys(table: TableName, options: ImportOptions) -> frozenset[str]:
    """JSON members whose objects are a table's properties / traits (none for responses)."""
    map_column = MAP_COLUMN[table]
    if map_column is None:
        return frozenset()
    mapped = options.mapping_for(table).get(map_column)
    return frozenset([*OBJECT_COLUMNS, *([mapped] if mapped else [])])


def _chunks(source: Source, options: ImportOptions) -> Iterator[Chunk]:
    if source.format == "segment":
        return read_segment(source.path, options.page_event, options.screen_event)
    assert source.table is not None, "only Segment files have no table"
    match source.format:
        case "csv":
            return read_csv(source.path, source.table, source.delimiter, options.encoding)
        case "parquet":
            return read_parquet(source.path, source.table, options.batch_rows)
        case "json":
            return read_json(source.path, source.table, _object_keys(source.table, options))
        case unknown:
            assert_never(unknown)


class _FileImport:
    """The import of one file inside the command's transaction."""

    def __init__(
        self,
        store: Store,
        scratch: duckdb.DuckDBPyConnection,
        source: Source,
        options: ImportOptions,
        rejects: RejectsFile,
        received_at: dt.datetime,
    ) -> None:
        self.store = store
        self.scratch = scratch
        self.source = source
        self.options = options
        self.rejects = rejects
        self.received_at = received_at
        self.writers: dict[TableName, TableWriter] = {}
        self.normalizers: dict[tuple[TableName, str], Normalizer] = {}
        self.ignored: dict[str, None] = {}
        self.rows_read = 0

    def _normalizer(self, table: TableName, rows_schema: pa.Schema, names: list[str]) -> Normalizer:
        key = (table, str(rows_schema))
        found = self.normalizers.get(key)
        if found is None:
            if self.source.format == "segment":
                # Segment rows already use canonical names; the user's mapping is for files.
                plan = plan_columns(names, table, {}, ignore_extra=False)
            else:
                plan = _plan(table, names, self.options)
            for name in plan.ignored:
                self.ignored.setdefault(name)
            found = Normalizer(
                plan,
                rows_schema,
                self.options.timestamp_unit,
                self.options.timestamp_format,
            )
            self.normalizers[key] = found
        return found

    def run(self, on_bytes: Callable[[int], None]) -> ImportSummary:
        """Read, normalize and write the whole file; `on_bytes(n)` as n bytes are read."""
        started = time.perf_counter()
        path = str(self.source.path)
        for chunk in _chunks(self.source, self.options):
            self.rows_read += chunk.records
            rejected = list(chunk.rejects)
            for part in chunk.parts:
                normalizer = self._normalizer(part.table, part.rows.schema, part.rows.column_names)
                result = normalizer.run(self.scratch, part.rows, self.received_at)
                writer = self.writers.get(part.table)
                if writer is None:
                    writer = self.writers[part.table] = TableWriter(self.store, part.table)
                writer.write(result.rows)
                rejected.extend(
                    Reject(path, int(part.lines[i]), reason, part.original(i))
                    for i, reason in result.rejected
                )
            rejected.sort(key=lambda r: r.line)
            self.rejects.add(rejected)
            on_bytes(chunk.bytes_done)
        self.rejects.close()
        by_table: dict[str, Counts] = {t: w.finish() for t, w in self.writers.items()}
        total = Counts(rejected=self.rejects.count)
        for counts in by_table.values():
            total.add(counts)
        table = self.source.table or "segment"
        return ImportSummary(
            file=path,
            format=self.source.format,
            table=table,
            rows_read=self.rows_read,
            inserted=total.inserted,
            updated=total.updated,
            duplicates=total.duplicates,
            rejected=total.rejected,
            seconds=round(time.perf_counter() - started, 3),
            rejects_file=str(self.rejects.path) if self.rejects.path else None,
            first_rejects=tuple(self.rejects.first),
            ignored_columns=tuple(self.ignored),
            by_table=by_table,
        )


def import_files(
    store: Store,
    paths: Sequence[str | Path],
    options: ImportOptions | None = None,
    *,
    rejects_dir: Path | None = None,
    on_progress: ProgressCallback | None = None,
    compact: bool = True,
) -> list[ImportSummary]:
    """Import files into the store in one transaction; one summary per file, in order.

    `rejects_dir` (None = a `rejects` folder next to the database) receives one
    `<file stem>-<UTC time>.jsonl` per file with rejected rows. Raises ImportFileError, with
    nothing written, when a file is missing, unreadable, corrupt or of an unknown format.
    `compact` folds the rollups afterwards when events were inserted.
    """
    if store.read_only:
        raise ImportFileError(f"{store.path}: the workspace is open read-only; cannot import")
    options = options or ImportOptions()
    if not paths:
        raise ImportFileError("no files to import")
    sources = [detect(Path(p), options) for p in paths]
    for source in sources:
        if source.table is not None:
            _check_columns(source, options)
    now = dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    received_at = now.replace(tzinfo=None)
    folder = rejects_dir or store.path.parent / "rejects"
    total_bytes = sum(s.size_bytes for s in sources)
    done_before = 0
    summaries: list[ImportSummary] = []
    files: list[RejectsFile] = []
    imports: list[_FileImport] = []

    def report(done: int) -> None:
        if on_progress is not None:
            on_progress(done_before + done, total_bytes)

    threads = store.con.execute("SELECT current_setting('threads')").fetchone()
    scratch = normalizing_connection(int(threads[0]) if threads else 1)
    try:
        with store.transaction():
            for source in sources:
                rejects = RejectsFile(folder, source.path.stem, stamp)
                files.append(rejects)
                current = _FileImport(store, scratch, source, options, rejects, received_at)
                imports.append(current)
                summaries.append(current.run(report))
                done_before += source.size_bytes
                report(0)
            record_imports(store, summaries)
    except BaseException:
        for current in imports:
            for writer in current.writers.values():
                writer.discard()
        # Newest first, so the writer that created the rejects folder finds it empty.
        for rejects in reversed(files):
            rejects.remove()
        raise
    finally:
        scratch.close()
    if compact and any(s.by_table.get("events", Counts()).inserted for s in summaries):
        store.compact()
    return summaries
