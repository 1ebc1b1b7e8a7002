"""Sparklines: a KPI's recent periods as a small inline SVG drawn on the server (no script,
so a card reads the same with JavaScript off)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 120
HEIGHT = 32
PAD = 3


@dataclass(frozen=True)
class Sparkline:
    """Polyline point lists (one per run of values without gaps) and the last point."""

    lines: list[str]
    last: tuple[float, float] | None
    width: int = WIDTH
    height: int = HEIGHT


def sparkline(values: Sequence[float | None]) -> Sparkline:
    """Scale `values` into the box; a None breaks the line, a flat series sits mid-height."""
    present = [v for v in values if v is not None]
    if not present:
        return Sparkline([], None)
    low, high = min(present), max(present)
    span = high - low
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    lines: list[str] = []
    run: list[str] = []
    last = None
    for i, v in enumerate(values):
        if v is None:
            if run:
                lines.append(" ".join(run))
            run = []
            continue
        x = PAD + i * step
        y = HEIGHT / 2 if span == 0 else PAD + (high - v) / span * (HEIGHT - 2 * PAD)
        run.append(f"{x:.1f},{y:.1f}")
        last = (round(x, 1), round(y, 1))
    if run:
        lines.append(" ".join(run))
    return Sparkline(lines, last)
