"""Column mapping: which of a file's columns fills each canonical column, and which become
event properties or user / account traits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from uptake.ingest.options import MAP_COLUMN, TableName
from uptake.store.schema import CANONICAL_SCHEMAS

# Columns filled for the user when a file lacks them: message_id / response_id from the row's
# content, received_at from the import time, an event's user_id from its anonymous_id.
GENERATED = frozenset({"message_id", "response_id", "received_at"})
# Property / trait columns may be written either way in any table (a flattened export mixes them).
MAP_PREFIXES = ("properties.", "traits.")
OBJECT_COLUMNS = ("properties", "traits")
_EXTRA_ALIASES: dict[str, tuple[str, ...]] = {"account_id": ("accountId", "groupId")}


def camel(name: str) -> str:
    """`user_id` -> `userId` (Segment's spelling of our columns)."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def required_columns(table: TableName) -> tuple[tuple[str, ...], ...]:
    """Column groups of which each row needs one value (an event's user_id may come from its
    anonymous_id); ids and received_at are generated when absent."""
    groups: list[tuple[str, ...]] = []
    for field in CANONICAL_SCHEMAS[table]:
        if field.nullable or field.name in GENERATED:
            continue
        if table == "events" and field.name == "user_id":
            groups.append(("user_id", "anonymous_id"))
        else:
            groups.append((field.name,))
    return tuple(groups)


@dataclass(frozen=True)
class ColumnPlan:
    """Where each canonical column comes from in one file's columns.

    `columns`: canonical column -> source columns, first present value wins (a JSON file may
    spell a column both ways on different lines); `entries`: (map key, source column) pairs
    for the table's properties / traits; `objects`: source columns holding a whole JSON object
    (or map) to expand into it; `ignored`: source columns not imported.
    """

    table: TableName
    columns: Mapping[str, tuple[str, ...]]
    entries: tuple[tuple[str, str], ...]
    objects: tuple[str, ...]
    ignored: tuple[str, ...]

    def missing(self) -> list[str]:
        """Required canonical columns no source column fills (the first of each group)."""
        return [
            group[0]
            for group in required_columns(self.table)
            if not any(name in self.columns for name in group)
        ]


def plan_columns(
    names: Sequence[str],
    table: TableName,
    mapping: Mapping[str, str],
    ignore_extra: bool,
) -> ColumnPlan:
    """Plan a file's columns for `table`: a mapping entry whose column the file has wins, then
    the canonical name, then its camelCase spelling; the rest become map entries."""
    present = set(names)
    map_column = MAP_COLUMN[table]
    columns: dict[str, tuple[str, ...]] = {}
    for name in CANONICAL_SCHEMAS[table].names:
        if name == map_column:
            continue
        candidates = (mapping.get(name), name, camel(name), *_EXTRA_ALIASES.get(name, ()))
        found = tuple(dict.fromkeys(c for c in candidates if c is not None and c in present))
        if found:
            columns[name] = found
    used = {source for sources in columns.values() for source in sources}
    objects: list[str] = []
    explicit: dict[str, str] = {}
    if map_column is not None:
        object_sources = [mapping.get(map_column), *OBJECT_COLUMNS]
        objects = [c for c in dict.fromkeys(object_sources) if c is not None and c in present]
        for target, source in mapping.items():
            if target.startswith(MAP_PREFIXES) and source in present:
                explicit[target.partition(".")[2]] = source
        for name in names:
            if name.startswith(MAP_PREFIXES) and name not in explicit.values():
                explicit.setdefault(name.partition(".")[2], name)
    used |= set(objects) | set(explicit.values())
    extras = [n for n in names if n not in used]
    entries: dict[str, str] = {}
    if map_column is not None and not ignore_extra:
        entries = {name: name for name in extras}
    # An explicit properties.<key> column wins over an extra column of the same name.
    entries.update(explicit)
    ignored = tuple(n for n in extras if n not in entries.values())
    return ColumnPlan(
        table=table,
        columns=columns,
        entries=tuple(entries.items()),
        objects=tuple(objects),
        ignored=ignored,
    )
