"""Tiling with halos changes nothing for a local analysis, on the edges of tiles above all."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.engine.local import run_tiled_local
from tocsin.engine.partition import Tiling
from tocsin.spatial import haversine_km

OUT = pa.schema([("place_id", pa.string()), ("near", pa.int64())])
RADIUS_KM = 5.0


def count_near(homes: pa.Table, inputs: dict[str, pa.Table]) -> pa.Table:
    """A local analysis: how many detections lie within RADIUS_KM of each place."""
    points = inputs["detections"]
    p_lat = points.column("latitude").to_numpy()
    p_lon = points.column("longitude").to_numpy()
    counts = [int((haversine_km(lat, lon, p_lat, p_lon) <= RADIUS_KM).sum()) if len(p_lat) else 0
              for lat, lon in zip(homes.column("latitude").to_pylist(),
                                  homes.column("longitude").to_pylist(), strict=True)]
    return pa.table({"place_id": homes.column("place_id"), "near": pa.array(counts, pa.int64())})


def edge_world(seed: int, tile_deg: float) -> tuple[pa.Table, pa.Table]:
    """Places and detections crowded round tile edges and corners."""
    rng = np.random.default_rng(seed)
    edges = np.arange(-2, 3) * tile_deg + 12.0
    lat = rng.choice(edges, 300) + rng.normal(0, 0.05, 300)
    lon = rng.choice(edges + 12.0, 300) + rng.normal(0, 0.05, 300)
    places = pa.table({"place_id": [f"p{i}" for i in range(300)], "latitude": lat, "longitude": lon})
    d_lat = rng.choice(edges, 5000) + rng.normal(0, 0.08, 5000)
    d_lon = rng.choice(edges + 12.0, 5000) + rng.normal(0, 0.08, 5000)
    return places, pa.table({"latitude": d_lat, "longitude": d_lon})


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), tile_deg=st.sampled_from([0.5, 1.0, 2.0]))
def test_tiles_with_a_halo_give_the_whole_answer(seed: int, tile_deg: float) -> None:
    places, detections = edge_world(seed, tile_deg)
    whole = count_near(places, {"detections": detections}).sort_by("place_id")
    tiled = run_tiled_local(count_near, places, {"detections": detections},
                            Tiling(tile_deg, halo_km=RADIUS_KM + 0.5), OUT).sort_by("place_id")
    assert tiled.equals(whole)
    assert sum(whole.column("near").to_pylist()) > 0


def test_a_halo_too_narrow_loses_detections_at_the_edges() -> None:
    """The halo is what makes it right: without one, places on an edge see less."""
    places, detections = edge_world(1, 1.0)
    whole = count_near(places, {"detections": detections}).sort_by("place_id")
    tiled = run_tiled_local(count_near, places, {"detections": detections},
                            Tiling(1.0, halo_km=0.0), OUT).sort_by("place_id")
    assert sum(tiled.column("near").to_pylist()) < sum(whole.column("near").to_pylist())


def test_a_halo_wider_than_a_tile_is_refused() -> None:
    with pytest.raises(ValueError, match="wider than"):
        Tiling(0.1, halo_km=50)
