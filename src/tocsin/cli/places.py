"""`tocsin places find NAME`: places by any spelling, English or Arabic."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import fail, out, print_json
from tocsin.workspace import WorkspaceError

app = typer.Typer(no_args_is_help=True, help="The gazetteer: Sudan's places under all their names.")


@app.command()
def find(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Any spelling: Al Fashir, El Fasher, الفاشر ...")],
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many places.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Find places by name, best match first (exact, same sound, then similar)."""
    from tocsin.places.lookup import find_places

    try:
        matches = find_places(ctx.obj, name, limit)
    except WorkspaceError as exc:
        fail(str(exc))
    if as_json:
        print_json(matches)
        return
    if not matches:
        out.print(f"No place matches {name!r}.")
        raise typer.Exit(1)
    table = Table("#", "name", "class", "locality, state", "population", "match",
                  title=f"Places matching {name!r}")
    for rank, m in enumerate(matches, start=1):
        table.add_row(str(rank), " / ".join(x for x in (m["name"], m["name_ar"]) if x),
                      m["place_class"], ", ".join(x for x in (m["admin2"], m["admin1"]) if x),
                      f"{m['population']:,}" if m["population"] else "",
                      f"{m['how']}: {m['matched_name']}")
    out.print(table)
