"""The forecasts job, and forecasting's I/O: reading its inputs from a workspace
(``read_inputs``) and storing forecasts in the lake (the derived table ``forecasts`` that the web
app and briefings read: one row per place, date, horizon and model; storing again for the same
date and horizon replaces those rows and keeps the rest).

The job stores the day's forecast: as of the last day the event data reaches (or the day asked),
never judged past the data as if the gap were calm (``coverage.judged_day``).
"""

from __future__ import annotations

import hashlib
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tocsin.analysis.inputs import EVENT_COLUMNS, PLACE_COLUMNS, ForecastInputs
from tocsin.i18n import Said, said_of
from tocsin.jobs.base import Job, JobContext, JobResult
from tocsin.jobs.reads import events_with_links
from tocsin.jobs.registry import register
from tocsin.lake import Lake
from tocsin.workspace import Workspace, WorkspaceError

TABLE = "forecasts"
METHOD_VERSION = "5"  # 2: stored reasons name events by date; 3: the latest of tied nearest events;
# 4: an event two features lead to is told once; 5: Arabic death tolls agree with their number
DAILY_HORIZON_DAYS = 30


def read_inputs(workspace: Workspace, stages: pa.Table | None = None, siege: bool = False,
                takeovers: bool = False, history: pa.Table | None = None) -> ForecastInputs:
    """Read what the lake holds. Fails with a clear message when there is nothing to forecast.
    With ``siege``, the siege tracker's stages feed the siege features (unless ``stages`` are
    given). Off by default: on the Sudan backtest they lowered average precision (model card).
    With ``takeovers``, the falls and assaults read from the siege tracker's stage history
    (``history``, a ``stage_history`` table, when the caller holds one: it takes a minute)."""
    workspace.require()
    lake = Lake(workspace.lake_dir)
    manifest = lake.manifest()
    if "gazetteer" not in manifest["derived"] or "event_links" not in manifest["derived"]:
        raise WorkspaceError(Said("workspace.no_gazetteer_or_links"))
    con = lake.connect()
    try:
        places = con.sql(f"SELECT {PLACE_COLUMNS} FROM gazetteer ORDER BY place_id").to_arrow_table()
        events = events_with_links(con, EVENT_COLUMNS, manifest["derived"], "ORDER BY e.event_uid")
        if events.num_rows == 0:
            raise WorkspaceError(Said("workspace.no_conflict_events"))
        displacement = con.sql(
            "SELECT admin2_pcode, CAST(idps AS DOUBLE) AS idps, period_end FROM displacement "
            "WHERE admin_level = 2 AND admin2_pcode IS NOT NULL AND idps IS NOT NULL "
            "AND period_end IS NOT NULL").to_arrow_table()
        prices = con.sql(
            "SELECT coalesce(market_id, market) AS market, market AS market_name, latitude, longitude, "
            "commodity, price_type, unit, date, price FROM prices WHERE price > 0 AND latitude IS NOT NULL "
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
    if history is None and ((stages is None and siege) or takeovers):
        # Imported here: the siege tracker is only needed when its stages are wanted.
        from tocsin.jobs.steps.siege import stage_history

        history = stage_history(workspace)
    if stages is None and siege and history is not None:
        stages = history.select(["place_id", "date", "stage_rank"])
    falls = None
    if takeovers and history is not None:
        from tocsin.analysis.siege import takeovers as read_takeovers

        falls = read_takeovers(history)
    return ForecastInputs(places, events, displacement, prices, aggregates, burnings, stages, falls)


def store_forecasts(workspace: Workspace, table: pa.Table) -> int:
    """Merge ``table`` (FORECAST_SCHEMA) into the workspace's ``forecasts`` under the write
    lock; returns its rows."""
    with workspace.write_lock():
        return merge_forecasts(JobContext(workspace, Lake(workspace.lake_dir)), table)


def merge_forecasts(ctx: JobContext, table: pa.Table, fingerprint: str | None = None) -> int:
    """The merge itself (the caller holds the lock); returns the table's rows.
    The table is stored in partitions by as-of day (decision 0041): a day's forecast rewrites
    that day's file only, in one manifest write. A forecasts table stored whole (before 0041)
    is split into days on its first merge. A forecast stored by hand (another date or horizon)
    is recorded with its own fingerprint, so the job still sees its own as due."""
    from tocsin.analysis.forecast import FORECAST_SCHEMA

    lake = ctx.lake
    if table.num_rows == 0:
        return 0
    table = _conform(table, FORECAST_SCHEMA)
    entry = lake.manifest()["derived"].get(TABLE)
    parts = lake.derived_parts(TABLE)
    whole = parts is None   # no table yet, or one stored whole: every day is written
    days: dict[str, pa.Table] = {}
    if entry is not None and parts is None:
        old = _conform(pq.ParquetFile(lake.derived_files(TABLE)[0]).read(), FORECAST_SCHEMA)
        for day in pc.unique(old.column("as_of")).to_pylist():
            days[day.isoformat()] = old.filter(pc.equal(old.column("as_of"), day))
    for day in sorted(pc.unique(table.column("as_of")).to_pylist()):
        key = day.isoformat()
        new = table.filter(pc.equal(table.column("as_of"), day))
        old = days.get(key)
        if old is None and parts and key in parts:
            old = _conform(pq.ParquetFile(parts[key]).read(), FORECAST_SCHEMA)
        if old is not None:
            # Storing again for the same day and horizon replaces those rows, keeps the rest.
            horizons = pc.unique(new.column("horizon_days"))
            old = old.filter(pc.invert(pc.is_in(old.column("horizon_days"), value_set=horizons)))
            new = pa.concat_tables([old, new])
        days[key] = new
    stored = {(str(d), h) for d, h in zip(table.column("as_of").to_pylist(),
                                          table.column("horizon_days").to_pylist(), strict=True)}
    fingerprint = fingerprint or hashlib.sha256(
        f"{(entry or {}).get('inputs')}:{sorted(stored)}".encode()).hexdigest()[:16]
    staged = {}
    for key, rows in days.items():
        path = lake.staging_path(f"{TABLE}-{key}", "derived")
        pq.write_table(rows, path, compression="zstd")
        staged[key] = path
    lake.replace_derived_parts(TABLE, staged, fingerprint, whole=whole)
    # The table's rows now: the days written, and the others counted from their footers.
    others = [p for k, p in (parts or {}).items() if k not in days]
    return sum(t.num_rows for t in days.values()) + sum(pq.ParquetFile(p).metadata.num_rows
                                                        for p in others)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` in ``schema``'s columns and types (a table stored before a column was added
    gets it as nulls); a column that cannot be cast is a clear error, nothing is written."""
    for name in schema.names:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, schema.field(name).type))
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        raise WorkspaceError(f"forecasts to store do not fit the forecasts table: {exc}") from exc


def training_key(inputs: ForecastInputs, as_of: date, horizon_days: int, first_day: int | None) -> str:
    """What a fit as of ``as_of`` learns from, as a hash: the monthly origins whose outcome
    windows closed by then, every event dated up to the end of the last of those windows (with
    its link), the burnings first seen and the stages dated by then, and the other inputs whole.
    Training reads the dated inputs only by their days (features before an origin, outcomes
    inside its window), so what lies past the last window cannot change it. Training is
    deterministic (seeded sampling and LightGBM), so an equal key means an equal model: a day of
    new events or fire detections, dated after the last closed window, changes the day's scores
    but not the model, which is then reused. (The burnings are rebuilt whole whenever fire
    detections come: digested whole, a daily FIRMS sync refitted the model every day.)"""
    import duckdb

    from tocsin.analysis.forecast import ForecastParams
    from tocsin.analysis.timeaxis import from_day, month_starts, to_day

    params = ForecastParams()
    lag = params.features.event_lag_days
    horizons = sorted({horizon_days, params.boosted.ranking_horizon_days})
    cutoff = to_day(as_of)
    if first_day is None:
        return "no-events"
    # The origins fit_forecaster trains on (the same rule).
    first = from_day(max(cutoff - params.training_years * 365, first_day))
    origins = [o for o in month_starts(first, as_of) if to_day(o) + horizon_days + lag <= cutoff]
    reach = (origins[-1].toordinal() + max(horizons) + lag) if origins else 0
    con = duckdb.connect()
    try:
        def digest(frame: pa.Table | None, where: str = "true") -> str:
            if frame is None or frame.num_rows == 0:
                return "-"
            cols = ", ".join(f'"{c}"' for c in frame.column_names)
            # DuckDB reads the Arrow table by its Python name (a replacement scan).
            found = con.sql(f"SELECT count(*), sum(hash({cols})::HUGEINT) FROM frame "
                            f"WHERE {where}").fetchall()[0]
            return f"{found[0]}:{found[1]}"

        events_until = date.fromordinal(reach).isoformat() if reach else "0001-01-01"
        parts = [repr(params), str(horizons), ",".join(o.isoformat() for o in origins),
                 digest(inputs.events, f"date_start <= DATE '{events_until}'"), digest(inputs.places),
                 digest(inputs.displacement), digest(inputs.prices), digest(inputs.aggregates),
                 digest(_dated_by(_graded(inputs.burnings, params.features.target.burning_confidences),
                                   "first_detection", reach)),
                 digest(_dated_by(inputs.stages, "date", reach))]
    finally:
        con.close()
    return hashlib.sha256("\n".join([METHOD_VERSION, *parts]).encode()).hexdigest()[:20]


def _graded(burnings: pa.Table | None, confidences: tuple[str, ...]) -> pa.Table | None:
    """The burnings the features and outcomes read: those of ``confidences`` (the detector
    revises past low-confidence periods as detections come; nothing reads them)."""
    if burnings is None:
        return None
    return burnings.filter(pc.is_in(burnings.column("confidence"),
                                    value_set=pa.array(list(confidences), pa.string())))


def _dated_by(table: pa.Table | None, column: str, reach: int) -> pa.Table | None:
    """The rows of ``table`` whose ``column`` falls on or before the proleptic ordinal day
    ``reach`` (the day the training reads to, as features.day_array counts it: a timestamp's
    UTC day; 0: none). Undated rows are never read by training, so they are left out too."""
    from tocsin.analysis.timeaxis import day_array, to_day

    if table is None:
        return None
    if not reach:
        return table.slice(0, 0)
    return table.filter(pa.array(day_array(table.column(column)) <= to_day(date.fromordinal(reach))))


def fit_or_reuse(workspace: Workspace, builder: object, inputs: ForecastInputs, as_of: date,
                 horizon_days: int) -> object:
    """The fitted forecaster for ``as_of``: the one kept from an earlier run with the same
    training key (models/ in the workspace), or a new fit, kept for the next runs."""
    import pickle

    from tocsin.analysis.forecast import FittedForecaster, fit_forecaster

    key = training_key(inputs, as_of, horizon_days, builder.first_day)  # type: ignore[attr-defined]
    folder = workspace.home / "models"
    path = folder / f"forecast-{horizon_days}d-{key}.pickle"
    if path.exists():
        from tocsin.analysis.lgbm import lightgbm

        lightgbm()  # before the pickle imports it, with scikit-learn
        # Our own file, written below; a damaged one is refitted rather than trusted.
        try:
            model, history, origins, events = pickle.loads(path.read_bytes())
            return FittedForecaster(builder, model, history, horizon_days, origins, events)  # type: ignore[arg-type]
        except Exception:
            path.unlink(missing_ok=True)
    fitted = fit_forecaster(builder, as_of, horizon_days)  # type: ignore[arg-type]
    folder.mkdir(exist_ok=True)
    for old in folder.glob(f"forecast-{horizon_days}d-*.pickle"):
        old.unlink()  # one model per horizon is kept: the latest
    from tocsin.lake import atomic_write_bytes

    atomic_write_bytes(path, pickle.dumps((fitted.model, fitted.history, fitted.training_origins,
                                           fitted.training_events)))
    return fitted


def run(ctx: JobContext) -> JobResult:
    """The day's forecast for every place, 30 days ahead, stored."""
    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import ForecastError, latest_date, score_places, stamp_data_end
    from tocsin.coverage import coverage_warning, data_through, judged_day, lake_coverage
    from tocsin.jobs.steps.forecast_model import forecaster_for

    try:
        inputs = read_inputs(ctx.workspace)
        day = ctx.as_of or latest_date(inputs)
        coverage = lake_coverage(ctx.lake, ("events",))
        judged = judged_day(day, coverage)
        ctx.say(Said("jobs.forecasting_places", day=judged))
        builder = FeatureBuilder(inputs)
        fitted, how = forecaster_for(ctx.workspace, builder, inputs, judged, DAILY_HORIZON_DAYS)
        ctx.say(Said("jobs.model_source", model=how))
        # Dated reasons ('on 2023-12-27', not '4 days ago'): a stored forecast is read on later
        # days (the brief, place pages), when a relative day would point at the wrong one.
        scored = score_places(fitted, inputs.places, judged, dated=True)
        table = stamp_data_end(scored, day, data_through(coverage), judged)  # type: ignore[arg-type]
    except (WorkspaceError, ForecastError) as exc:
        return JobResult(notes=[Said("jobs.no_forecast", exc=said_of(exc))])
    rows = merge_forecasts(ctx, table, ctx.fingerprint or FORECASTS.fingerprint(ctx))
    warning = coverage_warning(coverage, day)
    return JobResult(wrote={TABLE: rows}, notes=[warning] if warning else [],
                     data_through={"events": data_through(coverage)})


FORECASTS = register(Job(
    name="forecasts",
    reads=("events", "event_links", "gazetteer", "displacement", "prices", "event_aggregates",
           "burnings", "field_report_events"),
    writes=(TABLE,),
    method_version=METHOD_VERSION,
    run=run,
    description="the day's forecast: each place's probability of an atrocity within 30 days",
))

