"""`tocsin status`: what the workspace holds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
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
    show_freshness(info)
    records = info["records"]
    if "error" in records:
        out.print(f"[bold]Records[/] {records['database']}: [red]unreachable ({records['error']})[/]")
    else:
        out.print(f"[bold]Records[/] {records['database']} (schema {records['revision']}, "
                  f"latest {records['head']})")


def show_freshness(info: dict) -> None:
    """Per sync source: data through, last sync, lag; the jobs out of date; the last update."""
    rows = [f for f in info.get("freshness", []) if f["through"] or f["last_sync"]]
    if rows:
        table = Table("source", "data through", "lag (days)", "last sync (UTC)", title="Freshness")
        for f in rows:
            table.add_row(f["source"], f["through"] or "-",
                          str(f["lag_days"]) if f["lag_days"] is not None else "-",
                          (f["last_sync"] or "never")[:16].replace("T", " "))
        out.print(table)
    if info.get("events_warning"):
        out.print(f"[bold yellow]Today: {escape(info['events_warning'])}[/]")
    if info.get("stale_jobs"):
        out.print("[yellow]Out of date: " + ", ".join(
            f"{j['job']} ({', '.join(j['writes'])})" for j in info["stale_jobs"])
            + " (`tocsin update` rebuilds them)[/]")
    last = info.get("last_update")
    if last:
        out.print(f"[bold]Last update[/] {last['started_at'][:16].replace('T', ' ')} UTC: {last['status']}")
