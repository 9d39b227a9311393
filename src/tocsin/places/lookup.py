"""Place look-ups against a workspace (the gazetteer tables in its lake)."""

from __future__ import annotations

from typing import Any

from tocsin.lake import Lake
from tocsin.places.search import PlaceIndex
from tocsin.workspace import Workspace, WorkspaceError


def find_places(workspace: Workspace, name: str, limit: int = 10) -> list[dict[str, Any]]:
    workspace.require()
    lake = Lake(workspace.lake_dir)
    if lake.derived_path("place_names") is None:
        raise WorkspaceError("the workspace has no gazetteer yet: ingest a place source "
                             "(osm-places, geonames, cod-ab, hiu-villages, dtm-sites) first")
    con = lake.connect()
    importance = dict(con.execute("SELECT place_id, importance FROM gazetteer").fetchall())
    index = PlaceIndex(con.sql("SELECT * FROM place_names").to_arrow_table(), importance)
    matches = index.find(name, limit)
    if not matches:
        return []
    con.execute("CREATE TEMP TABLE wanted (place_id VARCHAR, rank INTEGER, how VARCHAR, "
                "matched_name VARCHAR, score DOUBLE)")
    con.executemany("INSERT INTO wanted VALUES (?, ?, ?, ?, ?)",
                    [(m.place_id, i, m.how, m.matched_name, m.score) for i, m in enumerate(matches)])
    rows = con.execute(
        "SELECT g.place_id, g.name, g.name_ar, g.place_class, g.latitude, g.longitude, "
        "g.population, g.households, g.admin1_pcode, a1.name_en AS admin1, g.admin2_pcode, "
        "a2.name_en AS admin2, g.sources, g.names, g.hiu_status, w.how, w.matched_name, w.score "
        "FROM wanted w JOIN gazetteer g USING (place_id) "
        "LEFT JOIN (SELECT DISTINCT pcode, name_en FROM areas) a1 ON a1.pcode = g.admin1_pcode "
        "LEFT JOIN (SELECT DISTINCT pcode, name_en FROM areas) a2 ON a2.pcode = g.admin2_pcode "
        "ORDER BY w.rank").fetchall()
    columns = [d[0] for d in con.description]
    return [dict(zip(columns, row, strict=True)) for row in rows]
