"""Keeps the derived place tables (gazetteer, place names, event links) in step with the lake.

They are two jobs (tocsin.jobs.steps.gazetteer): the gazetteer from the place sources, and the
event links from the events and that gazetteer, so that new events alone relink events without
merging every place again. ``refresh`` runs whichever of them is stale; the fingerprints are the
job pipeline's (one mechanism: ``tocsin status`` and ``tocsin update`` see the same staleness).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


LINK_COLUMNS = ["event_uid", "latitude", "longitude", "location_precision"]


def build_event_links(con: duckdb.DuckDBPyConnection, gazetteer: pa.Table,
                      previous: tuple[pa.Table, set[str]] | None = None) -> tuple[pa.Table, set[str]]:
    """The event links of every event, and the batches of the events linked. With
    ``previous`` (links built on the same gazetteer and areas, and the event batches they
    covered), only the events of other batches are placed; the rest keep their links. Each
    event is placed on its own (its point, its precision), so the table equals a full build,
    row for row, in event id order (decision 0041)."""
    from tocsin.places.linking import link_events

    events = con.sql(f"SELECT {', '.join(LINK_COLUMNS)}, batch_id FROM events").to_arrow_table()
    batches = set(pc.unique(events.column("batch_id")).to_pylist()) - {None}
    if previous is not None:
        links = _relink(events, gazetteer, con, *previous)
        if links is not None:
            return links, batches
    links = link_events(events.select(LINK_COLUMNS), gazetteer, admin2_areas(con))
    # In event order: DuckDB scans a lake's files in no fixed order, so a rebuild of the same
    # lake would otherwise order its rows anew.
    return links.sort_by("event_uid"), batches


def _relink(events: pa.Table, gazetteer: pa.Table, con: duckdb.DuckDBPyConnection,
            old: pa.Table, old_batches: set[str]) -> pa.Table | None:
    """``old`` links kept for events of ``old_batches``, the other events placed now; None
    when that cannot be done exactly (an event id twice, an old event without its link)."""
    from tocsin.places.linking import link_events

    n = events.num_rows
    uids = events.column("event_uid")
    if pc.count_distinct(uids).as_py() != n or \
            pc.count_distinct(old.column("event_uid")).as_py() != old.num_rows:
        return None
    known = pc.fill_null(pc.is_in(events.column("batch_id"),
                                  value_set=pa.array(sorted(old_batches), pa.string())), False)
    where = pc.index_in(uids, value_set=old.column("event_uid"))
    if pc.any(pc.and_(known, pc.is_null(where))).as_py():
        return None
    known_np = known.to_numpy(zero_copy_only=False)
    fresh = events.filter(pc.invert(known)).select(LINK_COLUMNS)
    parts = [old]
    if fresh.num_rows:
        parts.append(link_events(fresh, gazetteer, admin2_areas(con)).cast(old.schema))
    order = np.empty(n, dtype=np.int64)
    order[known_np] = where.filter(known).to_numpy(zero_copy_only=False)
    order[~known_np] = old.num_rows + np.arange(fresh.num_rows)
    return pa.concat_tables(parts).take(pa.array(order)).sort_by("event_uid")


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
