"""`tocsin detect burnings` and `tocsin eval burnings`: burning settlements from fire detections,
and how well that matches verified cases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tocsin.cli.common import (
    err,
    fail,
    language_of_messages,
    named,
    out,
    print_json,
    t,
    t_count,
    term,
    told,
    web_words,
)
from tocsin.errors import InputError
from tocsin.workspace import Workspace, WorkspaceError

app = typer.Typer(no_args_is_help=True, help="Detect what the data shows: burning settlements.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure detections against verified cases.")
CONFIDENCE_ORDER = {"low": 0, "medium": 1, "high": 2}
Day = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], show_default=False)]


@app.command()
def burnings(
    ctx: typer.Context,
    since: Day = None,
    until: Day = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Also write the burnings as GeoJSON to this file.", show_default=False,
        dir_okay=False)] = None,
    min_confidence: Annotated[str, typer.Option(
        help="Least confidence to list: low, medium or high (the table keeps all).")] = "medium",
    top: Annotated[int, typer.Option(min=1, help="How many to list.")] = 20,
    leads: Annotated[int, typer.Option(min=0, help="How many ranked leads below the list's "
                                       "confidence to show, with why each ranks where it does.")] = 10,
    events_out: Annotated[Path | None, typer.Option(
        "--events-out", help="Also write the fire events (extent polygons, places inside) as "
        "GeoJSON to this file.", show_default=False, dir_okay=False)] = None,
    params_file: Annotated[Path | None, typer.Option(
        "--params", help="Weights from this params file (`tocsin eval fit-burnings` writes one) "
        "instead of the fitted defaults.", show_default=False, exists=True, dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Find settlements burning in the workspace's fire detections; store them as the lake's
    `burnings` and `fire_events` tables; list the strongest with their reasons, then the ranked
    leads below them."""
    from dataclasses import replace

    from tocsin.analysis.burnings import BurningParams, load_params_file
    from tocsin.jobs.steps.burnings import detect_in_workspace, read_fire_events, write_geojson

    params = BurningParams()
    if params_file is not None:
        try:
            weights = load_params_file(params_file)["weights"]
        except ValueError as exc:
            fail(exc)
        params = replace(params, weights={**params.weights, **weights})
    if min_confidence not in CONFIDENCE_ORDER:
        raise typer.BadParameter(t("detect.low_medium_or_high"), param_hint="--min-confidence")
    if since and until and since > until:
        raise typer.BadParameter(t("detect.after_until", since=since.date(), until=until.date()),
                                 param_hint="--since")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(t("detect.reading_fire_detections"))
        try:
            table = detect_in_workspace(ctx.obj, since.date() if since else None,
                                        until.date() if until else None, params,
                                        step=lambda s: progress.update(task, description=told(s)))
        except WorkspaceError as exc:
            fail(exc)
    events = read_fire_events(ctx.obj)
    for path, data in ((out_file, table), (events_out, events)):
        if path is not None and data is not None:
            try:
                write_geojson(data, path)
            except OSError as exc:
                fail(t("detect.cannot_write_2", path=path, exc=exc))
    wanted = CONFIDENCE_ORDER[min_confidence]
    every = table.drop_columns(["features"]).to_pylist()
    rows = [r for r in every if CONFIDENCE_ORDER[r["confidence"]] >= wanted]
    below = [r for r in every if CONFIDENCE_ORDER[r["confidence"]] < wanted][:leads]
    n_events = events.num_rows if events is not None else 0
    if as_json:
        print_json({"burnings": table.num_rows, "fire_events": n_events, "listed": rows[:top],
                    "leads": below, "geojson": str(out_file) if out_file else None,
                    "events_geojson": str(events_out) if events_out else None})
        return
    counts = {c: sum(1 for r in every if r["confidence"] == c) for c in CONFIDENCE_ORDER}
    out.print(t("detect.burning_periods_stored_high", num_rows=table.num_rows, high=counts['high'],
                medium=counts['medium'], low=counts['low'], n_events=n_events)
              + (t("detect.geojson_written", out_file=out_file) if out_file else "")
              + (t("detect.fire_events", events_out=events_out) if events_out else ""))
    names_ar = _arabic_names(ctx.obj, [str(r["place_id"]) for r in rows[:top] + below])
    shown = term("confidence", min_confidence)
    if rows:
        print_burnings(rows[:top], t("detect.burnings_confidence_or_more", confidence=shown),
                       names_ar=names_ar)
    if below:
        print_burnings(below, t("detect.leads_below", confidence=shown), leads=True,
                       names_ar=names_ar)


def _arabic_names(workspace: Workspace, place_ids: list[str]) -> dict[str, str]:
    """The gazetteer's Arabic names of ``place_ids``, for messages in Arabic (none otherwise:
    the burnings table keeps the English name only)."""
    if language_of_messages() != "ar" or not place_ids:
        return {}
    from tocsin.lake import Lake
    from tocsin.sqltext import sql_str

    con = Lake(workspace.lake_dir).connect()
    try:
        wanted = ", ".join(sql_str(p) for p in sorted(set(place_ids)))
        return dict(con.sql(f"SELECT place_id, name_ar FROM gazetteer WHERE place_id IN ({wanted}) "
                            "AND name_ar IS NOT NULL").fetchall())
    finally:
        con.close()


