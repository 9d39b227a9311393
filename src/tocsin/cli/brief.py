"""`tocsin brief`: write the situation report (HTML and PDF) for one day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from tocsin.cli.common import chosen_language, fail, out, parse_day, print_json, t
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
    digits: Annotated[str | None, typer.Option(
        "--digits", help="western (0-9) or arabic-indic (٠-٩) in the Arabic edition (default: the "
        "organisation's choice, `tocsin orgs digits`; else western).", show_default=False)] = None,
    asks_file: Annotated[Path | None, typer.Option(
        "--asks-file", help="A short UTF-8 text of the organisation's asks, printed on page one "
        "(kept for this brief's day and language when --org is given).", show_default=False)] = None,
    org: Annotated[str | None, typer.Option(
        "--org", help="The organisation writing the brief: its digits and its asks for the day.",
        show_default=False)] = None,
) -> None:
    """Write brief-DATE-LANG.html and .pdf: findings, map, siege board, risk, burnings, violence
    against civilians, what changed, and the sources' coverage and blind spots."""
    from tocsin.arabic import DIGIT_STYLES
    from tocsin.i18n import Catalogue
    from tocsin.records.accounts import RecordError
    from tocsin.report.brief import LANGUAGES, BriefError, latest_date, write_brief
    from tocsin.report.preferences import MAX_ASKS_CHARS

    workspace: Workspace = ctx.obj
    if lang not in LANGUAGES:
        fail(t("brief.bad_lang", lang=lang, languages=" or ".join(LANGUAGES)), code=2)
    style = digits.replace("-", "_") if digits is not None else None
    # Messages in the language the user chose for them, else in the brief's own language.
    say = t if chosen_language() else Catalogue("cli", lang, style if style in DIGIT_STYLES else "western")
    if style is not None and style not in DIGIT_STYLES:
        fail(say("brief.bad_digits", value=digits), code=2)
    asks = None
    if asks_file is not None:
        try:
            asks = asks_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            fail(say("brief.bad_asks", file=asks_file, error=exc))
        if len(asks) > MAX_ASKS_CHARS:  # checked before anything is stored or written
            fail(say("brief.long_asks", file=asks_file, count=len(asks), limit=MAX_ASKS_CHARS))
    try:
        workspace.require()
        day = parse_day(as_of, "--as-of") or latest_date(workspace)
        if day is None:
            fail(say("brief.no_dated_data"))
        if org is not None:
            style, asks = _organisation_choices(workspace, org, day, lang, style, asks)
        files = write_brief(workspace, day, lang, out_dir, days=days, digits=style or "western",
                            asks=asks)
    except (BriefError, WorkspaceError, OSError, RecordError) as exc:
        fail(exc)
    if as_json:
        import json

        print_json(json.loads(files.data.read_text()))
        return
    out.print(say("brief.written", day=day, pdf=files.pdf, html=files.html))


def _organisation_choices(workspace: Workspace, org: str, day: dt.date, lang: str,
                          style: str | None, asks: str | None) -> tuple[str | None, str | None]:
    """The organisation's digits (unless --digits chose) and its asks for the day: the asks
    given now are kept first, so that the next brief of that day says the same."""
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.records.accounts import RecordError
    from tocsin.report.preferences import brief_preferences, save_asks

    try:
        if asks is not None:
            save_asks(workspace.database_url, org, day, lang, asks)
        digits, stored = brief_preferences(workspace.database_url, org, day, lang)
    except SQLAlchemyError as exc:
        raise RecordError(t("brief.records_refused", error=str(exc).splitlines()[0])) from exc
    return style or digits, stored
