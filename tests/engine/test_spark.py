"""The Spark engine runs the same pure function on the same tiles: same answer as one machine."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.engine.test_tiling import OUT, RADIUS_KM, count_near, edge_world
from tocsin.engine.partition import Tiling


def test_spark_tiles_give_the_whole_answer(spark: object, tmp_path: Path) -> None:
    from tocsin.engine.spark import run_tiled

    places, detections = edge_world(7, 1.0)
    # Detections as the lake holds them: Parquet files that Spark reads itself.
    files = []
    for i, part in enumerate(detections.to_batches(max_chunksize=1500)):
        path = tmp_path / f"part-{i}.parquet"
        pq.write_table(pa.Table.from_batches([part]), path)
        files.append(path)
    whole = count_near(places, {"detections": detections}).sort_by("place_id")
    on_spark = run_tiled(spark, count_near, places, {"detections": files},
                         Tiling(1.0, halo_km=RADIUS_KM + 0.5), OUT).sort_by("place_id")
    assert on_spark.equals(whole)
