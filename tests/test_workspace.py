"""The Python API: a workspace imports files and computes metrics, as the README shows."""

from __future__ import annotations

from pathlib import Path

import uptake
from tests.conftest import TEST_SETTINGS


def test_import_then_compute_through_the_python_api(tmp_path: Path):
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,event,timestamp\n"
        "ann,login,2026-01-04T10:00:00Z\n"  # Sunday: week of Jan 4
        "bob,login,2026-01-05T10:00:00+02:00\n"  # 08:00 UTC, same week
        "ann,login,2026-01-12T09:00:00Z\n"  # the next week
        "cat,login,not a time\n"  # line 5: rejected, reported, not lost silently
    )
    with uptake.Workspace.init(tmp_path / "acme", settings=TEST_SETTINGS) as ws:
        [summary] = ws.import_files([events])
        assert (summary.inserted, summary.rejected) == (3, 1)
        assert [(r.line, r.reason) for r in summary.first_rejects] == [
            (5, "timestamp 'not a time' is not a date or time")
        ]
        assert summary.rejects_file is not None
        assert Path(summary.rejects_file).parent == tmp_path / "acme" / "rejects"
        result = ws.compute({"kind": "trend", "from": "2026-01-04", "to": "2026-01-17"})
    # Week of Jan 4: ann, bob; week of Jan 11: ann.
    assert [(str(r["period"]), r["value"]) for r in result.rows] == [
        ("2026-01-04", 2), ("2026-01-11", 1)
    ]  # fmt: skip
