"""`tocsin forecast` and `tocsin backtest`: which places are at risk, and how well that works."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    import pyarrow as pa

from tocsin.cli.common import (
    data_gap,
    err,
    fail,
    language_of_messages,
    local_only,
    messages,
    named,
    out,
    parse_day,
    print_json,
    print_table,
    shown,
    t,
    term,
)
from tocsin.engine import choice as engine_choice
from tocsin.lake import atomic_write_text
from tocsin.workspace import Workspace, WorkspaceError


def forecast(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Forecast date YYYY-MM-DD (default: the "
                                                             "last day the event data covers).")] = None,
    horizon: Annotated[int, typer.Option(min=1, max=365, help="Days ahead.")] = 30,
    top: Annotated[int, typer.Option(min=1, max=100_000, help="How many places to list.")] = 20,
    store: Annotated[bool, typer.Option(help="Also store every place's forecast in the lake "
                                             "(derived table `forecasts`).")] = False,
    siege: Annotated[bool, typer.Option(help="Feed the siege tracker's stages to the model (off by "
                                             "default: they lowered skill in the backtest).")] = False,
    refit: Annotated[bool, typer.Option(help="Fit the model now even when a stored one fits the "
                                             "date.")] = False,
    save_model: Annotated[bool, typer.Option("--save-model", help="Fit the model as of the date and "
                                             "store it (job forecast-model) for later calls.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Places most at risk of an atrocity (killing of civilians, sexual violence, burning) within
    HORIZON days, with probabilities, exposed population and the reasons behind each."""
    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import ForecastError, latest_date, score_places, stamp_data_end
    from tocsin.coverage import coverage_json, coverage_warning, data_through, judged_day, lake_coverage
    from tocsin.engine.features import FeatureTilingError
    from tocsin.jobs.steps.forecast_model import forecaster_for
    from tocsin.jobs.steps.forecasts import read_inputs
    from tocsin.lake import Lake

    day = parse_day(as_of, "--as-of")
    started = time.monotonic()
    try:
        inputs = read_inputs(ctx.obj, siege=siege)
        day = day or latest_date(inputs)
        coverage = lake_coverage(Lake(ctx.obj.lake_dir), ("events",))
        judged = judged_day(day, coverage)   # never past the event data: a gap is not calm
        builder = FeatureBuilder(inputs)
        if engine_choice.current().is_spark:
            # The training origins' and the day's features tiled on Spark; fit and reasons here.
            from tocsin.engine.features import forecast_builder
            from tocsin.engine.spark import session_for_choice

            builder = forecast_builder(builder, inputs, judged, horizon, session_for_choice())  # type: ignore[assignment]
        fitted, how = forecaster_for(ctx.obj, builder, inputs, judged, horizon, refit=refit or siege,
                                     save=save_model)
        # Scored deeper than asked: a town's camps and neighbourhoods fold into it below.
        table = stamp_data_end(score_places(fitted, inputs.places, judged,
                                            None if store else top * FOLD_SPARE,
                                            dated=judged != day or store),
                               day, data_through(coverage), judged)
    except (WorkspaceError, ForecastError, FeatureTilingError) as exc:
        fail(exc)
    err.print(escape(how.told(messages())))
    warning = coverage_warning(coverage, day)
    if store:
        from tocsin.jobs.steps.forecasts import store_forecasts

        try:
            rows = store_forecasts(ctx.obj, table)
        except WorkspaceError as exc:
            fail(exc)
        err.print(t("forecast.stored_forecasts_table_forecasts", num_rows=table.num_rows, rows=rows))
    ranked = fold_sub_places(ctx.obj, table.slice(0, top * FOLD_SPARE), top)
    if as_json:
        print_json({"as_of": day, "features_as_of": judged, **coverage_json(coverage, day),
                    "horizon_days": horizon, "model": "lightgbm (calibrated)", "model_source": str(how),
                    "training_origins": fitted.training_origins, "training_events": fitted.training_events,
                    "places": ranked})
        return
    out.print(t("forecast.places_most_at_risk", horizon=horizon, day=day,
                training_origins=fitted.training_origins, training_events=fitted.training_events,
                value=time.monotonic() - started))
    judged_note = t("forecast.judged_note", judged=judged) if judged != day else ""
    out.print(t("forecast.event_data_through", data_through=data_through(coverage),
                judged_note=judged_note))
    said = data_gap(coverage, day) if warning else None
    if said:
        err.print(t("forecast.warning_2", warning=escape(said)))
    grid = Table("#", t("forecast.place"), t("forecast.class"), t("forecast.admin"),
                 t("forecast.probability"), t("forecast.exposed"), t("forecast.why"),
                 caption=t("forecast.event_data_through_2", data_through=data_through(coverage))
                 + (t("forecast.warning", warning=escape(said)) if said else ""))
    localities = _localities(ctx.obj)
    for row in ranked:
        grid.add_row(str(row["rank"]), escape(shown_place(row)), term("place_class", row["place_class"]),
                     escape(localities.get(row["admin2_pcode"] or "", row["admin2_pcode"] or "")),
                     t("forecast.percent", value=100 * row["probability"]),
                     shown(row["exposed_population"]) if row["exposed_population"] else t("forecast.unknown"),
                     escape(t("forecast.reasons_sep").join(shown_reasons(row))))
    print_table(grid)
    out.print(t("forecast.probabilities_are_calibrated_on"))


