"""`uptake serve`: the tracking API and the read API for every project of a server home."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console

from uptake.cli.context import cli_context
from uptake.cli.home_option import DEFAULT_HOME, HomeOption
from uptake.errors import UptakeError
from uptake.server.home import ServerHome
from uptake.web.app import create_app
from uptake.web.config import ServerConfig
from uptake.web.result_cache import DEFAULT_ENTRIES

# ServerConfig's field -> the option that sets it, for one-line errors in the user's words.
_FLAGS = {
    "port": "--port",
    "rate_per_second": "--rate",
    "rate_burst": "--burst",
    "body_timeout_seconds": "--body-timeout",
    "commit_timeout_seconds": "--commit-timeout",
    "query_timeout_seconds": "--query-timeout",
    "keep_alive_seconds": "--keep-alive",
    "result_cache_entries": "--result-cache",
}


def serve(
    ctx: typer.Context,
    home: HomeOption = DEFAULT_HOME,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    rate: Annotated[
        float, typer.Option(help="Requests per second allowed per key (average).")
    ] = 2000.0,
    burst: Annotated[float, typer.Option(help="Requests per key allowed in a burst.")] = 4000.0,
    body_timeout: Annotated[
        float, typer.Option(help="Seconds allowed for a request body to arrive (else 408).")
    ] = 30.0,
    commit_timeout: Annotated[
        float, typer.Option(help="Seconds a request waits for its commit (else 503).")
    ] = 30.0,
    query_timeout: Annotated[
        float, typer.Option(help="Seconds a read-API query may run (else 503).")
    ] = 120.0,
    keep_alive: Annotated[
        int, typer.Option(help="Seconds an idle keep-alive connection stays open.")
    ] = 5,
    secure_cookies: Annotated[
        bool, typer.Option(help="Secure cookies: set when users reach it over HTTPS.")
    ] = False,
    telemetry: Annotated[
        bool, typer.Option(help="FastAPI's OpenTelemetry instrumentation (global providers).")
    ] = False,
    result_cache: Annotated[
        int,
        typer.Option(help="Answers kept per project while its data is unchanged (0: none)."),
    ] = DEFAULT_ENTRIES,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the projects of HOME: Segment-compatible /v1/* tracking, /api/* queries."""
    settings = cli_context(ctx).settings
    try:
        config = ServerConfig(
            host=host,
            port=port,
            settings=settings,
            rate_per_second=rate,
            rate_burst=burst,
            body_timeout_seconds=body_timeout,
            commit_timeout_seconds=commit_timeout,
            query_timeout_seconds=query_timeout,
            keep_alive_seconds=keep_alive,
            secure_cookies=secure_cookies,
            telemetry=telemetry,
            result_cache_entries=result_cache,
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else ""
        flag = _FLAGS.get(field, field)
        raise UptakeError(f"{flag}: {problem['msg'].lower()}") from None
    server_home = ServerHome(home)
    names = server_home.project_names()
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if not names:
        console.print(
            f"No projects in {home / 'projects'} yet: create one with "
            f"`uptake projects create NAME --home {home}`; it is served on its first request."
        )
    else:
        console.print(f"Serving {', '.join(names)} on {config.url} (Ctrl+C stops)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    uvicorn.run(
        create_app(server_home, config),
        host=host,
        port=port,
        http="httptools",
        access_log=access_log,
        log_level="info",
        # Finish in-flight requests (they wait for their commit) before stopping.
        timeout_graceful_shutdown=30,
        timeout_keep_alive=config.keep_alive_seconds,
    )
