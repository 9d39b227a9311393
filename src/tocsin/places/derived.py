"""Keeps the derived place tables (gazetteer, place names, event links) in step with the lake.

They are two jobs (tocsin.jobs.steps.gazetteer): the gazetteer from the place sources, and the
event links from the events and that gazetteer, so that new events alone relink events without
merging every place again. ``refresh`` runs whichever of them is stale; the fingerprints are the
job pipeline's (one mechanism: ``tocsin status`` and ``tocsin update`` see the same staleness).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from tocsin.lake import Lake

# Bump when name keys, merge rules or linking rules change: workspaces then rebuild their
# derived tables at the next ingest instead of keeping ones made by the old rules.
METHOD_VERSION = "3"
JOBS = ("gazetteer", "event_links")


def admin2_areas(con: duckdb.DuckDBPyConnection) -> pa.Table:
    return con.sql("SELECT pcode, parent_pcode, geometry_wkb FROM areas WHERE admin_level = 2 "
                   "AND geometry_type IN ('Polygon', 'MultiPolygon')").to_arrow_table()


def build_gazetteer_tables(con: duckdb.DuckDBPyConnection) -> tuple[pa.Table, pa.Table]:
    """(gazetteer, place_names) from every place source."""
    from tocsin.places.gazetteer import build_gazetteer  # shapely: only when building

    places = con.sql("SELECT * FROM places").to_arrow_table()
    return build_gazetteer(places, admin2_areas(con))


def build_event_links(con: duckdb.DuckDBPyConnection, gazetteer: pa.Table) -> pa.Table:
    from tocsin.places.linking import link_events

    events = con.sql("SELECT event_uid, latitude, longitude, location_precision "
                     "FROM events").to_arrow_table()
    return link_events(events, gazetteer, admin2_areas(con))


def stale(lake: Lake) -> list[str]:
    """The derived place tables that are out of date."""
    from tocsin.jobs.runner import stale_outputs

    return [name for name in stale_outputs(lake) if name in ("gazetteer", "place_names", "event_links")]


def refresh(lake: Lake, force: bool = False) -> list[str]:
    """Rebuild what is stale. Callers hold the write lock. Returns the rebuilt names."""
    from tocsin.jobs.runner import run_jobs

    report = run_jobs(lake, list(JOBS), force=force, steps=("gazetteer",))
    if report.failed:
        name, error = next(iter(report.failed.items()))
        raise RuntimeError(f"rebuilding {name} failed: {error}")
    return sorted(report.rebuilt)
