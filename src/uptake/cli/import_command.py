"""`uptake import FILE...`: CSV, JSON lines, Parquet and Segment files into the workspace (sent
to the server when `uptake serve` owns it: the server imports the files in its writer)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from uptake.cli.context import cli_context
from uptake.cli.render import print_wide
from uptake.ingest import (
    FileFormat,
    ImportSummary,
    ProgressCallback,
    TableName,
    TimestampUnit,
    build_options,
    load_mapping_file,
    parse_map_pairs,
)
from uptake.ingest import (
    import_files as run_import,
)


@contextmanager
def _progress_bar(console: Console, enabled: bool) -> Iterator[ProgressCallback | None]:
    """A bytes-read progress bar, removed when done; None when progress is off."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("importing", total=None)

        def advance(done: int, total: int) -> None:
            # All bytes read: what is left is the final commit (dedupe, insert, rollups).
            label = "committing" if done >= total else "importing"
            progress.update(task, completed=done, total=total, description=label)

        yield advance


def _summary_table(summaries: list[ImportSummary]) -> Table:
    table = Table(header_style="bold", title="import", title_justify="left")
    table.add_column("file")
    table.add_column("table")
    for name in ("rows read", "inserted", "updated", "duplicates", "rejected", "seconds"):
        table.add_column(name, justify="right")
    for s in summaries:
        label = s.table
        if s.table == "segment":
            label = "segment: " + ", ".join(s.by_table) if s.by_table else "segment"
        table.add_row(
            escape(s.file),
            label,
            f"{s.rows_read:,}",
            f"{s.inserted:,}",
            f"{s.updated:,}",
            f"{s.duplicates:,}",
            f"{s.rejected:,}",
            f"{s.seconds:.2f}",
        )
    return table


def _print_notes(console: Console, summaries: list[ImportSummary]) -> None:
    # File names and reasons quote the user's data: escape them so Rich prints them as they are.
    for s in summaries:
        if s.ignored_columns:
            shown = escape(", ".join(s.ignored_columns))
            console.print(f"{escape(s.file)}: columns not imported: {shown}", highlight=False)
        if not s.rejected:
            continue
        rows = "row" if s.rejected == 1 else "rows"
        console.print(
            f"[yellow]{escape(s.file)}: {s.rejected:,} {rows} rejected[/yellow] "
            f"(all of them, with reasons, in {escape(str(s.rejects_file))}):",
            highlight=False,
        )
        place = "row" if s.format == "parquet" else "line"
        for reject in s.first_rejects:
            console.print(f"  {place} {reject.line}: {escape(reject.reason)}", highlight=False)
        if s.rejected > len(s.first_rejects):
            console.print(f"  ... and {s.rejected - len(s.first_rejects):,} more", highlight=False)


def import_files(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="Files: .csv/.tsv, .jsonl/.ndjson/.json, .parquet/.pq.")
    ],
    table: Annotated[
        TableName | None,
        typer.Option("--table", "-t", help="Table of every file (default: from each file's name)."),
    ] = None,
    fmt: Annotated[
        FileFormat | None,
        typer.Option("--format", "-f", help="Format of every file (default: from extension)."),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="CANONICAL=FILE_COLUMN, e.g. timestamp=created (repeatable)."),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map-file", help='TOML file of CANONICAL = "column".')
    ] = None,
    ignore_extra: Annotated[
        bool,
        typer.Option(
            "--ignore-extra", help="Drop unmapped columns instead of keeping them as properties."
        ),
    ] = False,
    timestamp_unit: Annotated[
        TimestampUnit,
        typer.Option(help="Unit of epoch timestamps (auto = by magnitude)."),
    ] = "auto",
    timestamp_format: Annotated[
        str | None,
        typer.Option(help="strptime pattern of text timestamps, e.g. '%d/%m/%Y %H:%M' (UTC)."),
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV separator (default ',', tab for .tsv).")
    ] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files.")] = "utf-8",
    page_event: Annotated[
        str, typer.Option(help="Event name for Segment page calls.")
    ] = "page_viewed",
    screen_event: Annotated[
        str, typer.Option(help="Event name for Segment screen calls.")
    ] = "screen_viewed",
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Folder for rejects files (default: WORKSPACE/rejects)."),
    ] = None,
) -> None:
    """Import files into the workspace: all of them land, or (on a corrupt file) none."""
    general, per_table = load_mapping_file(map_file) if map_file else ({}, {})
    on_command_line = parse_map_pairs(mapping or [])
    # --map wins over the mapping file, its table sections included.
    sections = {
        name: {k: v for k, v in section.items() if k not in on_command_line}
        for name, section in per_table.items()
    }
    options = build_options(
        table=table,
        format=fmt,
        mapping={**general, **on_command_line},
        table_mappings=sections,
        ignore_extra=ignore_extra,
        timestamp_unit=timestamp_unit,
        timestamp_format=timestamp_format,
        delimiter=delimiter,
        encoding=encoding,
        page_event=page_event,
        screen_event=screen_event,
    )
    context = cli_context(ctx)
    console = Console(soft_wrap=True)
    remote = context.server()
    if remote is not None:
        # No progress bar: the server reads the files and answers when they are committed.
        summaries = remote.import_files(files, options, rejects_dir=rejects)
    else:
        progress = _progress_bar(Console(stderr=True), context.settings.progress)
        with context.open() as ws, progress as on_progress:
            summaries = run_import(
                ws.store,
                files,
                options,
                rejects_dir=rejects or ws.path / "rejects",
                on_progress=on_progress,
            )
    print_wide(console, _summary_table(summaries))
    _print_notes(console, summaries)
    if remote is not None:
        console.print(
            f"Imported through the server at {escape(remote.where)}, which owns this workspace.",
            highlight=False,
        )
