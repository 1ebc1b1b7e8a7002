"""Computed results kept per project while its data does not change.

A dashboard asks the same questions again and again (every visit of a page, every reload, every
user of the same link), and on ten million events one page's metrics take seconds to compute.
A result depends only on the resolved spec, the definitions and the data, so an answer computed
at data version `v` (the writer's count of writes so far) is exact for as long as the version is
still `v`: the cache never serves a stale number, it just recomputes after every write. Bounded
by entries and by the rows they hold together (least recently used dropped first); a result
longer than a quarter of that budget is not kept. Thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from uptake.result import Result

DEFAULT_ENTRIES = 256
# Rows held by all entries together: a per-user listing of a large project (23,810 adopters on
# the 10M-event demo, a few hundred bytes a row) must fit, without letting the cache grow to
# gigabytes.
MAX_ROWS = 400_000


class ResultCache:
    """Results by (spec key, data version); `entries` = 0 keeps nothing; `max_rows` bounds the
    rows held by all of them together."""

    def __init__(self, entries: int = DEFAULT_ENTRIES, max_rows: int = MAX_ROWS) -> None:
        self.entries = entries
        self.max_rows = max_rows
        self.hits = 0
        self.misses = 0
        self._rows = 0
        self._lock = threading.Lock()
        self._results: OrderedDict[str, tuple[int, Result]] = OrderedDict()

    def get(self, key: str, version: int) -> Result | None:
        """The result stored for `key` at data version `version`, else None."""
        with self._lock:
            found = self._results.get(key)
            if found is None or found[0] != version:
                self.misses += 1
                return None
            self._results.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: str, version: int, result: Result) -> None:
        """Keep `result`, computed on data at version `version` (or newer)."""
        size = len(result.rows)
        if self.entries <= 0 or size > self.max_rows // 4:
            return
        with self._lock:
            old = self._results.pop(key, None)
            if old is not None:
                self._rows -= len(old[1].rows)
            self._results[key] = (version, result)
            self._rows += size
            while len(self._results) > self.entries or self._rows > self.max_rows:
                _, (_, dropped) = self._results.popitem(last=False)
                self._rows -= len(dropped.rows)

    def __len__(self) -> int:
        """How many results are held."""
        with self._lock:
            return len(self._results)
