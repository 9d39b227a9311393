"""Tables stay readable when piped or on a narrow terminal (the narrow form), and the lake opens
from a plain string path as the README shows."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tocsin.cli.common import print_table
from tocsin.lake import Lake


def _table() -> Table:
    table = Table("stage", "since", "place", "signals", title="Siege board",
                  caption="event data through 2023-12-31")
    table.add_row("cut off", "2023-11-07", "Abu Gudul [Buram locality]",
                  "displacement surge: IDPs in locality SD03161: 17,000 -> 59,825 (+252%)")
    table.add_row("threatened", "2023-11-21", "El Daein", "")
    # Styled cells and escaped data, as the commands build them.
    table.add_row("[red]fallen[/]", "2023-06-15", escape("[al-junaynah] El Geneina"), "")
    return table


def test_piped_or_narrow_tables_print_one_line_per_cell() -> None:
    for console in (Console(file=io.StringIO(), width=200),  # not a terminal: piped
                    Console(file=io.StringIO(), width=80, force_terminal=True)):
        print_table(_table(), console)
        text = console.file.getvalue()  # type: ignore[attr-defined]
        lines = text.splitlines()
        assert lines[0] == "Siege board"
        assert "place: Abu Gudul [Buram locality]" in lines  # markup-like data kept as text
        assert "signals: displacement surge: IDPs in locality SD03161: 17,000 -> 59,825 (+252%)" in lines
        assert "place: El Daein" in lines and "signals: " not in text.split("El Daein")[1]
        assert lines[-1] == "event data through 2023-12-31"
        assert "stage: fallen" in lines and "place: [al-junaynah] El Geneina" in lines
        assert not any("│" in line or "┃" in line for line in lines)


def test_wide_terminals_keep_the_columns() -> None:
    console = Console(file=io.StringIO(), width=200, force_terminal=True)
    print_table(_table(), console)
    assert "┃" in console.file.getvalue() or "│" in console.file.getvalue()  # type: ignore[attr-defined]


def test_lake_opens_from_a_string_path(sample_workspace) -> None:  # type: ignore[no-untyped-def]
    """The README's `Lake("tocsin-data/lake").connect()`: a str works (it was a TypeError)."""
    con = Lake(str(sample_workspace.lake_dir)).connect()
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] > 1000
