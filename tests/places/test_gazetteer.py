"""The gazetteer on real data: one place per real place, found under any spelling."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from tocsin.ingest import ingest_paths
from tocsin.lake import Lake
from tocsin.places.gazetteer import build_gazetteer
from tocsin.places.linking import link_events
from tocsin.places.lookup import find_places
from tocsin.workspace import Workspace


@pytest.fixture(scope="module")
def real_workspace(shared_workspace: Workspace) -> Workspace:
    """Every real place source, UCDP, DTM and WFP (tests/conftest.py builds it once)."""
    return shared_workspace


@pytest.mark.parametrize("query", ["Al Fashir", "الفاشر", "El Fasher", "Al-Fasher", "el fasher"])
def test_el_fasher_comes_first_under_any_spelling(real_workspace: Workspace, query: str) -> None:
    first = find_places(real_workspace, query, limit=5)[0]
    assert first["name"] == "El Fasher"
    assert first["place_class"] == "city"
    assert first["admin1_pcode"] == "SD02"  # North Darfur
    assert first["name_ar"] == "الفاشر"


@pytest.mark.parametrize(("query", "expected_any"), [
    ("Geneina", {"Al-Junaynah", "El Geneina"}),
    ("Junaynah", {"Al-Junaynah", "El Geneina"}),
    ("الجنينة", {"Al-Junaynah", "El Geneina"}),
    ("Niyala", {"Nyala"}),
    ("نيالا", {"Nyala"}),
])
def test_other_darfur_capitals(real_workspace: Workspace, query: str, expected_any: set[str]) -> None:
    first = find_places(real_workspace, query, limit=3)[0]
    assert first["name"] in expected_any
    assert first["place_class"] == "city"


def test_sources_merge_into_one_place(real_workspace: Workspace) -> None:
    con = Lake(real_workspace.lake_dir).connect()
    (count,) = con.execute("SELECT count(*) FROM gazetteer WHERE name = 'El Fasher'").fetchone()
    assert count == 1
    sources, names = con.execute(
        "SELECT sources, names FROM gazetteer WHERE name = 'El Fasher'").fetchone()
    assert "geonames" in sources and len(sources) >= 2
    assert {"El Fasher", "Al Fashir", "الفاشر"} <= set(names)
    # Every place record is in exactly one gazetteer place.
    records = con.execute("SELECT count(*) FROM places").fetchone()[0]
    # (The reference list's records are the gazetteer's own, not the lake's.)
    linked = con.execute("SELECT count(*) FROM (SELECT unnest(source_ids) AS s FROM gazetteer) "
                         "WHERE s NOT LIKE 'tocsin-reference:%'").fetchone()[0]
    assert linked == records


def test_imprecise_events_stay_imprecise(real_workspace: Workspace) -> None:
    con = Lake(real_workspace.lake_dir).connect()
    rows = dict(con.execute(
        "SELECT e.location_precision, count(l.place_id) FROM events e "
        "JOIN event_links l USING (event_uid) GROUP BY 1").fetchall())
    for level in ("admin2", "admin1", "region", "country"):
        assert rows.get(level, 0) == 0, f"{level}-precision events must not be tied to a town"
    assert rows["exact"] > 0 and rows["near"] > 0
    # State-level events keep their state, but no locality.
    admin1 = con.execute(
        "SELECT count(*), count(admin1_pcode), count(admin2_pcode) FROM event_links "
        "WHERE link_level = 'admin1'").fetchone()
    assert admin1[0] > 0 and admin1[1] > 0 and admin1[2] == 0


def _places(rows: list[dict]) -> pa.Table:
    base = {"name": None, "name_en": None, "name_ar": None, "alt_names": [], "population": None,
            "households": None, "status": None, "status_year": None}
    return pa.Table.from_pylist([{**base, **r} for r in rows])


def test_merge_needs_same_name_and_nearness() -> None:
    places = _places([
        {"source": "geonames", "source_id": "1", "name": "El Fasher", "place_class": "city",
         "latitude": 13.628, "longitude": 25.349, "population": 252609},
        {"source": "osm", "source_id": "n/1", "name": "Al Fashir", "place_class": "town",
         "latitude": 13.63, "longitude": 25.36},
        # Same name, 300 km away: another place.
        {"source": "osm", "source_id": "n/2", "name": "Al Fashir", "place_class": "hamlet",
         "latitude": 14.737, "longitude": 28.04},
        # Near, but another name.
        {"source": "hiu-villages", "source_id": "h1", "name": "Abu Shouk", "place_class": "village",
         "latitude": 13.66, "longitude": 25.33, "status": "NO DAMAGE"},
    ])
    gazetteer, names = build_gazetteer(places, None, reference=())
    assert gazetteer.num_rows == 3
    merged = next(r for r in gazetteer.to_pylist() if len(r["source_ids"]) == 2)
    assert merged["place_class"] == "city" and merged["population"] == 252609
    assert set(merged["source_ids"]) == {"geonames:1", "osm:n/1"}
    assert names.num_rows >= 4


def test_event_links_follow_precision() -> None:
    gazetteer, _ = build_gazetteer(_places([
        {"source": "geonames", "source_id": "1", "name": "Town A", "place_class": "town",
         "latitude": 13.0, "longitude": 25.0},
        {"source": "osm", "source_id": "n/9", "name": "Hamlet B", "place_class": "hamlet",
         "latitude": 13.1, "longitude": 25.1},
    ]), None)
    events = pa.table({
        "event_uid": ["e-exact", "e-exact-far", "e-near", "e-near-hamlet", "e-admin1", "e-country"],
        "latitude": [13.001, 13.5, 13.15, 13.1, 13.0, 13.0],
        "longitude": [25.001, 25.5, 25.15, 25.1, 25.0, 25.0],
        "location_precision": ["exact", "exact", "near", "near", "admin1", "country"],
    })
    links = {r["event_uid"]: r for r in link_events(events, gazetteer, None).to_pylist()}
    town = next(r["place_id"] for r in gazetteer.to_pylist() if r["name"] == "Town A")
    assert links["e-exact"]["place_id"] == town
    assert links["e-exact-far"]["place_id"] is None  # outside every settlement radius
    assert links["e-near"]["place_id"] == town  # near: towns within 25 km, not hamlets
    assert links["e-near-hamlet"]["place_id"] == town
    assert links["e-admin1"]["place_id"] is None  # a state-level event lands on no town
    assert links["e-country"]["place_id"] is None
    assert links["e-admin1"]["link_level"] == "admin1"


def test_the_same_records_in_any_order_give_the_same_gazetteer() -> None:
    rows = [
        {"source": "geonames", "source_id": "379303", "name": "Al-Junaynah", "name_en": "Al-Junaynah",
         "alt_names": ["El Geneina", "الجنينة"], "place_class": "city", "latitude": 13.45,
         "longitude": 22.45, "population": 162981},
        # GeoNames also lists the fort as a city, with "El Geneina" among its names.
        {"source": "geonames", "source_id": "379302", "name": "El Geneina Fort",
         "name_en": "El Geneina Fort", "alt_names": ["El Geneina"], "place_class": "city",
         "latitude": 13.47, "longitude": 22.46, "population": 134264},
        {"source": "hiu-villages", "source_id": "h9", "name": "GENEINA", "name_en": "GENEINA",
         "place_class": "village", "latitude": 13.46, "longitude": 22.44, "status": "DAMAGED"},
        {"source": "osm", "source_id": "n/5", "name": "الجنينة", "name_ar": "الجنينة",
         "place_class": "town", "latitude": 13.44, "longitude": 22.46},
    ]
    first, _ = build_gazetteer(_places(rows), None, reference=())
    again, _ = build_gazetteer(_places(rows[::-1]), None, reference=())
    assert first.to_pylist() == again.to_pylist()
    assert first.num_rows == 1
    assert first.column("name").to_pylist() == ["Al-Junaynah"]


def test_new_gazetteer_rules_make_derived_tables_stale(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin.places import derived

    workspace = Workspace(tmp_path / "ws")
    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    ingest_paths(workspace, "geonames", [sample / "rg_cities1000_SD.csv"])
    lake = Lake(workspace.lake_dir)
    assert derived.stale(lake) == []
    monkeypatch.setattr(derived, "METHOD_VERSION", derived.METHOD_VERSION + "-next")
    assert set(derived.stale(lake)) == {"gazetteer", "event_links"}
    assert set(derived.refresh(lake)) >= {"gazetteer", "event_links"}
    assert derived.stale(lake) == []
