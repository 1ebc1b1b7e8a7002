"""Critical mass: cumulative adopters per period as a share of the target population, and the
first day that share reaches a threshold (Rogers' 16%, the end of the early adopters)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar, Literal

import ibis
import pyarrow as pa
from pydantic import Field, model_validator

from uptake.definitions import Filter
from uptake.metrics.adoption_times import DiffusionSpec, candidates
from uptake.metrics.period_counts import count_by_period
from uptake.metrics.ratios import ratio
from uptake.metrics.spine import period_spine
from uptake.metrics.tables import Tables

Population = Literal["all", "licensed"]

_NOTES = b"uptake.critical_mass"
_LICENSED = Filter(property="user.licensed", op="eq", value=True)


class CriticalMass(DiffusionSpec):
    """Cumulative adopters per period over the population, and when they reach `share` of it.

    - new_adopters: units whose first-ever use falls in the period (inside [from, to]).
    - cumulative_adopters: units whose first use is on or before the period's last day in
      range (history before `from` counts).
    - population: every unit of the population (the same number on every row; see `launch`).
    - adopted_share: cumulative_adopters / population (0-1; null with an empty population).
    - reached: adopted_share >= share by the period's end.
    The summary's reached_on is the day the cumulative count first reaches share x population
    (the day of that adopter's first use, not the period's start); None if not yet.
    """

    title: ClassVar[str] = "Critical mass: cumulative adopters as a share of the population"

    kind: Literal["critical_mass"] = "critical_mass"
    share: float = Field(
        default=0.16,
        gt=0,
        le=1,
        description="Threshold (0-1]; 0.16 = Rogers' innovators + early adopters.",
    )
    population: Population = Field(
        default="all",
        description="all | licensed (users whose `licensed` is true; unit='user' only).",
    )

    @model_validator(mode="after")
    def _licensed_users(self) -> CriticalMass:
        if self.population == "licensed" and self.unit != "user":
            raise ValueError(
                "population='licensed' needs unit='user' (licences are on users); "
                "for accounts filter on an account property instead"
            )
        return self

    def population_filters(self) -> list[Filter]:
        """The spec's filters, plus `user.licensed = true` with population='licensed'."""
        extra = [_LICENSED] if self.population == "licensed" else []
        return [*self.filters, *extra]

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (period, new_adopters, cumulative_adopters, population, adopted_share, reached,
        reached_on, unparsed_launches); `finish` moves the last two into the summary."""
        week_start = self.resolved_week_start(tables.definitions)
        spine = period_spine(self.date_from, self.date_to, self.period, week_start)
        rows = candidates(self, tables)
        counts = rows.aggregate(
            population=(~rows.launch_unparsed).sum().cast("int64"),
            unparsed_launches=rows.launch_unparsed.sum().cast("int64"),
        )
        units = rows.filter(~rows.launch_unparsed)
        adopters = units.filter(units.adopted_at.notnull())
        adopters = adopters.select("entity", at=adopters.adopted_at)
        per_period = count_by_period(
            adopters,
            spine.select("period"),
            [],
            self.date_from,
            self.date_to,
            self.period,
            week_start,
        )
        # The k-th adopter in time order; the first k with k / population >= share. Ties share
        # a timestamp, so whichever of them is numbered k, the day is the same. A ratio, not
        # ceil(share x population): 0.1 x 30 is 3.0000000000000004 in floats.
        numbered = adopters.mutate(k=ibis.row_number().over(order_by=adopters.at) + 1)
        numbered = numbered.cross_join(counts)
        crossing = numbered.filter(
            numbered.k.cast("float64") / numbered.population.cast("float64") >= self.share
        )
        reached_on = crossing.aggregate(reached_on=crossing.at.min().date())

        joined = per_period.cross_join(counts).cross_join(reached_on)
        population = joined.population.fill_null(0)
        adopted_share = ratio(joined.cumulative, population)
        out = joined.select(
            "period",
            new_adopters=joined.new,
            cumulative_adopters=joined.cumulative,
            population=population,
            adopted_share=adopted_share,
            reached=(adopted_share >= self.share).fill_null(False),
            reached_on=joined.reached_on,
            unparsed_launches=joined.unparsed_launches.fill_null(0),
        )
        return out.order_by("period")

    def finish(self, table: pa.Table) -> pa.Table:
        """Drop reached_on and unparsed_launches into the table's notes for the summary."""
        reached = table["reached_on"].to_pylist() if table.num_rows else []
        unparsed = table["unparsed_launches"].to_pylist() if table.num_rows else []
        population = table["population"].to_pylist() if table.num_rows else []
        day = reached[0] if reached else None
        notes = {
            "reached_on": day.isoformat() if isinstance(day, dt.date) else None,
            "unparsed_launches": int(unparsed[0] or 0) if unparsed else 0,
            "population": int(population[0] or 0) if population else 0,
        }
        out = table.drop_columns(["reached_on", "unparsed_launches"])
        return out.replace_schema_metadata({_NOTES: json.dumps(notes).encode()})

    def summarize(self, table: pa.Table) -> dict[str, Any]:
        """share (the threshold), reached_on (ISO date or None: not reached by `to`) and
        population (units in the target population)."""
        notes = _notes(table)
        return {
            "share": self.share,
            "reached_on": notes.get("reached_on"),
            "population": notes.get("population", 0),
        }

    def warnings(self, table: pa.Table) -> list[str]:
        """Caveats: units left out for an unparseable launch trait; an empty population."""
        notes = _notes(table)
        who = "accounts" if self.unit == "account" else "users"
        out = []
        if notes.get("unparsed_launches"):
            out.append(
                f"{notes['unparsed_launches']} {who} were left out: their trait "
                f"{self.launch_trait!r} is not a date (use YYYY-MM-DD or an ISO timestamp)"
            )
        if table.num_rows and notes.get("population") == 0:
            out.append(
                f"no {who} are in the population: check `from`/`to`, the launch, "
                "`population` and the filters"
            )
        return out


def _notes(table: pa.Table) -> dict[str, Any]:
    raw = (table.schema.metadata or {}).get(_NOTES)
    return dict(json.loads(raw)) if raw else {}
