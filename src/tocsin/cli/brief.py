"""`tocsin brief`: write the situation report (HTML and PDF) for one day."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tocsin.cli.common import fail, out, parse_day, print_json
from tocsin.workspace import Workspace, WorkspaceError

MAX_ASKS_CHARS = 1500  # a short text: page one must still fit one page


def brief(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Day of the brief, YYYY-MM-DD (default: the workspace's latest data).",
        show_default=False)] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or ar (Arabic, right to left).")] = "en",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the brief into.")] = Path("briefs"),
    days: Annotated[int, typer.Option("--days", help="Length of the period the brief covers.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print the brief's numbers as JSON.")] = False,
    digits: Annotated[str, typer.Option(
        "--digits", help="western (0-9) or arabic-indic (٠-٩): the organisation's choice for the "
        "Arabic edition.")] = "western",
    asks_file: Annotated[Path | None, typer.Option(
        "--asks-file", help="A short UTF-8 text of the organisation's asks, printed on page one.",
        show_default=False)] = None,
) -> None:
    """Write brief-DATE-LANG.html and .pdf: findings, map, siege board, risk, burnings, violence
    against civilians, what changed, and the sources' coverage and blind spots."""
    from tocsin.arabic import DIGIT_STYLES
    from tocsin.report.brief import LANGUAGES, BriefError, latest_date, write_brief
    from tocsin.report.words import strings

    workspace: Workspace = ctx.obj
    if lang not in LANGUAGES:
        fail(f"--lang {lang!r} is not a language of the brief: choose {' or '.join(LANGUAGES)}", code=2)
    style = digits.replace("-", "_")
    if style not in DIGIT_STYLES:
        fail(strings(lang)["cli_bad_digits"].format(value=digits), code=2)
    asks = None
    if asks_file is not None:
        try:
            asks = asks_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            fail(strings(lang)["cli_bad_asks"].format(file=asks_file, error=exc))
        if len(asks) > MAX_ASKS_CHARS:
            fail(strings(lang)["cli_long_asks"].format(file=asks_file, count=len(asks),
                                                       limit=MAX_ASKS_CHARS))
    try:
        workspace.require()
        day = parse_day(as_of, "--as-of") or latest_date(workspace)
        if day is None:
            fail("the workspace holds no dated events or fire detections: ingest some, or give --as-of")
        files = write_brief(workspace, day, lang, out_dir, days=days, digits=style, asks=asks)
    except (BriefError, WorkspaceError, OSError) as exc:
        fail(str(exc))
    if as_json:
        import json

        print_json(json.loads(files.data.read_text()))
        return
    out.print(strings(lang)["cli_written"].format(day=day, pdf=files.pdf, html=files.html))
