"""`tocsin status`: what the workspace holds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import fail, out, print_json, print_table
from tocsin.workspace import WorkspaceError


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """What the workspace holds: sources, row counts, date ranges, the gazetteer, records."""
    from tocsin.status import workspace_status

    try:
        info = workspace_status(ctx.obj)
    except WorkspaceError as exc:
        fail(str(exc))
    if as_json:
        print_json(info)
        return
    show_status(info)


def show_status(info: dict) -> None:
    out.print(f"[bold]Workspace[/] {info['home']}  ({info['batches']} files ingested, "
              f"{info['rejected_rows']:,} rows quarantined)")
    table = Table("table", "source", "rows", "from", "to", title="Lake")
    for name, data in info["tables"].items():
        if not data["sources"]:
            table.add_row(name, "-", "0", "", "")
        for source, facts in data["sources"].items():
            table.add_row(name, source, f"{facts['rows']:,}", str(facts["from"] or ""),
                          str(facts["to"] or ""))
    print_table(table)
    gazetteer = info["derived"].get("gazetteer")
    if gazetteer:
        out.print(f"[bold]Gazetteer[/] {gazetteer['places']:,} places ({gazetteer['named']:,} "
                  f"named; {gazetteer['merged_from_several']:,} merged from several sources)")
    links = info["derived"].get("event_links")
    if links:
        out.print("[bold]Events placed[/] " + ", ".join(f"{k}: {v:,}" for k, v in links.items()))
    burnings = info["derived"].get("burnings")
    if burnings is not None:
        out.print("[bold]Burnings[/] " + (", ".join(f"{k}: {v:,}" for k, v in burnings.items())
                                         or "none found") + " (tocsin detect burnings)")
    if info["stale_derived"]:
        out.print(f"[yellow]Out of date: {', '.join(info['stale_derived'])} "
                  "(the next ingest rebuilds them)[/]")
    records = info["records"]
    if "error" in records:
        out.print(f"[bold]Records[/] {records['database']}: [red]unreachable ({records['error']})[/]")
    else:
        out.print(f"[bold]Records[/] {records['database']} (schema {records['revision']}, "
                  f"latest {records['head']})")
