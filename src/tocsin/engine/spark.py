"""Running a tiled analysis on Apache Spark: local mode for tests, a cluster by URL.

Each input is read by Spark (Parquet files straight from the lake, or an Arrow table), tagged with
its tiles by the same NumPy code the local engine uses (one ``mapInArrow`` pass), and shipped per
tile as Arrow IPC bytes; one ``groupBy(tile).applyInArrow`` then rebuilds each tile's tables and
calls the same pure function the single-machine path calls. There is one implementation of each
method: Spark only moves the rows.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from tocsin.engine.partition import TILE_COLUMN, Tiling, tag_halo, tag_home

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TileFunction = Callable[[pa.Table, dict[str, pa.Table]], pa.Table]
HOMES = "__homes__"
SHIPPED = pa.schema([(TILE_COLUMN, pa.int64()), ("kind", pa.string()), ("payload", pa.binary())])


def spark_session(master: str | None = None, app: str = "tocsin") -> SparkSession:
    """A Spark session: ``local[2]`` unless ``master`` names a cluster. The workers run this
    interpreter (PYSPARK_PYTHON) so that they import the same Tocsin."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(master or "local[2]").appName(app)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.session.timeZone", "UTC")
            # Local mode: the driver is the executor, and collects each run's rows (a time
            # window of features); the JVM's default 1 GB is too small for a year of them.
            .config("spark.driver.memory", os.environ.get("TOCSIN_SPARK_DRIVER_MEMORY", "3g"))
            .config("spark.driver.maxResultSize", "2g")
            .getOrCreate())


def _frame(spark: SparkSession, source: pa.Table | list[Path]) -> DataFrame:
    if isinstance(source, pa.Table):
        return spark.createDataFrame(source)
    return spark.read.option("mergeSchema", "true").parquet(*[str(p) for p in source])


def _shipper(kind: str, tiling: Tiling, home: bool) -> Callable[[Iterator[pa.RecordBatch]],
                                                                 Iterator[pa.RecordBatch]]:
    def ship(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            tagged = pa.Table.from_batches([batch])
            tagged = tag_home(tagged, tiling) if home else tag_halo(tagged, tiling)
            if tagged.num_rows == 0:
                continue
            tagged = tagged.sort_by(TILE_COLUMN)
            keys = tagged.column(TILE_COLUMN).to_numpy()
            bounds = np.flatnonzero(np.diff(keys)) + 1
            starts = np.concatenate([[0], bounds])
            stops = np.concatenate([bounds, [len(keys)]])
            body = tagged.drop_columns([TILE_COLUMN])
            tiles, payloads = [], []
            for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, body.schema) as writer:
                    writer.write_table(body.slice(a, b - a))
                tiles.append(int(keys[a]))
                payloads.append(sink.getvalue().to_pybytes())
            yield pa.RecordBatch.from_pydict({TILE_COLUMN: tiles, "kind": [kind] * len(tiles),
                                              "payload": payloads}, schema=SHIPPED)
    return ship


def run_tiled(spark: SparkSession, fn: TileFunction, homes: pa.Table | list[Path],
              inputs: dict[str, pa.Table | list[Path]], tiling: Tiling,
              out_schema: pa.Schema) -> pa.Table:
    """``fn(homes_of_tile, {name: inputs_of_tile_with_halo})`` on every tile that has homes,
    on Spark; the results concatenated (in no particular order: sort before comparing)."""
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    frames = {name: _frame(spark, source) for name, source in inputs.items()}
    # A tile with no rows of an input still gets that input, empty, with its columns.
    empties = {name: (source.schema if isinstance(source, pa.Table) else
                      to_arrow_schema(frames[name].schema, timezone="UTC")).empty_table()
               for name, source in inputs.items()}
    shipped = _frame(spark, homes).mapInArrow(_shipper(HOMES, tiling, home=True),
                                              from_arrow_schema(SHIPPED))
    for name, frame in frames.items():
        shipped = shipped.unionByName(frame.mapInArrow(
            _shipper(name, tiling, home=False), from_arrow_schema(SHIPPED)))

    def per_tile(group: pa.Table) -> pa.Table:
        parts: dict[str, list[pa.Table]] = {}
        kinds = group.column("kind").to_pylist()
        for kind, payload in zip(kinds, group.column("payload").to_pylist(), strict=True):
            parts.setdefault(kind, []).append(pa.ipc.open_stream(payload).read_all())
        if HOMES not in parts:
            return out_schema.empty_table()
        tables = {name: _concat(parts.get(name)) or empty for name, empty in empties.items()}
        result = fn(_concat(parts[HOMES]) or pa.table({}), tables)
        return result.select(out_schema.names).cast(out_schema)

    result = shipped.groupBy(TILE_COLUMN).applyInArrow(per_tile, from_arrow_schema(out_schema))
    return result.toArrow().cast(out_schema)


def _concat(tables: list[pa.Table] | None) -> pa.Table | None:
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def session_for_choice() -> SparkSession:
    """The Spark session `tocsin --engine spark [--spark-master URL]` asked for."""
    from tocsin.engine.choice import current

    return spark_session(current().spark_master)
