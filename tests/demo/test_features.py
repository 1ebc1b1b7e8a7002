"""Feature first use follows a bell-shaped (normal) time after release: a diffusion curve.

Released features (story: weeks before the last Sunday 2026-06-28, on a Tuesday): Forecasting
32 weeks -> 2025-11-18, Email sequences 24 -> 2026-01-13, Mobile app 16 -> 2026-03-10,
AI assistant 8 -> 2026-05-05. Their configured first-use delay (days, mean ± sd): 42 ± 14,
35 ± 12, 30 ± 10, 28 ± 9; each bell ends (mean + 2 sd) before the end of the span.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from scipy import stats

from uptake.definitions import load_definitions
from uptake.demo import DemoSummary
from uptake.workspace import Workspace

FEATURES = {
    "forecast_viewed": (dt.date(2025, 11, 18), 42.0, 14.0),
    "email_sequence_started": (dt.date(2026, 1, 13), 35.0, 12.0),
    "mobile_app_opened": (dt.date(2026, 3, 10), 30.0, 10.0),
    "ai_assistant_used": (dt.date(2026, 5, 5), 28.0, 9.0),
}


def delays(ws: Workspace, event: str, released: dt.date) -> np.ndarray:
    """Days from release to first use, for users who signed up before the release (later
    signups discover the feature on their own schedule)."""
    rows = ws.store.con.execute(
        """
        SELECT epoch(min(f.first_at) - CAST(? AS TIMESTAMP)) / 86400.0
        FROM first_seen AS f JOIN users AS u USING (user_id)
        WHERE f.event = ? AND u.created_at < CAST(? AS TIMESTAMP)
        GROUP BY f.user_id
        """,
        [released, event, released],
    ).fetchall()
    return np.array([r[0] for r in rows])


def test_the_released_features_are_declared_with_their_dates(small_demo: DemoSummary) -> None:
    defs = load_definitions(Path(small_demo.path) / "uptake.toml")
    declared = {f.events[0]: f.released_at for f in defs.features if f.released_at}
    assert declared == {event: spec[0] for event, spec in FEATURES.items()}


def test_first_use_after_release_is_bell_shaped(small_workspace: Workspace) -> None:
    pooled = []
    for event, (released, mean_days, sd_days) in FEATURES.items():
        d = delays(small_workspace, event, released)
        assert len(d) >= 40, event  # dozens of adopters per feature in the small demo
        assert d.min() >= 0  # nobody uses a feature before it ships
        # Drawn from normal(mean, sd): the sample mean and sd land near the configuration
        # (people who leave before adopting trim the right tail a little).
        assert abs(d.mean() - mean_days) < 0.15 * mean_days, (event, d.mean())
        assert abs(d.std() - sd_days) < 0.3 * sd_days, (event, d.std())
        pooled.append((d - d.mean()) / d.std())
    z = np.concatenate(pooled)
    # A normal sample: skewness near 0 (an exponential would give 2), about 95% within
    # mean ± 2 sd, and the middle (± 1 sd) holds about 68%.
    assert abs(stats.skew(z)) < 0.35
    assert 0.92 <= np.mean(np.abs(z) < 2) <= 0.99
    assert 0.6 <= np.mean(np.abs(z) < 1) <= 0.76
