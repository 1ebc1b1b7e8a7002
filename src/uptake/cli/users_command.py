"""`uptake users create|list|delete`: the logins of a server home's web dashboard."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.home_option import DEFAULT_HOME, HomeOption
from uptake.server.dashboard_users import DashboardUsers, UserError, check_user_name
from uptake.server.home import KEYS_FILE, ServerHome
from uptake.web.sessions import SessionStore

app = typer.Typer(help="Dashboard logins (the web pages of `uptake serve`).", no_args_is_help=True)


def _existing(home: ServerHome) -> DashboardUsers:
    """The logins of a home that has a server file; a mistyped --home must not make one."""
    if not home.keys_path.exists():
        raise UserError(
            f"no server file in {home.path} (no {KEYS_FILE} there): check --home, or create a "
            f"user with `uptake users create NAME --home {home.path}`"
        )
    return DashboardUsers(home.keys_path)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line; the newline that ends it is not part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Login name: letters, digits, . _ - + @")],
    home: HomeOption = DEFAULT_HOME,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Set a new password if the user exists (logs it out).")
    ] = False,
) -> None:
    """Create a dashboard login (the password is asked for, or read with --password-stdin)."""
    check_user_name(name)
    server_home = ServerHome(home)
    users = DashboardUsers(server_home.keys_path)
    existed = users.get(name) is not None
    if existed and not force:
        # Before asking for a password that would be thrown away.
        raise UserError(f"user {name!r} already exists (use --force to set a new password)")
    password = _read_password(password_stdin)
    users.create(name, password, replace=force)
    if existed:
        SessionStore(server_home.keys_path).expire_all(name)
    verb = "Set a new password for" if existed else "Created"
    Console(highlight=False, soft_wrap=True).print(
        f"{verb} dashboard user [bold]{name}[/bold]; it can see every project of {home}. "
        "Log in at the server's URL (uptake serve prints it)."
    )


@app.command("list")
def list_users(home: HomeOption = DEFAULT_HOME) -> None:
    """List dashboard logins (never passwords)."""
    found = _existing(ServerHome(home)).users()
    table = Table(header_style="bold")
    for column in ("user", "created", "last login"):
        table.add_column(column)
    for user in found:
        table.add_row(user.name, user.created_at, user.last_login_at or "")
    Console().print(table)


@app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="The login to remove.")],
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """Delete a dashboard login; its open sessions end at once."""
    server_home = ServerHome(home)
    _existing(server_home).delete(name)
    SessionStore(server_home.keys_path).expire_all(name)
    Console(highlight=False).print(f"Deleted dashboard user {name}.")
