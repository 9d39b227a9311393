"""Burnings on Spark local[2] are the single machine's burnings, bit for bit: the pure detector
on a generated world with sweeps and fronts across tile edges, and `tocsin --engine spark detect
burnings` writing the same derived tables to the lake. Skipped without pyspark, unless
TOCSIN_REQUIRE_SPARK=1 (CI)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.analysis.test_burnings_tiled import assert_same, edge_world, workspace_of
from tocsin.analysis.burnings import BurningParams, detect_fires
from tocsin.analysis.scenarios import ScenarioParams, generate
from tocsin.cli.main import app
from tocsin.engine import choice
from tocsin.jobs.steps.burnings import read_burnings, read_fire_events

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def as_files(table: pa.Table, folder: Path, rows: int) -> list[Path]:
    """The table as several Parquet files, as the lake holds detections."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, batch in enumerate(table.to_batches(max_chunksize=rows)):
        files.append(folder / f"part-{i}.parquet")
        pq.write_table(pa.Table.from_batches([batch]), files[-1])
    return files


def test_spark_burnings_are_the_whole_burnings(spark: object, tmp_path: Path) -> None:
    from tocsin.engine.burnings_spark import detect_fires_spark

    world = generate(ScenarioParams(seed=11, days=90, villages=120, hamlets=40, towns=3, sweeps=3,
                                    south=12.6, north=13.8, west=23.6, east=24.6))
    params = BurningParams()
    whole = detect_fires(world.detections, world.places, world.events, params)
    assert whole.burnings.num_rows > 10
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    on_spark = detect_fires_spark(spark, as_files(world.detections, tmp_path, 20_000), world.places,
                                  world.events, params, tile_deg=0.5, scratch=scratch)
    assert_same(whole, on_spark)
    assert list(scratch.iterdir()) == []  # the tiles' point files are gone with the run
    # The edge world: a sweep across a tile corner, a front across an edge, a kiln on it.
    detections, places = edge_world()
    every = BurningParams(min_score=0.0)
    assert_same(detect_fires(detections, places, None, every),
                detect_fires_spark(spark, detections, places, None, every, tile_deg=0.5))


def test_engine_spark_detect_burnings_writes_the_same_tables(spark: object, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The command on the Darfur sample (its VIIRS week, OSM places, UCDP events), once on this
    machine and once with --engine spark: the same stored tables."""
    workspace = workspace_of(tmp_path / "ws", [
        ("osm-places", SAMPLE / "hotosm_darfur_populated_places_points_geojson.zip"),
        ("ucdp-ged", SAMPLE / "ucdp_ged241_darfur_api.csv"),
        ("firms", SAMPLE / "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv"),
    ])
    runner = CliRunner()
    args = ["--home", str(workspace.home), "detect", "burnings", "--json", "--min-confidence", "low"]
    here = runner.invoke(app, args)
    assert here.exit_code == 0, here.output
    local = (read_burnings(workspace), read_fire_events(workspace))
    import tempfile

    from tocsin.engine import burnings_spark

    folders: list[Path] = []
    make_folder = tempfile.TemporaryDirectory

    def run_folder(**kwargs: object) -> tempfile.TemporaryDirectory[str]:
        folder = make_folder(**kwargs)  # type: ignore[call-overload]
        folders.append(Path(folder.name))
        return folder

    monkeypatch.setattr(burnings_spark.tempfile, "TemporaryDirectory", run_folder)
    try:
        there = runner.invoke(app, ["--engine", "spark", *args])
    finally:
        choice.choose("local")
    assert there.exit_code == 0, there.output
    assert json.loads(there.stdout)["burnings"] == json.loads(here.stdout)["burnings"] > 0
    stored = (read_burnings(workspace), read_fire_events(workspace))
    assert stored[0] is not None and local[0] is not None and stored[0].equals(local[0])
    assert stored[1] is not None and local[1] is not None and stored[1].equals(local[1])
    # The tiles' point files went to a folder in the workspace (a cluster's workers reach it),
    # removed with the run.
    assert len(folders) == 1 and folders[0].parent == workspace.lake_dir
    assert not folders[0].exists()
