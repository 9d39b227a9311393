"""Fire events built from the listed burnings outwards, from points read in batches: the same
events whatever the batching and order of the points, the same components as the whole graph,
the same places inside as a search over every place, and tiles' points in files (Spark's way)
giving the whole answer."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tests.analysis.test_burnings_tiled import assert_same, edge_world
from tocsin.analysis.burnings import (
    BurningDetector,
    BurningParams,
    _place_arrays,
    detect_fires,
    finish_burnings,
)
from tocsin.analysis.burnings_tiled import (
    PAYLOAD_SCHEMA,
    burnings_tiling,
    context_of,
    finish_tiles,
    tile_function,
)
from tocsin.analysis.fire_events import (
    PointSource,
    _geometry_texts,
    _link_offsets,
    _places_inside,
    reached_nodes,
)
from tocsin.analysis.scenarios import ScenarioParams, generate
from tocsin.engine.local import run_tiled_local
from tocsin.engine.partition import split

PARAMS = BurningParams()


@pytest.fixture(scope="module")
def world_candidates():  # type: ignore[no-untyped-def]
    world = generate(ScenarioParams(seed=8, days=150, sweeps=4))
    detector = BurningDetector(world.places, world.events, PARAMS)
    detector.add(world.detections)
    whole = detect_fires(world.detections, world.places, world.events, PARAMS)
    assert whole.fire_events.num_rows > 5
    return detector.candidates(), _place_arrays(world.places), whole


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pieces=st.integers(1, 12))
def test_any_batching_and_order_of_the_points_gives_the_same_events(world_candidates, seed: int,
                                                                    pieces: int) -> None:  # type: ignore[no-untyped-def]
    candidates, pl, whole = world_candidates
    points = candidates.points
    rng = np.random.default_rng(seed)
    shuffled = points.take(pa.array(rng.permutation(points.num_rows)))
    cuts = np.sort(rng.integers(0, points.num_rows + 1, pieces - 1))
    bounds = [0, *cuts.tolist(), points.num_rows]
    batches = [shuffled.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
    read = {"times": 0}

    def again() -> list[pa.Table]:
        read["times"] += 1
        return batches

    result = finish_burnings(candidates, pl, PARAMS, PointSource(again))
    assert_same(whole, result)
    assert read["times"] == 2  # the nodes, then the points of the nodes reached: nothing else


def _key(row: int, col: int, day: int) -> int:
    return ((row + (1 << 21)) << 41) | ((col + (1 << 21)) << 18) | day


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 8)),
                      min_size=1, max_size=60, unique=True),
       seed_picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=5),
       days=st.integers(0, 2))
def test_the_nodes_reached_are_the_components_that_hold_a_seed(cells, seed_picks, days: int) -> None:  # type: ignore[no-untyped-def]
    """Grown from the seeds, against the whole graph's components (scipy on every link)."""
    nodes = np.unique(np.array([_key(r, c, d) for r, c, d in cells], dtype=np.int64))
    seeds = np.array([s % len(nodes) for s in seed_picks])
    src, dst = [np.arange(len(nodes))], [np.arange(len(nodes))]
    for off in _link_offsets(days, both_ways=False):
        target = nodes + off
        at = np.minimum(np.searchsorted(nodes, target), len(nodes) - 1)
        found = nodes[at] == target
        src.append(np.flatnonzero(found))
        dst.append(at[found])
    a, b = np.concatenate(src), np.concatenate(dst)
    _, component = connected_components(coo_matrix((np.ones(len(a)), (a, b)),
                                                   shape=(len(nodes), len(nodes))), directed=False)
    expected = np.isin(component, component[seeds])
    assert np.array_equal(reached_nodes(nodes, seeds, days), expected)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400))
def test_places_inside_a_shape_are_those_a_search_of_every_place_finds(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    # Places on a coarse grid too, so that some lie exactly on a shape's bounds.
    lat = np.concatenate([rng.uniform(12.0, 12.1, n), np.round(rng.uniform(12.0, 12.1, n // 4), 2)])
    lon = np.concatenate([rng.uniform(24.0, 24.1, n), np.round(rng.uniform(24.0, 24.1, n // 4), 2)])
    points = np.column_stack([rng.uniform(24.0, 24.1, 6), rng.uniform(12.0, 12.1, 6)])
    shapes = np.array([shapely.MultiPoint(points).convex_hull.buffer(0.004, quad_segs=4),
                       shapely.box(24.02, 12.02, 24.05, 12.05),
                       shapely.box(30.0, 10.0, 30.1, 10.1)])  # none inside
    found = _places_inside(shapes, {"latitude": lat, "longitude": lon})
    assert len(found) == len(shapes)
    for shape, inside in zip(shapes, found, strict=True):
        every = np.flatnonzero(shapely.contains_xy(shape, lon, lat))
        assert inside.tolist() == every.tolist()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), holed=st.booleans())
def test_a_fire_events_geometry_text_is_the_geojson_of_its_shape(seed: int, n: int,
                                                                 holed: bool) -> None:
    import json

    import shapely.geometry

    rng = np.random.default_rng(seed)
    points = np.column_stack([rng.uniform(24.0, 24.1, n), rng.uniform(12.0, 12.1, n)])
    shapes = [shapely.MultiPoint(points).convex_hull.buffer(0.004, quad_segs=4),
              shapely.Point(points[0]).buffer(0.004, quad_segs=4)]
    if holed:  # the general way: a hole, and two parts
        shapes += [shapes[0].difference(shapely.Point(points[0]).buffer(0.001)),
                   shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)])]
    texts = _geometry_texts(np.array(shapes))
    assert texts == [json.dumps(shapely.geometry.mapping(shape)) for shape in shapes]
    assert all(shapely.geometry.shape(json.loads(text)).equals(shape)
               for text, shape in zip(texts, shapes, strict=True))


def test_tiles_points_in_files_give_the_whole_answer(tmp_path: Path) -> None:
    """Spark's way: each tile writes its points to a file named for the tile; a tile run again
    replaces its file; the driver reads them back a file at a time."""
    detections, gazetteer = edge_world()
    params = BurningParams(min_score=0.0)
    whole = detect_fires(detections, gazetteer, None, params)
    assert whole.fire_events.num_rows > 0
    context = context_of(detections.to_batches(), params)
    tiling = burnings_tiling(gazetteer, params, 0.5)
    inputs = {"detections": detections, "places": gazetteer}
    run = tile_function(context, params, points_dir=tmp_path)
    parts = run_tiled_local(run, gazetteer, inputs, tiling, PAYLOAD_SCHEMA)
    files = sorted(tmp_path.iterdir())
    tiles = list(split(gazetteer, inputs, tiling))
    assert len(files) == len(tiles) > 1 and all(f.name.startswith("points-") for f in files)
    assert set(parts.column("kind").to_pylist()) == {"periods", "points_file"}
    # A task run twice (Spark retries a failed one): the same file, replaced, none added.
    run(tiles[0].homes, tiles[0].inputs)
    assert sorted(tmp_path.iterdir()) == files
    assert_same(whole, finish_tiles(parts, gazetteer, params, tmp_path))
    with pytest.raises(ValueError, match="points_dir"):
        finish_tiles(parts, gazetteer, params)
