"""`uptake report`: the KPI overview in the terminal (or as JSON); through the server when
`uptake serve` owns the workspace."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from uptake.cli.context import cli_context
from uptake.number_format import format_change, format_value
from uptake.report import KpiCard, Overview, overview

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """A one-line chart of a series (gaps as spaces)."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low or 1.0
    return "".join(
        " " if v is None else BARS[round((v - low) / span * (len(BARS) - 1))] for v in values
    )


def _show(card: KpiCard, value: float | None) -> str:
    return format_value(value, card.format)


def _change(card: KpiCard) -> str:
    text = format_change(card.change, card.previous, card.format)
    if card.change is None or text is None:
        return ""
    good = (card.change > 0) == card.higher_is_better
    colour = "green" if card.change == 0 or good else "red"
    return f"[{colour}]{text}[/{colour}]"


def _features_table(report: Overview) -> Table:
    assert report.features is not None
    table = Table(header_style="bold", title="Feature adoption", title_justify="left")
    for col, justify in (
        ("feature", "left"),
        ("users", "right"),
        ("adoption", "right"),
        ("new users", "right"),
        ("days to 1st use", "right"),
        ("released", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in report.features.rows:
        rate, days = row["adoption_rate"], row["median_days_to_first_use"]
        table.add_row(
            escape(str(row["feature"])),
            f"{row['users']:,}",
            "—" if rate is None else f"{rate * 100:.0f}%",
            f"{row['first_time_users']:,}",
            "—" if days is None else f"{days:.1f}",
            str(row["released_at"] or "—"),
        )
    return table


def render_overview(report: Overview, console: Console) -> None:
    """Print the cards, the feature table and mean retention."""
    console.print(
        f"[bold]{escape(report.workspace)}[/bold] — {report.date_from} to {report.date_to}, "
        f"per {report.unit}"
    )
    cards = Table(
        header_style="bold", title="KPIs (latest period vs the one before)", title_justify="left"
    )
    for col, justify in (
        ("KPI", "left"),
        ("latest", "right"),
        ("previous", "right"),
        ("change", "right"),
        ("trend", "left"),
    ):
        cards.add_column(col, justify=justify)  # type: ignore[arg-type]
    for card in report.cards:
        trend = sparkline([v for _, v in card.series])
        if card.note:
            cards.add_row(card.label, "—", "", "", f"[dim]{escape(card.note)}[/dim]")
        else:
            cards.add_row(
                card.label,
                _show(card, card.value),
                _show(card, card.previous),
                _change(card),
                trend,
            )
    console.print(cards)
    if report.features is not None:
        console.print(_features_table(report))
    if report.retention is not None:
        mean = [r for r in report.retention.rows if r.get("is_mean")]
        cells = " · ".join(
            f"{r['period']}: {r['retention_rate'] * 100:.0f}%"
            for r in mean
            if r.get("retention_rate") is not None and r["period"] > 0
        )
        unit = str(report.retention.spec.get("period", "week"))
        console.print(f"[bold]Retention[/bold] by {unit} since first activity (mean of cohorts)")
        console.print(f"  {cells}")
    for note in report.notes:
        # Notes quote uptake.toml syntax (`[[features]]`): escape it, or Rich eats it as markup.
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


def report(
    ctx: typer.Context,
    date_from: Annotated[
        dt.datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First day (default: 12 weeks back)."),
    ] = None,
    date_to: Annotated[
        dt.datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="Last day (default: the latest event)."),
    ] = None,
    unit: Annotated[Literal["user", "account"], typer.Option(help="user or account.")] = "user",
    period: Annotated[Literal["week", "month"], typer.Option(help="Card period.")] = "week",
    fmt: Annotated[Literal["table", "json"], typer.Option("--format", "-f")] = "table",
) -> None:
    """The KPI overview: active users, stickiness, adoption, logins, time to value, NPS, churn,
    feature adoption and retention."""
    with cli_context(ctx).reader() as source:
        end = date_to.date() if date_to else source.latest_event_date() or dt.date.today()
        start = date_from.date() if date_from else end - dt.timedelta(weeks=12) + dt.timedelta(1)
        result = overview(source, start, end, unit=unit, period=period)
    console = Console(soft_wrap=fmt == "json")
    if fmt == "json":
        console.file.write(json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
    else:
        render_overview(result, console)
