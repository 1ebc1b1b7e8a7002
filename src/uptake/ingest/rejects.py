"""Rejected rows: each one is kept with its file, line and reason, written to a JSON lines
rejects file and counted, so bad input never disappears silently."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

SHOWN_REJECTS = 5


@dataclass(frozen=True)
class Reject:
    """One row that was not imported: `line` is the physical line (CSV, JSON) or the 1-based
    row number (Parquet); `raw` the row as read (a dict of columns, or the line's text)."""

    file: str
    line: int
    reason: str
    raw: Any

    def to_json(self) -> str:
        """The rejects-file line for this row."""
        record = {"file": self.file, "line": self.line, "reason": self.reason, "raw": self.raw}
        return json.dumps(record, ensure_ascii=False, default=str)


class RejectsFile:
    """Writes one source file's rejects to `folder/<stem>-<stamp>.jsonl`, opened on the first
    reject (no rejects, no file); keeps the first few in memory for the terminal."""

    def __init__(self, folder: Path, stem: str, stamp: str) -> None:
        self.folder = folder
        self.stem = stem
        self.stamp = stamp
        self.path: Path | None = None
        self.count = 0
        self.first: list[Reject] = []
        self._out: IO[str] | None = None
        self._created_folder = False

    def _open(self) -> IO[str]:
        if self._out is None:
            if not self.folder.exists():
                self.folder.mkdir(parents=True)
                self._created_folder = True
            path = self.folder / f"{self.stem}-{self.stamp}.jsonl"
            n = 2
            while path.exists():
                # Two source files with one stem in one command (a/events.csv, b/events.csv).
                path = self.folder / f"{self.stem}-{self.stamp}-{n}.jsonl"
                n += 1
            self.path = path
            self._out = path.open("x", encoding="utf-8")
        return self._out

    def add(self, rejects: list[Reject]) -> None:
        """Record rejects (in line order within a chunk)."""
        if not rejects:
            return
        out = self._open()
        for reject in rejects:
            out.write(reject.to_json() + "\n")
        self.count += len(rejects)
        room = SHOWN_REJECTS - len(self.first)
        if room > 0:
            self.first.extend(rejects[:room])

    def close(self) -> None:
        """Flush and close the file (if any rows were rejected)."""
        if self._out is not None:
            self._out.close()
            self._out = None

    def remove(self) -> None:
        """Delete the file (and the folder if this writer created it): the import failed, so
        nothing it describes was imported."""
        self.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None
        if self._created_folder and self.folder.exists() and not any(self.folder.iterdir()):
            self.folder.rmdir()
