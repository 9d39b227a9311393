"""Generated fire worlds with known truth, for tests and benchmarks of burnings detection.

A scenario is a rectangle of Darfur-like land with villages, hamlets and towns, and a year of
VIIRS-like detections from three kinds of fire:
- background fires (fields and bush): a dry-season cycle (peak in January, almost none in
  August), seeded in farm belts, in open bush and in the fields around villages, each a front
  that moves a few km a day for one to three days, mostly seen by the afternoon overpass;
- persistent heat sources (brick kilns by towns, flares, dumps): a fixed pixel seen on most
  days for months;
- arson: sweeps that burn villages along a line on successive days, and single burnings; the
  fire fills the settlement, by day and by night, and armed events are often reported nearby in
  the days before. Armed events also happen where nothing burns.
Truth lists every village burned (yes) and every village that field fire or a hot spot reached
(no), with dates. Everything is drawn from one seeded generator: same parameters, same world.

``harvest_world(seed)`` turns on the harder phenomena of the harvest and clearing season (all off
by default, so the plain world stays what it was): farm fires in the fields 1-3 km round many
villages for days, flares and kilns about a kilometre from a few villages, cloud gaps (no
detections at all in a 1-degree block on a day), small night arsons of villages and hamlets
(1-3 detections per overpass, one or two overpasses), towns burned quarter by quarter over
several days, and sweeps along a road whose villages burn one after another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from tocsin.places.gazetteer import SETTLEMENT_RADIUS_KM

KM_PER_DEG = 111.32
DAY_PASS_UTC = 11 * 60  # VIIRS S-NPP crosses Sudan around 13:30 local: ~11:00-12:30 UTC
NIGHT_PASS_UTC = 23 * 60


@dataclass(frozen=True)
class ScenarioParams:
    seed: int = 1
    start: date = date(2024, 1, 1)
    days: int = 365
    south: float = 11.0
    north: float = 14.0
    west: float = 22.5
    east: float = 25.5
    villages: int = 300
    hamlets: int = 120
    towns: int = 8
    fires_per_day_peak: float = 40.0  # background fires a day in January
    near_village_share: float = 0.3  # of background fires, seeded in the fields round a village
    hotspots: int = 20
    hotspots_in_settlements: float = 0.5
    sweeps: int = 5
    villages_per_sweep: tuple[int, int] = (3, 6)
    single_arsons: int = 6
    event_probability: float = 0.6  # an armed event is reported before an arson
    random_events: int = 120  # armed events where nothing burns
    # The harder phenomena (harvest_world); zero means off.
    arson_spread: float = 0.85  # arson fills this share of the settlement's radius
    harvest_ring_share: float = 0.0  # of villages and hamlets, with fields burning round them
    harvest_episodes: tuple[int, int] = (1, 3)  # spells of field burning per such village
    flares_by_villages: int = 0  # flares and kilns ~1 km from a village's centre
    young_kilns: int = 0  # kilns in a village lit in the world's last weeks (not yet persistent)
    cloud_share: float = 0.0  # of (1-degree block, day) pairs clouded over: nothing seen
    night_arsons: int = 0  # villages and hamlets burned at night, 1-3 detections an overpass
    town_burns: int = 0  # towns burned quarter by quarter over several days
    road_sweeps: int = 0  # roads with villages along them, burned one after another
    hamlet_clusters: int = 0  # hamlets mapped a few hundred metres apart, bush fire through them


def harvest_world(seed: int, days: int = 120) -> ScenarioParams:
    """The harvest and clearing season (mid-October on), with every hard phenomenon on."""
    return ScenarioParams(
        seed=seed, start=date(2024, 10, 15), days=days, fires_per_day_peak=30.0,
        sweeps=3, single_arsons=5, hotspots=10, arson_spread=0.6, harvest_ring_share=0.45,
        flares_by_villages=8, young_kilns=6, cloud_share=0.12, night_arsons=10, town_burns=2, road_sweeps=2,
        hamlet_clusters=4)


@dataclass
class Scenario:
    detections: pa.Table
    places: pa.Table
    events: pa.Table
    truth: pa.Table  # place_id, name, latitude, longitude, date_from, date_to, burned, kind
    params: ScenarioParams = field(default_factory=ScenarioParams)


class _Builder:
    def __init__(self, params: ScenarioParams) -> None:
        self.p = params
        self.rng = np.random.default_rng(params.seed)
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in
                                                  ("lat", "lon", "day", "minute", "frp", "kind")}
        self.events: list[dict[str, object]] = []
        self.truth: list[dict[str, object]] = []

    def add(self, lat: np.ndarray, lon: np.ndarray, day: np.ndarray, minute: np.ndarray,
            frp: np.ndarray, kind: int) -> None:
        for name, values in (("lat", lat), ("lon", lon), ("day", day), ("minute", minute),
                             ("frp", frp), ("kind", np.full(len(lat), kind))):
            self.cols[name].append(np.asarray(values))

    def overpass(self, n: int, night_share: float) -> np.ndarray:
        night = self.rng.random(n) < night_share
        return np.where(night, NIGHT_PASS_UTC, DAY_PASS_UTC) + self.rng.integers(0, 60, n)


def generate(params: ScenarioParams | None = None) -> Scenario:
    p = params or ScenarioParams()
    b = _Builder(p)
    rng = b.rng
    places = _places(p, rng)
    p_lat, p_lon = places["latitude"], places["longitude"]
    village_rows = np.flatnonzero(np.isin(places["place_class"], ["village", "hamlet"]))

    _background(b, p, p_lat, p_lon, places["radius_km"], village_rows)
    hot_places = _hotspots(b, p, places)
    burned = _arson(b, p, places, village_rows)
    if p.road_sweeps:
        burned |= _road_sweeps(b, p, places, burned)
    if p.night_arsons:
        burned |= _night_arsons(b, p, places, village_rows, burned)
    if p.town_burns:
        burned |= _town_burns(b, p, places, burned)
    if p.harvest_ring_share:
        _harvest_rings(b, p, places, village_rows)
    if p.hamlet_clusters:
        _cluster_fires(b, p, places)
    if p.flares_by_villages:
        hot_places.update(_flares_by_villages(b, p, places, village_rows, burned))
    if p.young_kilns:
        hot_places.update(_flares_by_villages(b, p, places, village_rows, burned, young=True))
    for _ in range(p.random_events):
        b.events.append({"day": int(rng.integers(0, p.days)),
                         "lat": rng.uniform(p.south, p.north), "lon": rng.uniform(p.west, p.east),
                         "category": str(rng.choice(["battle", "attack_on_civilians"]))})

    lat, lon, day, minute, frp, kind = (np.concatenate(b.cols[k]) for k in
                                        ("lat", "lon", "day", "minute", "frp", "kind"))
    inside = (lat > p.south - 0.2) & (lat < p.north + 0.2) & (lon > p.west - 0.2) & (lon < p.east + 0.2)
    inside &= (day >= 0) & (day < p.days)
    if p.cloud_share:
        inside &= ~_clouded(b, p, lat, lon, day)
    lat, lon, day, minute, frp, kind = (a[inside] for a in (lat, lon, day, minute, frp, kind))
    lat, lon = np.round(lat, 5), np.round(lon, 5)
    # The same pixel seen twice at one overpass is one detection in FIRMS.
    _, first_seen = np.unique(np.stack([np.round(lat * 1e5), np.round(lon * 1e5), day, minute]),
                              axis=1, return_index=True)
    keep = np.sort(first_seen)
    lat, lon, day, minute, frp, kind = (a[keep] for a in (lat, lon, day, minute, frp, kind))
    start = (p.start - date(1970, 1, 1)).days
    hhmm = (minute // 60) * 100 + minute % 60
    confidence = np.where(frp > 15, "high", np.where(rng.random(len(frp)) < 0.05, "low", "nominal"))
    detections = pa.table({
        "latitude": lat, "longitude": lon,
        "acq_date": pa.array((day + start).astype(np.int32), pa.int32()).cast(pa.date32()),
        "acq_time": pa.array(hhmm.astype(np.int16), pa.int16()),
        "sensor": pa.array(["VIIRS"] * len(lat)), "satellite": pa.array(["N"] * len(lat)),
        "confidence": pa.array(confidence.tolist()), "frp": np.round(frp, 2),
        "daynight": pa.array(np.where(minute >= NIGHT_PASS_UTC - 120, "N", "D").tolist()),
        "fire_kind": pa.array(np.array(["background", "hotspot", "arson"])[kind].tolist()),
    })

    _field_fire_truth(b, p, places, village_rows, lat, lon, day, kind, burned, hot_places)
    if p.town_burns or p.road_sweeps or p.night_arsons:
        b.truth = _burning_wins(b.truth)
    if p.cloud_share:
        b.truth = _seen_truth(b.truth, places, lat, lon, day, kind)
    events = pa.table({
        "event_uid": [f"scn:{i}" for i in range(len(b.events))],
        "date_start": pa.array([start + int(e["day"]) for e in b.events], pa.int32()).cast(pa.date32()),
        "latitude": [float(e["lat"]) for e in b.events], "longitude": [float(e["lon"]) for e in b.events],
        "category": [str(e["category"]) for e in b.events],
        "location_precision": ["exact"] * len(b.events),
    })
    truth = pa.Table.from_pylist([{**t, "date_from": p.start + timedelta(days=int(t["date_from"])),
                                   "date_to": p.start + timedelta(days=int(t["date_to"]))}
                                  for t in b.truth], schema=TRUTH_SCHEMA)
    return Scenario(detections, pa.table({k: v for k, v in places.items()}), events, truth, p)


TRUTH_SCHEMA = pa.schema([("place_id", pa.string()), ("name", pa.string()),
                          ("latitude", pa.float64()), ("longitude", pa.float64()),
                          ("date_from", pa.date32()), ("date_to", pa.date32()),
                          ("burned", pa.bool_()), ("kind", pa.string())])


def _places(p: ScenarioParams, rng: np.random.Generator) -> dict[str, np.ndarray]:
    classes = ["town"] * p.towns + ["village"] * p.villages + ["hamlet"] * p.hamlets
    n = len(classes)
    lat = rng.uniform(p.south + 0.1, p.north - 0.1, n)
    lon = rng.uniform(p.west + 0.1, p.east - 0.1, n)
    prefix = {"town": "T", "village": "V", "hamlet": "H"}
    out = {
        "place_id": np.array([f"scn-{prefix[c]}{i:04d}" for i, c in enumerate(classes)], dtype=object),
        "name": np.array([f"{c.title()} {i}" for i, c in enumerate(classes)], dtype=object),
        "place_class": np.array(classes, dtype=object),
        "latitude": np.round(lat, 5), "longitude": np.round(lon, 5),
        "radius_km": np.array([SETTLEMENT_RADIUS_KM[c] for c in classes]),
        "admin1_pcode": np.array(["SD02"] * n, dtype=object),
        "admin2_pcode": np.array([None] * n, dtype=object),
    }
    if p.road_sweeps:
        out = _road_villages(p, rng, out)
    if p.hamlet_clusters:
        out = _hamlet_clusters(p, rng, out)
    return out


def seasonal_factor(day_of_year: np.ndarray) -> np.ndarray:
    """Share of the January peak of field and bush fires: dry-season burning, rainy-season lull."""
    phase = np.cos(2 * np.pi * (day_of_year - 15) / 365.25)
    return 0.03 + 0.97 * ((1 + phase) / 2) ** 2


def _offset(lat: np.ndarray, lon: np.ndarray, north_km: np.ndarray, east_km: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    return (lat + north_km / KM_PER_DEG,
            lon + east_km / (KM_PER_DEG * np.cos(np.radians(lat))))


def _background(b: _Builder, p: ScenarioParams, p_lat: np.ndarray, p_lon: np.ndarray,
                radius: np.ndarray, village_rows: np.ndarray) -> None:
    rng = b.rng
    doy = (np.arange(p.days) + p.start.timetuple().tm_yday - 1) % 365
    per_day = rng.poisson(p.fires_per_day_peak * seasonal_factor(doy))
    fire_day = np.repeat(np.arange(p.days), per_day)
    n = len(fire_day)
    belts_lat = rng.uniform(p.south, p.north, 6)
    belts_lon = rng.uniform(p.west, p.east, 6)
    where = rng.random(n)
    belt = rng.integers(0, 6, n)
    seed_lat = np.where(where < 0.5, belts_lat[belt] + rng.normal(0, 0.25, n),
                        rng.uniform(p.south, p.north, n))
    seed_lon = np.where(where < 0.5, belts_lon[belt] + rng.normal(0, 0.25, n),
                        rng.uniform(p.west, p.east, n))
    # Fields round villages: seeded 1.5-5 km from one, so that some fronts reach it.
    near = rng.random(n) < p.near_village_share
    chosen = rng.choice(village_rows, n)
    angle, dist = rng.uniform(0, 2 * np.pi, n), rng.uniform(1.5, 5.0, n)
    n_lat, n_lon = _offset(p_lat[chosen], p_lon[chosen], dist * np.cos(angle), dist * np.sin(angle))
    seed_lat, seed_lon = np.where(near, n_lat, seed_lat), np.where(near, n_lon, seed_lon)
    # Fields lie round settlements, not in them: a seed that fell inside one moves out of it.
    from tocsin.analysis.settlement_index import SettlementIndex

    index = SettlementIndex(p_lat, p_lon, radius + 0.5)
    point, place, km = index.candidates(seed_lat, seed_lon)
    push = 2 * (radius[place] + 0.5) - km + 0.5
    away = np.arctan2(seed_lat[point] - p_lat[place], seed_lon[point] - p_lon[place])
    seed_lat[point], seed_lon[point] = _offset(seed_lat[point], seed_lon[point],
                                               push * np.sin(away), push * np.cos(away))
    for i in range(n):
        days = int(rng.integers(1, 5))
        heading = rng.uniform(0, 2 * np.pi)
        speed = rng.uniform(2.0, 6.0)  # km a day
        width = rng.uniform(2.0, 6.0)  # km across the front
        for d in range(days):
            k = int(rng.integers(2, 14))
            along = speed * (d + rng.random(k))  # the strip it burned that day
            across = rng.uniform(-width / 2, width / 2, k)
            north = along * math.cos(heading) - across * math.sin(heading)
            east = along * math.sin(heading) + across * math.cos(heading)
            lat, lon = _offset(np.full(k, seed_lat[i]), np.full(k, seed_lon[i]), north, east)
            b.add(lat, lon, np.full(k, fire_day[i] + d), b.overpass(k, 0.2),
                  rng.lognormal(1.3, 0.8, k), 0)


def _hotspots(b: _Builder, p: ScenarioParams, places: dict[str, np.ndarray]) -> dict[int, int]:
    """Kilns and flares; returns {place row: detections} for those inside a settlement."""
    rng = b.rng
    out: dict[int, int] = {}
    towns_first = np.argsort(np.array([c != "town" for c in places["place_class"]]), kind="stable")
    for h in range(p.hotspots):
        if rng.random() < p.hotspots_in_settlements:
            row = int(towns_first[h % len(towns_first)]) if h % 2 == 0 else int(
                rng.integers(0, len(places["latitude"])))
            r = places["radius_km"][row] * 0.6
            lat, lon = _offset(places["latitude"][row:row + 1], places["longitude"][row:row + 1],
                               rng.uniform(-r, r, 1), rng.uniform(-r, r, 1))
        else:
            row = -1
            lat = rng.uniform(p.south, p.north, 1)
            lon = rng.uniform(p.west, p.east, 1)
        first = int(rng.integers(0, p.days // 3))
        last = int(rng.integers(first + 90, p.days + 60))
        active = np.arange(first, min(last, p.days))
        active = active[rng.random(len(active)) < 0.6]
        per = rng.integers(1, 3, len(active))
        day = np.repeat(active, per)
        k = len(day)
        jitter_lat, jitter_lon = _offset(np.full(k, lat[0]), np.full(k, lon[0]),
                                         rng.normal(0, 0.08, k), rng.normal(0, 0.08, k))
        b.add(jitter_lat, jitter_lon, day, b.overpass(k, 0.5), rng.lognormal(1.5, 0.4, k), 1)
        if row >= 0:
            out[row] = out.get(row, 0) + k
            b.truth.append({"place_id": places["place_id"][row], "name": places["name"][row],
                            "latitude": float(places["latitude"][row]),
                            "longitude": float(places["longitude"][row]), "date_from": first,
                            "date_to": min(last, p.days) - 1, "burned": False, "kind": "hot spot"})
    return out


def _burn(b: _Builder, places: dict[str, np.ndarray], row: int, day: int) -> tuple[int, int]:
    """Set a settlement on fire: detections fill it over one to three days, day and night."""
    rng = b.rng
    r = places["radius_km"][row] * b.p.arson_spread
    scale = {"town": 3.0, "village": 1.0, "hamlet": 0.5}.get(places["place_class"][row], 1.0)
    k = int(max(2, rng.poisson(14 * scale))) if rng.random() > 0.15 else int(rng.integers(2, 5))
    days = int(rng.integers(1, 4))
    dist = r * np.sqrt(rng.random(k))
    angle = rng.uniform(0, 2 * np.pi, k)
    lat, lon = _offset(np.full(k, places["latitude"][row]), np.full(k, places["longitude"][row]),
                       dist * np.cos(angle), dist * np.sin(angle))
    offsets = np.sort(rng.integers(0, days, k))
    b.add(lat, lon, day + offsets, b.overpass(k, 0.45), rng.lognormal(2.0, 0.8, k), 2)
    return day, day + int(offsets.max())


def _arson(b: _Builder, p: ScenarioParams, places: dict[str, np.ndarray],
           village_rows: np.ndarray) -> set[int]:
    rng = b.rng
    lat, lon = places["latitude"], places["longitude"]
    burned: set[int] = set()
    for _ in range(p.sweeps):
        start_row = int(rng.choice(village_rows))
        heading = rng.uniform(0, 2 * np.pi)
        north = (lat[village_rows] - lat[start_row]) * KM_PER_DEG
        east = (lon[village_rows] - lon[start_row]) * KM_PER_DEG * math.cos(math.radians(lat[start_row]))
        along = north * math.cos(heading) + east * math.sin(heading)
        across = -north * math.sin(heading) + east * math.cos(heading)
        on_line = np.flatnonzero((along >= 0) & (along <= 70) & (np.abs(across) <= 6))
        on_line = on_line[np.argsort(along[on_line])]
        low, high = p.villages_per_sweep
        rows = [int(village_rows[i]) for i in on_line[: int(rng.integers(low, high + 1))]]
        rows = [r for r in rows if r not in burned]
        if len(rows) < 2:
            continue
        day = int(rng.integers(10, p.days - 20))
        if rng.random() < p.event_probability:
            b.events.append({"day": day - int(rng.integers(1, 5)), "lat": lat[rows[0]] + 0.03,
                             "lon": lon[rows[0]], "category": "attack_on_civilians"})
        for row in rows:
            first, last = _burn(b, places, row, day)
            _truth_yes(b, places, row, first, last, "arson sweep")
            burned.add(row)
            day += int(rng.integers(0, 2))
    for _ in range(p.single_arsons):
        row = int(rng.choice(village_rows))
        if row in burned:
            continue
        day = int(rng.integers(10, p.days - 10))
        if rng.random() < p.event_probability:
            b.events.append({"day": day - int(rng.integers(0, 4)), "lat": lat[row] - 0.05,
                             "lon": lon[row], "category": "battle"})
        first, last = _burn(b, places, row, day)
        _truth_yes(b, places, row, first, last, "arson")
        burned.add(row)
    return burned


def _truth_yes(b: _Builder, places: dict[str, np.ndarray], row: int, first: int, last: int,
               kind: str) -> None:
    b.truth.append({"place_id": places["place_id"][row], "name": places["name"][row],
                    "latitude": float(places["latitude"][row]),
                    "longitude": float(places["longitude"][row]), "date_from": first,
                    "date_to": last, "burned": True, "kind": kind})


def _field_fire_truth(b: _Builder, p: ScenarioParams, places: dict[str, np.ndarray],
                      village_rows: np.ndarray, lat: np.ndarray, lon: np.ndarray, day: np.ndarray,
                      kind: np.ndarray, burned: set[int], hot: dict[int, int]) -> None:
    """Villages that a background fire reached (two or more detections inside): truth 'no'."""
    from tocsin.analysis.settlement_index import SettlementIndex

    bg = np.flatnonzero(kind == 0)
    index = SettlementIndex(places["latitude"], places["longitude"], places["radius_km"])
    point, place, _ = index.candidates(lat[bg], lon[bg])
    reached: dict[int, list[int]] = {}
    bg_day = day[bg]
    for pt, pl in zip(point.tolist(), place.tolist(), strict=True):
        reached.setdefault(pl, []).append(int(bg_day[pt]))
    for row, days in sorted(reached.items()):
        if row in burned or row in hot:
            continue
        days.sort()
        # One truth row per spell of field fire (a week apart is another spell).
        spells: list[list[int]] = [[days[0]]]
        for d in days[1:]:
            (spells[-1].append(d) if d - spells[-1][-1] <= 7 else spells.append([d]))
        for spell in spells:
            if len(spell) < 2:
                continue
            b.truth.append({"place_id": places["place_id"][row], "name": places["name"][row],
                            "latitude": float(places["latitude"][row]),
                            "longitude": float(places["longitude"][row]), "date_from": spell[0],
                            "date_to": spell[-1], "burned": False, "kind": "field fire"})



# -- the harder phenomena (harvest_world) -------------------------------------------------------
def _road_villages(p: ScenarioParams, rng: np.random.Generator,
                   places: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Villages strung along roads (one per road sweep), 3-7 km apart: settlements follow roads."""
    lat: list[float] = []
    lon: list[float] = []
    for _ in range(p.road_sweeps):
        y = float(rng.uniform(p.south + 0.5, p.north - 0.5))
        x = float(rng.uniform(p.west + 0.5, p.east - 0.5))
        heading = float(rng.uniform(0, 2 * np.pi))
        along = np.cumsum(rng.uniform(3.0, 7.0, 10))
        side = rng.normal(0, 0.4, 10)
        north = along * math.cos(heading) - side * math.sin(heading)
        east = along * math.sin(heading) + side * math.cos(heading)
        r_lat, r_lon = _offset(np.full(10, y), np.full(10, x), north, east)
        lat += r_lat.tolist()
        lon += r_lon.tolist()
    return _append_places(places, lat, lon, "village", "R", "Road village")


