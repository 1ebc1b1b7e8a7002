"""The KPI overview: headline cards (latest value, change, sparkline) and the key tables.

Every number comes from an ordinary metric spec run through `service.compute`, and each card
carries its spec, so the terminal report, the JSON API and the dashboard show the same thing.
The report reads through a `MetricSource` (definitions + compute): the tables of a workspace, or
the CLI's client of a running server, which fetches each spec's result from the read API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from uptake import service
from uptake.definitions import Definitions
from uptake.errors import SpecError
from uptake.metrics import Tables
from uptake.metrics.periods import next_period
from uptake.result import Result

CardFormat = Literal["count", "number", "percent", "fraction", "hours", "score"]


class MetricSource(Protocol):
    """Where the report's numbers come from: a Workspace, or the CLI's client of a server.
    `compute` raises SpecError for a spec the workspace cannot answer."""

    @property
    def definitions(self) -> Definitions:
        """The workspace definitions (features, key actions, value moment, name)."""
        ...

    def compute(self, spec: Mapping[str, Any]) -> Result:
        """Run one metric spec."""
        ...


class _TablesSource:
    """A MetricSource over Ibis tables on one engine."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    @property
    def definitions(self) -> Definitions:
        return self.tables.definitions

    def compute(self, spec: Mapping[str, Any]) -> Result:
        return service.compute(spec, self.tables)


