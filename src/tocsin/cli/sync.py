"""`tocsin sync [SOURCE...] [--since D] [--json]`: pull what publishers have that is new."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tocsin.cli.common import err, fail, out, parse_day, print_json, t, told
from tocsin.i18n import said_of
from tocsin.workspace import Workspace, WorkspaceError

REPLAY_HELP = ("Answer from recorded replies in this folder instead of the network (the demo "
               "uses data/sample/replay); credentials are then the replay's own.")


def sync(
    ctx: typer.Context,
    sources: Annotated[list[str] | None, typer.Argument(
        help="Sources to pull (default: every enabled one): acled ucdp firms hapi ioda.",
        show_default=False)] = None,
    since: Annotated[str | None, typer.Option(help="Pull from this day YYYY-MM-DD whatever the "
                                                   "bookmark says.")] = None,
    replay: Annotated[Path | None, typer.Option(help=REPLAY_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Pull each source's new rows from its publisher's API into the lake, through the same
    checks as files. Each source resumes where its last committed batch ended; one failing
    source does not stop the others (exit 1 when any failed). `tocsin sync kobo ...` and
    `tocsin sync odk ...` fetch field reports instead (see `tocsin sync kobo --help`)."""
    from tocsin.sync.http import SyncError

    words = [*(sources or []), *ctx.args]
    if words and words[0] in FIELD_TOOLS:
        _field_tool_sync(ctx, words + (["--json"] if as_json else []))
        return
    if ctx.args:
        raise typer.BadParameter(t("sync.unexpected", args=' '.join(ctx.args)), param_hint="SOURCE")

    day = parse_day(since, "--since")
    workspace: Workspace = ctx.obj
    try:
        outcomes = run_sync(workspace, sources or None, day, replay,
                            say=None if as_json else lambda s: err.print(f"[dim]{escape(told(s))}[/]"))
    except (SyncError, WorkspaceError) as exc:
        fail(exc)
    if as_json:
        print_json([o.to_json() for o in outcomes])
    else:
        show_outcomes(outcomes)
    if any(not o.ok for o in outcomes):
        raise typer.Exit(1)


FIELD_TOOLS = ("kobo", "odk")


def _field_tool_sync(ctx: typer.Context, argv: list[str]) -> None:
    """Hand `sync kobo|odk ...` to the field intake's commands: they feed the records database
    and the evidence locker, not the lake, and take their own options (server, form, token)."""
    from tocsin.cli.intake import sync as field_sync

    command = typer.main.get_command(field_sync)
    command.main(args=argv, prog_name="tocsin sync", obj=ctx.obj, standalone_mode=True)


def run_sync(workspace: Workspace, names: list[str] | None, since: Any = None,
             replay: Path | None = None, say: Any = None, scheduled: bool = False) -> list[Any]:
    """Sync the named (or every enabled) source; each one's failure is its outcome's error.
    ``scheduled`` (`tocsin update` without names): only the sources whose ``schedule`` has come
    round since their last complete pull, and only those with credentials (the others are
    skipped with a note, not failed: a source nobody configured is not an outage)."""
    from tocsin.sync.base import SyncOutcome, all_connectors, load_settings, make_connector, sync_source
    from tocsin.sync.http import SyncError

    settings = load_settings(workspace)
    known = all_connectors()
    chosen = names or [n for n in known if settings.get(n, {}).get("enabled", True)]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise typer.BadParameter(t("sync.unknown_source_s_known", unknown=', '.join(unknown),
                                   known=', '.join(known)), param_hint="SOURCE")
    transport, credentials = None, None
    if replay is not None:
        from tocsin.sync.replay import DEMO_CREDENTIALS, ReplayPublisher, ReplayTransport

        if not replay.is_dir():
            raise typer.BadParameter(t("sync.not_folder_recorded_replies", replay=replay),
                                     param_hint="--replay")
        transport = ReplayTransport(ReplayPublisher(replay))
        credentials = DEMO_CREDENTIALS
    outcomes = []
    for name in chosen:
        try:
            connector = make_connector(name, workspace, transport, settings=settings.get(name, {}),
                                       credentials=credentials.get(name, {}) if credentials else None)
            if scheduled and names is None:
                skip = _not_due(workspace, connector)
                if skip:
                    if say:
                        say(f"{name}: {skip}")
                    continue
            outcomes.append(sync_source(workspace, connector, since, say))
        except SyncError as exc:
            outcomes.append(SyncOutcome(name, error=said_of(exc)))
    return outcomes


def show_outcomes(outcomes: list[Any]) -> None:
    for o in outcomes:
        if o.ok:
            line = (t("sync.rows_in_batches", source=o.source, rows=o.rows_added, batches=o.batches)
                    + (t("sync.withdrawn", withdrawn=o.withdrawn) if o.withdrawn else "")
                    + t("sync.requests", requests=o.requests))
            out.print(escape(line))
        else:
            err.print(t("sync.failed", source=escape(o.source), what=escape(told(o.error or '')))
                      + (t("sync.kept_rows_committed_before", rows_added=o.rows_added)
                         if o.rows_added else ""))
        for note in o.notes:
            err.print(f"[yellow]  {escape(told(note))}[/]")


def _not_due(workspace: Workspace, connector: Any) -> str | None:
    """Why a scheduled run skips this source (None: it is due)."""
    from datetime import UTC, datetime

    from tocsin.jobs.runner import parse_interval
    from tocsin.lake import Lake
    from tocsin.sync.base import env_name

    missing = connector.missing_credentials()
    if missing:
        return t("sync.not_configured", names=", ".join(env_name(connector.name, m) for m in missing))
    last = Lake(workspace.lake_dir).bookmarks().get(connector.name, {}).get("synced_at") \
        if workspace.exists() else None
    schedule = connector.settings.get("schedule")
    if not last or not schedule:
        return None
    age = (datetime.now(UTC) - datetime.fromisoformat(last)).total_seconds()
    # Five minutes' grace: an hourly timer must not skip a source synced 59 minutes ago.
    if age + 300 < parse_interval(str(schedule)):
        return t("sync.not_due", minutes=round(age / 60), schedule=schedule)
    return None
