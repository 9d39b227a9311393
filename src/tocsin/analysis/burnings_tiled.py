"""Burnings tile by tile, with the same answer as whole, bit for bit (docs/methods/scale.md).

The detector (``analysis/burnings``) is split where its reach ends:

1. **The context, whole.** The days anything was seen, the (block, day) pairs seen (clouds) and
   the seasonal background are counted over every detection of the area, once
   (``context_of``), and given to every tile.
2. **Candidates, per tile.** Each tile runs ``BurningDetector`` on the places and detections
   within ``BurningParams.halo_km`` of it, with the whole context, and keeps what belongs to its
   own places: their candidate periods (features, detection ids) and the detections they report
   for fire events (``tile_function``). What a place's periods depend on lies within the halo,
   so they are the whole run's.
3. **The rest, whole.** Sweeps (which chain across any distance), scores, ranks and fire events
   (a front as long as it burns) are made once from all tiles' candidates (``finish_tiles``),
   by the same ``finish_burnings`` the single-machine path ends with.

The tile function is what the local engine (``engine/local``) and Spark (``engine/spark``,
``engine/burnings_spark``) run per tile; it returns its candidates as Arrow IPC payloads.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tocsin.analysis.burnings import (
    BurningContext,
    BurningDetector,
    BurningParams,
    BurningsResult,
    Candidates,
    _place_arrays,
    finish_burnings,
)
from tocsin.analysis.fire_events import PointSource
from tocsin.engine.local import run_tiled_local
from tocsin.engine.partition import Tiling
from tocsin.engine.spark import TileFunction

PAYLOAD_SCHEMA = pa.schema([("kind", pa.string()), ("payload", pa.binary())])
NO_PLACES = pa.schema([("place_id", pa.string()), ("place_class", pa.string()),
                       ("latitude", pa.float64()), ("longitude", pa.float64())]).empty_table()


def day_number(day: date | None) -> int | None:
    """Days since 1970-01-01 (the detector's day numbers)."""
    return (day - date(1970, 1, 1)).days if day else None


def acquired_by(batch: pa.RecordBatch | pa.Table, until: int | None) -> pa.RecordBatch | pa.Table:
    """The detections acquired on day ``until`` or before (all when None)."""
    if until is None:
        return batch
    day = batch.column("acq_date").cast(pa.date32()).cast(pa.int32())
    return batch.filter(pc.fill_null(pc.less_equal(day, until), False))


def context_of(batches: Iterable[pa.RecordBatch | pa.Table], params: BurningParams,
               until: int | None = None) -> BurningContext:
    """The context of these detections: the same rows the detector keeps, counted the same way
    (a detector with no places learns them)."""
    detector = BurningDetector(NO_PLACES, None, params)
    for batch in batches:
        detector.learn(acquired_by(batch, until))
    return detector.context()


def burnings_tiling(places: pa.Table, params: BurningParams, tile_deg: float) -> Tiling:
    """Tiles of ``tile_deg`` degrees with the halo the places' largest radius needs."""
    radius = _place_arrays(places)["radius_km"]
    return Tiling(tile_deg, params.halo_km(float(radius.max()) if len(radius) else 0.0))


def ipc_bytes(table: pa.Table) -> bytes:
    """A table as Arrow IPC stream bytes (what tiles and Spark partitions return)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def tile_function(context: BurningContext, params: BurningParams, until: int | None = None,
                  report_from: int | None = None, points_dir: Path | None = None) -> TileFunction:
    """What one tile runs: its homes are its own places; its inputs are ``detections``,
    ``places`` and (optionally) ``events`` with their halo. Returns the candidates of its homes
    as two IPC payloads (PAYLOAD_SCHEMA: periods, points). With ``points_dir`` (a folder every
    worker and the driver reach) the points are written there as a Parquet file and the payload
    is its name (kind ``points_file``): they are most of a tile's answer, and the driver then
    reads them a file at a time instead of receiving them all at once."""

    def run(homes: pa.Table, inputs: dict[str, pa.Table]) -> pa.Table:
        events = inputs.get("events")
        detector = BurningDetector(inputs["places"], events if events is not None and events.num_rows
                                   else None, params, context=context,
                                   homes=homes.column("place_id").combine_chunks())
        for batch in inputs["detections"].to_batches(max_chunksize=1_000_000):
            detector.add(acquired_by(batch, until), report_from=report_from)
        found = detector.candidates()
        if points_dir is None:
            points = ("points", ipc_bytes(found.points))
        else:
            # Named by the tile's first place (each place is home to one tile), written whole
            # then renamed: a task that Spark runs again replaces its file, never adds one.
            first = str(pc.min(homes.column("place_id")).as_py())
            name = f"points-{hashlib.sha1(first.encode()).hexdigest()[:20]}.parquet"
            partial = points_dir / f".{name}.{uuid.uuid4().hex}"
            pq.write_table(found.points, partial, compression="zstd", compression_level=1)
            os.replace(partial, points_dir / name)
            points = ("points_file", name.encode())
        return pa.table({"kind": ["periods", points[0]],
                         "payload": [ipc_bytes(found.periods), points[1]]}, schema=PAYLOAD_SCHEMA)

    return run


def finish_tiles(parts: pa.Table, places: pa.Table, params: BurningParams,
                 points_dir: Path | None = None) -> BurningsResult:
    """The result from the tiles' payloads: their places renumbered to the whole gazetteer's,
    then ``finish_burnings``. Points in files (``points_file``) are read from ``points_dir`` a
    file at a time; only those of described fire events are held at once."""
    pl = _place_arrays(places)
    ids = pa.array(pl["place_id"], pa.string())
    periods: list[pa.Table] = []
    points: list[pa.Table] = []
    files: list[Path] = []
    for kind, payload in zip(parts.column("kind").to_pylist(), parts.column("payload").to_pylist(),
                             strict=True):
        if kind == "points_file":
            if points_dir is None:
                raise ValueError("the tiles wrote their points to files, but no points_dir was given")
            files.append(points_dir / payload.decode())
        else:
            (periods if kind == "periods" else points).append(pa.ipc.open_stream(payload).read_all())

    def batches() -> Iterator[pa.Table]:
        yield from points
        for path in sorted(files):
            yield pq.ParquetFile(path).read()

    candidates = Candidates(_renumbered(pa.concat_tables(periods), ids) if periods
                            else Candidates.empty().periods, Candidates.empty().points)
    return finish_burnings(candidates, pl, params,
                           PointSource(batches, prepare=lambda table: _renumbered(table, ids)))


def _renumbered(table: pa.Table, ids: pa.Array) -> pa.Table:
    """``place`` as the row of ``place_id`` in the whole gazetteer (-1 where there is none)."""
    at = pc.index_in(table.column("place_id"), value_set=ids)
    place = np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), np.int64)
    return table.set_column(table.schema.get_field_index("place"), "place", pa.array(place))


def detect_fires_tiled(detections: pa.Table, places: pa.Table, events: pa.Table | None,
                       params: BurningParams, tile_deg: float = 1.0, until: int | None = None,
                       report_from: int | None = None) -> BurningsResult:
    """``detect_fires`` tile by tile on this machine (the same answer, in bounded memory per
    tile once the context is counted)."""
    context = context_of(detections.to_batches(max_chunksize=1_000_000), params, until)
    inputs = {"detections": detections, "places": places}
    if events is not None and events.num_rows:
        inputs["events"] = events
    parts = run_tiled_local(tile_function(context, params, until, report_from), places, inputs,
                            burnings_tiling(places, params, tile_deg), PAYLOAD_SCHEMA)
    return finish_tiles(parts, places, params)