class KpiCard(BaseModel):
    """One headline KPI: its latest complete period's value, the one before, and the series of
    complete periods (a period cut by the range is left out)."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    format: CardFormat
    period: str
    value: float | None = Field(
        description="The latest period wholly inside the range; None: no data."
    )
    previous: float | None = Field(description="The period before it.")
    change: float | None = Field(description="value - previous (same units as value).")
    series: list[tuple[dt.date, float | None]]
    higher_is_better: bool = True
    spec: dict[str, Any] = Field(default_factory=dict, description="The spec to reproduce it.")
    note: str | None = Field(default=None, description="Why there is no value, when there is none.")


class Overview(BaseModel):
    """The KPI report of one workspace over a date range."""

    model_config = ConfigDict(frozen=True)

    workspace: str
    date_from: dt.date
    date_to: dt.date
    unit: str
    cards: list[KpiCard]
    features: Result | None = None
    retention: Result | None = None
    notes: list[str] = Field(default_factory=list)


def _complete(start: dt.date, period: str, date_from: dt.date, date_to: dt.date) -> bool:
    """The period starting at `start` lies wholly inside [date_from, date_to]."""
    assert period in ("day", "week", "month")
    end = next_period(start, period) - dt.timedelta(days=1)  # type: ignore[arg-type]
    return start >= date_from and end <= date_to


def _series(
    result: Result, column: str, complete_only: bool = True
) -> list[tuple[dt.date, float | None]]:
    """(period, value) for the periods wholly inside the spec's range (a half-finished week
    would read as a collapse); with `complete_only=False`, the periods that have a value."""
    spec = result.spec
    period = str(spec.get("period", "week"))
    start, end = dt.date.fromisoformat(spec["from"]), dt.date.fromisoformat(spec["to"])
    out = []
    for row in result.rows:
        if complete_only and not _complete(row["period"], period, start, end):
            continue
        if not complete_only and row[column] is None:
            continue
        value = row[column]
        out.append((row["period"], None if value is None else float(value)))
    return out


def _card(
    key: str,
    label: str,
    fmt: CardFormat,
    spec: dict[str, Any],
    series: list[tuple[dt.date, float | None]],
    higher_is_better: bool = True,
) -> KpiCard:
    value = series[-1][1] if series else None
    previous = series[-2][1] if len(series) > 1 else None
    change = None if value is None or previous is None else value - previous
    return KpiCard(
        key=key,
        label=label,
        format=fmt,
        period=str(spec.get("period", "")),
        value=value,
        previous=previous,
        change=change,
        series=series,
        higher_is_better=higher_is_better,
        spec=spec,
    )


def _missing(key: str, label: str, fmt: CardFormat, spec: dict[str, Any], why: str) -> KpiCard:
    """A card with no value, saying why."""
    return _card(key, label, fmt, spec, []).model_copy(update={"note": why})


def overview(
    source: Tables | MetricSource,
    date_from: dt.date,
    date_to: dt.date,
    unit: Literal["user", "account"] = "user",
    period: Literal["week", "month"] = "week",
) -> Overview:
    """Compute the KPI overview: activity, stickiness, adoption, logins, time to value,
    satisfaction and churn cards, the feature adoption table and mean retention.

    `source` is the tables to run on, or anything with `definitions` and `compute(spec)`."""
    if isinstance(source, Tables):
        source = _TablesSource(source)
    base = {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "unit": unit,
        "period": period,
    }
    defs = source.definitions
    cards: list[KpiCard] = []
    notes: list[str] = []

    def run(spec: dict[str, Any]) -> Result:
        return source.compute(spec)

    def add(
        key: str,
        label: str,
        fmt: CardFormat,
        spec: dict[str, Any],
        column: str,
        higher_is_better: bool = True,
        complete_only: bool = True,
        transform: Callable[[Result], list[tuple[dt.date, float | None]]] | None = None,
    ) -> Result | None:
        try:
            result = run(spec)
        except SpecError as exc:
            cards.append(_missing(key, label, fmt, spec, str(exc)))
            return None
        series = transform(result) if transform else _series(result, column, complete_only)
        cards.append(_card(key, label, fmt, spec, series, higher_is_better))
        return result

    who = "users" if unit == "user" else "accounts"
    dau = add(
        "dau",
        f"Daily active {who} (avg)",
        "number",
        {"kind": "trend", "measure": "dau", **base},
        "value",
    )
    add(
        "wau", f"Weekly active {who}", "count", {"kind": "trend", "measure": "wau", **base}, "value"
    )
    mau = add(
        "mau",
        f"Monthly active {who}",
        "count",
        {"kind": "trend", "measure": "mau", **base},
        "value",
    )
    if dau is not None and mau is not None:
        ratio = [
            (d[0], None if not m[1] or d[1] is None else d[1] / m[1])
            for d, m in zip(_series(dau, "value"), _series(mau, "value"), strict=True)
        ]
        cards.append(
            _card(
                "stickiness",
                "Stickiness (DAU/MAU)",
                "fraction",
                {"kind": "trend", "measure": "dau/mau", **base},
                ratio,
            )
        )
    add(
        "adoption_rate",
        "Adoption rate (new / all users)",
        "percent",
        {"kind": "adoption_rate", **base},
        "adoption_rate_percent",
    )
    add("login_rate", "Login rate", "fraction", {"kind": "login_rate", **base}, "login_rate")
    target = (
        "value"
        if defs.value_moment is not None
        else "key_action"
        if defs.key_actions
        else "first_action"
    )
    target_label = {
        "value": "Time to value",
        "key_action": "Time to first key action",
        "first_action": "Time to first action",
    }[target]
    # The newest signups have not had time to get there: the latest signup period with a value.
    add(
        "time_to",
        f"{target_label} (median, by signup {period})",
        "hours",
        {"kind": "time_to", "target": target, **base},
        "median_hours",
        higher_is_better=False,
        complete_only=False,
    )
    month = {**base, "period": "month"}
    # Surveys come in waves (often quarterly): the latest month with answers, a year back.
    year = {**month, "from": (date_to - dt.timedelta(days=365)).isoformat(), "unit": "user"}
    add(
        "nps",
        "NPS (latest survey month)",
        "score",
        {"kind": "nps", **year},
        "nps",
        complete_only=False,
    )
    add(
        "churn_rate",
        "Churn rate (accounts)",
        "fraction",
        {"kind": "churn_rate", **{**month, "unit": "account"}},
        "churn_rate",
        higher_is_better=False,
    )

    features = None
    if defs.features:
        features = run(
            {"kind": "feature_adoption", "from": base["from"], "to": base["to"], "unit": unit}
        )
    else:
        notes.append("No features defined: add [[features]] to uptake.toml for the feature table.")
    retention = run({"kind": "retention", **base, "periods": 8})
    return Overview(
        workspace=defs.name,
        date_from=date_from,
        date_to=date_to,
        unit=unit,
        cards=cards,
        features=features,
        retention=retention,
        notes=notes,
    )
