"""What a workspace holds: per table, rows, sources, date ranges; derived tables; records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tocsin.coverage import DATE_COLUMN
from tocsin.lake import Lake
from tocsin.schema.tables import TABLES
from tocsin.workspace import Workspace


def workspace_status(workspace: Workspace) -> dict[str, Any]:
    # Imported here: the records and gazetteer modules are heavy, and `tocsin ingest` loads this.
    from tocsin.coverage import coverage_gap, coverage_warning, lake_coverage, source_freshness
    from tocsin.jobs.runner import recent_runs, stale_jobs

    workspace.require()
    lake = Lake(workspace.lake_dir)
    con = lake.connect()
    tables: dict[str, Any] = {}
    for name in TABLES:
        dated = DATE_COLUMN.get(name)
        span = f", min({dated}), max({dated})" if dated else ", NULL, NULL"
        rows = con.execute(f"SELECT source, count(*){span} FROM {name} GROUP BY source "
                           "ORDER BY source").fetchall()
        tables[name] = {
            "rows": sum(r[1] for r in rows),
            "sources": {r[0]: {"rows": r[1], "from": r[2], "to": r[3]} for r in rows},
        }
    derived: dict[str, Any] = {}
    manifest = lake.manifest()
    if "gazetteer" in manifest["derived"]:
        places, merged, named = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE len(sources) > 1), "
            "count(*) FILTER (WHERE len(names) > 0) FROM gazetteer").fetchone()
        derived["gazetteer"] = {"places": places, "named": named, "merged_from_several": merged}
    if "event_links" in manifest["derived"]:
        derived["event_links"] = dict(con.execute(
            "SELECT link_level, count(*) FROM event_links GROUP BY 1 ORDER BY 2 DESC").fetchall())
    if "burnings" in manifest["derived"]:
        derived["burnings"] = dict(con.execute(
            "SELECT confidence, count(*) FROM burnings GROUP BY 1 ORDER BY 2 DESC").fetchall())
    batches = lake.batches()
    url = workspace.database_url
    coverage = lake_coverage(lake)
    today = datetime.now(UTC).date()
    runs = recent_runs(workspace, limit=1)
    return {
        "coverage": [c.to_json() for c in coverage],
        "freshness": [f.to_json() for f in source_freshness(lake, coverage, today)],
        "events_warning": coverage_warning(coverage, today),
        "events_gap": coverage_gap(coverage, today),   # the same in parts, for other languages
        "stale_jobs": [{"job": j.name, "writes": list(j.writes)} for j in stale_jobs(lake, workspace)],
        "last_update": runs[0] if runs else None,
        "home": str(workspace.home),
        "tables": tables,
        "derived": derived,
        "stale_derived": [w for j in stale_jobs(lake, workspace) for w in j.writes
                          if not w.startswith(("records:", "artefact:"))],
        "batches": len(batches),
        "rejected_rows": sum(b.rejected for b in batches),
        "files": [{"batch": b.batch_id, "kind": b.kind, "file": b.file_name, "rows": b.rows,
                   "rejected": b.rejected, "duplicates": b.duplicates} for b in batches],
        "records": _records_status(url),
    }


def _records_status(url: str) -> dict[str, Any]:
    """Where the records live and at which schema; an unreachable server is reported, not fatal:
    the lake can still be read."""
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.records.db import current_revision, head_revision

    info: dict[str, Any] = {"database": _redact(url), "head": head_revision(), "revision": None}
    try:
        info["revision"] = current_revision(url)
    except SQLAlchemyError as exc:
        info["error"] = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return info


def _redact(url: str) -> str:
    """Never print a database password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
