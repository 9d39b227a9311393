"""The continent generator: deterministic, the sizes asked for, ids unique across regions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tocsin.analysis.world import WorldParams, density_template, generate_world

SMALL = WorldParams(seed=5, detections=120_000, places=1_200, south=10, north=16, west=20, east=26,
                    days=90)


def test_same_parameters_same_world(tmp_path: Path) -> None:
    a = generate_world(SMALL, tmp_path / "a")
    b = generate_world(SMALL, tmp_path / "b")
    assert a.regions == 4
    for x, y in zip(a.detections, b.detections, strict=True):
        assert pq.read_table(x).equals(pq.read_table(y))
    assert pq.read_table(a.places).equals(pq.read_table(b.places))


def test_sizes_and_unique_ids(tmp_path: Path) -> None:
    files = generate_world(SMALL, tmp_path)
    places = pq.read_table(files.places)
    assert abs(files.place_rows - SMALL.places) <= 0.05 * SMALL.places
    assert 0.6 * SMALL.detections <= files.detection_rows <= 1.4 * SMALL.detections
    assert pc.count_distinct(places.column("place_id")).as_py() == places.num_rows
    truth = pq.read_table(files.truth)
    assert set(truth.column("place_id").to_pylist()) <= set(places.column("place_id").to_pylist())


def test_density_follows_the_template(tmp_path: Path) -> None:
    # A gazetteer crowded into one corner: the template keeps the empty regions nearly empty.
    rng = np.random.default_rng(0)
    lat = np.concatenate([rng.uniform(0, 3, 990), rng.uniform(3, 6, 10)])
    lon = np.concatenate([rng.uniform(0, 3, 990), rng.uniform(3, 6, 10)])
    template = density_template(lat, lon, 3.0)
    assert max(template) > 0.9
    files = generate_world(SMALL.__class__(**{**SMALL.__dict__, "density": template}), tmp_path)
    per_region = pc.value_counts(pc.utf8_slice_codeunits(
        pq.read_table(files.places).column("place_id"), 0, 6)).to_pylist()
    counts = sorted(v["counts"] for v in per_region)
    assert counts[-1] > 0.8 * files.place_rows
