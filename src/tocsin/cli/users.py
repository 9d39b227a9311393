"""`tocsin users`: organisations, users and API tokens of the web app."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import fail, out, print_json
from tocsin.records.models import USER_ROLES

app = typer.Typer(no_args_is_help=True, help="Web users, their organisations and API tokens.")
PASSWORD_ENV = "TOCSIN_PASSWORD"


def _session(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from tocsin.records.db import session_factory
    from tocsin.workspace import WorkspaceError

    try:
        ctx.obj.require()
    except WorkspaceError as exc:
        fail(str(exc))
    return session_factory(ctx.obj.database_url)()


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    return str(typer.prompt("Password (10 characters or more)", hide_input=True, confirmation_prompt=True))


@app.command()
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    organisation: Annotated[str, typer.Option("--org", help="Organisation (created if new).")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(USER_ROLES)}.")] = "viewer",
    display_name: Annotated[str | None, typer.Option(help="Name shown in the app.")] = None,
    language: Annotated[str, typer.Option(help="en or ar.")] = "en",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin",
        help=f"Read the password from stdin (else ${PASSWORD_ENV}, else a prompt).")] = False,
) -> None:
    """Add a user (and their organisation when it is new)."""
    from sqlalchemy import select

    from tocsin.records.models import Organisation, User
    from tocsin.web.auth import hash_password

    if role not in USER_ROLES:
        fail(f"--role must be one of {', '.join(USER_ROLES)}, not {role!r}", code=2)
    if language not in ("en", "ar"):
        fail(f"--language must be en or ar, not {language!r}", code=2)
    try:
        password_hash = hash_password(_read_password(password_stdin))
    except ValueError as exc:
        fail(str(exc))
    with _session(ctx) as db:
        if db.scalar(select(User).where(User.username == username)) is not None:
            fail(f"a user {username!r} already exists")
        org = db.scalar(select(Organisation).where(Organisation.name == organisation))
        if org is None:
            org = Organisation(name=organisation)
            db.add(org)
        db.add(User(username=username, display_name=display_name or username, role=role,
                    organisation=org, language=language, password_hash=password_hash))
        db.commit()
    out.print(f"Added {role} {username!r} in {organisation!r}")


@app.command("list")
def list_users(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List users with their organisation and role."""
    from sqlalchemy import select

    from tocsin.records.models import Organisation, User

    with _session(ctx) as db:
        rows = db.execute(select(User, Organisation).join(Organisation).order_by(User.username)).all()
        users = [{"username": u.username, "display_name": u.display_name, "role": u.role,
                  "organisation": o.name, "language": u.language, "can_log_in": u.password_hash is not None}
                 for u, o in rows]
    if as_json:
        print_json(users)
        return
    table = Table("username", "name", "role", "organisation", "language")
    for u in users:
        table.add_row(u["username"], u["display_name"], u["role"], u["organisation"], u["language"])
    out.print(table)


@app.command()
def token(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    revoke: Annotated[bool, typer.Option(help="Revoke the user's tokens of that name instead.")] = False,
) -> None:
    """Create an API token for a user (printed once), or revoke tokens."""
    from sqlalchemy import select

    from tocsin.records.models import User
    from tocsin.web.auth import create_api_token, revoke_api_tokens

    with _session(ctx) as db:
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            fail(f"no user {username!r}")
        if revoke:
            out.print(f"Revoked {revoke_api_tokens(db, user.id, name)} token(s) named {name!r}")
            return
        typer.echo(create_api_token(db, user.id, name))
