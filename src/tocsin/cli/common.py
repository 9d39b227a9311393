"""What every command shares: consoles, the words in the user's language, failing with the
contract's exit codes, JSON output."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from functools import cache
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


# The language of every message: `tocsin --lang`, else TOCSIN_LANG, else the locale (LC_ALL,
# LC_MESSAGES, LANG: "ar_SD.UTF-8" is Arabic), else English. Its digits: TOCSIN_DIGITS, else the
# choice of the organisation TOCSIN_ORG names, or of the workspace's only organisation.
_choice: dict[str, Any] = {"language": None, "digits": None, "workspace": None}


def choose_language(language: str | None, digits: str | None = None, workspace: Any = None) -> None:
    """Set the messages' language (tocsin's global --lang) and, for Arabic, how to find its digits."""
    from tocsin.i18n import check_language

    if language is not None:
        check_language(language)
    _choice.update(language=language, digits=digits, workspace=workspace)
    messages.cache_clear()
    _lay_out_right_to_left(language_of_messages() == "ar")


def chosen_language() -> str | None:
    """The language the user chose for messages, or None when nothing says (English then)."""
    from tocsin.i18n import LANGUAGES

    chosen = _choice["language"] or os.environ.get("TOCSIN_LANG", "").strip().lower()
    if chosen in LANGUAGES:
        return str(chosen)
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        code = os.environ.get(variable, "")
        if code:
            return "ar" if code.lower().startswith("ar") else None
    return None


def language_of_messages() -> str:
    from tocsin.i18n import DEFAULT_LANGUAGE

    return chosen_language() or DEFAULT_LANGUAGE


def _digits() -> str:
    from tocsin.arabic import DEFAULT_DIGITS, DIGIT_STYLES

    chosen = (_choice["digits"] or os.environ.get("TOCSIN_DIGITS", "")).replace("-", "_")
    if chosen in DIGIT_STYLES:
        return str(chosen)
    workspace = _choice["workspace"]
    return organisation_digits(workspace, os.environ.get("TOCSIN_ORG")) if workspace else DEFAULT_DIGITS


def organisation_digits(workspace: Any, organisation: str | None) -> str:
    """The digits an organisation chose (`tocsin orgs digits`): the one named, else the
    workspace's only one; western when there is none, or no records database to ask (a
    message never fails for want of its digits, and never creates the database)."""
    from tocsin.arabic import DEFAULT_DIGITS

    url = workspace.database_url
    if url.startswith("sqlite:///") and not os.path.exists(url.removeprefix("sqlite:///")):
        return DEFAULT_DIGITS
    try:
        from sqlalchemy import select
        from sqlalchemy.exc import SQLAlchemyError

        from tocsin.records.db import session_factory
        from tocsin.records.models import Organisation

        with session_factory(url)() as session:
            query = select(Organisation.digits)
            query = query.where(Organisation.name == organisation) if organisation else query.limit(2)
            found = session.scalars(query).all()
    except (SQLAlchemyError, OSError, ImportError):
        return DEFAULT_DIGITS
    return str(found[0]) if len(found) == 1 else DEFAULT_DIGITS


@cache
def messages() -> Any:
    """The command line's catalogue in the messages' language and digits."""
    from tocsin.i18n import Catalogue

    language = language_of_messages()
    return Catalogue("cli", language, _digits() if language == "ar" else "western")


def t(key: str, **values: Any) -> str:
    """A message from the command line's catalogue (src/tocsin/cli/i18n) in the chosen language,
    numbers and dates shaped for it. Values are data: a caller escapes markup-like text."""
    return str(messages()(key, **values))


def t_count(key: str, number: int, /, **values: Any) -> str:
    """``t`` for a message about ``number`` things: its ``_one`` form for one."""
    return str(messages().count(key, number, **values))


def web_words() -> Any:
    """The web app's translator in the messages' language and digits: its translations of what
    the analyses write in English (siege evidence, burnings' reasons) serve the terminal too."""
    from tocsin.web.i18n import Translator

    return Translator(language_of_messages(), _digits())


def match_words(how: str) -> str:
    """How a name matched (exact, same-sound, similar: places.search) in the messages' language."""
    key = {"exact": "places.match_exact", "same-sound": "places.match_same_sound",
           "similar": "places.match_similar"}.get(how)
    return t(key) if key else how


def term(kind: str, name: str | None) -> str:
    """A word of a closed vocabulary (kind "stage", "signal", "place_class", "confidence") in the
    messages' language: the web catalogue's names, shared so that each exists once; English
    shows the name itself ("cut off"), as tables always did."""
    from tocsin.i18n import load

    if not name:
        return ""
    words = load("web", language_of_messages())
    if language_of_messages() == "ar" and f"{kind}_{name}" in words:
        return str(words[f"{kind}_{name}"])
    return name.replace("_", " ")


def named(name: str | None, name_ar: str | None = None, actor: bool = False) -> str:
    """A place (or, with ``actor``, an armed actor) by its name in the messages' language: in
    Arabic the sources' Arabic name or a marked transliteration (tocsin.arabic's rule), an
    actor's from report/actors.yaml; in English a marked romanisation of a name sources give in
    Arabic only."""
    from tocsin.arabic import place_name

    if language_of_messages() != "ar":
        if actor or not name:
            return name or ""
        return place_name(name, name_ar, "en")   # romanised when a source names it in Arabic only
    if actor:
        from tocsin.report.words import actor_names

        return actor_names().get(name or "", name or "")
    return place_name(name, name_ar, "ar")


def data_gap(coverage: list[Any], as_of: Any) -> str | None:
    """``coverage.coverage_warning`` for the conflict events, in the messages' language (a
    command's --json keeps the English sentence); None when the events reach ``as_of``."""
    from tocsin.coverage import coverage_gap

    return gap_words(coverage_gap(coverage, as_of))


def gap_words(gap: dict[str, Any] | None) -> str | None:
    """A gap in the event data (``coverage.coverage_gap``'s parts) in the messages' language."""
    from tocsin.coverage import gap_said

    return None if gap is None else told(gap_said(gap))


def told(line: Any) -> str:
    """A line a job or connector said (``tocsin.i18n.Said``) in the messages' language; any other
    text as it is."""
    from tocsin.i18n import told as tell

    return str(tell(line, messages()))


def shown(value: Any) -> str:
    """A table cell's number or date in the messages' language: "1,696" and "2023-11-30" in
    English; the organisation's digits in an isolate, "30 نوفمبر 2023", in Arabic."""
    if value is None or value == "":
        return ""
    return str(messages().shape(value, "," if isinstance(value, int) else ""))


def _lay_out_right_to_left(arabic: bool) -> None:
    """Arabic on a terminal that cannot order it itself is written in visual order (cli/terminal);
    otherwise the consoles write to the process's own streams, as Rich does by default."""
    from tocsin.cli.terminal import VisualLines, mode_for

    for console, stream in ((out, sys.stdout), (err, sys.stderr)):
        if isinstance(console.file, VisualLines):
            console.file = None  # type: ignore[assignment]
        if arabic and mode_for(stream) == "visual":
            console.file = VisualLines(stream, width=console.width)


def fail(message: str | BaseException, code: int = 1) -> NoReturn:
    """Exit 1 (failure) with a message on stderr; usage errors are Typer's, with exit 2. An
    error raised with a ``Said`` (a workspace with no gazetteer yet) is told in the session's
    language."""
    if isinstance(message, BaseException):
        from tocsin.i18n import said_of

        message = said_of(message)
    message = told(message)
    if messages().dir == "rtl":  # a message from below the CLI, still in English, keeps its order
        from tocsin.arabic import isolate
        from tocsin.i18n import ARABIC_LETTER

        message = message if ARABIC_LETTER.search(message) else isolate(message)
    err.print(f"[bold red]{t('common.error')}[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def place_for_record(workspace: Any, place: str) -> dict[str, Any]:
    """The place a record (a fall, an incident) is written about: a place id the gazetteer
    holds, or a name it knows surely (places.lookup.place_to_record). An unknown place or a
    look-alike name exits 1 saying so, so that no record lands on the wrong town."""
    from tocsin.places.lookup import PlaceNotSure, place_to_record
    from tocsin.workspace import WorkspaceError

    try:
        match = place_to_record(workspace, place)
    except (WorkspaceError, PlaceNotSure) as exc:
        fail(exc)
    if match is None:
        fail(t("siege.no_place_matches_try", place=place))
    return match


def local_only(command: str) -> None:
    """A command with no Spark path refuses `--engine spark` (usage error, exit 2) rather than
    quietly running here."""
    from tocsin.engine.choice import EngineChoiceError, require_local

    try:
        require_local(command)
    except EngineChoiceError:
        fail(t("common.local_only", command=command), code=2)


# Below this width (or when the output is not a terminal: piped, redirected) a table is printed
# as one block of "column: value" lines per row, which stays readable where columns would wrap.
NARROW_COLUMNS = 100


def table_fits(table: Table, console: Console | None = None) -> bool:
    """Whether ``table`` reads as columns on ``console``: a terminal wide enough for it."""
    console = console or out
    if not console.is_terminal or console.width < NARROW_COLUMNS:
        return False
    return console.measure(table).maximum <= console.width


def print_table(table: Table, console: Console | None = None) -> None:
    """A Rich table as columns on a wide terminal; otherwise its narrow form: the title, then per
    row one "column: value" line per non-empty cell, rows separated by a blank line, then the
    caption (where warnings such as "the data ends D" stand)."""
    console = console or out
    if table_fits(table, console):
        if messages().dir == "rtl":  # mirrored whole on the way out: symmetric rules only
            from rich import box

            table.box = box.SIMPLE_HEAD
        console.print(table)
        return
    headers = [str(column.header) for column in table.columns]
    cells = [[_plain(cell) for cell in column.cells] for column in table.columns]
    lines = [str(table.title)] if table.title else []
    for row in range(table.row_count):
        if lines:
            lines.append("")
        lines += [f"{header}: {values[row]}" for header, values in zip(headers, cells, strict=True)
                  if values[row] != ""]
    if table.caption:
        lines += ["", _plain(table.caption)]
    # Printed as plain text: cells may hold markup-like text ([Janjaweed]) that is data.
    console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def _plain(cell: Any) -> str:
    """A table cell as the text a reader sees: its markup rendered away (cells are Rich markup,
    with data escaped), so the narrow form shows "fallen", not "[red]fallen[/]"."""
    from rich.errors import MarkupError
    from rich.text import Text

    if isinstance(cell, Text):
        return cell.plain
    try:
        return Text.from_markup(str(cell)).plain
    except MarkupError:
        return str(cell)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def parse_day(value: str | None, option: str) -> dt.date | None:
    """A --date-like option's value (YYYY-MM-DD), or a usage error (exit 2) naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(t("common.expected_date", value=value),
                                 param_hint=option) from None