def print_burnings(rows: list[dict[str, object]], title: str, leads: bool = False,
                   names_ar: dict[str, str] | None = None) -> None:
    """One block per burning: the score and place on one line, the reasons under it (reasons
    are sentences; a table column would break them into a word per line). In the messages'
    language: places by ``names_ar`` (place id -> the gazetteer's Arabic name) in Arabic."""
    out.print(f"\n[bold]{escape(title)}[/]")
    for r in rows:
        first, last = r["first_detection"], r["last_detection"]
        assert isinstance(first, datetime) and isinstance(last, datetime)
        name = (named(str(r["place_name"]), (names_ar or {}).get(str(r["place_id"])))
                if r["place_name"] else
                t("detect.unnamed", place_class=term("place_class", str(r["place_class"]))))
        # One overpass (or several in the same minute) is a moment, not a span.
        start, end = f"{first:%Y-%m-%d %H:%M}", f"{last:%Y-%m-%d %H:%M}"
        when = start if start == end else f"{start} – {end}"
        out.print(t_count("detect.utc_detections", int(r["detections"]), score=r['score'],
                          confidence=term("confidence", str(r["confidence"])),
                          name=escape(str(name)), latitude=r['latitude'],
                          longitude=r['longitude'], when=when, detections=r['detections']))
        out.print(f"       {escape(burning_reasons(str(r['reasons'])))}")
        if leads and r.get("ranked_by"):
            out.print(t("detect.rank", rank=r['rank'],
                        ranked_by=escape(ranked_by(str(r['ranked_by'])))))


def burning_reasons(reasons: str) -> str:
    """A burning's reasons in the messages' language: in Arabic the web app's translation of
    each phrase (web/phrases.py), and how many it has none for, never the English itself."""
    if language_of_messages() != "ar":
        return reasons
    shown, unknown = web_words().burning_reasons([reasons])
    told = "؛ ".join(shown)
    return told + (" " + t("detect.details_in_english", count=unknown) if unknown else "")


def ranked_by(text: str) -> str:
    """Why a lead ranks where it does (analysis/burnings.py's ``_ranked_by``) in the messages'
    language: in English the stored sentence itself; in Arabic the stored sentence where it
    cannot be read (the analysis's words changed)."""
    from tocsin.analysis.burnings import FEATURE_WORDS, read_ranked_by

    if language_of_messages() != "ar":
        return text
    try:
        found = read_ranked_by(text)
    except ValueError:
        return text
    items_sep, parts_sep = "، ", "؛ "
    # Keys named whole (the catalogue's keys are checked against what the code names).
    way_keys = {"raised": "detect.raised_by", "lowered": "detect.lowered_by"}
    feature_keys = {name: "detect.feature_" + name for name in FEATURE_WORDS}
    return parts_sep.join(
        t(way_keys[way], items=items_sep.join(
            f"{t(feature_keys[name])} ({t('detect.weight', value=value)})"
            for name, value in items))
        for way, items in found.items() if items)


