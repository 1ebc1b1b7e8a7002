"""Storage: the canonical tables in one DuckDB file, durable appends, dedupe and rollups."""

from __future__ import annotations

from uptake.store.database import Store
from uptake.store.schema import CANONICAL_SCHEMAS, TABLES

__all__ = ["CANONICAL_SCHEMAS", "TABLES", "Store"]