def _localities(workspace: Workspace) -> dict[str, str]:
    """Each locality's name in the messages' language, by P-code (the P-code where COD-AB
    gives no name)."""
    from tocsin.lake import Lake
    from tocsin.places.lookup import area_names

    con = Lake(workspace.lake_dir).connect()
    try:
        return {pcode: named(en, ar) for pcode, (en, ar) in area_names(con).items() if en or ar}
    finally:
        con.close()


# Folding sub-places into their town shortens the list: rank this many times N before folding.
FOLD_SPARE = 4


def fold_sub_places(workspace: Workspace, table: pa.Table, top: int) -> list[dict[str, object]]:
    """Each town once in the top N, at the rank of its best member, its sub-places (quarters,
    camps beside it) folded under it (places/hierarchy.py); ranks renumbered 1..N."""
    from tocsin.places.hierarchy import Hierarchy, fold_ranked

    ranked = table.to_pylist()
    by_id = {r["place_id"]: r for r in ranked}
    rows = fold_ranked(ranked, Hierarchy.from_workspace(workspace), limit=top)
    for rank, row in enumerate(rows, start=1):
        # The town is at risk when any part of it is: its probability and reasons are those of
        # its most threatened member (the list stays in order of probability).
        members = [by_id[s["place_id"]] for s in row.get("sub_places", []) if s["place_id"] in by_id]
        best = max(members, key=lambda m: m["probability"], default=None)
        if best is not None and best["probability"] > row["probability"]:
            for key in ("probability", "history_probability", "reasons", "reasons_ar",
                        "nearest_violence", "nearest_violence_ar"):
                row[key] = best[key]
            row["probability_of"] = best["place_id"]
        row["rank"] = rank
    return rows


