"""`tocsin siege board|show|record`: which towns are besieged, how far it has gone, and why; and
the sourced changes of control an analyst records."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.common import (
    data_gap,
    err,
    fail,
    language_of_messages,
    local_only,
    match_words,
    named,
    out,
    parse_day,
    place_for_record,
    print_json,
    print_table,
    shown,
    t,
    t_count,
    term,
    web_words,
)
from tocsin.workspace import WorkspaceError

app = typer.Typer(no_args_is_help=True,
                  help="The siege tracker: encircled, cut off, under assault, overrun - town by town.")

STAGE_STYLE = {"threatened": "yellow", "encircled": "dark_orange", "cut_off": "orange_red1",
               "outcome_unrecorded": "magenta", "under_assault": "red",
               "overrun": "bold white on red", "fallen": "bold white on dark_red"}
AS_OF_HELP = "The day to judge (YYYY-MM-DD; default: the day of the latest conflict event)."
RULES_HELP = "A rules YAML file to use instead of the built-in one (see docs/methods/siege.md)."


def _rules(path: Path | None) -> Any:
    from tocsin.analysis.siege import SiegeRulesError, load_rules

    try:
        return load_rules(path)
    except SiegeRulesError as exc:
        fail(exc)


def _inputs(ctx: typer.Context) -> Any:
    from tocsin.jobs.steps.siege import load_inputs

    local_only(f"siege {ctx.info_name}")
    try:
        return load_inputs(ctx.obj)
    except WorkspaceError as exc:
        fail(exc)


def _stage(name: str) -> str:
    word = term("stage", name)
    return f"[{STAGE_STYLE[name]}]{word}[/]" if name in STAGE_STYLE else word


@app.command()
def board(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    rules_file: Annotated[Path | None, typer.Option("--rules", help=RULES_HELP)] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many places.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON, with evidence.")] = False,
) -> None:
    """Places past calm, worst stage first, then by people exposed (population and the
    displaced counted in their locality)."""
    from tocsin.coverage import coverage_json
    from tocsin.jobs.steps.siege import blind_spot, resolve_as_of
    from tocsin.jobs.steps.siege import board as make_board

    day = parse_day(as_of, "--as-of")
    rules = _rules(rules_file)
    inputs = _inputs(ctx)
    try:
        day = resolve_as_of(inputs, day)
    except WorkspaceError as exc:
        fail(exc)
    rows = make_board(inputs, day, rules)
    warning = blind_spot(inputs, day)
    judged = inputs.judged(day)
    alone = inputs.signals_alone(day)
    if as_json:
        print_json({"as_of": day, "stages_as_of": judged, "latest_event": inputs.latest_event,
                    "warning": warning, "coverage": coverage_json(inputs.coverage, day),
                    "stages_from": alone, "places": rows})
        return
    say_coverage(inputs.coverage, warning, day)
    if judged != day:
        out.print(t("siege.stages_as_of_data_end", judged=judged))
    if alone:
        out.print(_signals_alone(alone))
    show_board(rows, day, limit, blind=warning is not None)


def _signals_alone(alone: dict[str, Any]) -> str:
    names = {"fire_detections": t("siege.signal_table_fire_detections"),
             "connectivity": t("siege.signal_table_connectivity")}
    what = " + ".join(names.get(name, name) for name in alone["signals"])
    return t("siege.stages_from_signals_alone", signals=what, end=alone["events_end"])


def say_coverage(coverage: list[Any], warning: str | None, day: dt.date) -> None:
    """The "event data through D" line every dated output starts with, and its warning, in the
    messages' language (``warning`` is the English one the --json gives)."""
    from tocsin.coverage import data_through

    through = data_through(coverage)
    sources = ", ".join(f"{c.source} {c.through}" for c in coverage if c.table == "events" and c.through)
    out.print(t("siege.event_data_through", what=through or t("siege.nowhere_none_held"))
              + (f" ({escape(sources)})" if sources else ""))
    if warning:
        err.print(t("siege.warning", warning=escape(data_gap(coverage, day) or warning)))


