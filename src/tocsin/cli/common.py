"""What every command shares: consoles, failing with the contract's exit codes, JSON output."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NoReturn

import typer
from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Exit 1 (failure) with a message on stderr; usage errors are Typer's, with exit 2."""
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


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
