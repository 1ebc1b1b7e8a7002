"""A realistic demo: a CRM used by customer accounts, with story accounts to find.

`generate(path, ...)` writes a demo workspace through the store's real write path;
`write_parquet(folder, ...)` writes the very same rows as Parquet files for other tools.
"""

from __future__ import annotations

from uptake.demo.scenario import SIZES, DemoError, Size
from uptake.demo.writer import DemoSummary, generate, write_parquet

__all__ = ["SIZES", "DemoError", "DemoSummary", "Size", "generate", "write_parquet"]
