"""Burnings tile by tile give the whole answer bit for bit: every period, score, reason, sweep id
and fire event, on the real VIIRS week, the Darfur sample and generated worlds, with places on
tile edges, sweeps and fronts crossing them, and detections in the halo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.burnings_support import KM, burning, fires, places
from tests.analysis.test_detect_cli import make_workspace as workspace_of
from tocsin.analysis.burnings import BurningParams, detect_fires
from tocsin.analysis.burnings_tiled import (
    PAYLOAD_SCHEMA,
    burnings_tiling,
    context_of,
    detect_fires_tiled,
    finish_tiles,
    tile_function,
)
from tocsin.analysis.scenarios import ScenarioParams, generate, harvest_world
from tocsin.engine.local import run_tiled_local
from tocsin.engine.partition import Tiling
from tocsin.jobs.steps.burnings import PLACE_COLUMNS, detection_batches, read_events
from tocsin.lake import Lake
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
VIIRS = "firms-viirs-darfur-kordofan-2025/firms_viirs_snpp_nrt_sudan_bbox_2025-10-31_2025-11-08.csv"
OSM = "osm-populated-places-sdn/hotosm_sdn_populated_places_points_geojson.zip"


def assert_same(whole, tiled) -> None:  # type: ignore[no-untyped-def]
    assert tiled.burnings.num_rows == whole.burnings.num_rows
    for name in whole.burnings.column_names:  # column by column: a failure names the column
        assert tiled.burnings.column(name).equals(whole.burnings.column(name)), name
    assert tiled.burnings.equals(whole.burnings)
    assert tiled.fire_events.equals(whole.fire_events)


def lake_inputs(workspace: Workspace) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Detections, places and events as the burnings job reads them."""
    import pyarrow.parquet as pq

    lake = Lake(workspace.lake_dir)
    detections = pa.Table.from_batches(list(detection_batches(lake, None)))
    gazetteer = pq.ParquetFile(lake.derived_path("gazetteer")).read(columns=PLACE_COLUMNS)
    return detections, gazetteer, read_events(lake, None)


