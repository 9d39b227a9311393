"""A continent-sized generated world, for measuring Tocsin at scale (bench/scale.py).

The continent is cut into regions of ``region_deg`` degrees; each region is one scenario of
``analysis.scenarios`` (its own seed, its own settlements, field fires, persistent sources, arson
sweeps and events, with known truth), so every phenomenon the detector is tested on appears at
scale too. How many settlements a region holds follows a density template: by default the
pattern of a real gazetteer (settlements per region in Sudan's, tiled over the continent in a
seeded shuffle), so that empty desert and crowded farmland both occur. The fire rate is set so
that the world reaches the asked-for number of detections.

Regions are written to Parquet one at a time, so a world of 100 million detections never sits in
memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tocsin.analysis.scenarios import ScenarioParams, generate, seasonal_factor

if TYPE_CHECKING:
    from tocsin.analysis.inputs import ForecastInputs

# A default scenario region (3 x 3 degrees, 40 fires a day at the January peak) yields about
# this many detections per unit of fires_per_day_peak over a year (measured on seeds 1-5).
DETECTIONS_PER_FIRE_RATE = 2_700
# What the settlements' own fire adds, whatever the fire rate (measured on a region of 1,812
# places over a year): a persistent source ~190 detections a year, a sweep ~41, an arson ~10.
PER_HOTSPOT_YEAR, PER_SWEEP, PER_ARSON = 190, 41, 10
# One settlement in 200 has a persistent source (a kiln, a flare, a dump): at one in 20 the
# sources alone made twice the detections asked for at 1 M places.
PLACES_PER_HOTSPOT = 200


@dataclass(frozen=True)
class WorldParams:
    seed: int = 1
    detections: int = 10_000_000
    places: int = 1_000_000
    south: float = -34.0
    north: float = 36.0
    west: float = -17.0
    east: float = 51.0
    region_deg: float = 3.0
    days: int = 365
    # Relative settlement density per region (any length: it is tiled); None: uniform.
    density: tuple[float, ...] | None = None


@dataclass(frozen=True)
class WorldFiles:
    detections: list[Path]
    places: Path
    events: Path
    truth: Path
    regions: int
    detection_rows: int
    place_rows: int


def density_template(lat: np.ndarray, lon: np.ndarray, region_deg: float) -> tuple[float, ...]:
    """Settlements per region of a real gazetteer's points, as a template for ``density``
    (empty regions included, so deserts stay deserts)."""
    if len(lat) == 0:
        raise ValueError("the gazetteer has no points to take a density from")
    rows = np.floor((lat - lat.min()) / region_deg).astype(int)
    cols = np.floor((lon - lon.min()) / region_deg).astype(int)
    counts = np.zeros((rows.max() + 1, cols.max() + 1))
    np.add.at(counts, (rows, cols), 1)
    return tuple((counts.ravel() / counts.sum()).tolist())


def region_boxes(params: WorldParams) -> list[tuple[float, float, float, float]]:
    """(south, north, west, east) of every region, south-west first."""
    d = params.region_deg
    n_rows = math.ceil((params.north - params.south) / d)
    n_cols = math.ceil((params.east - params.west) / d)
    return [(params.south + r * d, params.south + (r + 1) * d,
             params.west + c * d, params.west + (c + 1) * d)
            for r in range(n_rows) for c in range(n_cols)]


def _shares(params: WorldParams, n: int, rng: np.random.Generator) -> np.ndarray:
    if params.density is None:
        return np.full(n, 1.0 / n)
    template = np.asarray(params.density, dtype=float)
    tiled = np.resize(rng.permutation(template), n) + 1e-9
    return tiled / tiled.sum()


def generate_world(params: WorldParams, out_dir: Path,
                   progress: Callable[[int, int], None] | None = None) -> WorldFiles:
    """Write the world to ``out_dir`` (detections in one file per region; places, events and
    truth in one file each). Same parameters, same world."""
    out_dir.mkdir(parents=True, exist_ok=True)
    boxes = region_boxes(params)
    rng = np.random.default_rng(params.seed)
    shares = _shares(params, len(boxes), rng)
    # A region with few settlements still burns: fires follow land, settlements follow people.
    # The fire season is not flat: scale by the share of a year's fire the chosen days hold.
    start = ScenarioParams().start
    day_of_year = (np.arange(params.days) + start.timetuple().tm_yday - 1) % 365
    season = seasonal_factor(day_of_year).sum() / seasonal_factor(np.arange(365)).sum()
    counts = [round(float(share) * params.places) for share in shares]
    own = sum(_hotspots(n) * PER_HOTSPOT_YEAR * params.days / 365 + _sweeps(n) * PER_SWEEP
              + _arsons(n) * PER_ARSON for n in counts)
    fire_rate = max(params.detections - own, 0.1 * params.detections) / (
        len(boxes) * DETECTIONS_PER_FIRE_RATE * season)
    writers: dict[str, pq.ParquetWriter] = {}
    detection_files: list[Path] = []
    detection_rows = place_rows = 0
    try:
        for index, (south, north, west, east) in enumerate(boxes):
            n_places = counts[index]
            villages = max(1, int(n_places * 0.70))
            hamlets = max(0, int(n_places * 0.28))
            towns = max(0, n_places - villages - hamlets)
            region = ScenarioParams(
                seed=int(rng.integers(0, 2**31)), days=params.days, south=south, north=north,
                west=west, east=east, villages=villages, hamlets=hamlets, towns=towns,
                fires_per_day_peak=fire_rate,
                hotspots=_hotspots(n_places), sweeps=_sweeps(n_places), single_arsons=_arsons(n_places),
                random_events=max(1, n_places // 4))
            world = generate(region)
            prefix = f"w{index:05d}-"
            places = _prefixed(world.places, "place_id", prefix)
            truth = _prefixed(world.truth, "place_id", prefix)
            events = _prefixed(world.events, "event_uid", prefix)
            path = out_dir / f"detections-{index:05d}.parquet"
            pq.write_table(world.detections, path, compression="zstd")
            detection_files.append(path)
            detection_rows += world.detections.num_rows
            place_rows += places.num_rows
            for name, table in (("places", places), ("events", events), ("truth", truth)):
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out_dir / f"{name}.parquet", table.schema,
                                                     compression="zstd")
                writers[name].write_table(table.cast(writers[name].schema))
            if progress:
                progress(index + 1, len(boxes))
    finally:
        for writer in writers.values():
            writer.close()
    return WorldFiles(detection_files, out_dir / "places.parquet", out_dir / "events.parquet",
                      out_dir / "truth.parquet", len(boxes), detection_rows, place_rows)


def _hotspots(places: int) -> int:
    return max(1, places // PLACES_PER_HOTSPOT)


def _sweeps(places: int) -> int:
    return max(0, places // 80)


def _arsons(places: int) -> int:
    return max(0, places // 70)


def _prefixed(table: pa.Table, column: str, prefix: str) -> pa.Table:
    index = table.schema.get_field_index(column)
    return table.set_column(index, column, pc.binary_join_element_wise(
        pa.scalar(prefix), table.column(column).cast(pa.string()), ""))


def scaled(params: WorldParams, detections: int, places: int | None = None) -> WorldParams:
    """The same world at another size (bench/scale.py's 10 M, 30 M, 100 M)."""
    return replace(params, detections=detections, places=places or params.places)


def forecast_inputs(places: pa.Table, events: pa.Table, truth: pa.Table | None = None,
                    admin_deg: float = 1.0) -> ForecastInputs:
    """The world as forecast inputs (the gazetteer's and the linked events' columns), so the
    forecast features run on it too. Admin2 areas are ``admin_deg`` grid cells; one event in
    five is placed at admin2 level and one in seven near its nearest place (linked to it), as
    UCDP places the imprecise ones; burnings are the truth's burned places. Deterministic."""
    from tocsin.analysis.inputs import ForecastInputs

    n = places.num_rows
    lat, lon = places.column("latitude").to_numpy(), places.column("longitude").to_numpy()
    cell = pc.binary_join_element_wise(
        pa.scalar("G"), pa.array(np.floor(lat / admin_deg).astype(np.int64)).cast(pa.string()), "_",
        pa.array(np.floor(lon / admin_deg).astype(np.int64)).cast(pa.string()), "")
    classes = places.column("place_class")
    gazetteer = pa.table({
        "place_id": places.column("place_id"), "name": places.column("name"),
        "name_ar": pa.nulls(n, pa.string()), "place_class": classes,
        "latitude": lat, "longitude": lon, "radius_km": places.column("radius_km"),
        "population": pa.array(np.where(np.asarray(pc.equal(classes, "town")), 20_000, 800), pa.int64()),
        "households": pa.nulls(n, pa.int64()), "admin1_pcode": places.column("admin1_pcode"),
        "admin2_pcode": cell, "hiu_status": pa.nulls(n, pa.string())})

    m = events.num_rows
    e_lat, e_lon = events.column("latitude").to_numpy(), events.column("longitude").to_numpy()
    row = np.arange(m)
    precision = np.where(row % 5 == 4, "admin2", np.where(row % 7 == 3, "near", "exact"))
    nearest = np.full(m, -1, dtype=np.int64)
    if n and m:
        from scipy.spatial import cKDTree

        nearest = cKDTree(np.column_stack([lat, lon])).query(np.column_stack([e_lat, e_lon]))[1]
    linked = pa.array(np.where(precision == "near", np.asarray(places.column("place_id"), dtype=object)
                               [np.maximum(nearest, 0)], None), pa.string())
    e_cell = pc.binary_join_element_wise(
        pa.scalar("G"), pa.array(np.floor(e_lat / admin_deg).astype(np.int64)).cast(pa.string()), "_",
        pa.array(np.floor(e_lon / admin_deg).astype(np.int64)).cast(pa.string()), "")
    category = events.column("category")
    civilians = np.asarray(pc.equal(category, "attack_on_civilians"))
    linked_events = pa.table({
        "event_uid": events.column("event_uid"), "date_start": events.column("date_start"),
        "date_end": events.column("date_start"), "published_at": pa.nulls(m, pa.timestamp("us", tz="UTC")),
        "category": category, "civilian_targeting": pa.array(civilians),
        "fatalities": pa.array((row % 9).astype(np.int32)), "civilian_deaths": pa.array(
            np.where(civilians, row % 4, 0).astype(np.int32)),
        "latitude": e_lat, "longitude": e_lon, "location_precision": pa.array(precision),
        "source": pa.array(["world"] * m), "source_category": pa.nulls(m, pa.string()),
        "actor1": pa.array(np.where(row % 3 == 0, "RSF", "SAF").astype(object)),
        "actor2": pa.nulls(m, pa.string()), "linked_place_id": linked,
        "admin1_pcode": pa.array(["W01"] * m), "admin2_pcode": e_cell})

    burnings = None
    if truth is not None and "burned" in truth.column_names:
        truth = truth.filter(pc.fill_null(truth.column("burned"), False))
    if truth is not None and truth.num_rows:
        at = pc.index_in(truth.column("place_id"), value_set=places.column("place_id"))
        where = np.asarray(pc.fill_null(at, 0), dtype=np.int64)
        burnings = pa.table({
            "place_id": truth.column("place_id"), "latitude": lat[where], "longitude": lon[where],
            "first_detection": pc.cast(pc.cast(truth.column("date_from"), pa.timestamp("s")),
                                       pa.timestamp("us", tz="UTC")),
            "confidence": pa.array(["high"] * truth.num_rows)})
    empty = pa.table({"admin2_pcode": pa.array([], pa.string()), "idps": pa.array([], pa.float64()),
                      "period_end": pa.array([], pa.date32())})
    prices = pa.table({"market": pa.array([], pa.string()), "market_name": pa.array([], pa.string()),
                       "latitude": pa.array([], pa.float64()), "longitude": pa.array([], pa.float64()),
                       "commodity": pa.array([], pa.string()), "price_type": pa.array([], pa.string()),
                       "unit": pa.array([], pa.string()), "date": pa.array([], pa.date32()),
                       "price": pa.array([], pa.float64())})
    aggregates = pa.table({"admin2_pcode": pa.array([], pa.string()),
                           "month_start": pa.array([], pa.date32()),
                           "events": pa.array([], pa.int64()), "fatalities": pa.array([], pa.int64())})
    return ForecastInputs(gazetteer, linked_events, empty, prices, aggregates, burnings)
