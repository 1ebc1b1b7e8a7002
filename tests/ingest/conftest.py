"""Fixtures for import tests: a real workspace in tmp_path and small files written there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SETTINGS
from uptake import Workspace
from uptake.ingest import ImportOptions, ImportSummary, import_files


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A fresh workspace (uptake.toml + uptake.duckdb) in tmp_path/ws."""
    with Workspace.init(tmp_path / "ws", settings=TEST_SETTINGS) as workspace:
        yield workspace


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """write(name, text) -> the path of a file in tmp_path/data holding exactly that text."""
    folder = tmp_path / "data"
    folder.mkdir()

    def _write(name: str, content: str | bytes) -> Path:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return _write


@pytest.fixture
def load(ws: Workspace) -> Callable[..., list[ImportSummary]]:
    """load(*paths, **options) -> summaries: import into `ws` through the Python API."""

    def _load(*paths: Path, **options: Any) -> list[ImportSummary]:
        return import_files(ws.store, list(paths), ImportOptions(**options))

    return _load
