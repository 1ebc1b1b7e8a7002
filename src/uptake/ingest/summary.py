"""What an import did, per file: the numbers the terminal shows and the `imports` table keeps."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from uptake.ingest.options import FileFormat
from uptake.ingest.rejects import Reject
from uptake.ingest.table_writer import Counts
from uptake.store import Store


@dataclass(frozen=True)
class ImportSummary:
    """One file's import. rows_read = inserted + updated + duplicates + rejected.

    `table` is the table filled, or "segment" for a Segment file (detail in `by_table`);
    `updated` counts existing users / accounts that took new values; `duplicates` rows already
    stored or repeated in the file; `rejects_file` is None when no row was rejected;
    `first_rejects` holds the first few; `ignored_columns` the file's columns not imported.
    """

    file: str
    format: FileFormat
    table: str
    rows_read: int
    inserted: int
    updated: int
    duplicates: int
    rejected: int
    seconds: float
    rejects_file: str | None = None
    first_rejects: tuple[Reject, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    by_table: dict[str, Counts] = field(default_factory=dict)


def record_imports(store: Store, summaries: list[ImportSummary]) -> None:
    """Add one `imports` row per file (inside the import's transaction)."""
    finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for s in summaries:
        store.con.execute(
            'INSERT INTO imports (import_id, source, "table", finished_at, rows_read, '
            "rows_inserted, rows_duplicate, rows_rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                uuid.uuid4().hex,
                str(Path(s.file).resolve()),
                s.table,
                finished,
                s.rows_read,
                # Profiles that took new values were written too: read = inserted + dup + rej.
                s.inserted + s.updated,
                s.duplicates,
                s.rejected,
            ],
        )
