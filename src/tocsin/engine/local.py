"""The single-machine engine: the same tiles as on Spark, one after another in this process.
Used to check that tiling changes nothing, and to bound memory on very large worlds."""

from __future__ import annotations

import pyarrow as pa

from tocsin.engine.partition import Tiling, split
from tocsin.engine.spark import TileFunction


def run_tiled_local(fn: TileFunction, homes: pa.Table, inputs: dict[str, pa.Table],
                    tiling: Tiling, out_schema: pa.Schema) -> pa.Table:
    parts = [fn(tile.homes, tile.inputs).select(out_schema.names).cast(out_schema)
             for tile in split(homes, inputs, tiling)]
    return pa.concat_tables(parts) if parts else out_schema.empty_table()
