"""Runtime settings: built once at the edge (CLI, server, Python caller) and passed down."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """How uptake runs on this machine; library code never reads the environment itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    memory_limit: str = Field(
        default="4GB",
        description="DuckDB memory limit (its own default, 80% of RAM, is greedy).",
    )
    threads: int | None = Field(
        default=None, description="DuckDB worker threads; None = all cores."
    )
    progress: bool = Field(default=True, description="Show progress bars on long work.")
    temp_directory: str | None = Field(
        default=None, description="Where DuckDB spills; None = next to the database file."
    )