def show_top_risks(workspace: Workspace, top: int = 5) -> None:
    """The demo's step: the places most at risk in the day's stored forecast (the forecasts job,
    run by `tocsin update`), one line each, with where the event data ends."""
    from tocsin.coverage import lake_coverage
    from tocsin.lake import Lake

    lake = Lake(workspace.lake_dir)
    if not lake.derived_files("forecasts"):
        err.print(t("forecast.no_forecast_stored_forecasts"))
        return
    con = lake.connect([])
    stored = con.sql("SELECT * FROM forecasts WHERE as_of = (SELECT max(as_of) FROM forecasts) "
                     "AND horizon_days = (SELECT min(horizon_days) FROM forecasts WHERE as_of = "
                     f"(SELECT max(as_of) FROM forecasts)) ORDER BY rank LIMIT {int(top) * FOLD_SPARE}"
                     ).to_arrow_table()
    con.close()
    if stored.num_rows == 0:
        return
    rows = fold_sub_places(workspace, stored, top)
    day, horizon = rows[0]["as_of"], rows[0]["horizon_days"]
    out.print(t("forecast.places_most_at_risk_2", horizon=horizon, day=day,
                data_through=rows[0]['data_through']))
    said = data_gap(lake_coverage(lake, ("events",)), day)
    if said:
        err.print(t("forecast.warning_2", warning=escape(said)))
    for row in rows:
        out.print(f"  {row['rank']}. {escape(shown_place(row))} ({term('place_class', row['place_class'])}) "
                  f"{row['probability']:.0%}: {escape(t('forecast.reasons_sep').join(shown_reasons(row)))}")


def shown_place(row: dict[str, object]) -> str:
    """A forecast row's place in the messages' language: its name (in English with the Arabic
    name beside it), and the camps and quarters folded into it."""
    name = named(str(row["name"] or ""), row.get("name_ar")) or str(row["place_id"])  # type: ignore[arg-type]
    if language_of_messages() != "ar" and row.get("name_ar") and row["name_ar"] != name:
        name += f" / {row['name_ar']}"
    subs = [named(str(s.get("name") or ""), s.get("name_ar")) or str(s["place_id"])
            for s in row.get("sub_places") or []]  # type: ignore[union-attr]
    if subs:
        name += t("forecast.with_sub_places",
                  names=t("siege.list_sep").join(subs[:3]) + (" ..." if len(subs) > 3 else ""))
    return name


def shown_reasons(row: dict[str, object]) -> list[str]:
    """A forecast row's reasons, then where the nearest violence was when they do not say it,
    in the messages' language (the forecast writes both; Arabic names the sides from
    report/actors.yaml)."""
    from tocsin.report.words import actors_named

    arabic = language_of_messages() == "ar"
    reasons = [str(r) for r in row.get("reasons_ar" if arabic else "reasons") or []]  # type: ignore[union-attr]
    nearest = row.get("nearest_violence_ar" if arabic else "nearest_violence")
    if nearest and nearest not in reasons:
        reasons.append(str(nearest))
    return [actors_named(r) for r in reasons] if arabic else reasons


