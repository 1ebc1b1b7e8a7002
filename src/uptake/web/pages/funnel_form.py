"""The Funnels page's builder as a query string: the URL IS the funnel.

    ?step=login&step=feature:Reports&order=ordered&window=14&window_unit=day[&breakdown=...]

`step` repeats, one per step, in order: an event name or glob pattern, or `feature:<name>`.
The builder's buttons arrive as `add=1` (one more, blank, step) and `remove=<n>` (drop step n,
1-based); the shared filter bar carries the whole funnel packed in one `funnel` parameter (it
can only carry single values). Both are turned into the plain form above by a redirect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast, get_args
from urllib.parse import parse_qsl, urlencode

from uptake.metrics.funnel import MAX_STEPS, FunnelOrder, WindowUnit
from uptake.web.pages.event_choices import choice_spec

ORDERS: tuple[FunnelOrder, ...] = get_args(FunnelOrder)
WINDOW_UNITS: tuple[WindowUnit, ...] = get_args(WindowUnit)
DEFAULT_WINDOW = 14
DEFAULT_UNIT: WindowUnit = "day"
# The parameters that make up a funnel (the rest of the query string is the filter bar's).
FUNNEL_PARAMS = ("step", "order", "window", "window_unit", "breakdown")
PACKED = "funnel"
EDITS = ("add", "remove")
MAX_STEP_LENGTH = 200


@dataclass(frozen=True)
class FunnelForm:
    """The builder's state: the steps as shown (blank ones included), order, conversion
    window and unit, the breakdown property (None: none), and what could not be used."""

    steps: tuple[str, ...] = ()
    order: FunnelOrder = "ordered"
    window: int = DEFAULT_WINDOW
    window_unit: WindowUnit = DEFAULT_UNIT
    breakdown: str | None = None
    window_text: str = str(DEFAULT_WINDOW)
    errors: tuple[str, ...] = field(default=())

    @property
    def chosen(self) -> list[str]:
        """The steps the funnel has (blank inputs left out)."""
        return [s for s in self.steps if s]

    @property
    def rows(self) -> list[str]:
        """The step inputs the builder shows: the steps, padded with blanks to two."""
        return list(self.steps) + [""] * (2 - len(self.steps))

    def pairs(self, blanks: bool = False) -> list[tuple[str, str]]:
        """The funnel's query parameters, in order (`blanks` keeps blank steps, for the
        builder's own links)."""
        steps = self.steps if blanks else tuple(self.chosen)
        out = [("step", s) for s in steps]
        out += [("order", self.order), ("window", str(self.window))]
        out.append(("window_unit", self.window_unit))
        if self.breakdown:
            out.append(("breakdown", self.breakdown))
        return out

    def spec(self) -> dict[str, Any]:
        """The `funnel` spec parameters for these steps and options."""
        out: dict[str, Any] = {
            "steps": [choice_spec(s) for s in self.chosen],
            "order": self.order,
            "conversion_window": self.window,
            "conversion_window_unit": self.window_unit,
        }
        if self.breakdown:
            out["breakdown"] = self.breakdown
        return out


def parse_funnel(items: Sequence[tuple[str, str]]) -> FunnelForm:
    """The builder's state from the query string's (key, value) pairs; values that cannot be
    used are reported in `errors` (and replaced by their defaults: the page shows no funnel
    while there are errors, so a wrong window never passes for the right one)."""
    errors: list[str] = []
    steps = tuple(v.strip() for k, v in items if k == "step")
    last = {k: v.strip() for k, v in items}
    for n, step in enumerate(steps, 1):
        if len(step) > MAX_STEP_LENGTH:
            errors.append(f"Step {n} is longer than {MAX_STEP_LENGTH} characters")
    if len([s for s in steps if s]) > MAX_STEPS:
        errors.append(
            f"A funnel has at most {MAX_STEPS} steps, and this one has "
            f"{len([s for s in steps if s])}: remove some"
        )
    order: str = last.get("order") or "ordered"
    if order not in ORDERS:
        errors.append(f"Order must be ordered, strict or unordered, not {order!r}")
        order = "ordered"
    window_text = last.get("window") or str(DEFAULT_WINDOW)
    window = DEFAULT_WINDOW
    if window_text.isdigit() and int(window_text) >= 1:
        window = int(window_text)
    else:
        errors.append(
            f"The conversion window must be a whole number of at least 1, not {window_text!r}"
        )
    unit: str = last.get("window_unit") or DEFAULT_UNIT
    if unit not in WINDOW_UNITS:
        errors.append(f"The window unit must be one of {', '.join(WINDOW_UNITS)}, not {unit!r}")
        unit = DEFAULT_UNIT
    return FunnelForm(
        steps=steps,
        order=cast(FunnelOrder, order),
        window=window,
        window_unit=unit,
        breakdown=last.get("breakdown") or None,
        window_text=window_text,
        errors=tuple(errors),
    )


def unpacked(items: Sequence[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """The query string with the builder's edits applied and a packed `funnel` parameter
    spread out, or None when it has neither (the URL is already plain)."""
    keys = {k for k, _ in items}
    if PACKED not in keys and not keys & set(EDITS):
        return None
    rest = [(k, v) for k, v in items if k not in (*FUNNEL_PARAMS, PACKED, *EDITS)]
    funnel = [(k, v) for k, v in items if k in FUNNEL_PARAMS]
    bundle = next((v for k, v in items if k == PACKED), None)
    if bundle is not None:
        spread = parse_qsl(bundle, keep_blank_values=True)
        funnel = [(k, v) for k, v in spread if k in FUNNEL_PARAMS]
    steps = [v for k, v in funnel if k == "step"]
    others = [(k, v) for k, v in funnel if k != "step"]
    removed = next((v for k, v in items if k == "remove"), None)
    if removed is not None and removed.isdigit() and 1 <= int(removed) <= len(steps):
        del steps[int(removed) - 1]
    if any(k == "add" for k, _ in items):
        steps.append("")
    return rest + [("step", s) for s in steps] + others


def packed(form: FunnelForm) -> dict[str, str]:
    """The funnel as the filter bar carries it (one hidden field), or {} without steps."""
    return {PACKED: urlencode(form.pairs(blanks=True))} if form.steps else {}
