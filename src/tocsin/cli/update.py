"""`tocsin update [--every 1h]`: sync, rebuild what is stale, alerts, forecast, brief."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tocsin.cli.common import err, fail, local_only, out, print_json, t, told
from tocsin.cli.sync import REPLAY_HELP, show_outcomes
from tocsin.workspace import Workspace, WorkspaceError


def update(
    ctx: typer.Context,
    sources: Annotated[list[str] | None, typer.Argument(
        help="Sources to sync (default: every enabled one).", show_default=False)] = None,
    every: Annotated[str | None, typer.Option(help="Keep going: run again this often (30m, 1h, "
                                                   "1d), until stopped.")] = None,
    sync: Annotated[bool, typer.Option(help="Sync the sources first (--no-sync: only rebuild).")] = True,
    force: Annotated[bool, typer.Option(help="Rebuild every job, stale or not.")] = False,
    replay: Annotated[Path | None, typer.Option(help=REPLAY_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print each run's record as JSON.")] = False,
) -> None:
    """Bring the workspace up to date: pull every source, rebuild only what that changed
    (gazetteer, event links, burnings, forecasts), record and deliver new alerts, write the
    day's brief. Each run is recorded in runs.jsonl; one run at a time."""
    from tocsin.jobs.runner import every as repeat
    from tocsin.jobs.runner import parse_interval

    local_only("update")
    workspace: Workspace = ctx.obj
    if every is not None:
        try:
            interval = parse_interval(every)
        except ValueError as exc:
            from tocsin.i18n import said_of

            raise typer.BadParameter(told(said_of(exc)), param_hint="--every") from None
        from tocsin.report.pdf_workers import kept_between_runs

        out.print(t("update.updating_every_ctrl_c", home=workspace.home, every=every))
        try:
            with kept_between_runs():   # the brief's renderers stay warm from one run to the next
                repeat(interval, lambda: _once(workspace, sources, sync, force, replay, as_json,
                                               keep_going=True))
        except KeyboardInterrupt:
            out.print(t("update.stopped"))
        return
    run = _once(workspace, sources, sync, force, replay, as_json, keep_going=False)
    if run is None or run.status != "ok":
        raise typer.Exit(1)


def _once(workspace: Workspace, sources: list[str] | None, sync: bool, force: bool,
          replay: Path | None, as_json: bool, keep_going: bool) -> Any:
    from tocsin.i18n import said_of
    from tocsin.jobs.runner import update as run_update

    say = None if as_json else (lambda s: err.print(f"[dim]{escape(told(s))}[/]"))
    try:
        run = run_update(workspace, sources=sources, sync=sync, replay=replay, force=force, say=say)
    except WorkspaceError as exc:
        if keep_going:  # a timer's run that finds one still going waits for the next turn
            err.print(t("update.skipping_this_turn", exc=escape(told(said_of(exc)))))
            return None
        fail(exc)
    except Exception as exc:
        if not keep_going:
            raise
        err.print(t("update.update_failed_recorded_next", exc=escape(str(exc))))
        return None
    if as_json:
        print_json(run.to_json())
    else:
        show_run(run)
    return run


def show_run(run: Any) -> None:
    from tocsin.sync.base import SyncOutcome

    show_outcomes([SyncOutcome(**{k: v for k, v in s.items() if k != "ok"}) for s in run.sync])
    jobs = run.jobs
    if jobs.get("ran"):
        out.print(t("update.rebuilt") + ", ".join(f"{n} ({s:.1f} s)" for n, s in jobs["ran"].items()))
    if jobs.get("skipped"):
        out.print(t("update.up_date") + ", ".join(jobs["skipped"]))
    for name, error in jobs.get("failed", {}).items():
        err.print(t("update.failed", name=escape(name), error=escape(error)))
    if jobs.get("blocked"):
        err.print(t("update.not_rebuilt_input_failed", blocked=', '.join(jobs['blocked'])))
    for note in jobs.get("notes", []):
        out.print(f"  {escape(told(note))}")
    from tocsin.cli.status import RUN_STATUS

    out.print(t("update.update_utc", status=t(RUN_STATUS.get(run.status, "status.run_failed")),
                started_at=run.started_at[:19],
                what=(run.finished_at or '')[11:19]))
