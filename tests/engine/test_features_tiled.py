"""The forecast features tiled (engine/features.py), one tile after another or on Spark, are bit
for bit the single machine's: on the real 2023 data and on a generated world, places on tile
edges and corners and events on the halo included."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tocsin.analysis.features import FeatureParams
from tocsin.analysis.inputs import ForecastInputs
from tocsin.analysis.scenarios import ScenarioParams
from tocsin.analysis.world import WorldParams, forecast_inputs, generate_world
from tocsin.engine.features import TiledFeatures, halo_km, tiled_features, whole_features
from tocsin.engine.partition import KM_PER_DEG_LAT

ORIGINS_2023 = [date(2023, 3, 1), date(2023, 6, 1), date(2023, 9, 1)]
HORIZONS = (30, 90)
START = ScenarioParams().start
WORLD_ORIGINS = [START + timedelta(days=d) for d in (45, 80, 110)]
EDGE_TILE_DEG = 2.0   # twice the halo and a little: the smallest tile it allows


@pytest.fixture(scope="module")
def shared_inputs(shared_workspace: object) -> ForecastInputs:
    from tocsin.jobs.steps.forecasts import read_inputs

    return read_inputs(shared_workspace)  # type: ignore[arg-type]


def _edge_cases(inputs: ForecastInputs, tile_deg: float) -> ForecastInputs:
    """Places exactly on tile edges and a corner, each with atrocities 20-90 km off across the
    edge (in the neighbouring tile, reached only through the halo)."""
    places = inputs.places.to_pylist()
    events = inputs.events.to_pylist()
    template_place, template_event = places[0], events[0]
    edge = 12.0 + tile_deg        # a tile boundary in both directions
    spots = [(edge, 21.4), (edge, 22.6), (11.3, edge + 10.0), (edge, edge + 10.0)]
    for i, (lat, lon) in enumerate(spots):
        places.append({**template_place, "place_id": f"edge-{i}", "latitude": lat, "longitude": lon})
        for j, km in enumerate((20.0, 55.0, 90.0)):
            # Across the edge: south of a latitude edge, west of a longitude edge.
            on_lat, on_lon = lat == edge, lon == edge + 10.0
            share = 1 / np.sqrt(2) if on_lat and on_lon else 1.0   # a corner: diagonally
            d_lat = -km * share / KM_PER_DEG_LAT if on_lat else 0.0
            d_lon = -km * share / (KM_PER_DEG_LAT * np.cos(np.radians(lat))) if on_lon else 0.0
            events.append({**template_event, "event_uid": f"edge-{i}-{j}", "latitude": lat + d_lat,
                           "longitude": lon + d_lon, "location_precision": "exact",
                           "category": "attack_on_civilians", "fatalities": 3 + j,
                           "date_start": WORLD_ORIGINS[0] - timedelta(days=10 + j),
                           "date_end": WORLD_ORIGINS[0] - timedelta(days=10 + j)})
    return replace(inputs, places=pa.Table.from_pylist(places, schema=inputs.places.schema),
                   events=pa.Table.from_pylist(events, schema=inputs.events.schema))


@pytest.fixture(scope="module")
def world_inputs(tmp_path_factory: pytest.TempPathFactory) -> ForecastInputs:
    import pyarrow.parquet as pq

    params = WorldParams(seed=3, detections=40_000, places=1_500, south=10, north=16, west=20,
                         east=26, days=130)
    files = generate_world(params, tmp_path_factory.mktemp("world"))
    inputs = forecast_inputs(pq.read_table(files.places), pq.read_table(files.events),
                             pq.read_table(files.truth))
    return _edge_cases(inputs, EDGE_TILE_DEG)


def _column(features: TiledFeatures, day: date, name: str) -> np.ndarray:
    return features.at(day)[:, features.names.index(name)]


def test_tiles_give_the_whole_features_on_the_2023_data(shared_inputs: ForecastInputs) -> None:
    whole = whole_features(shared_inputs, ORIGINS_2023, HORIZONS)
    tiled = tiled_features(shared_inputs, ORIGINS_2023, HORIZONS, tile_deg=2.0)
    assert tiled.digest() == whole.digest()
    # Not a vacuous match: violence around places, and some places hit in the next 90 days.
    assert _column(whole, ORIGINS_2023[1], "violent_events_100km_365d").sum() > 1000
    assert any(whole.labels(d, 90).any() for d in ORIGINS_2023)
    # Places within 10 km of a tile edge that see violence: the halo is what they need.
    lat = shared_inputs.places.column("latitude").to_numpy()
    lon = shared_inputs.places.column("longitude").to_numpy()
    near_edge = (np.abs((lat + 90) / 2.0 - np.round((lat + 90) / 2.0)) * 2.0 * KM_PER_DEG_LAT < 10) | (
        np.abs((lon + 180) / 2.0 - np.round((lon + 180) / 2.0)) * 2.0 * KM_PER_DEG_LAT < 10)
    assert (near_edge & (_column(whole, ORIGINS_2023[1], "violent_events_50km_365d") > 0)).sum() > 50


def test_a_halo_narrower_than_the_rings_changes_the_features(world_inputs: ForecastInputs) -> None:
    whole = whole_features(world_inputs, WORLD_ORIGINS[:1], HORIZONS)
    narrow = tiled_features(world_inputs, WORLD_ORIGINS[:1], HORIZONS, tile_deg=EDGE_TILE_DEG, halo=30.0)
    assert narrow.digest() != whole.digest()
    wide = whole.names.index("violent_events_100km_30d")
    edge = [whole.place_ids.index(f"edge-{i}") for i in range(4)]
    assert (whole.at(WORLD_ORIGINS[0])[edge, wide] >= 3).all()
    assert (narrow.at(WORLD_ORIGINS[0])[edge, wide] < whole.at(WORLD_ORIGINS[0])[edge, wide]).all()


def test_tiles_and_time_windows_give_the_whole_features_on_a_world(world_inputs: ForecastInputs) -> None:
    assert halo_km(FeatureParams(), world_inputs.places) == 101.0   # the 100 km ring, +1
    whole = whole_features(world_inputs, WORLD_ORIGINS, HORIZONS)
    # Windows of 40 days: each origin its own window, with only the rows it can see.
    tiled = tiled_features(world_inputs, WORLD_ORIGINS, HORIZONS, tile_deg=EDGE_TILE_DEG, window_days=40)
    assert tiled.digest() == whole.digest()
    assert _column(whole, WORLD_ORIGINS[1], "burnings_50km_90d").sum() > 0
    assert _column(whole, WORLD_ORIGINS[1], "admin2_events_90d").sum() > 0
    assert any(whole.labels(d, 30).any() for d in WORLD_ORIGINS)


def test_spark_gives_the_whole_features_on_a_world(spark: object, world_inputs: ForecastInputs) -> None:
    whole = whole_features(world_inputs, WORLD_ORIGINS, HORIZONS)
    on_spark = tiled_features(world_inputs, WORLD_ORIGINS, HORIZONS, spark=spark, tile_deg=EDGE_TILE_DEG,
                              window_days=60)
    assert on_spark.digest() == whole.digest()


def test_spark_gives_the_whole_features_on_the_2023_data(spark: object,
                                                         shared_inputs: ForecastInputs) -> None:
    whole = whole_features(shared_inputs, ORIGINS_2023, HORIZONS)
    on_spark = tiled_features(shared_inputs, ORIGINS_2023, HORIZONS, spark=spark)
    assert on_spark.digest() == whole.digest()


def test_places_without_a_point_are_refused_by_name(world_inputs: ForecastInputs) -> None:
    from tocsin.engine.features import FeatureTilingError

    rows = world_inputs.places.slice(0, 3).to_pylist()
    rows[1]["latitude"] = None
    inputs = replace(world_inputs, places=pa.Table.from_pylist(rows, schema=world_inputs.places.schema))
    with pytest.raises(FeatureTilingError, match="latitude and longitude"):
        tiled_features(inputs, WORLD_ORIGINS[:1])


def test_the_tiled_result_is_a_builder_for_the_backtest(world_inputs: ForecastInputs, tmp_path: Path) -> None:
    """What the backtest reads of a builder, the tiles answer the same way."""
    from tocsin.analysis.features import FeatureBuilder

    builder = FeatureBuilder(world_inputs)
    tiled = tiled_features(world_inputs, WORLD_ORIGINS, HORIZONS, tile_deg=EDGE_TILE_DEG)
    assert (tiled.first_day, tiled.data_end) == (builder.first_day, builder.data_end)
    for d in WORLD_ORIGINS:
        assert np.array_equal(tiled.at(d), builder.at(d), equal_nan=True)
        assert np.array_equal(tiled.active(tiled.at(d)), builder.active(builder.at(d)))
        assert np.array_equal(tiled.labels(d, 30), builder.labels(d, 30))


def test_tiles_too_small_for_the_halo_are_refused(world_inputs: ForecastInputs) -> None:
    from tocsin.engine.features import FeatureTilingError

    with pytest.raises(FeatureTilingError, match="use larger tiles"):
        tiled_features(world_inputs, WORLD_ORIGINS[:1], tile_deg=1.0)


@pytest.fixture(scope="module")
def crowded_inputs(tmp_path_factory: pytest.TempPathFactory) -> ForecastInputs:
    """A small world crowded enough (10,000 places on 3 x 3 degrees, tiles of 2) that some burning's own
    place is in one tile while another place, in the next tile, holds the burning's point within
    its settlement radius: the smallest generated world found where the 10 M digests' cause
    shows."""
    import pyarrow.parquet as pq

    params = WorldParams(seed=3, detections=10_000, places=10_000, south=12, north=14, west=20,
                         east=22, days=130)
    files = generate_world(params, tmp_path_factory.mktemp("crowded"))
    return forecast_inputs(pq.read_table(files.places), pq.read_table(files.events),
                           pq.read_table(files.truth))


def _burnings_across_edges(inputs: ForecastInputs, tile_deg: float) -> int:
    """Burnings whose point lies within the settlement radius of a place in another tile than
    the burning's own place."""
    from tocsin.engine.partition import Tiling
    from tocsin.spatial import haversine_km

    places, burnings = inputs.places, inputs.burnings
    assert burnings is not None
    tiling = Tiling(tile_deg, 0.0)
    lat, lon = places.column("latitude").to_numpy(), places.column("longitude").to_numpy()
    tile = tiling.home_tiles(lat, lon)
    own = {pid: i for i, pid in enumerate(places.column("place_id").to_pylist())}
    b_lat, b_lon = burnings.column("latitude").to_numpy(), burnings.column("longitude").to_numpy()
    radius = places.column("radius_km").to_numpy()
    count = 0
    for j, pid in enumerate(burnings.column("place_id").to_pylist()):
        km = haversine_km(b_lat[j], b_lon[j], lat, lon)
        count += bool(((km <= radius) & (tile != tile[own[pid]])).any())
    return count


