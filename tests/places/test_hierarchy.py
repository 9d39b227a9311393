"""The place hierarchy: sub-places get their town as parent by documented rules, and ranked
lists fold them so that each town appears once."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from tocsin.places.classes import camp_aliases, merged_class, record_class
from tocsin.places.gazetteer import build_gazetteer
from tocsin.places.hierarchy import PARENT_RANK, RULES, Hierarchy, fold_ranked, read_rule, rule_text


def _places(rows: list[dict]) -> pa.Table:
    base = {"name": None, "name_en": None, "name_ar": None, "alt_names": [], "population": None,
            "households": None, "status": None, "status_year": None, "attributes": None}
    return pa.Table.from_pylist([{**base, **r} for r in rows])


ROWS = [
    {"source": "geonames", "source_id": "1", "name": "El Fasher", "place_class": "city",
     "latitude": 13.628, "longitude": 25.349, "population": 252609},
    # 3.4 km north: the camp is beside the city.
    {"source": "iom-dtm-sites", "source_id": "DTM0102095", "name": "Abu Shouk Camp",
     "name_ar": "معسكر ابو شوك", "place_class": "camp", "latitude": 13.6589, "longitude": 25.35,
     "population": 85000},
    # An OSM hamlet 2 km inside the city: a neighbourhood.
    {"source": "osm", "source_id": "n/1", "name": "Hai Wadi", "place_class": "hamlet",
     "latitude": 13.64, "longitude": 25.36},
    # 17 km away: a place of its own.
    {"source": "hiu-villages", "source_id": "h1", "name": "ZAM ZAM", "place_class": "village",
     "latitude": 13.4828, "longitude": 25.3081, "status": "NO DAMAGE"},
    # Named after Kas, 9 km out: folds by name.
    {"source": "geonames", "source_id": "2", "name": "Kas", "place_class": "town",
     "latitude": 12.5, "longitude": 24.28, "population": 20000},
    {"source": "iom-dtm-sites", "source_id": "DTM0202099", "name": "Kass Humira Camp",
     "place_class": "camp", "latitude": 12.58, "longitude": 24.29},
]


def test_parents_follow_the_rules() -> None:
    gazetteer, names = build_gazetteer(_places(ROWS), None, reference=())
    by_name = {r["name"]: r for r in gazetteer.to_pylist()}
    fasher = by_name["El Fasher"]["place_id"]
    assert by_name["Abu Shouk Camp"]["parent_id"] == fasher
    assert by_name["Abu Shouk Camp"]["parent_rule"].startswith("within El Fasher")
    assert by_name["Hai Wadi"]["parent_id"] == fasher
    assert by_name["ZAM ZAM"]["parent_id"] is None
    assert by_name["El Fasher"]["parent_id"] is None
    assert by_name["Kass Humira Camp"]["parent_id"] == by_name["Kas"]["place_id"]
    assert by_name["Kass Humira Camp"]["parent_rule"].startswith("named after Kas")
    # The camp is also found by its bare name, in both scripts.
    assert {"Abu Shouk", "ابو شوك"} <= set(by_name["Abu Shouk Camp"]["names"])
    assert "Abu Shouk" in names.column("name").to_pylist()


def test_borrowed_aliases_are_dropped() -> None:
    rows = [
        {"source": "geonames", "source_id": "1", "name": "El Fasher", "place_class": "city",
         "alt_names": ["Al Fashir", "Tendelti"], "latitude": 13.628, "longitude": 25.349,
         "population": 252609},
        {"source": "geonames", "source_id": "2", "name": "Tandalti", "place_class": "town",
         "alt_names": ["Tendelti"], "latitude": 13.017, "longitude": 31.867, "population": 31329},
        {"source": "osm", "source_id": "n/9", "name": "Sultanate Dar Masalit",
         "name_ar": "The Kingdom of Dar Masalit", "place_class": "town",
         "latitude": 13.47, "longitude": 22.46},
    ]
    gazetteer, _ = build_gazetteer(_places(rows), None, reference=())
    by_name = {r["name"]: r for r in gazetteer.to_pylist()}
    assert "Tendelti" not in by_name["El Fasher"]["names"]
    assert "Al Fashir" in by_name["El Fasher"]["names"]
    assert "Tendelti" in by_name["Tandalti"]["names"]
    # Arabic names are Arabic script.
    assert by_name["Sultanate Dar Masalit"]["name_ar"] is None


def test_class_rules() -> None:
    assert record_class("osm", "city", ["Krinding"], {}) == "city"
    assert record_class("hiu-villages", "village", ["EL SALAM IDP CAMP"], {}) == "camp"
    assert record_class("hiu-villages", "village", ["TAWILLA"], {"Sec Town": "1"}) == "town"
    assert record_class("osm", "suburb", ["Hai X"], {}) == "neighbourhood"
    assert record_class("iom-dtm-sites", "idp_site", ["Hai Aljabel"], {}) == "idp_site"
    # A camp wins over an OSM "city" tag, not over a census town.
    assert merged_class([("osm", "city", None), ("iom-dtm-sites", "camp", 25210)]) == "camp"
    assert merged_class([("geonames", "town", 55637), ("iom-dtm-sites", "camp", 22656)]) == "town"
    assert camp_aliases("Abu Shouk Camp") == ["Abu Shouk"]
    assert camp_aliases("معسكر ابو شوك") == ["ابو شوك"]
    assert camp_aliases("Kalma") == []


def test_fold_ranked_shows_each_town_once() -> None:
    hierarchy = Hierarchy(parent={"camp": "town", "hood": "town", "hood2": "camp"},
                          names={"town": "El Geneina", "camp": "Ardamata", "hood": "Al Jamarik",
                                 "hood2": "X", "other": "Kereneik", "anon": None})
    rows = [{"place_id": "hood", "name": "Al Jamarik", "deaths": 5},
            {"place_id": "other", "name": "Kereneik", "deaths": 1},
            {"place_id": "anon", "name": None, "deaths": 9},
            {"place_id": "town", "name": "El Geneina", "deaths": 10},
            {"place_id": "hood2", "name": "X", "deaths": 2}]
    folded = fold_ranked(rows, hierarchy, sum_keys=["deaths"])
    assert [r["place_id"] for r in folded] == ["town", "other"]
    town = folded[0]
    assert town["name"] == "El Geneina" and town["deaths"] == 17
    assert {s["place_id"] for s in town["sub_places"]} == {"hood", "hood2"}
    assert fold_ranked(rows, hierarchy, limit=1)[0]["place_id"] == "town"
    # The score a list is ranked by is the group's best, so the town's figure matches its rank.
    assert fold_ranked(rows, hierarchy, max_keys=["deaths"])[0]["deaths"] == 10
    assert "anon" in {r["place_id"] for r in fold_ranked(rows, hierarchy, include_unnamed=True)}
    # A town whose own row is missing takes its best member's place, relabelled.
    only_sub = fold_ranked([{"place_id": "camp", "name": "Ardamata", "deaths": 3}], hierarchy)
    assert only_sub[0]["place_id"] == "town" and only_sub[0]["folded_from"] == "camp"
    assert only_sub[0]["name"] == "El Geneina"


@st.composite
def _forest(draw: st.DrawFn) -> tuple[Hierarchy, list[dict]]:
    n = draw(st.integers(1, 25))
    ids = [f"p{i}" for i in range(n)]
    parent = {}
    for i in range(1, n):
        if draw(st.booleans()):
            parent[ids[i]] = ids[draw(st.integers(0, i - 1))]  # parents come first: no cycles
    names = {pid: draw(st.one_of(st.none(), st.sampled_from(["A", "B", "C"]))) for pid in ids}
    order = draw(st.permutations(ids))
    rows = [{"place_id": pid, "name": names[pid], "deaths": draw(st.integers(0, 50))} for pid in order]
    return Hierarchy(parent=parent, names=names), rows


@given(_forest())
def test_folding_never_loses_a_row_and_shows_each_top_once(case: tuple[Hierarchy, list[dict]]) -> None:
    hierarchy, rows = case
    folded = fold_ranked(rows, hierarchy, sum_keys=["deaths"], include_unnamed=True)
    tops = [r["place_id"] for r in folded]
    assert len(tops) == len(set(tops))
    assert all(hierarchy.top(t) == t for t in tops)
    seen = {t for t in tops} | {s["place_id"] for r in folded for s in r["sub_places"]}
    assert seen == {r["place_id"] for r in rows}
    assert sum(r["deaths"] for r in folded) == sum(r["deaths"] for r in rows)
    # Each group sits at the rank of its best (first) member.
    first = [hierarchy.top(r["place_id"]) for r in rows]
    assert tops == list(dict.fromkeys(first))


@given(how=st.sampled_from(RULES), name=st.text(min_size=1, max_size=40),
       place_class=st.sampled_from(sorted(PARENT_RANK)), km=st.floats(0, 99, allow_nan=False))
def test_a_stored_rule_reads_back_as_written(how: str, name: str, place_class: str, km: float) -> None:
    """The gazetteer stores how a parent was chosen as an English sentence; read_rule gives back
    its parts (the km as written, to a tenth), whatever the town's name holds (brackets, commas)."""
    parts = read_rule(rule_text(how, name, place_class, km))
    assert parts == {"how": how, "name": name, "place_class": place_class, "km": float(f"{km:.1f}")}
    assert read_rule("chosen by hand") is None and read_rule(None) is None