def edge_world() -> tuple[pa.Table, pa.Table]:
    """Places and fire crowded on the corner of tiles at 13 N 24 E (a tile edge for 0.5- and
    1-degree tiles): a sweep of villages crossing both edges, a bush fire front across the
    24 E edge with villages a few hundred metres either side, a place exactly on the edge, a
    kiln on the edge beside a village, and field fire all round."""
    rng = np.random.default_rng(20)
    line = [(f"sweep{i}", "village", 12.85 + 0.05 * i, 23.90 + 0.03 * i) for i in range(7)]
    edge = [("west-of-edge", "village", 13.25, 23.996), ("east-of-edge", "village", 13.25, 24.004),
            ("on-the-edge", "hamlet", 13.30, 24.0), ("by-the-kiln", "village", 12.70, 24.006),
            ("town-by-corner", "town", 12.96, 24.05)]
    points: list[tuple[float, float, int, int]] = []
    for i, (_, _, lat, lon) in enumerate(line):
        points += burning(lat, lon, 20 + i // 2, 6, rng)
    # The front: two days, 6 km wide, straddling the edge.
    for day in (30, 31):
        north, east = rng.uniform(-3, 3, 40), rng.uniform(-3, 3, 40)
        points += [(13.25 + north[k] * KM, 24.0 + east[k] * KM, day, 1130) for k in range(40)]
    points += burning(13.30, 24.0, 40, 4, rng, radius_km=0.8)
    points += burning(12.96, 24.05, 45, 12, rng, radius_km=3.0)
    # A kiln 600 m west of the village (over the edge), burning most days for ten weeks.
    for day in range(0, 70):
        if rng.random() < 0.6:
            points.append((12.70 + rng.normal(0, 0.0004), 23.9995 + rng.normal(0, 0.0004), day, 1130))
    points += burning(12.70, 24.006, 50, 5, rng)
    # Field fire over the whole corner, by day.
    n = 600
    points += [(float(lat), float(lon), int(day), 1130) for lat, lon, day in zip(
        rng.uniform(12.6, 13.4, n), rng.uniform(23.7, 24.3, n), rng.integers(0, 70, n), strict=True)]
    return fires(points), places(*line, *edge)


def test_an_edge_world_tiled_is_the_whole_world() -> None:
    detections, gazetteer = edge_world()
    params = BurningParams(min_score=0.0)  # every period listed, the weakest too
    whole = detect_fires(detections, gazetteer, None, params)
    rows = whole.burnings.to_pylist()
    # The world does what it is for: a sweep across the tile corner, the kiln left out, the
    # places on and beside the edge burning, a fire event across the edge.
    swept = [r for r in rows if r["sweep_id"]]
    assert len({r["sweep_id"] for r in swept}) == 1 and len(swept) >= 4
    tiles = Tiling(0.5, 0.0).home_tiles(np.array([r["latitude"] for r in swept]),
                                        np.array([r["longitude"] for r in swept]))
    assert len(set(tiles.tolist())) >= 2
    assert max(r["persistent_excluded"] for r in rows if r["place_id"] == "by-the-kiln") > 0
    assert {"on-the-edge", "town-by-corner", "west-of-edge", "east-of-edge"} <= {
        r["place_id"] for r in rows}
    across = [e for e in whole.fire_events.to_pylist()
              if {"west-of-edge", "east-of-edge"} <= set(e["place_ids"])]
    assert across  # one front, one event, on both sides of the edge
    for tile_deg in (0.5, 1.0):
        assert_same(whole, detect_fires_tiled(detections, gazetteer, None, params, tile_deg))


def test_a_halo_too_narrow_is_not_the_whole_answer() -> None:
    """The test can fail: without the halo, places by the edge lose their ring and neighbours."""
    detections, gazetteer = edge_world()
    params = BurningParams(min_score=0.0)
    whole = detect_fires(detections, gazetteer, None, params)
    context = context_of(detections.to_batches(), params)
    parts = run_tiled_local(tile_function(context, params), gazetteer,
                            {"detections": detections, "places": gazetteer}, Tiling(0.5, 0.0),
                            PAYLOAD_SCHEMA)
    narrow = finish_tiles(parts, gazetteer, params)
    assert not narrow.burnings.equals(whole.burnings)


@pytest.mark.parametrize("make", [lambda: harvest_world(3, days=60),
                                  lambda: ScenarioParams(seed=8, days=150, sweeps=4)],
                         ids=["harvest", "plain"])
def test_generated_worlds_tiled_are_the_whole_world(make) -> None:  # type: ignore[no-untyped-def]
    world = generate(make())
    params = BurningParams()
    whole = detect_fires(world.detections, world.places, world.events, params)
    assert whole.burnings.num_rows > 20 and whole.fire_events.num_rows > 5
    tiled = detect_fires_tiled(world.detections, world.places, world.events, params, 0.5)
    assert_same(whole, tiled)
    # Places within a few km of an edge of the 0.5-degree tiles burned (the edges were tested)
    # and detections lay in more than one tile's halo.
    lat = np.asarray(whole.burnings.column("latitude"))
    lon = np.asarray(whole.burnings.column("longitude"))
    to_edge = np.minimum(np.abs(lat * 2 - np.round(lat * 2)), np.abs(lon * 2 - np.round(lon * 2))) / 2
    assert (to_edge * 111 < 5).sum() >= 2
    tiling = burnings_tiling(world.places, params, 0.5)
    d_lat = world.detections.column("latitude").to_numpy()
    d_lon = world.detections.column("longitude").to_numpy()
    rows, _ = tiling.halo_tiles(d_lat, d_lon)
    assert len(rows) > len(d_lat) * 1.05


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_order_of_rows_changes_nothing(seed: int) -> None:
    """Sweep ids, fire events and detection ids do not depend on the order of the input (Spark
    gives a tile its rows in any order)."""
    detections, gazetteer = edge_world()
    params = BurningParams()
    whole = detect_fires(detections, gazetteer, None, params)
    rng = np.random.default_rng(seed)
    shuffled = detect_fires(detections.take(pa.array(rng.permutation(detections.num_rows))),
                            gazetteer.take(pa.array(rng.permutation(gazetteer.num_rows))), None,
                            params)
    assert_same(whole, shuffled)


def test_the_darfur_sample_tiled_is_the_whole(tmp_path: Path) -> None:
    """The bundled VIIRS week with its OSM places and UCDP events (armed events in the halo)."""
    workspace = workspace_of(tmp_path / "ws", [
        ("osm-places", SAMPLE / "hotosm_darfur_populated_places_points_geojson.zip"),
        ("ucdp-ged", SAMPLE / "ucdp_ged241_darfur_api.csv"),
        ("firms", SAMPLE / "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv"),
    ])
    detections, gazetteer, events = lake_inputs(workspace)
    params = BurningParams(min_score=0.0)
    whole = detect_fires(detections, gazetteer, events, params)
    assert whole.burnings.num_rows > 0
    assert_same(whole, detect_fires_tiled(detections, gazetteer, events, params, 0.5))


def test_the_shared_viirs_week_tiled_is_the_whole(shared_data: Path, tmp_path: Path) -> None:
    """NASA FIRMS VIIRS over Darfur and Kordofan, 31 Oct - 8 Nov 2025, with the 35k OSM places of
    Sudan: tiled in 0.5-degree tiles, the same table and fire events as whole."""
    workspace = workspace_of(tmp_path / "ws", [("osm-places", shared_data / OSM),
                                               ("firms", shared_data / VIIRS)])
    detections, gazetteer, events = lake_inputs(workspace)
    params = BurningParams()
    whole = detect_fires(detections, gazetteer, events, params)
    assert whole.burnings.num_rows > 100
    assert_same(whole, detect_fires_tiled(detections, gazetteer, events, params, 0.5))