def show_board(rows: list[dict[str, Any]], day: dt.date, limit: int = 50, blind: bool = False) -> None:
    if not rows:
        out.print(t("siege.siege_board_as", day=day) + (
            t("siege.no_tracked_place_past") if blind else t("siege.every_tracked_place_calm")))
        return
    table = Table(t("siege.stage"), t("siege.since"), t("siege.days"), t("siege.place"), t("siege.class"),
                  t("siege.exposed"), t("siege.why"),
                  title=t("siege.siege_board_as_place", day=day, n_rows=len(rows)))
    for row in rows[:limit]:
        name = named(row["name"], row.get("name_ar"))
        if row.get("sub_places"):
            name += t_count("siege.sub_places", len(row['sub_places']),
                            count=len(row['sub_places']))
        why = t("siege.list_sep").join(term("signal", s) for s in row["signals"])
        if row["stage"] == "fallen":
            why = t("siege.held_by", held_by=named(row['held_by'], actor=True) or t("siege.unnamed"),
                    since=row['fell_on'])
        elif row["stage"] == "outcome_unrecorded":
            why = t("siege.fighting_stopped")
        table.add_row(_stage(row["stage"]), shown(row["since"]),
                      shown(row.get("days_in_stage")), escape(name),
                      term("place_class", row["place_class"]), shown(row["exposed"]) or "?",
                      escape(why))
    print_table(table)
    if len(rows) > limit:
        out.print(t("siege.more_limit_or_json", value=len(rows) - limit))


