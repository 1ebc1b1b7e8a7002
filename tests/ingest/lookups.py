"""Reading back what an import did: rows of the workspace database, rejects files, counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from uptake import Workspace
from uptake.ingest import ImportSummary


def rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    """All rows of a query on the workspace database."""
    return ws.store.con.execute(sql).fetchall()


def read_rejects(path: str | None) -> list[dict[str, Any]]:
    """The records of a rejects file."""
    assert path is not None
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def counts(summary: ImportSummary) -> tuple[int, int, int, int, int]:
    """(rows read, inserted, updated, duplicates, rejected) of one file's import."""
    return (
        summary.rows_read,
        summary.inserted,
        summary.updated,
        summary.duplicates,
        summary.rejected,
    )


# Events store properties as JSON text; tests compare them as dicts through DuckDB's cast.
PROPS_SQL = "CAST(properties AS MAP(VARCHAR, VARCHAR))"