@eval_app.command("burnings")
def eval_burnings(
    ctx: typer.Context,
    truth: Annotated[Path, typer.Option(help="CSV of verified cases: place (or latitude, "
                                        "longitude), date_from, date_to, burned yes/no.",
                                        exists=True, dir_okay=False)],
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Score from which a burning "
                                             "counts as flagged.")] = 0.5,
    tolerance_days: Annotated[int, typer.Option(min=0, help="Days of slack on each side of a "
                                                "truth date range.")] = 2,
    match_km: Annotated[float, typer.Option(min=0.0, help="Slack beyond a settlement's radius "
                                            "when matching coordinates.")] = 1.0,
    complete: Annotated[bool, typer.Option(help="The truth list covers every burning in its area "
                                           "and time: burnings it lacks count as false.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Score the stored burnings against a truth list: precision, recall, F1, average precision."""
    from tocsin.analysis.evaluation.burnings import evaluate_burnings, parse_truth_csv, truth_table
    from tocsin.jobs.steps.burnings import read_burnings
    from tocsin.places.lookup import find_places

    try:
        rows = parse_truth_csv(truth.read_text(encoding="utf-8"), truth.name)
        stored = read_burnings(ctx.obj)
    except InputError as exc:
        fail(exc)
    except UnicodeDecodeError as exc:
        fail(t("detect.not_utf_text_at", name=truth.name, reason=exc.reason, start=exc.start))
    except WorkspaceError as exc:
        fail(exc)
    if stored is None:
        fail(t("detect.no_burnings_stored_yet"))
    resolved = []
    for row in rows:
        if row.latitude is None and row.place_id is None and row.place:
            try:
                matches = find_places(ctx.obj, row.place, limit=1)
            except WorkspaceError as exc:
                fail(t("detect.line_cannot_look_up", name=truth.name, line=row.line, place=row.place,
                       exc=exc))
            if not matches:
                fail(t("detect.line_column_place_no", name=truth.name, line=row.line, place=row.place))
            row.latitude, row.longitude = matches[0]["latitude"], matches[0]["longitude"]
            row.place_id = matches[0]["place_id"]
            resolved.append({"line": row.line, "place": row.place, "resolved_to": matches[0]["name"],
                             "place_id": row.place_id})
    result = evaluate_burnings(stored, truth_table(rows), threshold, match_km, tolerance_days,
                               complete)
    if as_json:
        print_json({**result.to_json(), "resolved_places": resolved})
        return

    def show(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    burned = sum(r.burned for r in rows)
    out.print(t("detect.truth_rows_burned_not", n_rows=len(rows), burned=burned,
                value=len(rows) - burned, num_rows=stored.num_rows,
                unlabelled_burnings=result.unlabelled_burnings)
              + (t("detect.counted_as_false_complete") if complete else t("detect.not_scored")))
    for r in resolved:
        out.print(t("detect.line", line=r['line'], place=escape(str(r['place'])),
                    resolved_to=escape(str(r['resolved_to']))))
    out.print(t("detect.threshold_precision_recall_f", threshold=threshold, show=show(result.precision),
                show2=show(result.recall), show3=show(result.f1), show4=show(result.average_precision)))
    out.print(t("detect.true_positives_false_positives", true_positives=result.true_positives,
                false_positives=result.false_positives, false_negatives=result.false_negatives,
                true_negatives=result.true_negatives))


@eval_app.command("fit-burnings")
def fit_burnings(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="Write the params file here (JSON).",
                                           dir_okay=False)],
    seeds: Annotated[str, typer.Option(help="Seeds of the generated harvest worlds to fit on "
                                       "(comma-separated; empty for none).")] = "4,5,6,7,8,9",
    days: Annotated[int, typer.Option(min=30, help="Days in each generated world.")] = 120,
    truth: Annotated[Path | None, typer.Option(
        help="Also fit on these verified cases (the CSV of `tocsin eval burnings`), against the "
        "burnings stored in the workspace.", exists=True, dir_okay=False, show_default=False)] = None,
    truth_weight: Annotated[float, typer.Option(min=0.0, help="How much one verified case weighs "
                                                "against one generated one.")] = 5.0,
    target_precision: Annotated[float, typer.Option(min=0.0, max=1.0, help="Precision the default "
                                                    "output keeps on the training cases.")] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Fit the burnings score's weights (logistic regression on every candidate period) and
    write them as a params file for `tocsin detect burnings --params`."""
    import json

    from tocsin.analysis.burnings_fit import TrainingSet, fit_generated, fit_weights, params_document
    from tocsin.analysis.evaluation.burnings import parse_truth_csv, truth_table
    from tocsin.jobs.steps.burnings import read_burnings
    from tocsin.lake import atomic_write_text

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise typer.BadParameter(t("detect.not_comma_separated_list", seeds=seeds),
                                 param_hint="--seeds") from None
    if not seed_list and truth is None:
        raise typer.BadParameter(t("detect.give_seeds_or_truth"), param_hint="--seeds")
    data = TrainingSet()
    if truth is not None:
        try:
            rows = parse_truth_csv(truth.read_text(encoding="utf-8"), truth.name)
            stored = read_burnings(ctx.obj)
        except InputError as exc:
            fail(exc)
        except WorkspaceError as exc:
            fail(exc)
        if stored is None or "features" not in stored.column_names:
            fail(t("detect.no_burnings_method_stored"))
        if any(r.latitude is None and r.place_id is None for r in rows):
            fail(t("detect.give_latitude_longitude_or", name=truth.name))
        data.tables.append(stored)
        data.truths.append(truth_table(rows))
        data.complete.append(False)
        data.weight.append(truth_weight)
        data.names.append(truth.name)
    try:
        report = (fit_generated(seed_list, days, data if data.tables else None, target_precision,
                                say=lambda s: err.print(t("detect.fitting", s=s))) if seed_list
                  else fit_weights(data, target_precision=target_precision))
    except ValueError as exc:
        fail(exc)
    document = params_document(report, {
        "command": "tocsin eval fit-burnings --seeds " + ",".join(map(str, seed_list))
                   + f" --days {days}" + (f" --truth {truth.name} --truth-weight {truth_weight:g}"
                                          if truth else "")
                   + f" --target-precision {target_precision:g}",
        "seeds": seed_list, "days": days, "truth": truth.name if truth else None,
        "target_precision": target_precision})
    try:
        atomic_write_text(out_file, json.dumps(document, indent=2) + "\n")
    except OSError as exc:
        fail(t("detect.cannot_write", out_file=out_file, exc=exc))
    if as_json:
        print_json(document)
        return
    out.print(t("detect.fitted_on_candidate_periods", candidates=report.candidates,
                positives=report.positives, out_file=out_file))
    for name, result in report.per_source.items():
        shown = {k: ("n/a" if v is None else f"{v:.2f}") for k, v in result.items()}
        out.print(t("detect.precision_recall_average_precision", name=escape(name),
                    precision=shown['precision'], recall=shown['recall'],
                    average_precision=shown['average_precision']))
