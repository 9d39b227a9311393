"""Place look-ups against a workspace (the gazetteer tables in its lake)."""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz

from tocsin.i18n import Said
from tocsin.lake import Lake
from tocsin.places.names import normalize, skeleton
from tocsin.places.search import FUZZY_CUTOFF, PlaceIndex
from tocsin.workspace import Workspace, WorkspaceError


def area_names(con: Any) -> dict[str, tuple[str | None, str | None]]:
    """Every administrative area's English and Arabic name by P-code (COD-AB), from an open
    lake connection; empty when the lake has no areas."""
    known = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'areas'").fetchone()
    if not known or not known[0]:
        return {}
    return {pcode: (en, ar) for pcode, en, ar in con.execute(
        "SELECT DISTINCT pcode, name_en, name_ar FROM areas").fetchall()}


def find_places(workspace: Workspace, name: str, limit: int = 10) -> list[dict[str, Any]]:
    workspace.require()
    lake = Lake(workspace.lake_dir)
    if lake.derived_path("place_names") is None:
        raise WorkspaceError(Said("workspace.no_gazetteer"))
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
        "g.population, g.households, g.admin1_pcode, a1.name_en AS admin1, a1.name_ar AS admin1_ar, "
        "g.admin2_pcode, a2.name_en AS admin2, a2.name_ar AS admin2_ar, g.sources, g.names, "
        "g.hiu_status, w.how, w.matched_name, w.score "
        "FROM wanted w JOIN gazetteer g USING (place_id) "
        "LEFT JOIN (SELECT pcode, any_value(name_en) AS name_en, any_value(name_ar) AS name_ar "
        "FROM areas GROUP BY pcode) a1 ON a1.pcode = g.admin1_pcode "
        "LEFT JOIN (SELECT pcode, any_value(name_en) AS name_en, any_value(name_ar) AS name_ar "
        "FROM areas GROUP BY pcode) a2 ON a2.pcode = g.admin2_pcode "
        "ORDER BY w.rank").fetchall()
    columns = [d[0] for d in con.description]
    return [dict(zip(columns, row, strict=True)) for row in rows]


class PlaceNotSure(ValueError):
    """A record would be about a place the gazetteer does not know by that name: the message
    names the nearest and says how to name it surely."""


def surely_named(match: dict[str, Any], query: str) -> bool:
    """Whether a look-up's ``match`` is surely the place ``query`` names, as a record needs: a
    record on the wrong town (a fall, a piece of evidence) misleads everyone who reads it
    after. The name as written is sure; the same sound when the sound has three consonants or
    more (Zalinjei is Zalinjay, Jebel Moon is Jabel Mun), or when the spellings are alike too:
    a shorter key is shared by many names ("p-0000" and "El Obeid" both sound "b"). A look-alike
    ("similar") never is."""
    if match["how"] == "exact":
        return True
    if match["how"] != "same-sound":
        return False
    return len(skeleton(query)) >= 3 or \
        fuzz.ratio(normalize(query), normalize(match["matched_name"])) >= FUZZY_CUTOFF


def place_to_record(workspace: Workspace, name: str) -> dict[str, Any] | None:
    """The place a record is about (its place_id and name): the gazetteer's place with that
    place_id, else the best match for ``name`` when it surely names it (``surely_named``); None
    when nothing matches. A name only like another raises PlaceNotSure, naming the nearest."""
    workspace.require()
    lake = Lake(workspace.lake_dir)
    if lake.derived_path("gazetteer") is not None:
        row = lake.connect().execute("SELECT name FROM gazetteer WHERE place_id = ?", [name]).fetchone()
        if row is not None:
            return {"place_id": name, "name": row[0]}
    matches = find_places(workspace, name, limit=1)
    if not matches:
        return None
    best = matches[0]
    if not surely_named(best, name):
        raise PlaceNotSure(Said("places.not_sure", name=name, nearest=best["name"],
                                place_id=best["place_id"]))
    return best


def show_place(workspace: Workspace, name: str) -> dict[str, Any] | None:
    """The best match for ``name`` with its place in the hierarchy: its parent (and the rule
    that made it one), and its sub-places (each with its rule). None when nothing matches."""
    from tocsin.places.hierarchy import Hierarchy

    matches = find_places(workspace, name, limit=1)
    if not matches:
        return None
    place = matches[0]
    hierarchy = Hierarchy.from_workspace(workspace)
    pid = place["place_id"]
    place["parent"] = None
    if pid in hierarchy.parent:
        parent = hierarchy.parent[pid]
        place["parent"] = {"place_id": parent, "name": hierarchy.names.get(parent),
                           "place_class": hierarchy.classes.get(parent),
                           "rule": hierarchy.rules.get(pid)}
    place["top"] = hierarchy.top(pid)
    subs = hierarchy.descendants(pid)
    place["sub_places"] = [{"place_id": c, "name": hierarchy.names.get(c),
                            "place_class": hierarchy.classes.get(c), "rule": hierarchy.rules.get(c),
                            "parent_id": hierarchy.parent.get(c)}
                           for c in subs]
    # Arabic names, so that a page in Arabic names the sub-places and the towns in their rules.
    parent = place["parent"]
    arabic = _arabic_names(workspace, [pid, *subs, *([parent["place_id"]] if parent else [])])
    if parent is not None:
        parent["name_ar"] = arabic.get(parent["place_id"])
    for sub in place["sub_places"]:
        sub["name_ar"] = arabic.get(sub["place_id"])
        sub["parent_name_ar"] = arabic.get(sub["parent_id"])  # the town its rule names
    return place


def _arabic_names(workspace: Workspace, place_ids: list[str]) -> dict[str, str | None]:
    con = Lake(workspace.lake_dir).connect()
    try:
        return dict(con.execute("SELECT place_id, name_ar FROM gazetteer WHERE list_contains(?, "
                                "place_id)", [place_ids]).fetchall())
    finally:
        con.close()
