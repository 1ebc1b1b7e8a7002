"""`uptake keys create|list|revoke`: write keys and read tokens of a server's projects."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.home_option import DEFAULT_HOME, HomeOption
from uptake.server.home import ServerHome

app = typer.Typer(help="API keys: write keys (tracking) and read tokens (queries).")


@app.command("create")
def create(
    project: Annotated[str, typer.Option("--project", "-p", help="The project the key is for.")],
    kind: Annotated[
        Literal["write", "read"],
        typer.Option(help="write: send events (/v1/*); read: query (/api/*)."),
    ],
    label: Annotated[str | None, typer.Option(help="A note: who or what uses it.")] = None,
    home: HomeOption = DEFAULT_HOME,
    fmt: Annotated[Literal["text", "json"], typer.Option("--format", "-f")] = "text",
) -> None:
    """Create a key; its secret is printed once (only a hash is stored)."""
    server_home = ServerHome(home)
    server_home.project_path(project)
    keys = server_home.key_store()
    try:
        key, secret = keys.create(project, kind, label)
    finally:
        keys.close()
    if fmt == "json":
        typer.echo(json.dumps({"key_id": key.key_id, "project": project, "kind": kind,
                               "secret": secret}))  # fmt: skip
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"Created {kind} key {key.key_id} for project {project}. Its secret (shown once):"
    )
    console.print(secret, markup=False)
    if kind == "write":
        console.print("Use it as the write key of a Segment / RudderStack client, or as the "
                      "HTTP Basic user name of /v1/* calls.")  # fmt: skip
    else:
        console.print("Send it as `Authorization: Bearer <secret>` to /api/projects/"
                      f"{project}/query.")  # fmt: skip


@app.command("list")
def list_keys(
    project: Annotated[str | None, typer.Option("--project", "-p", help="Only this project.")] = (
        None
    ),
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """List keys (ids, never secrets)."""
    server_home = ServerHome(home)
    if project is not None:
        server_home.project_path(project)
    keys = server_home.key_store(create=False)
    try:
        found = keys.keys(project)
    finally:
        keys.close()
    table = Table(header_style="bold")
    for column in ("key id", "project", "kind", "label", "created", "revoked"):
        table.add_column(column)
    for key in found:
        table.add_row(key.key_id, key.project, key.kind, key.label or "", key.created_at,
                      key.revoked_at or "")  # fmt: skip
    Console().print(table)


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (see `uptake keys list`).")],
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """Revoke a key: calls with it are refused from now on."""
    keys = ServerHome(home).key_store(create=False)
    try:
        key = keys.revoke(key_id)
    finally:
        keys.close()
    Console(highlight=False).print(f"Revoked {key.kind} key {key.key_id} of project {key.project}.")