def _append_places(places: dict[str, np.ndarray], lat: list[float], lon: list[float],
                   place_class: str, prefix: str, label: str) -> dict[str, np.ndarray]:
    start = len(places["place_id"])
    extra = len(lat)
    return {
        "place_id": np.concatenate([places["place_id"], np.array(
            [f"scn-{prefix}{start + i:04d}" for i in range(extra)], dtype=object)]),
        "name": np.concatenate([places["name"], np.array(
            [f"{label} {start + i}" for i in range(extra)], dtype=object)]),
        "place_class": np.concatenate([places["place_class"], np.array([place_class] * extra, dtype=object)]),
        "latitude": np.concatenate([places["latitude"], np.round(lat, 5)]),
        "longitude": np.concatenate([places["longitude"], np.round(lon, 5)]),
        "radius_km": np.concatenate([places["radius_km"], np.full(extra, SETTLEMENT_RADIUS_KM[place_class])]),
        "admin1_pcode": np.concatenate([places["admin1_pcode"], np.array(["SD02"] * extra, dtype=object)]),
        "admin2_pcode": np.concatenate([places["admin2_pcode"], np.array([None] * extra, dtype=object)]),
    }


def _hamlet_clusters(p: ScenarioParams, rng: np.random.Generator,
                     places: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Clusters of 6-12 hamlets 300-800 m apart, as OSM maps farmsteads in Kordofan."""
    lat: list[float] = []
    lon: list[float] = []
    for _ in range(p.hamlet_clusters):
        y = float(rng.uniform(p.south + 0.3, p.north - 0.3))
        x = float(rng.uniform(p.west + 0.3, p.east - 0.3))
        k = int(rng.integers(6, 13))
        c_lat, c_lon = _offset(np.full(k, y), np.full(k, x), rng.uniform(-1.2, 1.2, k),
                               rng.uniform(-1.2, 1.2, k))
        lat += c_lat.tolist()
        lon += c_lon.tolist()
    return _append_places(places, lat, lon, "hamlet", "C", "Cluster hamlet")


def _cluster_fires(b: _Builder, p: ScenarioParams, places: dict[str, np.ndarray]) -> None:
    """Bush fire through each hamlet cluster once or twice: a strip 4 km by 2 km across it, by
    day, for a day or two: every hamlet in it has fire and nothing but hamlets round it."""
    rng = b.rng
    rows = np.flatnonzero(np.char.startswith(places["place_id"].astype(str), "scn-C"))
    if not len(rows):
        return
    centre_lat = places["latitude"][rows]
    centre_lon = places["longitude"][rows]
    # Clusters are far apart: group the hamlets by rounding to 0.1 degree.
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (y, x) in enumerate(zip(centre_lat.tolist(), centre_lon.tolist(), strict=True)):
        groups.setdefault((round(y * 10), round(x * 10)), []).append(i)
    for members in groups.values():
        y, x = float(centre_lat[members].mean()), float(centre_lon[members].mean())
        for _ in range(int(rng.integers(1, 3))):
            day = int(rng.integers(0, p.days - 3))
            heading = rng.uniform(0, np.pi)
            for d in range(int(rng.integers(1, 3))):
                k = int(rng.integers(8, 25))
                along, across = rng.uniform(-2, 2, k), rng.uniform(-1, 1, k)
                north = along * math.cos(heading) - across * math.sin(heading)
                east = along * math.sin(heading) + across * math.cos(heading)
                lat, lon = _offset(np.full(k, y), np.full(k, x), north, east)
                b.add(lat, lon, np.full(k, day + d), b.overpass(k, 0.15),
                      rng.lognormal(1.3, 0.8, k), 0)


def _footprint_points(b: _Builder, places: dict[str, np.ndarray], row: int, k: int,
                      share: float) -> tuple[np.ndarray, np.ndarray]:
    """k points spread over the settlement's built-up core (``share`` of its radius)."""
    rng = b.rng
    dist = places["radius_km"][row] * share * np.sqrt(rng.random(k))
    angle = rng.uniform(0, 2 * np.pi, k)
    return _offset(np.full(k, places["latitude"][row]), np.full(k, places["longitude"][row]),
                   dist * np.cos(angle), dist * np.sin(angle))


def _road_sweeps(b: _Builder, p: ScenarioParams, places: dict[str, np.ndarray],
                 burned: set[int]) -> set[int]:
    """Each road's villages burned one after another, a day or so apart, mostly at night."""
    rng = b.rng
    rows = np.flatnonzero(np.char.startswith(places["place_id"].astype(str), "scn-R"))
    out: set[int] = set()
    for road in range(p.road_sweeps):
        on_road = rows[road * 10:(road + 1) * 10]
        first = int(rng.integers(0, 4))
        chosen = on_road[first:first + int(rng.integers(4, 8))]
        day = int(rng.integers(10, p.days - 20))
        if rng.random() < p.event_probability:
            b.events.append({"day": day - 1, "lat": places["latitude"][chosen[0]],
                             "lon": places["longitude"][chosen[0]] + 0.04,
                             "category": "attack_on_civilians"})
        for row in chosen.tolist():
            if row in burned:
                continue
            k = int(rng.integers(2, 9))
            lat, lon = _footprint_points(b, places, row, k, p.arson_spread)
            offsets = np.sort(rng.integers(0, 2, k))
            b.add(lat, lon, day + offsets, b.overpass(k, 0.7), rng.lognormal(1.8, 0.8, k), 2)
            _truth_yes(b, places, row, day, day + int(offsets.max()), "road sweep")
            out.add(row)
            day += int(rng.integers(0, 2))
    return out


def _night_arsons(b: _Builder, p: ScenarioParams, places: dict[str, np.ndarray],
                  village_rows: np.ndarray, burned: set[int]) -> set[int]:
    """Villages and hamlets burned at night: 1-3 detections an overpass, one or two overpasses."""
    rng = b.rng
    out: set[int] = set()
    for _ in range(p.night_arsons):
        row = int(rng.choice(village_rows))
        if row in burned or row in out:
            continue
        day = int(rng.integers(5, p.days - 5))
        passes = int(rng.integers(1, 3))
        for i in range(passes):
            k = int(rng.integers(1, 4))
            lat, lon = _footprint_points(b, places, row, k, p.arson_spread)
            night = rng.random() < 0.85
            minute = (NIGHT_PASS_UTC if night else DAY_PASS_UTC) + rng.integers(0, 60, k)
            # The second overpass is the next one: the day's other pass or the next night.
            b.add(lat, lon, np.full(k, day + i), minute, rng.lognormal(1.5, 0.7, k), 2)
        _truth_yes(b, places, row, day, day + passes - 1, "night arson")
        out.add(row)
    return out


def _town_burns(b: _Builder, p: ScenarioParams, places: dict[str, np.ndarray],
                burned: set[int]) -> set[int]:
    """A town burned over four to seven days, a quarter or two a day, by day and night."""
    rng = b.rng
    towns = np.flatnonzero(places["place_class"] == "town")
    out: set[int] = set()
    for row in rng.permutation(towns)[:p.town_burns].tolist():
        if row in burned:
            continue
        day = int(rng.integers(10, p.days - 15))
        days = int(rng.integers(4, 8))
        quarter = rng.uniform(0, 2 * np.pi, days)
        for d in range(days):
            k = int(rng.integers(3, 12))
            dist = places["radius_km"][row] * p.arson_spread * np.sqrt(rng.random(k))
            angle = quarter[d] + rng.normal(0, 0.5, k)
            lat, lon = _offset(np.full(k, places["latitude"][row]), np.full(k, places["longitude"][row]),
                               dist * np.cos(angle), dist * np.sin(angle))
            b.add(lat, lon, np.full(k, day + d), b.overpass(k, 0.5), rng.lognormal(2.0, 0.8, k), 2)
        _truth_yes(b, places, row, day, day + days - 1, "town burned over days")
        out.add(row)
    return out


def _harvest_rings(b: _Builder, p: ScenarioParams, places: dict[str, np.ndarray],
                   village_rows: np.ndarray) -> None:
    """Farm fires in the fields round villages: 0.3-2.3 km beyond the built-up core, on one or
    two sides, for two to six days, by day, a few spells each in the season."""
    rng = b.rng
    chosen = village_rows[rng.random(len(village_rows)) < p.harvest_ring_share]
    low, high = p.harvest_episodes
    for row in chosen.tolist():
        core = places["radius_km"][row] * p.arson_spread
        for _ in range(int(rng.integers(low, high + 1))):
            day = int(rng.integers(0, p.days - 6))
            side = rng.uniform(0, 2 * np.pi)
            for d in range(int(rng.integers(2, 7))):
                k = int(rng.integers(1, 9))
                dist = core + rng.uniform(0.3, 2.3, k)
                angle = side + rng.normal(0, 0.9, k)
                lat, lon = _offset(np.full(k, places["latitude"][row]),
                                   np.full(k, places["longitude"][row]),
                                   dist * np.cos(angle), dist * np.sin(angle))
                b.add(lat, lon, np.full(k, day + d), b.overpass(k, 0.1),
                      rng.lognormal(1.3, 0.8, k), 0)


def _flares_by_villages(b: _Builder, p: ScenarioParams, places: dict[str, np.ndarray],
                        village_rows: np.ndarray, burned: set[int], young: bool = False
                        ) -> dict[int, int]:
    """Flares and kilns 0.8-1.3 km from a village's centre, on most days of the world; or,
    ``young``, kilns in a village lit 20-35 days before the world ends (too short a history to
    be called persistent: only their steady trickle tells them from a burning)."""
    rng = b.rng
    out: dict[int, int] = {}
    for _ in range(p.young_kilns if young else p.flares_by_villages):
        row = int(rng.choice(village_rows))
        dist, angle = rng.uniform(0.2, 0.9) if young else rng.uniform(0.8, 1.3), rng.uniform(0, 2 * np.pi)
        lat, lon = _offset(places["latitude"][row:row + 1], places["longitude"][row:row + 1],
                           np.array([dist * math.cos(angle)]), np.array([dist * math.sin(angle)]))
        lit = p.days - int(rng.integers(20, 36)) if young else 0
        active = np.arange(lit, p.days)[rng.random(p.days - lit) < 0.6]
        day = np.repeat(active, rng.integers(1, 3, len(active)))
        k = len(day)
        j_lat, j_lon = _offset(np.full(k, lat[0]), np.full(k, lon[0]),
                               rng.normal(0, 0.08, k), rng.normal(0, 0.08, k))
        b.add(j_lat, j_lon, day, b.overpass(k, 0.5), rng.lognormal(1.5, 0.4, k), 1)
        if row not in burned:
            out[row] = out.get(row, 0) + k
            b.truth.append({"place_id": places["place_id"][row], "name": places["name"][row],
                            "latitude": float(places["latitude"][row]),
                            "longitude": float(places["longitude"][row]), "date_from": lit,
                            "date_to": p.days - 1, "burned": False,
                            "kind": "young kiln" if young else "flare nearby"})
    return out


def _burning_wins(truth: list[dict[str, object]]) -> list[dict[str, object]]:
    """A place that burned while a kiln there also smoked: the burning is the truth of those
    days, so a 'no' row overlapping a 'yes' row of the same place goes."""
    yes: dict[object, list[tuple[int, int]]] = {}
    for t in truth:
        if t["burned"]:
            yes.setdefault(t["place_id"], []).append((int(t["date_from"]), int(t["date_to"])))  # type: ignore[call-overload]
    return [t for t in truth if t["burned"] or not any(
        lo <= int(t["date_to"]) and hi >= int(t["date_from"])  # type: ignore[call-overload]
        for lo, hi in yes.get(t["place_id"], []))]


def _seen_truth(truth: list[dict[str, object]], places: dict[str, np.ndarray], lat: np.ndarray,
                lon: np.ndarray, day: np.ndarray, kind: np.ndarray) -> list[dict[str, object]]:
    """A burning that clouds hid entirely left nothing to find: it leaves the truth list."""
    from tocsin.spatial import haversine_km

    arson = np.flatnonzero(kind == 2)
    row_of = {pid: i for i, pid in enumerate(places["place_id"].tolist())}
    kept = []
    for t in truth:
        if t["burned"]:
            row = row_of[t["place_id"]]
            when = (day[arson] >= int(t["date_from"])) & (day[arson] <= int(t["date_to"]))  # type: ignore[call-overload]
            near = haversine_km(places["latitude"][row], places["longitude"][row],
                                lat[arson][when], lon[arson][when]) <= places["radius_km"][row]
            if not near.any():
                continue
        kept.append(t)
    return kept


def _clouded(b: _Builder, p: ScenarioParams, lat: np.ndarray, lon: np.ndarray,
             day: np.ndarray) -> np.ndarray:
    """Which detections a cloud hid: whole (1-degree block, day) pairs see nothing."""
    rows = math.ceil(p.north - p.south) + 2
    cols = math.ceil(p.east - p.west) + 2
    cloud = b.rng.random((rows, cols, p.days)) < p.cloud_share
    r = np.clip(np.floor(lat - p.south + 1).astype(np.int64), 0, rows - 1)
    c = np.clip(np.floor(lon - p.west + 1).astype(np.int64), 0, cols - 1)
    return cloud[r, c, np.clip(day, 0, p.days - 1)]