def backtest(
    ctx: typer.Context,
    start: Annotated[str, typer.Option(help="First forecast origin YYYY-MM-DD.")] = "2005-01-01",
    end: Annotated[str, typer.Option(help="Last forecast origin YYYY-MM-DD.")] = "2023-12-01",
    horizon: Annotated[list[int] | None, typer.Option(
        min=1, max=365, help="Days ahead; repeat for several (default 7, 30, 90, 180 and 365).")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Also write scores and the "
                                                              "calibration table as JSON here.")] = None,
    siege: Annotated[bool, typer.Option(help="Feed the siege tracker's stages to the model (off by "
                                             "default: they lowered skill in the backtest).")] = False,
    lag: Annotated[list[str] | None, typer.Option(
        help="Publication lag SOURCE=DAYS (repeat), or 'default' for UCDP GED 365, Candidate 30, "
             "ACLED 7; default none (events known on their last day).")] = None,
    units: Annotated[bool, typer.Option(help="Also score the peers' units: PRIO-GRID, country, "
                                             "admin1 and admin2 months.")] = False,
    against: Annotated[list[str] | None, typer.Option(
        help="Also score Tocsin against a peer's forecasts in the lake (views, cast; repeat).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Rolling-origin backtest: every model forecasts every place each month, as of that month,
    and is scored on what followed (average precision, AUROC, Brier skill, recall in the top N)."""
    from dataclasses import replace

    from tocsin.analysis.backtest import HORIZONS, BacktestError, BacktestParams, run_backtest
    from tocsin.analysis.compare import PEERS, CompareError
    from tocsin.analysis.compare import compare as run_compare
    from tocsin.analysis.features import FeatureParams
    from tocsin.analysis.units import LEVELS
    from tocsin.engine.features import FeatureTilingError
    from tocsin.jobs.steps.forecasts import read_inputs

    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    assert first is not None and last is not None
    for peer_name in against or []:
        if peer_name not in PEERS:
            raise typer.BadParameter(t("forecast.expected_one_not_2", peers=', '.join(PEERS),
                                       peer_name=peer_name),
                                     param_hint="--against")
    lags = _lag_option(lag)
    params = BacktestParams(start=first, end=last, horizons=tuple(sorted(set(horizon or HORIZONS))),
                            features=replace(FeatureParams(),
                                             source_lags=tuple(sorted((lags or {}).items()))),
                            unit_levels=LEVELS if units else ())
    started = time.monotonic()
    try:
        inputs = read_inputs(ctx.obj, siege=siege)
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                      transient=True, disable=as_json or not err.is_terminal) as progress:
            task = progress.add_task(t("forecast.origins"), total=None)
            builder = None
            if engine_choice.current().is_spark:
                # Every origin's features tiled on Spark; the models are fitted and scored here.
                from tocsin.engine.features import backtest_features
                from tocsin.engine.spark import session_for_choice

                progress.update(task, description=t("forecast.features_on_spark"))
                builder = backtest_features(inputs, params, session_for_choice())
            result = run_backtest(inputs, params, lambda origin, done, total: progress.update(
                task, total=total, completed=done, description=t("forecast.origin", origin=origin)),
                builder=builder)  # type: ignore[arg-type]
    except (WorkspaceError, BacktestError, FeatureTilingError) as exc:
        fail(exc)
    peers: dict[str, object] = {}
    for peer_name in against or []:
        try:
            peer, through = _peer_forecasts(ctx.obj)
            peers[peer_name] = run_compare(inputs, peer, peer_name, through, lags=lags).rows  # type: ignore[arg-type]
        except CompareError as exc:
            peers[peer_name] = str(exc)
    scores, calibration = result.table().to_pylist(), result.calibration().to_pylist()
    report = {"start": first, "end": last, "data_end": result.data_end, "horizons": list(params.horizons),
              "lags": lags or {}, "seconds": round(time.monotonic() - started, 1), "scores": scores,
              "calibration": calibration, "units": result.units, "peers": peers}
    if out_dir:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out_dir / "backtest.json",
                              json.dumps(report, indent=1, default=str, ensure_ascii=False))
        except OSError as exc:
            fail(t("forecast.cannot_write", out_dir=out_dir, exc=exc))
    if as_json:
        print_json(report)
        return
    out.print(t("forecast.backtest_origins_monthly_outcomes", first=first, last=last,
                data_end=result.data_end, seconds=report['seconds']))
    grid = Table(t("forecast.horizon"), t("forecast.model"), t("forecast.origins"), t("forecast.events"),
                 t("forecast.avg_precision"), t("forecast.auroc"), t("forecast.brier"),
                 t("forecast.brier_skill"), t("forecast.recall_top"))
    for row in scores:
        grid.add_row(f"{row['horizon_days']} d", row["model"], str(row["origins"]), str(row["events"]),
                     f"{row['average_precision']:.4f}", f"{row['auroc']:.3f}", f"{row['brier']:.2e}",
                     f"{row['brier_skill']:+.4f}",
                     " / ".join(f"{row[f'recall_top{n}']:.2f}" for n in (10, 20, 30)))
    print_table(grid)
    if result.units:
        print_comparison(result.units, t("forecast.peer_units"))
    for peer_name, rows in peers.items():
        if isinstance(rows, str):
            err.print(f"[yellow]{peer_name}: {escape(rows)}[/]")
        else:
            print_comparison(rows, f"Tocsin v {peer_name}")  # type: ignore[arg-type]


def _peer_forecasts(workspace: Workspace) -> tuple[object, object]:
    """The lake's external forecasts (with their batch) and the day the event data reaches."""
    from tocsin.coverage import data_through, lake_coverage
    from tocsin.lake import Lake

    lake = Lake(workspace.lake_dir)
    con = lake.connect(["external_forecasts"])
    try:
        peer = con.sql("SELECT system, level, unit_id, month_start, month_id, predicted_fatalities, "
                       "probability, attributes, batch_id FROM external_forecasts").to_arrow_table()
    finally:
        con.close()
    return peer, data_through(lake_coverage(lake, ("events",)))


def _lag_option(values: list[str] | None) -> dict[str, int] | None:
    from tocsin.analysis.publication import PUBLICATION_LAGS, parse_lags

    if not values:
        return None
    if values == ["default"]:
        return dict(PUBLICATION_LAGS)
    try:
        return parse_lags(values)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--lag") from exc


def print_comparison(rows: list[dict[str, object]], title: str) -> None:
    """One table per level, target and lead time; each metric with its 95% interval."""
    def cell(row: dict[str, object], metric: str, fmt: str) -> str:
        value = row.get(metric)
        if value is None or value != value:    # NaN
            return "-"
        low, high = row.get(f"{metric}_low"), row.get(f"{metric}_high")
        return f"{value:{fmt}} [{low:{fmt}}, {high:{fmt}}]"

    keys = sorted({(str(r["level"]), str(r["target"]), int(r["lead_months"])) for r in rows})  # type: ignore[call-overload]
    for level, target, lead in keys:
        part = [r for r in rows if (r["level"], r["target"], r["lead_months"]) == (level, target, lead)]
        first = part[0]
        grid = Table(t("forecast.model"), t("forecast.msle"), t("forecast.mae_crps"), t("forecast.brier"),
                     t("forecast.ap"),
                     title=t("forecast.lead_month_unit_months", title=title, level=level, target=target,
                             lead=lead, what='s' if lead > 1 else '', n=first['n'],
                             months=first['months'], events=first['events'],
                             what2=t('forecast.deaths') if target == 'deaths' else t('forecast.events')))
        for r in part:
            grid.add_row(str(r["model"]), cell(r, "msle", ".3f"), cell(r, "mae", ".2f"),
                         cell(r, "brier", ".4f"), cell(r, "ap", ".3f"))
        print_table(grid)


def compare(
    ctx: typer.Context,
    against: Annotated[str, typer.Option("--against", help="The peer: views (PRIO-GRID and country "
                                                          "months) or cast (ACLED CAST admin1 months).")],
    start: Annotated[str | None, typer.Option(help="First forecast month YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last forecast month YYYY-MM-DD.")] = None,
    lag: Annotated[list[str] | None, typer.Option(
        help="Publication lag SOURCE=DAYS (repeat), or 'default' for UCDP GED 365, Candidate 30, "
             "ACLED 7; default none.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Score Tocsin and a peer's forecasts held in the lake on the same units, months and
    outcomes, with the peer's own metrics and bootstrap intervals, a table per lead time."""
    from tocsin.analysis.compare import PEERS, CompareError
    from tocsin.analysis.compare import compare as run_compare
    from tocsin.jobs.steps.forecasts import read_inputs

    local_only("compare")
    if against not in PEERS:
        raise typer.BadParameter(t("forecast.expected_one_not", peers=', '.join(PEERS), against=against),
                                 param_hint="--against")
    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    lags = _lag_option(lag)
    try:
        inputs = read_inputs(ctx.obj)
        peer, through = _peer_forecasts(ctx.obj)
        result = run_compare(inputs, peer, against, through, first, last, lags)  # type: ignore[arg-type]
    except (WorkspaceError, CompareError) as exc:
        fail(exc)
    if as_json:
        print_json({"against": against, "data_through": through, "lags": lags or {},
                    "notes": result.notes, "scores": result.rows})
        return
    print_comparison(result.rows, f"Tocsin v {against}")
    for note in result.notes:
        err.print(f"[yellow]{escape(note)}[/]")
    out.print(t("forecast.msle_mean_squared_error"))