@app.command()
def show(
    ctx: typer.Context,
    place: Annotated[str, typer.Argument(help="A place name in any spelling, or its place_id.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    since: Annotated[str | None, typer.Option(help="First day of the history (default: a year "
                                                   "before --as-of).")] = None,
    rules_file: Annotated[Path | None, typer.Option("--rules", help=RULES_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """A place's stage history: every change of stage, with the evidence behind it."""
    from tocsin.coverage import coverage_json
    from tocsin.jobs.steps.siege import blind_spot, history, resolve_as_of
    from tocsin.places.lookup import find_places, surely_named

    end = parse_day(as_of, "--as-of")
    start = parse_day(since, "--since")
    rules = _rules(rules_file)
    inputs = _inputs(ctx)
    try:
        end = resolve_as_of(inputs, end)
        match = _find(inputs, place) or next(iter(find_places(ctx.obj, place, limit=1)), None)
    except WorkspaceError as exc:
        fail(exc)
    if match is None:
        fail(t("siege.no_place_matches_try", place=place))
    start = start or end - dt.timedelta(days=365)
    if start > end:
        fail(t("siege.since_after_as", start=start, end=end))
    # The place is tracked whatever its class when asked for by name.
    rules = replace(rules, place_classes=(match["place_class"] or "village",))
    changes = history(inputs, match["place_id"], start, end, rules)
    warning = blind_spot(inputs, end)
    through = max(inputs.judged(end), start)   # the history stops where the event data does
    alone = inputs.signals_alone(end)
    sure = "how" not in match or surely_named(match, place)   # a place_id, or a name said surely
    if as_json:
        print_json({"place": match, "surely_named": sure, "from": start, "to": end,
                    "stages_through": through,
                    "latest_event": inputs.latest_event, "warning": warning,
                    "coverage": coverage_json(inputs.coverage, end),
                    "stages_from": alone, "changes": changes})
        return
    say_coverage(inputs.coverage, warning, end)
    if not sure:
        # Another place's history read as the one asked for would mislead: say so first.
        err.print(t("siege.nearest_only", place=place, name=match["name"], place_id=match["place_id"]))
    how = t("siege.match_on", how=match_words(match["how"]), name=match["matched_name"]) \
        if "how" in match else ""
    out.print(t("siege.from", name=escape(match['name']), what=escape(match.get('name_ar') or ''),
                place_class=term("place_class", match["place_class"]), place_id=match['place_id'],
                how=escape(how), start=start, end=end))
    if not changes and alone is None and warning is None:
        out.print(t("siege.calm_throughout"))
    elif not changes:
        out.print(t("siege.no_change_seen"))
    for change in changes:
        signals = t("siege.list_sep").join(term("signal", s) for s in change["signals"])
        out.print(f"\n{shown(change['date'])}  {_stage(change['previous_stage'])} -> "
                  f"[bold]{_stage(change['stage'])}[/]" + (f"  ({escape(signals)})" if signals else ""))
        for item in change["evidence"]:
            out.print(f"    {_evidence(item)}")
    if through < end:
        out.print("\n" + t("siege.history_stops_at_data_end", through=through, end=end))
    elif alone:
        out.print("\n" + _signals_alone(alone))


def _evidence(item: dict[str, Any]) -> str:
    """One piece of evidence: in English the tracker's line, its signal and reference; in Arabic
    the web app's translation of it (its signal, day, deaths and sides, reference)."""
    if language_of_messages() == "ar":
        return escape(web_words().evidence_line(item))
    return (f"{item['date']}  {item['signal']:<28} {escape(item['detail'])}  "
            f"[dim]{escape(item['ref'])}[/]")


def _find(inputs: Any, query: str) -> dict[str, Any] | None:
    """The place whose place_id is ``query``, when it is one."""
    import pyarrow.compute as pc

    rows = inputs.places.filter(pc.equal(inputs.places.column("place_id"), query)).to_pylist()
    return rows[0] if rows else None


@app.command()
def record(
    ctx: typer.Context,
    place: Annotated[str, typer.Argument(help="A place name in any spelling, or its place_id.")],
    fell_on: Annotated[str | None, typer.Option("--fell-on", help="The day it fell (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Who took it (e.g. RSF).")] = None,
    returned_on: Annotated[str | None, typer.Option(
        "--returned-on", help="Instead of a fall: the day the town was retaken or people "
                              "returned (ends the fallen stage).")] = None,
    source: Annotated[str, typer.Option("--source", help="The http(s) address of the report "
                                                         "that says so.")] = "",
    note: Annotated[str | None, typer.Option(help="A line on what the source says.")] = None,
    as_user: Annotated[str | None, typer.Option("--as", envvar="TOCSIN_USER",
                                                help="Who records it (default: your login).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
) -> None:
    """Record a sourced change of control: PLACE fell on a day to an actor (or was retaken /
    people returned). The siege tracker shows the town as fallen from that day, with this
    record as the evidence, until a return or another fall is recorded."""
    import getpass

    from tocsin.records.control import ControlChangeError, open_control, record_control_change

    fell, back = parse_day(fell_on, "--fell-on"), parse_day(returned_on, "--returned-on")
    if (fell is None) == (back is None):
        fail(t("siege.give_one_fell_on"), 2)
    if fell is not None and not (to or "").strip():
        fail(t("siege.fell_on_needs_actor"), 2)
    if not source:
        fail(t("siege.source_url_required_report"), 2)
    workspace = ctx.obj
    match = place_for_record(workspace, place)
    try:
        sessions = open_control(workspace.database_url)
        row = record_control_change(
            sessions, place_id=match["place_id"], place_name=match["name"],
            kind="fell" if fell else "returned", day=fell or back, actor=to if fell else None,
            source_url=source, note=note, recorded_by=as_user or getpass.getuser(),
            today=dt.datetime.now(dt.UTC).date())
    except ControlChangeError as exc:
        fail(exc)
    if as_json:
        print_json(row)
        return
    what = t("siege.fell_to", actor=escape(row['actor']), day=row['day']) if row["kind"] == "fell" \
        else t("siege.returned_on", day=row['day'])
    out.print(t("siege.recorded_source", id=row['id'], place_name=escape(row['place_name']),
                place_id=row['place_id'], what=what, source_url=escape(row['source_url'])))
