"""Adopter categories (Rogers): innovators, early adopters, early majority, late majority and
laggards by the mean and standard deviation of adoption times, beside Rogers' shares."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal, assert_never

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from uptake.metrics.adoption_times import DiffusionSpec, candidates
from uptake.metrics.tables import Tables
from uptake.models.rogers import CATEGORIES, ROGERS_SHARES, Classification, classify

NonAdopters = Literal["separate", "laggards"]
Output = Literal["categories", "adopters"]

UNCLASSIFIED = "unclassified"
NON_ADOPTERS = "non_adopters"
# Where the finished table carries the numbers that `summarize` and `warnings` report.
_NOTES = b"uptake.adopter_categories"

CATEGORY_SCHEMA = pa.schema(
    [
        pa.field("category", pa.string()),
        pa.field("units", pa.int64()),
        pa.field("share", pa.float64()),
        pa.field("rogers_share", pa.float64()),
        pa.field("from_days", pa.float64()),
        pa.field("to_days", pa.float64()),
    ]
)


class AdopterCategories(DiffusionSpec):
    """Rogers' adopter categories of the users (or accounts) of the population.

    Adoption time = first-ever use of the chosen events minus the launch, in days (see
    `launch`). Over the adopters (first use on or before `to`), with the mean x̄ and population
    standard deviation sd of their adoption times: innovators t < x̄-2sd; early_adopters
    x̄-2sd <= t < x̄-sd; early_majority x̄-sd <= t < x̄; late_majority x̄ <= t < x̄+sd;
    laggards t >= x̄+sd (a time on a boundary goes to the later category). Non-adopters are
    their own group, or laggards with non_adopters='laggards'. With fewer than 2 adopters or
    all at the same time, the adopters are 'unclassified'.
    """

    title: ClassVar[str] = "Adopter categories (Rogers): innovators to laggards, with shares"

    kind: Literal["adopter_categories"] = "adopter_categories"
    non_adopters: NonAdopters = Field(
        default="separate",
        description="separate (their own group) | laggards (counted as laggards).",
    )
    output: Output = Field(
        default="categories",
        description="categories (one row per category) | adopters (one row per unit).",
    )

    def to_expr(self, tables: Tables) -> ibis.Table:
        """Rows (entity, launch_at, adopted_at, adoption_days, launch_unparsed), one per unit
        of the population (and per unit left out for an unparseable launch trait); `finish`
        classifies them."""
        rows = candidates(self, tables)
        return rows.order_by(
            [rows.adoption_days.asc(nulls_first=False), rows.entity.asc(nulls_first=False)]
        )

    def finish(self, table: pa.Table) -> pa.Table:
        """Category rows (category, units, share, rogers_share, from_days, to_days) or adopter
        rows (entity, launch_at, adopted_at, adoption_days, category)."""
        flags = table["launch_unparsed"].fill_null(False)
        unparsed = int(pc.sum(flags.cast(pa.int64())).as_py() or 0)
        units = table.filter(pc.invert(flags)).drop_columns(["launch_unparsed"])
        days = units["adoption_days"]
        adopted = pc.is_valid(days)
        times = days.filter(adopted).to_numpy(zero_copy_only=False).astype(np.float64)
        fit = classify(times)
        notes = {
            "population": units.num_rows,
            "adopters": len(times),
            "non_adopters": units.num_rows - len(times),
            "unparsed_launches": unparsed,
            "used_before_launch": _used_before_launch(units),
            "mean_days": float(times.mean()) if len(times) else None,
            "sd_days": float(times.std(ddof=0)) if len(times) else None,
            "boundaries_days": list(fit.boundaries) if fit is not None else None,
        }
        match self.output:
            case "categories":
                out = self._category_rows(fit, notes)
            case "adopters":
                out = self._adopter_rows(units, adopted, fit)
            case _:
                assert_never(self.output)
        metadata = {_NOTES: json.dumps(notes).encode()}
        return out.replace_schema_metadata(metadata)

    def summarize(self, table: pa.Table) -> dict[str, Any]:
        """mean_days and sd_days of the adopters' times (None without adopters), adopters,
        non_adopters, population, boundaries_days [x̄-2sd, x̄-sd, x̄, x̄+sd] (None when the
        adopters are unclassified) and classified (bool)."""
        notes = _notes(table)
        keys = ("mean_days", "sd_days", "adopters", "non_adopters", "population")
        summary = {k: notes.get(k) for k in keys}
        summary["boundaries_days"] = notes.get("boundaries_days")
        summary["classified"] = notes.get("boundaries_days") is not None
        return summary

    def warnings(self, table: pa.Table) -> list[str]:
        """Caveats: units left out for an unparseable launch trait, use before the launch,
        adopters too few (or too alike) to categorize, an empty population."""
        notes = _notes(table)
        who = "accounts" if self.unit == "account" else "users"
        out = []
        if notes.get("unparsed_launches"):
            out.append(
                f"{notes['unparsed_launches']} {who} were left out: their trait "
                f"{self.launch_trait!r} is not a date (use YYYY-MM-DD or an ISO timestamp)"
            )
        if notes.get("population") == 0:
            out.append(
                f"no {who} are in the population: check `from`/`to`, the launch and the filters"
            )
        elif notes.get("boundaries_days") is None and notes.get("adopters"):
            out.append(
                f"the {notes['adopters']} adopter(s) are unclassified: Rogers' categories need "
                "at least 2 adopters with different adoption times"
            )
        elif not notes.get("adopters") and notes.get("population"):
            out.append(f"no {who} adopted by `to`: there is nothing to categorize yet")
        if notes.get("used_before_launch"):
            out.append(
                f"{notes['used_before_launch']} {who} used it before their launch (e.g. beta "
                "users): their adoption time counts as 0 days"
            )
        return out

    def _category_rows(self, fit: Classification | None, notes: dict[str, Any]) -> pa.Table:
        adopters, non_adopters = notes["adopters"], notes["non_adopters"]
        population = notes["population"]
        as_laggards = self.non_adopters == "laggards"
        counts = dict(fit.counts) if fit is not None else dict.fromkeys(CATEGORIES, 0)
        if as_laggards:
            counts["laggards"] += non_adopters
        base = population if as_laggards else adopters
        cuts: list[float | None] = [None, *fit.boundaries, None] if fit is not None else [None] * 6
        rows: list[dict[str, Any]] = []
        for index, category in enumerate(CATEGORIES):
            rows.append(
                {
                    "category": category,
                    "units": counts[category],
                    "share": _share(counts[category], base),
                    "rogers_share": ROGERS_SHARES[category],
                    "from_days": cuts[index],
                    "to_days": cuts[index + 1],
                }
            )
        if fit is None and adopters:
            rows.append(_plain_row(UNCLASSIFIED, adopters, _share(adopters, base)))
        if not as_laggards:
            rows.append(_plain_row(NON_ADOPTERS, non_adopters, _share(non_adopters, population)))
        return pa.Table.from_pylist(rows, schema=CATEGORY_SCHEMA)

    def _adopter_rows(
        self, units: pa.Table, adopted: pa.ChunkedArray, fit: Classification | None
    ) -> pa.Table:
        adopter_labels = iter(fit.categories if fit is not None else [])
        late = "laggards" if self.non_adopters == "laggards" else NON_ADOPTERS
        labels = [
            (next(adopter_labels) if fit is not None else UNCLASSIFIED) if used else late
            for used in adopted.to_pylist()
        ]
        out = units.select(["entity", "launch_at", "adopted_at", "adoption_days"])
        # Rows keep `to_expr`'s order: adoption_days (non-adopters last), then entity.
        return out.append_column("category", pa.array(labels, pa.string()))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _plain_row(category: str, units: int, share: float | None) -> dict[str, Any]:
    return {
        "category": category,
        "units": units,
        "share": share,
        "rogers_share": None,
        "from_days": None,
        "to_days": None,
    }


def _used_before_launch(units: pa.Table) -> int:
    early = pc.less(units["adopted_at"], units["launch_at"]).fill_null(False)
    return int(pc.sum(early.cast(pa.int64())).as_py() or 0)


def _notes(table: pa.Table) -> dict[str, Any]:
    raw = (table.schema.metadata or {}).get(_NOTES)
    return dict(json.loads(raw)) if raw else {}
