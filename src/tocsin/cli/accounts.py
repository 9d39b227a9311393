"""`tocsin orgs|users|incidents add|list`: the records the evidence commands act for and on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tocsin.cli.common import fail, out, place_for_record, print_json, print_table, t
from tocsin.workspace import Workspace, WorkspaceError

if TYPE_CHECKING:  # SQLAlchemy loads when a command opens the records, not at every `tocsin`
    from sqlalchemy.orm import Session

orgs = typer.Typer(no_args_is_help=True, help="Organisations of the coalition.")
users = typer.Typer(no_args_is_help=True, help="People who use Tocsin, each in one organisation.")
incidents = typer.Typer(no_args_is_help=True, help="Incidents: the cases evidence is linked to.")

AsJson = Annotated[bool, typer.Option("--json", help="Print as JSON.")]


@contextmanager
def records(workspace: Workspace) -> Iterator[Session]:
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.records.accounts import RecordError
    from tocsin.records.db import session_factory

    try:
        workspace.require()
        with session_factory(workspace.database_url)() as session, session.begin():
            yield session
    except (RecordError, WorkspaceError) as exc:
        fail(exc)
    except SQLAlchemyError as exc:
        fail(t("accounts.records_database_refused", splitlines=str(exc).splitlines()[0]))


@orgs.command("add")
def orgs_add(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Its name.")]) -> None:
    """Add an organisation."""
    from tocsin.records.accounts import add_organisation

    with records(ctx.obj) as session:
        org = add_organisation(session, name)
        out.print(t("accounts.added_organisation_id", name=org.name, id=org.id))


@orgs.command("digits")
def orgs_digits(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The organisation.")],
                style: Annotated[str, typer.Argument(help="western (0-9) or arabic-indic (٠-٩).")]) -> None:
    """Choose the digits of the organisation's Arabic briefs."""
    from tocsin.report.preferences import set_digits

    if style.replace("-", "_") not in ("western", "arabic_indic"):
        fail(t("accounts.not_digit_style_choose", style=style), code=2)
    workspace: Workspace = ctx.obj
    with records(workspace):
        pass  # the workspace and its database exist (a clear error otherwise)
    from tocsin.records.accounts import RecordError

    try:
        set_digits(workspace.database_url, name, style.replace("-", "_"))
    except RecordError as exc:
        fail(exc)
    out.print(t("accounts.digits_its_arabic_briefs", name=name, style=style))


@orgs.command("list")
def orgs_list(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List organisations."""
    from sqlalchemy import select

    from tocsin.records.accounts import describe
    from tocsin.records.models import Organisation

    with records(ctx.obj) as session:
        rows = [describe(o) for o in session.scalars(select(Organisation).order_by(Organisation.id))]
    if as_json:
        print_json(rows)
        return
    table = Table(t("accounts.id"), t("accounts.name"), title=t("accounts.organisations"))
    for row in rows:
        table.add_row(str(row["id"]), row["name"])
    print_table(table)


@users.command("add")
def users_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Log-in name.")],
    org: Annotated[str, typer.Option("--org", help="Organisation name.")],
    role: Annotated[str, typer.Option(help="admin, analyst, monitor or viewer.")] = "viewer",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    language: Annotated[str, typer.Option(help="en or ar.")] = "en",
) -> None:
    """Add a user to an organisation."""
    from tocsin.records.accounts import add_user

    with records(ctx.obj) as session:
        user = add_user(session, username, org, role, name, language)
        out.print(t("accounts.added", username=user.username, role=user.role, org=org))


@users.command("list")
def users_list(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List users."""
    from sqlalchemy import select

    from tocsin.records.accounts import describe
    from tocsin.records.models import User

    with records(ctx.obj) as session:
        rows = [describe(u) for u in session.scalars(select(User).order_by(User.id))]
    if as_json:
        print_json(rows)
        return
    table = Table(t("accounts.id"), t("accounts.user"), t("accounts.organisation"), t("accounts.role"),
                  title=t("accounts.users"))
    for row in rows:
        table.add_row(str(row["id"]), row["username"], str(row["organisation_id"]), row["role"])
    print_table(table)


@incidents.command("add")
def incidents_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="Short title.")],
    category: Annotated[str, typer.Option(help="A taxonomy category, e.g. attack_on_civilians.")],
    occurred_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    occurred_to: Annotated[str | None, typer.Option("--to", help="Last day, if known.")] = None,
    place: Annotated[str | None, typer.Option(help="Where: a gazetteer place id, or the place's name "
                                                   "as the gazetteer knows it.")] = None,
    description: Annotated[str | None, typer.Option(help="What happened.")] = None,
    as_user: Annotated[str | None, typer.Option("--as", envvar="TOCSIN_USER",
                                                help="Acting user.")] = None,
) -> None:
    """Open an incident (owned by the acting user's organisation)."""
    from tocsin.records.accounts import add_incident

    if not as_user:
        fail(t("accounts.say_who_acting_as"))
    try:
        start = dt.date.fromisoformat(occurred_from)
        end = dt.date.fromisoformat(occurred_to) if occurred_to else None
    except ValueError as exc:
        fail(t("accounts.from_expected_date_yyyy", exc=exc))
    place_id = str(place_for_record(ctx.obj, place)["place_id"]) if place else None
    with records(ctx.obj) as session:
        incident = add_incident(session, username=as_user, title=title, category=category,
                                occurred_from=start, occurred_to=end, place_id=place_id,
                                description=description)
        out.print(t("accounts.opened_incident", id=incident.id, title=incident.title))


@incidents.command("list")
def incidents_list(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List incidents."""
    from sqlalchemy import select

    from tocsin.records.accounts import describe
    from tocsin.records.models import Incident

    with records(ctx.obj) as session:
        rows = [describe(i) for i in session.scalars(select(Incident).order_by(Incident.id))]
    if as_json:
        print_json(rows)
        return
    table = Table(t("accounts.id"), t("accounts.title"), t("accounts.category"), t("accounts.from"),
                  t("accounts.status"), title=t("accounts.incidents"))
    for row in rows:
        table.add_row(str(row["id"]), row["title"], row["category"], str(row["occurred_from"]),
                      row["status"])
    print_table(table)
