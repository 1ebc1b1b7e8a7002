"""Changing the workspace file (`uptake.toml`) in place: comments, order and layout stay as the
person wrote them (tomlkit), the result must load as valid definitions before it is written,
and the write is atomic (a temporary file in the same folder, then os.replace), so a reader
sees the old file or the new one, never half of one.

Concurrent editors (the CLI and a running server's dashboard) take an advisory lock on a
sidecar file (`.uptake.toml.lock`) for the whole read-change-write, so no change is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Array, InlineTable, Table

from uptake.definitions.workspace_file import Definitions, parse_definitions
from uptake.errors import DefinitionError


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the workspace file's edit lock (blocking) for the duration of the block."""
    lock_path = path.with_name(f".{path.name}.lock")
    with lock_path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(f"{path}: no workspace file here (run `uptake init`)") from None
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read: {exc.strerror}") from None


def _write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step, keeping the file's permissions."""
    mode = path.stat().st_mode & 0o7777
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(mode)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _validated(text: str, path: Path) -> Definitions:
    """The definitions `text` would give, or DefinitionError saying why it would be invalid."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path}: the change would not be valid TOML: {exc}") from None
    return parse_definitions(data, source=str(path))


def _key_action(name: str, events: list[str], inline: bool) -> Table | InlineTable:
    entry: Table | InlineTable = tomlkit.inline_table() if inline else tomlkit.table()
    entry["name"] = name
    entry["events"] = list(events)
    return entry


def add_key_action(path: Path, name: str, events: list[str], replace: bool = False) -> Definitions:
    """Record a key action `name` (the given event names or glob patterns) in the workspace
    file at `path`; the new definitions. A key action of that name is refused unless `replace`
    (then it takes the new events, in its place, and loses any `where` conditions).
    DefinitionError when the file is missing or invalid, or the result would be invalid: the
    file is then left untouched."""
    if not events:
        raise DefinitionError("a key action needs at least one event")
    with _locked(path):
        text = _read(path)
        try:
            document = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as exc:
            raise DefinitionError(f"{path}: not valid TOML: {exc}") from None
        existing: Any = document.get("key_actions")
        if existing is None:
            entries = tomlkit.aot()
            entries.append(_key_action(name, events, inline=False))
            document["key_actions"] = entries
        elif isinstance(existing, AoT | Array):
            inline = isinstance(existing, Array)
            position = next(
                (i for i, item in enumerate(existing) if item.get("name") == name), None
            )
            if position is not None and not replace:
                raise DefinitionError(
                    f"{path}: key action {name!r} already exists (replace it with --replace, "
                    "or choose another name)"
                )
            entry = _key_action(name, events, inline)
            if position is None:
                existing.append(entry)
            else:
                existing[position] = entry
        else:
            raise DefinitionError(f"{path}: `key_actions` must be a list of [[key_actions]]")
        new_text = tomlkit.dumps(document)
        definitions = _validated(new_text, path)
        _write_atomically(path, new_text)
        return definitions
