"""The forecasts job, and forecasting's I/O: reading its inputs from a workspace
(``read_inputs``) and storing forecasts in the lake (the derived table ``forecasts`` that the web
app and briefings read: one row per place, date, horizon and model; storing again for the same
date and horizon replaces those rows and keeps the rest).

The job stores the day's forecast: as of the last day the event data reaches (or the day asked),
never judged past the data as if the gap were calm (``coverage.judged_day``).
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tocsin.analysis.inputs import EVENT_COLUMNS, PLACE_COLUMNS, ForecastInputs
from tocsin.jobs.base import Job, JobContext, JobResult, write_derived
from tocsin.jobs.reads import events_with_links
from tocsin.jobs.registry import register
from tocsin.lake import Lake
from tocsin.workspace import Workspace, WorkspaceError

TABLE = "forecasts"
METHOD_VERSION = "1"
DAILY_HORIZON_DAYS = 30


def read_inputs(workspace: Workspace, stages: pa.Table | None = None, siege: bool = False
                ) -> ForecastInputs:
    """Read what the lake holds. Fails with a clear message when there is nothing to forecast.
    With ``siege``, the siege tracker's stages feed the siege features (unless ``stages`` are
    given). Off by default: on the Sudan backtest they lowered average precision (model card)."""
    workspace.require()
    lake = Lake(workspace.lake_dir)
    manifest = lake.manifest()
    if "gazetteer" not in manifest["derived"] or "event_links" not in manifest["derived"]:
        raise WorkspaceError("the workspace has no gazetteer or event links yet: ingest places "
                             "(osm-places, geonames, ...) and events (ucdp-ged, acled) first")
    con = lake.connect()
    try:
        places = con.sql(f"SELECT {PLACE_COLUMNS} FROM gazetteer ORDER BY place_id").to_arrow_table()
        events = events_with_links(con, EVENT_COLUMNS, manifest["derived"], "ORDER BY e.event_uid")
        if events.num_rows == 0:
            raise WorkspaceError("the workspace holds no conflict events: ingest ucdp-ged or acled first")
        displacement = con.sql(
            "SELECT admin2_pcode, CAST(idps AS DOUBLE) AS idps, period_end FROM displacement "
            "WHERE admin_level = 2 AND admin2_pcode IS NOT NULL AND idps IS NOT NULL "
            "AND period_end IS NOT NULL").to_arrow_table()
        prices = con.sql(
            "SELECT coalesce(market_id, market) AS market, latitude, longitude, commodity, "
            "price_type, unit, date, price FROM prices WHERE price > 0 AND latitude IS NOT NULL "
            "AND date IS NOT NULL AND coalesce(price_flag, 'actual') <> 'forecast'").to_arrow_table()
        aggregates = con.sql(
            "SELECT admin2_pcode, month_start, events, fatalities FROM event_aggregates "
            "WHERE admin2_pcode IS NOT NULL").to_arrow_table()
        burnings = None
        if "burnings" in manifest["derived"]:
            burnings = con.sql("SELECT place_id, latitude, longitude, first_detection, confidence "
                               "FROM burnings").to_arrow_table()
    finally:
        con.close()
    if stages is None and siege:
        # Imported here: the siege tracker is only needed when its stages are wanted.
        from tocsin.jobs.steps.siege import stage_history

        stages = stage_history(workspace)
    return ForecastInputs(places, events, displacement, prices, aggregates, burnings, stages)


def store_forecasts(workspace: Workspace, table: pa.Table) -> int:
    """Merge ``table`` (FORECAST_SCHEMA) into the workspace's ``forecasts`` under the write
    lock; returns its rows."""
    with workspace.write_lock():
        return merge_forecasts(JobContext(workspace, Lake(workspace.lake_dir)), table)


def merge_forecasts(ctx: JobContext, table: pa.Table, fingerprint: str | None = None) -> int:
    """The merge itself (the caller holds the lock). A forecast stored by hand (another date or
    horizon) is recorded with its own fingerprint, so the job still sees its own as due."""
    from tocsin.analysis.forecast import FORECAST_SCHEMA

    lake = ctx.lake
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
    fingerprint = fingerprint or hashlib.sha256(str(sorted(
        {(str(r["as_of"]), r["horizon_days"]) for r in
         kept.select(["as_of", "horizon_days"]).to_pylist()})).encode()).hexdigest()[:16]
    write_derived(ctx, FORECASTS, {TABLE: kept}, fingerprint)
    return kept.num_rows


def run(ctx: JobContext) -> JobResult:
    """The day's forecast for every place, 30 days ahead, stored."""
    from tocsin.analysis.forecast import ForecastError, forecast, latest_date, stamp_data_end
    from tocsin.coverage import coverage_warning, data_through, judged_day, lake_coverage

    try:
        inputs = read_inputs(ctx.workspace)
        day = ctx.as_of or latest_date(inputs)
        coverage = lake_coverage(ctx.lake, ("events",))
        judged = judged_day(day, coverage)
        ctx.say(f"forecasting every place as of {judged}")
        table = stamp_data_end(forecast(inputs, judged, DAILY_HORIZON_DAYS), day,
                               data_through(coverage), judged)
    except (WorkspaceError, ForecastError) as exc:
        return JobResult(notes=[f"no forecast: {exc}"])
    rows = merge_forecasts(ctx, table, ctx.fingerprint or FORECASTS.fingerprint(ctx))
    warning = coverage_warning(coverage, day)
    return JobResult(wrote={TABLE: rows}, notes=[warning] if warning else [],
                     data_through={"events": data_through(coverage)})


FORECASTS = register(Job(
    name="forecasts",
    reads=("events", "event_links", "gazetteer", "displacement", "prices", "event_aggregates",
           "burnings"),
    writes=(TABLE,),
    method_version=METHOD_VERSION,
    run=run,
    description="the day's forecast: each place's probability of an atrocity within 30 days",
))

