"""Keeps the derived tables (gazetteer, place names, event links) in step with the lake."""

from __future__ import annotations

import hashlib

import pyarrow.parquet as pq

from tocsin.lake import Lake

# Bump when name keys, merge rules or linking rules change: workspaces then rebuild their
# derived tables at the next ingest instead of keeping ones made by the old rules.
METHOD_VERSION = "3"
# Derived table -> the lake tables it is built from.
INPUTS = {"gazetteer": ("places", "areas"), "event_links": ("events", "places", "areas")}


def _fingerprint(lake: Lake, tables: tuple[str, ...]) -> str:
    """Which batches of the input tables exist: a rebuild is due when this changes."""
    batches = sorted(b.batch_id for b in lake.batches()
                     if any(b.files.get(t) for t in tables))
    return hashlib.sha256("\n".join([METHOD_VERSION, *batches]).encode()).hexdigest()[:16]


def stale(lake: Lake) -> list[str]:
    manifest = lake.manifest()
    return [name for name, tables in INPUTS.items()
            if manifest["derived"].get(name, {}).get("inputs") != _fingerprint(lake, tables)]


def refresh(lake: Lake, force: bool = False) -> list[str]:
    """Rebuild what is stale. Callers hold the write lock. Returns the rebuilt names."""
    due = list(INPUTS) if force else stale(lake)
    if not due:
        return []
    # Imported here: shapely and the gazetteer are not needed to see that nothing is stale.
    from tocsin.places.gazetteer import build_gazetteer
    from tocsin.places.linking import link_events

    con = lake.connect()
    admin2 = con.sql("SELECT pcode, parent_pcode, geometry_wkb FROM areas "
                     "WHERE admin_level = 2 AND geometry_type IN ('Polygon', 'MultiPolygon')"
                     ).to_arrow_table()
    staged = {}
    if "gazetteer" in due:
        places = con.sql("SELECT * FROM places").to_arrow_table()
        staged["gazetteer"], staged["place_names"] = build_gazetteer(places, admin2)
    if "event_links" in due:
        # New events alone reuse the stored gazetteer rather than merging every place again.
        gazetteer = staged["gazetteer"] if "gazetteer" in staged else con.sql(
            "SELECT * FROM gazetteer").to_arrow_table()
        events = con.sql("SELECT event_uid, latitude, longitude, location_precision "
                         "FROM events").to_arrow_table()
        staged["event_links"] = link_events(events, gazetteer, admin2)
    con.close()
    paths = {}
    for name, table in staged.items():
        path = lake.staging_path(name, "derived")
        pq.write_table(table, path, compression="zstd")
        paths[name] = path
    fingerprints = {name: _fingerprint(lake, INPUTS.get(name, INPUTS["gazetteer"]))
                    for name in paths}
    lake.replace_derived(paths, fingerprints)
    return sorted(paths)
