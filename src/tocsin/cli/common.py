"""What every command shares: consoles, failing with the contract's exit codes, JSON output."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Exit 1 (failure) with a message on stderr; usage errors are Typer's, with exit 2."""
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def local_only(command: str) -> None:
    """A command with no Spark path refuses `--engine spark` (usage error, exit 2) rather than
    quietly running here."""
    from tocsin.engine.choice import EngineChoiceError, require_local

    try:
        require_local(command)
    except EngineChoiceError as exc:
        fail(str(exc), code=2)


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
        raise typer.BadParameter(f"expected a date YYYY-MM-DD, found {value!r}",
                                 param_hint=option) from None
