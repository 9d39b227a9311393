"""`tocsin places find NAME` (any spelling, English or Arabic) and `tocsin places show NAME`
(a place with its parent and sub-places)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.common import fail, match_words, named, out, print_json, print_table, shown, t, t_count, term
from tocsin.workspace import WorkspaceError

app = typer.Typer(no_args_is_help=True, help="The gazetteer: Sudan's places under all their names.")


@app.command()
def find(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Any spelling: Al Fashir, El Fasher, الفاشر ...")],
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many places.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Find places by name, best match first (exact, same sound, then similar)."""
    from tocsin.places.lookup import find_places

    try:
        matches = find_places(ctx.obj, name, limit)
    except WorkspaceError as exc:
        fail(exc)
    if as_json:
        print_json(matches)
        return
    if not matches:
        out.print(t("places.no_place_matches", name=name))
        raise typer.Exit(1)
    table = Table("#", t("places.name"), t("places.class"), t("places.locality_state"),
                  t("places.population"), t("places.match"),
                  title=t("places.places_matching", name=name))
    for rank, m in enumerate(matches, start=1):
        table.add_row(shown(rank), " / ".join(x for x in (m["name"], m["name_ar"]) if x),
                      term("place_class", m["place_class"]),
                      located(m), shown(m["population"]),
                      f"{match_words(m['how'])}: {m['matched_name']}")
    print_table(table)


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Any spelling: Al Fashir, El Fasher, الفاشر ...")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show the best match for NAME: its class, its parent town and its sub-places (neighbourhoods,
    camps, hamlets folded into it), each with the rule that placed it there."""
    from tocsin.places.lookup import show_place

    try:
        place = show_place(ctx.obj, name)
    except WorkspaceError as exc:
        fail(exc)
    if place is None:
        if as_json:
            print_json(None)
        else:
            out.print(t("places.no_place_matches", name=name))
        raise typer.Exit(1)
    if as_json:
        print_json(place)
        return
    title = " / ".join(x for x in (place["name"], place["name_ar"]) if x)
    out.print(f"[bold]{escape(title)}[/] ({term('place_class', place['place_class'])})"
              + (t("siege.list_sep") + escape(located(place)) if located(place) else ""))
    out.print(t("places.at_sources", latitude=place['latitude'], longitude=place['longitude'],
                what=', '.join(place['sources'] or [])))
    parent = place["parent"]
    if parent:
        out.print(t("places.part", what=escape(named(parent["name"], parent["name_ar"])
                                               or parent["place_id"]),
                    place_class=term("place_class", parent["place_class"]),
                    what2=escape(rule_words(parent["rule"], parent["name_ar"]))))
    else:
        out.print(t("places.top_level_place_no"))
    subs = place["sub_places"]
    if subs:
        table = Table(t("places.sub_place"), t("places.class"), t("places.why"),
                      title=t_count("places.sub_places_folded_into", len(subs),
                                    n_subs=len(subs)))
        for sub in subs:
            unnamed = not (sub["name"] or sub["name_ar"])
            table.add_row(escape(t("places.unnamed") if unnamed else named(sub["name"], sub["name_ar"])),
                          term("place_class", sub["place_class"]),
                          escape(rule_words(sub["rule"], sub["parent_name_ar"])))
        print_table(table)


def located(place: dict[str, Any]) -> str:
    """The place's locality and state (COD-AB's names, Arabic in Arabic)."""
    areas = [named(place.get(f"admin{level}"), place.get(f"admin{level}_ar")) for level in (2, 1)
             if place.get(f"admin{level}") or place.get(f"admin{level}_ar")]
    return t("siege.list_sep").join(areas)


RULE_KEYS = {"within": "places.rule_within", "beside": "places.rule_beside",
             "named after": "places.rule_named_after"}  # tocsin.places.hierarchy.RULES


def rule_words(rule: str | None, town_ar: str | None) -> str:
    """How a parent was chosen (the gazetteer's sentence, "within El Fasher (city, 3.4 km)") in
    the messages' language, the town by its name there; a rule of another shape as stored."""
    from tocsin.places.hierarchy import read_rule

    parts = read_rule(rule)
    if parts is None:
        return rule or ""
    return t(RULE_KEYS[parts["how"]], name=named(parts["name"], town_ar),
             place_class=term("place_class", parts["place_class"]), km=parts["km"])
