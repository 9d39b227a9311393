"""Storing forecasts in the lake: the derived table ``forecasts`` that the web app and briefings
read. One row per place, date, horizon and model; storing again for the same date and horizon
replaces those rows and keeps the rest. I/O, unlike the rest of ``analysis``."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tocsin.analysis.forecast import FORECAST_SCHEMA
from tocsin.lake import Lake
from tocsin.workspace import Workspace

TABLE = "forecasts"


def store_forecasts(workspace: Workspace, table: pa.Table) -> int:
    """Merge ``table`` (FORECAST_SCHEMA) into the workspace's ``forecasts``; returns its rows."""
    lake = Lake(workspace.lake_dir)
    with workspace.write_lock():
        kept = table
        existing = lake.derived_path(TABLE)
        if existing is not None:
            old = pq.read_table(existing)
            for name in FORECAST_SCHEMA.names:      # tables stored before a column was added
                if name not in old.column_names:
                    old = old.append_column(name, pa.nulls(old.num_rows, FORECAST_SCHEMA.field(name).type))
            old = old.select(FORECAST_SCHEMA.names).cast(FORECAST_SCHEMA)
            replaced = pa.Table.from_pylist(
                [{"as_of": a, "horizon_days": h} for a, h in
                 {(r["as_of"], r["horizon_days"])
                  for r in table.select(["as_of", "horizon_days"]).to_pylist()}],
                schema=pa.schema([("as_of", pa.date32()), ("horizon_days", pa.int32())]))
            key = pc.binary_join_element_wise(pc.cast(old.column("as_of"), pa.string()),
                                              pc.cast(old.column("horizon_days"), pa.string()), "/")
            drop = pc.binary_join_element_wise(pc.cast(replaced.column("as_of"), pa.string()),
                                               pc.cast(replaced.column("horizon_days"), pa.string()), "/")
            old = old.filter(pc.invert(pc.is_in(key, value_set=drop)))
            kept = pa.concat_tables([old, table.cast(FORECAST_SCHEMA)])
        path = lake.staging_path(TABLE, "derived")
        pq.write_table(kept, path, compression="zstd")
        fingerprint = hashlib.sha256(str(sorted({(str(r["as_of"]), r["horizon_days"]) for r in
                                                 kept.select(["as_of", "horizon_days"]).to_pylist()}))
                                     .encode()).hexdigest()[:16]
        lake.replace_derived({TABLE: path}, {TABLE: fingerprint})
    return kept.num_rows
