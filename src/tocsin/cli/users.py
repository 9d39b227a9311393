"""`tocsin users password|token`: what the web app adds to `tocsin users` (accounts.py): a
password to log in with, and API tokens for scripts."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from tocsin.cli.common import fail, out, t

PASSWORD_ENV = "TOCSIN_PASSWORD"


def _session(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from tocsin.records.db import session_factory
    from tocsin.workspace import WorkspaceError

    try:
        ctx.obj.require()
    except WorkspaceError as exc:
        fail(exc)
    return session_factory(ctx.obj.database_url)()


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    return str(typer.prompt(t("users.password_characters_or_more"), hide_input=True,
                            confirmation_prompt=True))


def password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Whose password.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin",
        help=f"Read the password from stdin (else ${PASSWORD_ENV}, else a prompt).")] = False,
) -> None:
    """Set a user's password for the web app (argon2id); the user can then log in."""
    from sqlalchemy import select

    from tocsin.records.models import User
    from tocsin.web.auth import end_all_sessions, hash_password

    try:
        password_hash = hash_password(_read_password(password_stdin))
    except ValueError as exc:
        fail(exc)
    with _session(ctx) as db:
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            fail(t("users.no_user_add_it", username=username))
        user.password_hash = password_hash
        end_all_sessions(db, user.id)
        db.commit()
    out.print(t("users.password_set_for_their", username=username))


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
            fail(t("users.no_user", username=username))
        if revoke:
            out.print(t("users.revoked_token_s_named",
                        revoke_api_tokens=revoke_api_tokens(db, user.id, name), name=name))
            return
        typer.echo(create_api_token(db, user.id, name))
