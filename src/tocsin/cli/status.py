"""`tocsin status`: what the workspace holds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.common import fail, gap_words, out, print_json, print_table, shown, t, term
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
        fail(exc)
    if as_json:
        print_json(info)
        return
    show_status(info)


def show_status(info: dict) -> None:
    out.print(t("status.workspace_files_ingested_rows", home=info['home'], batches=info['batches'],
                rejected_rows=info['rejected_rows']))
    table = Table(t("status.table"), t("status.source"), t("status.rows"), t("status.from"), t("status.to"),
                  title=t("status.lake"))
    for name, data in info["tables"].items():
        if not data["sources"]:
            table.add_row(name, "-", "0", "", "")
        for source, facts in data["sources"].items():
            table.add_row(name, source, shown(facts["rows"]), shown(facts["from"]), shown(facts["to"]))
    print_table(table)
    gazetteer = info["derived"].get("gazetteer")
    if gazetteer:
        out.print(t("status.gazetteer_places_named_merged", places=gazetteer['places'],
                    named=gazetteer['named'], merged_from_several=gazetteer['merged_from_several']))
    links = info["derived"].get("event_links")
    if links:
        out.print(t("status.events_placed") + counts("precision", links))
    burnings = info["derived"].get("burnings")
    if burnings is not None:
        out.print(t("status.burnings") + (counts("confidence", burnings) or t("status.none_found"))
                  + t("status.tocsin_detect_burnings"))
    show_freshness(info)
    records = info["records"]
    if "error" in records:
        out.print(t("status.records_unreachable", database=records['database'], error=records['error']))
    else:
        out.print(t("status.records_schema_latest", database=records['database'],
                    revision=records['revision'], head=records['head']))


def show_freshness(info: dict) -> None:
    """Per sync source: data through, last sync, lag; the jobs out of date; the last update."""
    rows = [f for f in info.get("freshness", []) if f["through"] or f["last_sync"]]
    if rows:
        table = Table(t("status.source"), t("status.data_through"), t("status.lag_days"),
                      t("status.last_sync_utc"), title=t("status.freshness"))
        for f in rows:
            table.add_row(f["source"], shown(f["through"]) or "-",
                          shown(f["lag_days"]) if f["lag_days"] is not None else "-",
                          f["last_sync"][:16].replace("T", " ") if f["last_sync"] else t("status.never"))
        out.print(table)
    warning = gap_words(info["events_gap"]) if info.get("events_gap") else info.get("events_warning")
    if warning:
        out.print(t("status.today", events_warning=escape(warning)))
    if info.get("stale_jobs"):
        out.print(t("status.out_date") + ", ".join(
            f"{j['job']} ({', '.join(j['writes'])})" for j in info["stale_jobs"])
            + t("status.tocsin_update_rebuilds_them"))
    last = info.get("last_update")
    if last:
        out.print(t("status.last_update_utc", started_at=last['started_at'][:16].replace('T', ' '),
                    status=t(RUN_STATUS.get(last["status"], "status.run_failed"))))


RUN_STATUS = {"ok": "status.run_ok", "partial": "status.run_partial", "failed": "status.run_failed",
              "running": "status.run_running"}  # jobs.runner.UpdateRun.status


def counts(kind: str, by_name: dict[str, int]) -> str:
    """"exact: 1,489, near: 997" with each name a word of ``kind`` (common.term)."""
    return t("siege.list_sep").join(f"{term(kind, k)}: {shown(v)}" for k, v in by_name.items())
