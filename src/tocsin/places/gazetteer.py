"""The gazetteer: one place per real place, merged from every place source in the lake.

Records from different sources are the same place when they share a name key (``skeleton``)
and lie within the merge radius of the larger one's class. Each merged place keeps all its
names and source ids, and gets the admin areas (COD-AB) its point lies in. Method and radii:
docs/methods/gazetteer.md.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import shapely
from shapely import STRtree

from tocsin.places.classes import CLASS_RANK, attributes_of, camp_aliases, merged_class, record_class
from tocsin.places.hierarchy import assign_parents
from tocsin.places.names import is_arabic, normalize, skeleton
from tocsin.places.reference import REFERENCE_SOURCE, reference_records
from tocsin.spatial import cell_size_for_km, grid_cell, haversine_km

# How far apart two records of one place can be, by the larger one's class (km).
MERGE_RADIUS_KM = {"city": 15.0, "town": 8.0, "village": 3.0, "hamlet": 2.0,
                   "isolated_dwelling": 1.0, "camp": 3.0, "idp_site": 3.0, "neighbourhood": 1.5}
# The area a place covers, for linking points to it (km): a city spreads wider than a hamlet.
SETTLEMENT_RADIUS_KM = {"city": 8.0, "town": 4.0, "village": 1.5, "hamlet": 1.0,
                        "isolated_dwelling": 0.5, "camp": 2.0, "idp_site": 1.5,
                        "neighbourhood": 1.0}
# Whose coordinates and names to prefer when records disagree. The reference list
# (reference_places.yaml) is curated for exactly the places whose sources disagree or lack them.
SOURCE_PRIORITY = {REFERENCE_SOURCE: 6, "geonames": 5, "osm": 4, "iom-dtm-sites": 3,
                   "hiu-villages": 2}
AIRPORT_CODE_LENGTH = 3


@dataclass
class Record:
    source: str
    source_id: str
    names: list[str]
    name: str | None
    name_en: str | None
    name_ar: str | None
    place_class: str
    lat: float
    lon: float
    population: int | None
    households: int | None
    status: str | None
    status_year: str | None
    source_class: str = ""  # the class the source gave, before the rules in places/classes.py


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def merge_keys(record: Record) -> set[str]:
    """Name keys used to merge: airport codes (ELF, EGN) would join unrelated places."""
    keys = set()
    for name in record.names:
        if len(name) == AIRPORT_CODE_LENGTH and name.isupper():
            continue
        key = skeleton(name)
        if len(key) >= 2:
            keys.add(key)
    return keys


def cluster(records: list[Record]) -> list[list[int]]:
    """Groups of record indices that are one place."""
    uf = UnionFind(len(records))
    size = cell_size_for_km(max(MERGE_RADIUS_KM.values()))
    lat = np.array([r.lat for r in records])
    lon = np.array([r.lon for r in records])
    rows, cols = grid_cell(lat, lon, size)
    buckets: dict[tuple[str, int, int], list[int]] = {}
    keys = [merge_keys(r) for r in records]
    for i, record_keys in enumerate(keys):
        for key in record_keys:
            buckets.setdefault((key, int(rows[i]), int(cols[i])), []).append(i)
    for i, record_keys in enumerate(keys):
        for key in record_keys:
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    for j in buckets.get((key, int(rows[i]) + dr, int(cols[i]) + dc), ()):
                        if j <= i or (records[i].source == records[j].source and \
                                records[i].source != "geonames"):
                            # Within one source, two records are two places; GeoNames ships
                            # as two files (cities500, cities1000) listing the same towns.
                            continue
                        reach = max(MERGE_RADIUS_KM.get(records[i].place_class, 3.0),
                                    MERGE_RADIUS_KM.get(records[j].place_class, 3.0))
                        if haversine_km(lat[i], lon[i], lat[j], lon[j]) <= reach:
                            uf.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(records)):
        groups.setdefault(uf.find(i), []).append(i)
    return list(groups.values())


def _place_id(record: Record) -> str:
    digest = hashlib.sha1(f"{record.source}:{record.source_id}".encode()).hexdigest()[:12]
    return f"p-{digest}"


def _best(members: list[Record]) -> Record:
    return max(members, key=lambda r: (CLASS_RANK.get(r.place_class, 0),
                                       SOURCE_PRIORITY.get(r.source, 0), r.population or 0,
                                       bool(r.name), r.source_id))


NON_ARABIC_LETTERS = set("یکہےگچپژۃ")  # Persian and Urdu letters in GeoNames' alternates


def _arabic_name(members: list[Record]) -> str | None:
    """The Arabic name to show. OSM and IOM tag it; GeoNames only lists Arabic-script spellings
    among many languages', so from those take one in Arabic proper that sounds like the English
    name (the longest: GeoNames also lists clipped forms such as كسل for كسلا)."""
    # Arabic names are Arabic script: OSM's name:ar sometimes holds English text.
    tagged = _first(r.name_ar for r in members if r.source != "geonames" and r.name_ar
                    and is_arabic(r.name_ar))
    if tagged:
        return tagged
    for record in members:
        target = skeleton(record.name or "")
        spellings = [n for n in record.names if is_arabic(n) and not NON_ARABIC_LETTERS & set(n)
                     and skeleton(n) == target]
        if spellings:
            return max(spellings, key=len)
    return None


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


def build_gazetteer(places: pa.Table, admin2: pa.Table | None,
                    reference: Iterable[dict[str, object]] | None = None) -> tuple[pa.Table, pa.Table]:
    """Merge place records into places; returns (gazetteer, place_names). ``reference``: the
    curated records to add (default: reference_places.yaml; pass () for the lake's alone)."""
    # Sorted, so that the same lake gives the same gazetteer whatever order it is read in.
    rows = [*places.to_pylist(), *(reference_records() if reference is None else reference)]
    records = sorted((r for r in map(_record, rows) if r is not None),
                     key=lambda r: (r.source, r.source_id))
    groups = [sorted((records[i] for i in group),
                     key=lambda r: (-SOURCE_PRIORITY.get(r.source, 0), r.source, r.source_id))
              for group in cluster(records)]
    bests = [_best(members) for members in groups]
    admin1_codes, admin2_codes = admin_codes(admin2, np.array([b.lat for b in bests]),
                                             np.array([b.lon for b in bests]))
    out: list[dict[str, object]] = []
    names_out: list[dict[str, str]] = []
    for members, best, admin1, admin2_code in zip(groups, bests, admin1_codes, admin2_codes,
                                                  strict=True):
        all_names = list(dict.fromkeys(n for r in members for n in r.names if n))
        name_ar = _arabic_name(members)
        place_class = merged_class((r.source, r.place_class, r.population) for r in members)
        name_en = _first([n for n in (best.name_en, best.name) if n and not is_arabic(n)]
                         + [r.name_en for r in members if r.name_en and not is_arabic(r.name_en)]
                         + [n for n in all_names if not is_arabic(n)])
        place_id = _place_id(best)
        out.append({
            "place_id": place_id,
            "name": name_en or name_ar or best.name,
            "name_en": name_en,
            "name_ar": name_ar,
            "names": all_names,
            "place_class": place_class,
            "latitude": best.lat,
            "longitude": best.lon,
            "radius_km": SETTLEMENT_RADIUS_KM.get(place_class, 1.5),
            "population": max((r.population or 0 for r in members), default=0) or None,
            "households": max((r.households or 0 for r in members), default=0) or None,
            "admin1_pcode": admin1,
            "admin2_pcode": admin2_code,
            "hiu_status": _first(r.status for r in members if r.source == "hiu-villages"),
            "hiu_year": _first(r.status_year for r in members if r.source == "hiu-villages"),
            "sources": sorted({r.source for r in members}),
            "source_ids": [f"{r.source}:{r.source_id}" for r in members],
            "importance": _importance(place_class, members),
            "own_keys": {skeleton(n) for r in members for n in (r.name, r.name_en, r.name_ar) if n},
        })
    table = pa.Table.from_pylist(out, schema=GAZETTEER_SCHEMA)
    parents, rules = assign_parents(table)
    _drop_borrowed_aliases(out, parents)
    for place in out:
        for name in place["names"]:  # type: ignore[attr-defined]
            names_out.append({"place_id": place["place_id"], "name": name,
                              "normalized": normalize(name), "skeleton": skeleton(name)})
    table = pa.Table.from_pylist(out, schema=GAZETTEER_SCHEMA)
    table = table.append_column("parent_id", pa.array(parents, pa.string()))
    table = table.append_column("parent_rule", pa.array(rules, pa.string()))
    return table, pa.Table.from_pylist(names_out, schema=NAMES_SCHEMA)


BORROWING_CLASSES = {"city", "town", "camp", "neighbourhood"}


def _drop_borrowed_aliases(out: list[dict[str, object]], parents: list[str | None]) -> None:
    """Aliases that are another place's own name are dropped (GeoNames lists Tendelti, a town in
    White Nile, among El Fasher's alternate names; a neighbourhood's name on its city): an alias
    stays when it sounds like one of the place's own names, or when no town, city, camp or
    neighbourhood (nor one of the place's sub-places) is called so."""
    index = {place["place_id"]: i for i, place in enumerate(out)}
    children: dict[int, set[str]] = {}
    for i, parent in enumerate(parents):
        if parent is not None:
            children.setdefault(index[parent], set()).update(out[i]["own_keys"])  # type: ignore[arg-type]
    claimed: dict[str, set[int]] = {}
    for i, place in enumerate(out):
        if place["place_class"] in BORROWING_CLASSES:
            for key in place["own_keys"]:  # type: ignore[attr-defined]
                claimed.setdefault(key, set()).add(i)
    for i, place in enumerate(out):
        own: set[str] = place.pop("own_keys")  # type: ignore[assignment]
        kept = []
        for name in place["names"]:  # type: ignore[attr-defined]
            key = skeleton(name)
            borrowed = key not in own and (bool(claimed.get(key, set()) - {i})
                                           or key in children.get(i, set()))
            if not borrowed:
                kept.append(name)
        place["names"] = kept


def _importance(place_class: str, members: list[Record]) -> float:
    """Ranks equally good name matches: bigger and better-attested places first."""
    population = max((r.population or 0 for r in members), default=0)
    return CLASS_RANK.get(place_class, 0) + math.log10(1 + population) + 0.5 * len(
        {r.source for r in members})


def _record(row: dict[str, object]) -> Record | None:
    lat, lon = row.get("latitude"), row.get("longitude")
    if lat is None or lon is None:
        return None
    names = [row.get("name"), row.get("name_en"), row.get("name_ar"), *(row.get("alt_names") or [])]
    names = [str(n).strip() for n in names if n and str(n).strip()]
    names += [alias for n in names for alias in camp_aliases(n)]
    source = str(row["source"])
    source_class = str(row.get("place_class") or "village")
    return Record(
        source=source, source_id=str(row["source_id"]),
        names=list(dict.fromkeys(names)),
        name=row.get("name"), name_en=row.get("name_en"), name_ar=row.get("name_ar"),  # type: ignore[arg-type]
        place_class=record_class(source, source_class, names, attributes_of(row.get("attributes"))),
        source_class=source_class,
        lat=float(lat), lon=float(lon),  # type: ignore[arg-type]
        population=row.get("population"), households=row.get("households"),  # type: ignore[arg-type]
        status=row.get("status"), status_year=row.get("status_year"),  # type: ignore[arg-type]
    )


def admin_codes(admin2: pa.Table | None, lat: np.ndarray, lon: np.ndarray) -> tuple[list, list]:
    """Vectorised point-in-polygon for many points (events)."""
    n = len(lat)
    if admin2 is None or admin2.num_rows == 0 or n == 0:
        return [None] * n, [None] * n
    geoms = shapely.from_wkb(admin2.column("geometry_wkb").to_pylist())
    codes = admin2.column("pcode").to_pylist()
    parents = admin2.column("parent_pcode").to_pylist()
    points = shapely.points(lon, lat)
    point_idx, area_idx = STRtree(geoms).query(points, predicate="intersects")
    a1: list[str | None] = [None] * n
    a2: list[str | None] = [None] * n
    for p, a in zip(point_idx.tolist(), area_idx.tolist(), strict=True):
        if a2[p] is None:
            a1[p], a2[p] = parents[a], codes[a]
    return a1, a2


GAZETTEER_SCHEMA = pa.schema([
    ("place_id", pa.string()), ("name", pa.string()), ("name_en", pa.string()),
    ("name_ar", pa.string()), ("names", pa.list_(pa.string())), ("place_class", pa.string()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("radius_km", pa.float64()),
    ("population", pa.int64()), ("households", pa.int64()), ("admin1_pcode", pa.string()),
    ("admin2_pcode", pa.string()), ("hiu_status", pa.string()), ("hiu_year", pa.string()),
    ("sources", pa.list_(pa.string())), ("source_ids", pa.list_(pa.string())),
    ("importance", pa.float64()),
])
NAMES_SCHEMA = pa.schema([("place_id", pa.string()), ("name", pa.string()),
                          ("normalized", pa.string()), ("skeleton", pa.string())])

