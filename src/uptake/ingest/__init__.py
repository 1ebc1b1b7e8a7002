"""Importing files (CSV, JSON lines, Parquet, Segment JSON) into a workspace's canonical tables.

from uptake.ingest import ImportOptions, import_files
summaries = import_files(store, ["events.csv", "users.csv"], ImportOptions())
"""

from __future__ import annotations

from uptake.ingest.importer import ProgressCallback, import_files
from uptake.ingest.options import (
    FileFormat,
    ImportOptions,
    TableName,
    TimestampUnit,
    build_options,
    load_mapping_file,
    parse_map_pairs,
)
from uptake.ingest.rejects import Reject
from uptake.ingest.summary import ImportSummary
from uptake.ingest.table_writer import Counts

__all__ = [
    "Counts",
    "FileFormat",
    "ImportOptions",
    "ImportSummary",
    "ProgressCallback",
    "Reject",
    "TableName",
    "TimestampUnit",
    "build_options",
    "import_files",
    "load_mapping_file",
    "parse_map_pairs",
]
