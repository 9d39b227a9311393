"""`tocsin brief`: write the situation report (HTML and PDF) for one day."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tocsin.cli.common import fail, out, parse_day, print_json
from tocsin.workspace import Workspace, WorkspaceError


def brief(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Day of the brief, YYYY-MM-DD (default: the workspace's latest data).",
        show_default=False)] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or ar (Arabic, right to left).")] = "en",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the brief into.")] = Path("briefs"),
    days: Annotated[int, typer.Option("--days", help="Length of the period the brief covers.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print the brief's numbers as JSON.")] = False,
) -> None:
    """Write brief-DATE-LANG.html and .pdf: findings, map, siege board, risk, burnings, violence
    against civilians, what changed, and the sources' coverage and blind spots."""
    from tocsin.report.brief import LANGUAGES, BriefError, latest_date, write_brief

    workspace: Workspace = ctx.obj
    if lang not in LANGUAGES:
        fail(f"--lang {lang!r} is not a language of the brief: choose {' or '.join(LANGUAGES)}", code=2)
    try:
        workspace.require()
        day = parse_day(as_of, "--as-of") or latest_date(workspace)
        if day is None:
            fail("the workspace holds no dated events or fire detections: ingest some, or give --as-of")
        files = write_brief(workspace, day, lang, out_dir, days=days)
    except (BriefError, WorkspaceError, OSError) as exc:
        fail(str(exc))
    if as_json:
        import json

        print_json(json.loads(files.data.read_text()))
        return
    out.print(f"Brief for {day} ({lang}):\n  {files.pdf}\n  {files.html}")
