"""How files are read: format, target table, column mapping and timestamp parsing."""

from __future__ import annotations

import codecs
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from uptake.errors import ImportFileError
from uptake.store.schema import CANONICAL_SCHEMAS

TableName = Literal["events", "users", "accounts", "responses"]
FileFormat = Literal["csv", "json", "parquet", "segment"]
TimestampUnit = Literal["auto", "s", "ms", "us", "ns"]

TABLE_NAMES: tuple[TableName, ...] = ("events", "users", "accounts", "responses")
# The map column of each table: where extra columns, `properties.x` and `traits.x` land.
MAP_COLUMN: dict[TableName, str | None] = {
    "events": "properties",
    "users": "traits",
    "accounts": "traits",
    "responses": None,
}


def _mapping_targets() -> set[str]:
    return {n for schema in CANONICAL_SCHEMAS.values() for n in schema.names}


def _problem(err: Any) -> str:
    """One validation problem as a line: our validators' messages stand alone; pydantic's own
    (a wrong option value) name the option."""
    if err["type"] == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    where = ".".join(str(p) for p in err["loc"]) or "options"
    return f"{where}: {err['msg']}"


class ImportOptions(BaseModel):
    """Options for one import command; every file of the command reads with the same options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: TableName | None = Field(
        default=None,
        description="Target table of every file; None = guess from each file name "
        "(events*, users*, accounts*, responses* / surveys*).",
    )
    format: FileFormat | None = Field(
        default=None,
        description="File format; None = from the extension (.csv/.tsv, .jsonl/.ndjson/.json, "
        ".parquet/.pq), and JSON with Segment `type` fields is read as Segment.",
    )
    mapping: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical column (or properties.<key> / traits.<key>) -> the file's column.",
    )
    table_mappings: dict[TableName, dict[str, str]] = Field(
        default_factory=dict,
        description="Per-table mappings (a mapping file's [events] / [users] ... sections); "
        "they win over `mapping` for that table.",
    )
    ignore_extra: bool = Field(
        default=False,
        description="Drop columns that are not canonical instead of keeping them as event "
        "properties / user or account traits.",
    )
    timestamp_unit: TimestampUnit = Field(
        default="auto",
        description="Unit of numeric (epoch) timestamps; auto = by magnitude "
        "(< 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds).",
    )
    timestamp_format: str | None = Field(
        default=None,
        description="strptime pattern for text timestamps (e.g. '%d/%m/%Y %H:%M'), read as UTC; "
        "None = ISO 8601 (offset converted to UTC, none = UTC), date only, or epoch numbers.",
    )
    delimiter: str | None = Field(
        default=None, description="CSV field separator; None = ',' (a tab for .tsv files)."
    )
    encoding: str = Field(
        default="utf-8", description="Text encoding of CSV files (utf-8, latin-1, cp1252, ...)."
    )
    page_event: str = Field(
        default="page_viewed", min_length=1, description="Event name of Segment page calls."
    )
    screen_event: str = Field(
        default="screen_viewed", min_length=1, description="Event name of Segment screen calls."
    )
    batch_rows: int = Field(
        default=250_000, ge=1, description="Rows read and normalized per batch (memory bound)."
    )

    @field_validator("mapping")
    @classmethod
    def _known_targets(cls, v: dict[str, str]) -> dict[str, str]:
        targets = _mapping_targets()
        for target, source in v.items():
            if not source:
                raise ValueError(f"mapping {target}=: the file column name is empty")
            if target in targets or target.startswith(("properties.", "traits.")):
                continue
            raise ValueError(
                f"mapping {target}={source}: {target!r} is not a canonical column; "
                f"use one of {', '.join(sorted(targets))}, or properties.<key> / traits.<key>"
            )
        return v

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, v: str | None) -> str | None:
        if v is not None and len(v) != 1:
            raise ValueError(f"delimiter {v!r} must be one character")
        return v

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown text encoding {v!r}") from None
        return v

    @field_validator("table_mappings")
    @classmethod
    def _known_table_targets(
        cls, v: dict[TableName, dict[str, str]]
    ) -> dict[TableName, dict[str, str]]:
        for table, mapping in v.items():
            names = CANONICAL_SCHEMAS[table].names
            for target in mapping:
                if target not in names and not target.startswith(("properties.", "traits.")):
                    raise ValueError(
                        f"[{table}] {target}: not a column of {table}; "
                        f"use one of {', '.join(names)}"
                    )
        return v

    def mapping_for(self, table: TableName) -> dict[str, str]:
        """The mapping that applies to `table`: entries whose target the table has, plus
        properties.<key> / traits.<key> entries; per-table sections win."""
        names = set(CANONICAL_SCHEMAS[table].names)
        merged = {**self.mapping, **self.table_mappings.get(table, {})}
        return {
            target: source
            for target, source in merged.items()
            if target in names or target.startswith(("properties.", "traits."))
        }


def parse_map_pairs(pairs: list[str]) -> dict[str, str]:
    """`["timestamp=created", "user_id=person_id"]` -> {"timestamp": "created", ...}."""
    out: dict[str, str] = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise ImportFileError(
                f"--map {pair!r}: write CANONICAL=FILE_COLUMN, e.g. --map timestamp=created"
            )
        out[target.strip()] = source.strip()
    return out


def load_mapping_file(path: Path) -> tuple[dict[str, str], dict[TableName, dict[str, str]]]:
    """Read a mapping TOML file: top-level `canonical = "file column"` pairs apply to every
    table; `[events]`, `[users]`, `[accounts]`, `[responses]` sections to one table."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such mapping file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path}: cannot read the mapping file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ImportFileError(f"{path}: not valid TOML: {exc}") from None
    general: dict[str, str] = {}
    per_table: dict[TableName, dict[str, str]] = {}
    for key, value in data.items():
        if isinstance(value, str):
            general[key] = value
        elif isinstance(value, dict) and key in TABLE_NAMES:
            section = {k: v for k, v in value.items() if isinstance(v, str)}
            if len(section) != len(value):
                raise ImportFileError(f"{path}: [{key}] values must be column names (text)")
            per_table[key] = section
        else:
            raise ImportFileError(
                f'{path}: {key!r} must be `canonical = "file column"` or a table section '
                f"({', '.join(TABLE_NAMES)})"
            )
    return general, per_table


def build_options(**fields: object) -> ImportOptions:
    """ImportOptions from user input; validation problems become one ImportFileError line."""
    try:
        return ImportOptions.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors(include_url=False))
        raise ImportFileError(f"import options: {problems}") from None
