"""Burnings on Apache Spark (`tocsin --engine spark detect burnings`): the tiled detector of
``analysis/burnings_tiled`` with Spark moving the rows.

Spark reads the lake's Parquet files itself. One ``mapInArrow`` pass counts the context (days
seen, cloud blocks, the seasonal background) per Spark partition, merged on the driver; then
``engine.spark.run_tiled`` runs the same tile function the local engine runs on every tile with
its halo; the driver finishes (sweeps, scores, ranks, fire events) from the tiles' candidates,
reading the fire-event points the tiles wrote to files one file at a time.
The answer is the single machine's, bit for bit (tests/engine/test_burnings_spark.py).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from tocsin.analysis.burnings import BurningContext, BurningParams, BurningsResult
from tocsin.analysis.burnings_tiled import (
    PAYLOAD_SCHEMA,
    burnings_tiling,
    context_of,
    finish_tiles,
    ipc_bytes,
    tile_function,
)
from tocsin.engine.spark import _frame, run_tiled

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Tiles of a degree: ~110 km, four times the halo; Sudan is a few hundred of them.
TILE_DEG = 1.0


def context_on_spark(spark: SparkSession, detections: pa.Table | list[Path], params: BurningParams,
                     until: int | None = None) -> BurningContext:
    """The context of all detections, each Spark partition counting its own rows."""

    def count(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        context = context_of(batches, params, until)
        yield pa.RecordBatch.from_pydict({"payload": [ipc_bytes(context.to_table())]})

    rows = _frame(spark, detections).mapInArrow(count, "payload binary").toArrow()
    return BurningContext.merge([BurningContext.from_table(pa.ipc.open_stream(p).read_all())
                                 for p in rows.column("payload").to_pylist()])


def detect_fires_spark(spark: SparkSession, detections: pa.Table | list[Path], places: pa.Table,
                       events: pa.Table | None, params: BurningParams, tile_deg: float = TILE_DEG,
                       until: int | None = None, report_from: int | None = None,
                       scratch: Path | None = None) -> BurningsResult:
    """``detect_fires`` on Spark: ``detections`` as the lake's Parquet files (or a table),
    acquired by day ``until``, reported from day ``report_from`` (days since 1970-01-01).

    The tiles write their fire-event points to a temporary folder in ``scratch`` (on a cluster:
    a folder every worker and the driver reach, such as the workspace; by default the driver's
    temporary folder, which only local mode can use), removed when the run ends."""
    context = context_on_spark(spark, detections, params, until)
    inputs: dict[str, pa.Table | list[Path]] = {"detections": detections, "places": places}
    if events is not None and events.num_rows:
        inputs["events"] = events
    with tempfile.TemporaryDirectory(prefix=".spark-points-", dir=scratch) as folder:
        points_dir = Path(folder)
        parts = run_tiled(spark, tile_function(context, params, until, report_from, points_dir), places,
                          inputs, burnings_tiling(places, params, tile_deg), PAYLOAD_SCHEMA)
        return finish_tiles(parts, places, params, points_dir)
