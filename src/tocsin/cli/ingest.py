"""`tocsin ingest KIND PATH... [--strict]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tocsin.cli.common import err, fail, messages, out, print_json, t
from tocsin.i18n import Listed
from tocsin.ingest import ingest_paths
from tocsin.sources.registry import ADAPTERS
from tocsin.workspace import WorkspaceError

KINDS_HELP = "KIND is one of: " + "; ".join(f"{k} ({a.about})" for k, a in ADAPTERS.items())


def ingest(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="What the files are: " + ", ".join(ADAPTERS),
                                        show_default=False)],
    paths: Annotated[list[Path], typer.Argument(help="Files to ingest.", show_default=False)],
    strict: Annotated[bool, typer.Option(help="Refuse a file with any bad row.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Ingest publishers' files into the workspace, each file whole or not at all.

    Re-ingesting a file adds nothing; rows the lake already holds are skipped.

    Bad rows are quarantined to a rejects file; with --strict the file is refused.

    A file that cannot be read as KIND is refused, naming the line and column at fault.
    """
    if kind not in ADAPTERS:
        raise typer.BadParameter(t("ingest.unknown_kind", kind=kind, kinds_help=KINDS_HELP),
                                 param_hint="KIND")
    workspace = ctx.obj
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True, disable=as_json or not err.is_terminal) as progress:
        task = progress.add_task(t("ingest.starting"))

        def step(what: str) -> None:
            progress.update(task, description=escape(what))

        try:
            outcome = ingest_paths(workspace, kind, paths, strict=strict, step=step)
        except WorkspaceError as exc:
            fail(exc)
    if as_json:
        print_json({"results": [r.to_json() for r in outcome.results],
                    "errors": [{"file": f, "error": e.render(limit=50)}
                               for f, e in outcome.errors],
                    "rebuilt": outcome.rebuilt})
    else:
        for result in outcome.results:
            if result.already_ingested:
                out.print(t("ingest.already_ingested_batch_rows", file=escape(result.file),
                            batch_id=result.batch_id))
                continue
            line = t("ingest.rows_added", file=escape(result.file), rows=result.rows_added,
                     table=result.table)
            if result.duplicates:
                line += t("ingest.already_held", duplicates=result.duplicates)
            out.print(line)
            if result.rejected:
                err.print(t("ingest.bad_rows_quarantined", file=escape(result.file),
                            rejected=result.rejected, rejects_file=escape(str(result.rejects_file))))
                for problem in result.problems[:3]:
                    err.print("  " + escape(problem.told(messages())))
        for file, error in outcome.errors:
            err.print(t("ingest.error", render=escape(error.told(messages()))))
            err.print(t("ingest.nothing_was_written", file=escape(file)))
        if outcome.rebuilt:
            out.print(t("ingest.rebuilt") + Listed(outcome.rebuilt).told(messages()))
    if outcome.errors:
        raise typer.Exit(1)