def test_a_burning_of_a_place_across_the_edge_stays_its_own_places(crowded_inputs: ForecastInputs) -> None:
    """The cause of the 10 M digests: in the tile next to a burning's own place, the burning
    was a loose point and hit the places there whose radius holds it; on one machine it hits
    its own place only (``attacks_here_*`` and the labels)."""
    assert _burnings_across_edges(crowded_inputs, EDGE_TILE_DEG) > 0   # the case is there
    whole = whole_features(crowded_inputs, WORLD_ORIGINS, (30,))
    tiled = tiled_features(crowded_inputs, WORLD_ORIGINS, (30,), tile_deg=EDGE_TILE_DEG)
    assert tiled.digest() == whole.digest()
    assert any(_column(whole, d, "attacks_here_90d").sum() > 0 for d in WORLD_ORIGINS)


def test_a_burning_across_the_edge_by_construction(world_inputs: ForecastInputs) -> None:
    """Two places 900 m apart on either side of a tile edge, radius 2 km; a burning of the
    southern one at its point: the northern one is not hit, on tiles as on one machine."""
    assert world_inputs.burnings is not None
    edge = 12.0 + EDGE_TILE_DEG
    template = world_inputs.places.to_pylist()[0]
    places = [*world_inputs.places.to_pylist(),
              *({**template, "place_id": name, "latitude": edge + side * 0.004, "longitude": 21.5,
                 "radius_km": 2.0} for name, side in (("south", -1), ("north", 1)))]
    burning = {**world_inputs.burnings.to_pylist()[0], "place_id": "south", "latitude": edge - 0.004,
               "longitude": 21.5, "confidence": "high"}
    origin = WORLD_ORIGINS[0]
    burning["first_detection"] = burning["first_detection"].replace(
        year=origin.year, month=origin.month, day=origin.day) - timedelta(days=5)
    inputs = replace(world_inputs, places=pa.Table.from_pylist(places, schema=world_inputs.places.schema),
                     burnings=pa.Table.from_pylist([*world_inputs.burnings.to_pylist(), burning],
                                                   schema=world_inputs.burnings.schema))
    whole = whole_features(inputs, WORLD_ORIGINS[:1], (30,))
    tiled = tiled_features(inputs, WORLD_ORIGINS[:1], (30,), tile_deg=EDGE_TILE_DEG)
    hits = _column(tiled, WORLD_ORIGINS[0], "attacks_here_30d")
    assert hits[tiled.place_ids.index("south")] >= 1
    assert hits[tiled.place_ids.index("north")] == _column(whole, WORLD_ORIGINS[0], "attacks_here_30d")[
        whole.place_ids.index("north")]
    assert tiled.digest() == whole.digest()


def test_spark_keeps_burnings_across_the_edge_with_their_place(spark: object,
                                                              crowded_inputs: ForecastInputs) -> None:
    whole = whole_features(crowded_inputs, WORLD_ORIGINS[:1], (30,))
    on_spark = tiled_features(crowded_inputs, WORLD_ORIGINS[:1], (30,), spark=spark, tile_deg=EDGE_TILE_DEG)
    assert on_spark.digest() == whole.digest()
