"""The burnings job: stream the lake's fire detections through the detector (analysis/burnings),
store the result as the derived tables ``burnings`` and ``fire_events``; and their GeoJSON
export. The runner rebuilds it when fire detections, events or the gazetteer change (before, a
FIRMS ingest left it stale).

As of ``until``: only detections acquired by then, and events dated and published by then, are
read. Everything before ``since`` still counts as history (persistent heat sources, the seasonal
background); only burnings from ``since`` on are reported.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tocsin.analysis.burnings import BurningDetector, BurningParams, BurningsResult
from tocsin.engine import choice as engine_choice
from tocsin.i18n import Said
from tocsin.jobs.base import Job, JobContext, JobResult, write_derived
from tocsin.jobs.registry import register
from tocsin.lake import Lake, atomic_write_text
from tocsin.sqltext import sql_str
from tocsin.workspace import Workspace, WorkspaceError

METHOD_VERSION = "2"  # 2: leads, fitted weights, field rings, night, clouds, fire events
BATCH_ROWS = 1_000_000
PLACE_COLUMNS = ["place_id", "name", "place_class", "latitude", "longitude", "radius_km",
                 "admin1_pcode", "admin2_pcode"]
EVENT_COLUMNS = ["event_uid", "date_start", "latitude", "longitude", "category",
                 "location_precision"]
# confidence and fire_type are filtered on in the query itself, so they need not be read out.
DETECTION_COLUMNS = ["latitude", "longitude", "acq_date", "acq_time", "frp", "daynight",
                     "satellite"]


def detection_batches(lake: Lake, until: date | None, drop_low_confidence: bool = True
                      ) -> Iterator[pa.RecordBatch]:
    """The lake's fire detections up to ``until``, a million rows at a time, straight from the
    Parquet files (the computed and provenance columns are not needed here). Rows the detector
    would drop anyway are dropped here, where it costs less."""
    import duckdb

    files = lake.table_files("fire_detections")
    if not files:
        return
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    listing = ", ".join(sql_str(str(f)) for f in files)
    conditions = ["(fire_type IS NULL OR fire_type NOT IN (1, 2, 3))"]
    if drop_low_confidence:
        conditions.append("confidence IS DISTINCT FROM 'low'")
    if until:
        conditions.append(f"acq_date <= {sql_str(until.isoformat())}::DATE")
    where = "WHERE " + " AND ".join(conditions)
    reader = con.sql(f"SELECT {', '.join(DETECTION_COLUMNS)} FROM read_parquet([{listing}], "
                     f"union_by_name = true) {where}").to_arrow_reader(BATCH_ROWS)
    try:
        yield from reader
    finally:
        con.close()


def read_events(lake: Lake, until: date | None) -> pa.Table:
    """Events known by ``until``: dated by then and, where the source says when it published
    them, published by then."""
    import duckdb

    files = lake.table_files("events")
    if not files:
        return pa.schema([(c, pa.string()) for c in EVENT_COLUMNS]).empty_table()
    listing = ", ".join(sql_str(str(f)) for f in files)
    where = ""
    if until:
        day = sql_str(until.isoformat())
        where = (f"WHERE date_start <= {day}::DATE AND (published_at IS NULL OR "
                 f"published_at < {day}::DATE + 1)")
    con = duckdb.connect()
    try:
        return con.sql(f"SELECT {', '.join(EVENT_COLUMNS)} FROM read_parquet([{listing}], "
                       f"union_by_name = true) {where}").to_arrow_table()
    finally:
        con.close()


def detect_in_workspace(workspace: Workspace, since: date | None = None, until: date | None = None,
                        params: BurningParams | None = None,
                        step: Callable[[str], None] | None = None) -> pa.Table:
    """Run the detector over the workspace and store the ``burnings`` and ``fire_events``
    tables (atomically, in one manifest write, under the write lock). Returns the burnings.
    With the defaults this is the job the runner runs."""
    workspace.require()
    lake = Lake(workspace.lake_dir)
    _require_inputs(lake)
    with workspace.write_lock():
        ctx = JobContext(workspace, lake, say=step or (lambda _: None),
                         options={"since": since, "until": until, "params": params})
        return detect(ctx)


def _require_inputs(lake: Lake) -> None:
    if lake.derived_path("gazetteer") is None:
        raise WorkspaceError(Said("workspace.no_gazetteer"))
    if not lake.table_files("fire_detections"):
        raise WorkspaceError(Said("workspace.no_fire_detections"))


def detect(ctx: JobContext) -> pa.Table:
    """The detector over the lake (options: since, until, params); the caller holds the lock."""
    say, lake = ctx.say, ctx.lake
    since, until = ctx.options.get("since"), ctx.options.get("until")
    params = ctx.options.get("params") or BurningParams()
    # ParquetFile rather than read_table: the dataset layer imports pandas (half a second).
    places = pq.ParquetFile(lake.derived_path("gazetteer")).read(columns=PLACE_COLUMNS)
    report_from = (since - date(1970, 1, 1)).days if since else None
    engine = engine_choice.current()
    if engine.is_spark:
        found = _detect_on_spark(lake, places, until, params, report_from, engine.spark_master, say)
    else:
        found = _detect_here(lake, places, until, params, report_from, say)
    say(Said("jobs.storing_burnings"))
    # The default run is the job's; another window or other parameters are recorded as such,
    # so the next `tocsin update` sees the table as stale and rebuilds the default one.
    fingerprint = ctx.fingerprint or BURNINGS.fingerprint(ctx)
    if since or until or (params != BurningParams()):
        fingerprint = hashlib.sha256(json.dumps([fingerprint, str(since), str(until), asdict(params)],
                                                default=str).encode()).hexdigest()[:16]
    write_derived(ctx, BURNINGS, {"burnings": found.burnings, "fire_events": found.fire_events},
                  fingerprint)
    return found.burnings


def _detect_here(lake: Lake, places: pa.Table, until: date | None, params: BurningParams,
                 report_from: int | None, say: Callable[[str], None]) -> BurningsResult:
    """The lake streamed through one detector, a million rows at a time."""
    detector = BurningDetector(places, read_events(lake, until), params)
    seen = 0
    # Two cores: while one batch is matched (NumPy, Arrow: no GIL), the next is read and
    # matched too; the detector's state is only touched here, in order.
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending: deque[Future[Any]] = deque()
        for batch in detection_batches(lake, until, params.drop_low_confidence):
            pending.append(pool.submit(detector.prepare, batch, report_from=report_from))
            seen += batch.num_rows
            if len(pending) >= 2:
                detector.absorb(pending.popleft().result())
                say(Said("jobs.read_detections", seen=seen))
        while pending:
            detector.absorb(pending.popleft().result())
    say(Said("jobs.scoring_burnings"))
    return detector.outcome()


def _detect_on_spark(lake: Lake, places: pa.Table, until: date | None, params: BurningParams,
                     report_from: int | None, master: str | None,
                     say: Callable[[str], None]) -> BurningsResult:
    """The same answer on Spark (`tocsin --engine spark`): Spark reads the lake's Parquet files
    itself, in tiles with their halo (engine/burnings_spark)."""
    from tocsin.analysis.burnings_tiled import day_number
    from tocsin.engine.burnings_spark import detect_fires_spark
    from tocsin.engine.spark import spark_session

    say(Said("jobs.detecting_on_spark", master=master or "local[2]"))
    return detect_fires_spark(spark_session(master), lake.table_files("fire_detections"), places,
                              read_events(lake, until), params, until=day_number(until),
                              report_from=report_from, scratch=lake.root)


def run(ctx: JobContext) -> JobResult:
    lake = ctx.lake
    if lake.derived_path("gazetteer") is None or not lake.table_files("fire_detections"):
        return JobResult(notes=[Said("jobs.nothing_to_detect")])
    ctx.say(Said("jobs.detecting_burnings"))
    table = detect(ctx)
    return JobResult(wrote={"burnings": table.num_rows})


BURNINGS = register(Job(
    name="burnings",
    reads=("fire_detections", "events", "gazetteer"),
    writes=("burnings", "fire_events"),
    method_version=METHOD_VERSION,
    run=run,
    description="settlements burning: clusters of fire detections at places, scored with reasons",
))


def read_burnings(workspace: Workspace) -> pa.Table | None:
    """The stored burnings table, or None when detection has not run."""
    workspace.require()
    path = Lake(workspace.lake_dir).derived_path("burnings")
    return pq.ParquetFile(path).read() if path else None


def read_fire_events(workspace: Workspace) -> pa.Table | None:
    """The stored fire events, or None when detection (method 2 or later) has not run."""
    workspace.require()
    path = Lake(workspace.lake_dir).derived_path("fire_events")
    return pq.ParquetFile(path).read() if path else None


def to_geojson(table: pa.Table) -> dict[str, Any]:
    """One feature per row: a burning as a Point at its place, a fire event as its Polygon;
    every other column a property."""
    features = []
    for row in table.to_pylist():
        properties = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()
                      if k != "geometry"}
        if "geometry" in row:  # a fire event
            geometry = json.loads(row["geometry"])
            feature_id = row["fire_event_id"]
        else:
            geometry = {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}
            feature_id = row["burning_id"]
            properties = {k: v for k, v in properties.items() if k not in ("latitude", "longitude")}
        features.append({"type": "Feature", "id": feature_id, "geometry": geometry,
                         "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def write_geojson(table: pa.Table, path: Path) -> None:
    """Written whole or not at all."""
    atomic_write_text(path, json.dumps(to_geojson(table), ensure_ascii=False))
