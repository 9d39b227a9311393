"""`tocsin forecast` and `tocsin backtest`: which places are at risk, and how well that works."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tocsin.cli.common import err, fail, out, parse_day, print_json, print_table
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
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Places most at risk of an atrocity (killing of civilians, sexual violence, burning) within
    HORIZON days, with probabilities, exposed population and the reasons behind each."""
    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import ForecastError, fit_forecaster, latest_date, score_places
    from tocsin.analysis.inputs import read_inputs

    day = parse_day(as_of, "--as-of")
    started = time.monotonic()
    try:
        inputs = read_inputs(ctx.obj, siege=siege)
        day = day or latest_date(inputs)
        builder = FeatureBuilder(inputs)
        fitted = fit_forecaster(builder, day, horizon)
        # Scored deeper than asked: a town's camps and neighbourhoods fold into it below.
        table = score_places(fitted, inputs.places, day, None if store else max(top * 20, 500))
    except (WorkspaceError, ForecastError) as exc:
        fail(str(exc))
    if store:
        from tocsin.analysis.outputs import store_forecasts

        try:
            rows = store_forecasts(ctx.obj, table)
        except WorkspaceError as exc:
            fail(str(exc))
        err.print(f"Stored {table.num_rows:,} forecasts (table `forecasts` now {rows:,} rows)")
    places = _each_town_once(ctx.obj, table.to_pylist(), top)
    if as_json:
        print_json({"as_of": day, "horizon_days": horizon, "model": "lightgbm (Platt-calibrated)",
                    "training_origins": fitted.training_origins, "training_events": fitted.training_events,
                    "places": places})
        return
    out.print(f"[bold]Places most at risk[/] of an atrocity within {horizon} days of {day} "
              f"(trained on {fitted.training_origins} monthly origins, {fitted.training_events} "
              f"events; {time.monotonic() - started:.1f} s)")
    grid = Table("#", "place", "class", "admin2", "probability", "exposed", "why")
    for row in places:
        name = " / ".join(x for x in (row["name"], row["name_ar"]) if x) or row["place_id"]
        if row["sub_places"]:
            name += f" (+{len(row['sub_places'])} sub-places)"
        grid.add_row(str(row["rank"]), escape(name), row["place_class"], row["admin2_pcode"] or "",
                     f"{row['probability']:.1%}",
                     f"{row['exposed_population']:,}" if row["exposed_population"] else "unknown",
                     escape("; ".join([*row["reasons"], row["nearest_violence"]])))
    print_table(grid)
    out.print("Probabilities are calibrated on past years; see docs/model-card.md for how often they "
              "were right.")


def _each_town_once(workspace: Workspace, rows: list[dict], top: int) -> list[dict]:
    """The ranked places with each town once: its camps and neighbourhoods folded under it, at
    the rank of its best member (places/hierarchy.py); unnamed places left out."""
    from tocsin.places.hierarchy import Hierarchy, fold_ranked

    folded = fold_ranked(rows, Hierarchy.from_workspace(workspace), limit=top,
                         max_keys=("probability", "history_probability"))
    for rank, row in enumerate(folded, start=1):
        row["rank"] = rank
    return folded


def show_top_risks(workspace: Workspace, horizon: int = 30, top: int = 5) -> None:
    """The demo's step: the places most at risk as of the last day of the data, one line each;
    every place's forecast is stored for the brief."""
    from tocsin.analysis.forecast import ForecastError, forecast, latest_date
    from tocsin.analysis.inputs import read_inputs
    from tocsin.analysis.outputs import store_forecasts

    try:
        inputs = read_inputs(workspace)
        day = latest_date(inputs)
        every_place = forecast(inputs, day, horizon)
        store_forecasts(workspace, every_place)  # the brief reads it from the lake
    except (WorkspaceError, ForecastError) as exc:
        err.print(f"[yellow]No forecast: {escape(str(exc))}[/]")
        return
    table = every_place.slice(0, top)
    out.print(f"\n[bold]Places most at risk[/] of an atrocity within {horizon} days of {day}")
    for row in table.to_pylist():
        name = " / ".join(x for x in (row["name"], row["name_ar"]) if x) or row["place_id"]
        out.print(f"  {row['rank']}. {escape(name)} ({row['place_class']}) {row['probability']:.0%}: "
                  f"{escape('; '.join(row['reasons']))}")


def backtest(
    ctx: typer.Context,
    start: Annotated[str, typer.Option(help="First forecast origin YYYY-MM-DD.")] = "2005-01-01",
    end: Annotated[str, typer.Option(help="Last forecast origin YYYY-MM-DD.")] = "2023-12-01",
    horizon: Annotated[list[int] | None, typer.Option(
        min=1, max=365, help="Days ahead; repeat for several (default 7, 30 and 90).")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Also write scores and the "
                                                              "calibration table as JSON here.")] = None,
    siege: Annotated[bool, typer.Option(help="Feed the siege tracker's stages to the model (off by "
                                             "default: they lowered skill in the backtest).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Rolling-origin backtest: every model forecasts every place each month, as of that month,
    and is scored on what followed (average precision, AUROC, Brier skill, recall in the top N)."""
    from tocsin.analysis.backtest import BacktestError, BacktestParams, run_backtest
    from tocsin.analysis.inputs import read_inputs

    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    assert first is not None and last is not None
    params = BacktestParams(start=first, end=last, horizons=tuple(sorted(set(horizon or (7, 30, 90)))))
    started = time.monotonic()
    try:
        inputs = read_inputs(ctx.obj, siege=siege)
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                      transient=True, disable=as_json or not err.is_terminal) as progress:
            task = progress.add_task("origins", total=None)
            result = run_backtest(inputs, params, lambda origin, done, total: progress.update(
                task, total=total, completed=done, description=f"origin {origin}"))
    except (WorkspaceError, BacktestError) as exc:
        fail(str(exc))
    scores, calibration = result.table().to_pylist(), result.calibration().to_pylist()
    report = {"start": first, "end": last, "data_end": result.data_end, "horizons": list(params.horizons),
              "seconds": round(time.monotonic() - started, 1), "scores": scores, "calibration": calibration}
    if out_dir:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out_dir / "backtest.json",
                              json.dumps(report, indent=1, default=str, ensure_ascii=False))
        except OSError as exc:
            fail(f"cannot write to {out_dir}: {exc}")
    if as_json:
        print_json(report)
        return
    out.print(f"[bold]Backtest[/] origins {first} .. {last} (monthly; outcomes to {result.data_end}; "
              f"{report['seconds']} s)")
    grid = Table("horizon", "model", "origins", "events", "avg precision", "AUROC", "Brier",
                 "Brier skill", "recall top 10/20/30")
    for row in scores:
        grid.add_row(f"{row['horizon_days']} d", row["model"], str(row["origins"]), str(row["events"]),
                     f"{row['average_precision']:.4f}", f"{row['auroc']:.3f}", f"{row['brier']:.2e}",
                     f"{row['brier_skill']:+.4f}",
                     " / ".join(f"{row[f'recall_top{n}']:.2f}" for n in (10, 20, 30)))
    print_table(grid)
