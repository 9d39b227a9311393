"""`tocsin sync [SOURCE...] [--since D] [--json]`: pull what publishers have that is new."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tocsin.cli.common import err, fail, out, parse_day, print_json
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
    source does not stop the others (exit 1 when any failed)."""
    from tocsin.sync.http import SyncError

    day = parse_day(since, "--since")
    workspace: Workspace = ctx.obj
    try:
        outcomes = run_sync(workspace, sources or None, day, replay,
                            say=None if as_json else lambda s: err.print(f"[dim]{escape(s)}[/]"))
    except (SyncError, WorkspaceError) as exc:
        fail(str(exc))
    if as_json:
        print_json([o.to_json() for o in outcomes])
    else:
        show_outcomes(outcomes)
    if any(not o.ok for o in outcomes):
        raise typer.Exit(1)


def run_sync(workspace: Workspace, names: list[str] | None, since: Any = None,
             replay: Path | None = None, say: Any = None) -> list[Any]:
    """Sync the named (or every enabled) source; each one's failure is its outcome's error."""
    from tocsin.sync.base import SyncOutcome, all_connectors, load_settings, make_connector, sync_source
    from tocsin.sync.http import SyncError

    settings = load_settings(workspace)
    known = all_connectors()
    chosen = names or [n for n in known if settings.get(n, {}).get("enabled", True)]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise typer.BadParameter(f"unknown source(s) {', '.join(unknown)}; known: "
                                 f"{', '.join(known)}", param_hint="SOURCE")
    transport, credentials = None, None
    if replay is not None:
        from tocsin.sync.replay import DEMO_CREDENTIALS, ReplayPublisher, ReplayTransport

        if not replay.is_dir():
            raise typer.BadParameter(f"{replay} is not a folder of recorded replies",
                                     param_hint="--replay")
        transport = ReplayTransport(ReplayPublisher(replay))
        credentials = DEMO_CREDENTIALS
    outcomes = []
    for name in chosen:
        try:
            connector = make_connector(name, workspace, transport, settings=settings.get(name, {}),
                                       credentials=credentials.get(name, {}) if credentials else None)
            outcomes.append(sync_source(workspace, connector, since, say))
        except SyncError as exc:
            outcomes.append(SyncOutcome(name, error=str(exc)))
    return outcomes


def show_outcomes(outcomes: list[Any]) -> None:
    for o in outcomes:
        if o.ok:
            line = (f"{o.source}: {o.rows_added:,} rows in {o.batches} batch(es)"
                    + (f", {o.withdrawn:,} withdrawn" if o.withdrawn else "")
                    + f" ({o.requests} request(s))")
            out.print(escape(line))
        else:
            err.print(f"[bold red]{escape(o.source)} failed:[/] {escape(o.error or '')}"
                      + (f" (kept {o.rows_added:,} rows committed before)" if o.rows_added else ""))
        for note in o.notes:
            err.print(f"[yellow]  {escape(note)}[/]")
