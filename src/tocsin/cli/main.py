"""The `tocsin` command. One module per command group; this one holds the app and the globals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tocsin.cli import accountability as accountability_cli
from tocsin.cli import accounts as accounts_cli
from tocsin.cli import alerts as alerts_cli
from tocsin.cli import brief as brief_cli
from tocsin.cli import detect as detect_cli
from tocsin.cli import evidence as evidence_cli
from tocsin.cli import forecast as forecast_cli
from tocsin.cli import ingest as ingest_cli
from tocsin.cli import intake as intake_cli
from tocsin.cli import keys as keys_cli
from tocsin.cli import places as places_cli
from tocsin.cli import serve as serve_cli
from tocsin.cli import siege as siege_cli
from tocsin.cli import status as status_cli  # each command imports its heavy modules itself
from tocsin.cli import sync as sync_cli
from tocsin.cli import update as update_cli
from tocsin.cli import users as users_cli
from tocsin.cli.common import choose_language, fail, out, t
from tocsin.engine import choice as engine_choice
from tocsin.workspace import Workspace, WorkspaceError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Tocsin: see mass atrocities coming, and document them so they can be named, stopped "
         "and prosecuted.",
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(
        "--home", envvar="TOCSIN_HOME", help="Workspace folder (default ./tocsin-data).",
        show_default=False)] = None,
    engine: Annotated[str, typer.Option(
        "--engine", envvar="TOCSIN_ENGINE",
        help="Where analyses that can be split run: local (this process) or spark.")] = "local",
    spark_master: Annotated[str | None, typer.Option(
        "--spark-master", envvar="TOCSIN_SPARK_MASTER",
        help="Spark master URL with --engine spark (default local[2]).",
        show_default=False)] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", envvar="TOCSIN_LANG",
        help="Language of the messages: en or ar (default: the locale, else en). Arabic uses the "
             "organisation's digits (TOCSIN_DIGITS, or TOCSIN_ORG's choice).",
        show_default=False)] = None,
) -> None:
    from tocsin.i18n import LANGUAGES

    if lang is not None and lang not in LANGUAGES:
        raise typer.BadParameter(t('main.choose', lang=lang, languages=' or '.join(LANGUAGES)),
                                 param_hint="--lang")
    workspace = Workspace.at(home)
    choose_language(lang, workspace=workspace)
    try:
        engine_choice.choose(engine, spark_master)
    except engine_choice.EngineChoiceError as exc:
        fail(exc)
    ctx.obj = workspace


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the workspace: the lake, the rejects folder and the records database."""
    workspace: Workspace = ctx.obj
    try:
        created = workspace.init()
    except (WorkspaceError, OSError) as exc:
        fail(t("main.cannot_create_workspace_at", home=workspace.home, exc=exc))
    out.print(t("main.created" if created else "main.checked", home=workspace.home))


app.command("ingest")(ingest_cli.ingest)
app.command("status")(status_cli.status)
# `tocsin sync kobo|odk ...` goes on to the field tools' commands (cli/intake.py).
app.command("sync", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    sync_cli.sync)
app.command("update")(update_cli.update)
app.add_typer(places_cli.app, name="places")
app.command("serve")(serve_cli.serve)
app.add_typer(siege_cli.app, name="siege")
app.add_typer(alerts_cli.app, name="alerts")
app.command("brief")(brief_cli.brief)
app.add_typer(detect_cli.app, name="detect")
app.add_typer(detect_cli.eval_app, name="eval")
app.add_typer(evidence_cli.app, name="evidence")
app.add_typer(keys_cli.app, name="keys")
app.add_typer(accounts_cli.orgs, name="orgs")
app.add_typer(accounts_cli.users, name="users")
accounts_cli.users.command("password")(users_cli.password)  # the web app's log-in
accounts_cli.users.command("token")(users_cli.token)
app.add_typer(accounts_cli.incidents, name="incidents")
app.command("forecast")(forecast_cli.forecast)
app.command("backtest")(forecast_cli.backtest)
app.command("compare")(forecast_cli.compare)
app.add_typer(accountability_cli.legal, name="legal")
app.add_typer(accountability_cli.actors, name="actors")
app.add_typer(accountability_cli.sanctions, name="sanctions")
app.command("dossier")(accountability_cli.dossier)
app.add_typer(intake_cli.forms, name="forms")
app.add_typer(intake_cli.app, name="intake")


@app.command()
def demo(
    ctx: typer.Context,
    sample: Annotated[Path | None, typer.Option(
        help="Folder of sample files (default: the bundled data/sample).")] = None,
) -> None:
    """Run the whole pipeline on the bundled Darfur sample, in a fresh workspace."""
    from tocsin.cli.demo import run_demo

    run_demo(ctx.obj, sample)


if __name__ == "__main__":
    app()
