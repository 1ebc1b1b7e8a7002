"""`uptake demo PATH`: create a realistic demo workspace to explore."""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from uptake.cli.context import cli_context
from uptake.demo import Size, generate


def demo(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder for the demo workspace (created).")],
    size: Annotated[
        Size,
        typer.Option(
            "--size",
            "-s",
            help="tiny ~10k, small ~200k, medium ~1M, large ~10M, huge ~100M events.",
        ),
    ] = "small",
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed and size give the same data.")
    ] = 42,
    end: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day of the data (UTC); default today."),
    ] = None,
    events: Annotated[
        int | None, typer.Option(help="About this many events (overrides --size).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing demo workspace at PATH.")
    ] = False,
) -> None:
    """Generate a demo workspace: a CRM used by customer accounts, with story accounts."""
    settings = cli_context(ctx).settings
    summary = generate(
        path, size=size, seed=seed, end=end.date() if end else None, events=events,
        settings=settings, force=force,
    )  # fmt: skip
    console = Console(soft_wrap=True, highlight=False)
    ws = shlex.quote(str(path))
    console.print(
        f"Created demo workspace [bold]{path}[/bold] in {summary.seconds:.1f} s "
        f"({summary.events_per_second:,.0f} events/s)"
    )
    console.print(f"  accounts   {summary.accounts:,} (story accounts listed in {path}/demo.json)")
    console.print(f"  users      {summary.users:,}")
    console.print(f"  events     {summary.events:,} from {summary.start} to {summary.end}")
    console.print(f"  responses  {summary.responses:,} (NPS, CSAT, task completion)")
    console.print("Next, try:")
    for command in (
        f"uptake -w {ws} metrics",
        f'uptake -w {ws} query \'{{"kind": "trend", "measure": "unique"}}\'',
        f'uptake -w {ws} query \'{{"kind": "trend", "feature": "AI assistant"}}\'',
        f'uptake -w {ws} query \'{{"kind": "trend", "measure": "total", '
        f'"breakdown": "user.department"}}\'',
    ):
        console.print(f"  {command}", markup=False)
