"""`tocsin legal|actors|sanctions|dossier`: qualification, actors and their links, sanctions
lists and dossiers on the command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tocsin.cli.common import fail, out, parse_day, print_json, t
from tocsin.cli.evidence import AsJson, AsUser, open_locker
from tocsin.cli.evidence import run_or_fail as run_evidence

if TYPE_CHECKING:  # SQLAlchemy loads when a command opens the records, not at every `tocsin`
    from sqlalchemy.orm import Session

legal = typer.Typer(no_args_is_help=True, help="Legal elements of crimes and the qualification "
                                               "of incidents (two-person review).")
actors = typer.Typer(no_args_is_help=True, help="Actors, units, commanders and suppliers as "
                                                "FollowTheMoney entities, and their links.")
sanctions = typer.Typer(no_args_is_help=True, help="Sanctions lists: import, and the same "
                                                   "person or company across lists.")
Source = Annotated[list[str] | None, typer.Option("--source", help="A source for the claim "
                                                  "(URL or citation); repeat for several.")]
Status = Annotated[str, typer.Option(help="accepted, contested or needs_work.")]


def run_or_fail(action: Callable[[], Any]) -> Any:
    """Accountability errors exit 1 with their message, as evidence and database errors do."""
    from tocsin.accountability.errors import AccountabilityError
    from tocsin.records.accounts import RecordError

    def guarded() -> Any:
        try:
            return action()
        except (AccountabilityError, RecordError) as exc:
            fail(exc)

    return run_evidence(guarded)


@contextmanager
def _records(ctx: typer.Context, user: str | None) -> Iterator[tuple[Session, Any]]:
    from tocsin.records.accounts import RecordError, user_named
    from tocsin.records.db import session_factory
    from tocsin.workspace import WorkspaceError

    if not user:
        fail(t("accountability.say_who_acting_as"))
    try:
        ctx.obj.require()
    except WorkspaceError as exc:
        fail(exc)
    with session_factory(ctx.obj.database_url)() as session, session.begin():
        try:
            acting = user_named(session, user)
        except RecordError as exc:  # an unknown user: said, not a traceback
            fail(exc)
        yield session, acting


# --- legal ---------------------------------------------------------------------------------------
@legal.command("elements")
def legal_elements_cmd(crime: Annotated[str | None, typer.Argument(help="One crime, e.g. 7(1)(a).")] = None,
                       as_json: AsJson = False) -> None:
    """List the crimes and their elements (Rome Statute arts 6, 7, 8(2)(c) and (e))."""
    from tocsin.accountability.elements import legal_elements

    data = legal_elements()
    crimes = [run_or_fail(lambda: data.crime(crime))] if crime else list(data.crimes.values())
    if as_json:
        print_json({"version": data.version, "crimes": [
            {"id": c.id, "title": c.title, "category": c.category,
             "elements": [e.__dict__ for e in c.elements]} for c in crimes]})
        return
    for c in crimes:
        out.print(f"[bold]{c.id}[/] {c.title}", markup=True)
        for e in c.elements:
            scope = t("accountability.per_situation") if e.scope == "situation" else ""
            out.print(f"  {e.id}{scope}: {e.text}")


@legal.command("assess")
def legal_assess(
    ctx: typer.Context,
    element: Annotated[str, typer.Option(help="Element id, e.g. 7(1)(a)-1.")],
    assessment: Annotated[str, typer.Option(help="supported, contested, insufficient or "
                                                 "not_assessed.")],
    incident: Annotated[int | None, typer.Option(help="Incident id (per-incident elements).")] = None,
    situation: Annotated[str | None, typer.Option(help="Situation, for contextual elements "
                                                       "(e.g. \"Darfur 2023-\").")] = None,
    evidence: Annotated[list[int] | None, typer.Option(help="Evidence item id; repeat.")] = None,
    event: Annotated[list[str] | None, typer.Option(help="Lake event_uid; repeat.")] = None,
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    group: Annotated[str | None, typer.Option(help="Victims' protected group, as the evidence "
                                                   "reports it (e.g. Masalit).")] = None,
    group_kind: Annotated[str, typer.Option(help="national, ethnic, racial, religious, "
                                                 "political, gender...")] = "ethnic",
    as_user: AsUser = None,
) -> None:
    """Record an assessment of one element (a draft until a second analyst signs it off)."""
    from tocsin.accountability.qualification import assess

    locker = open_locker(ctx)
    protected = {"group": group, "kind": group_kind, "as_reported": True} if group else None
    row = run_or_fail(lambda: assess(
        locker, as_user or "", element_id=element, assessment=assessment, incident_id=incident,
        situation=situation, note=note, evidence_items=evidence or [], event_uids=event or [],
        protected_group=protected))
    out.print(t("accountability.recorded_assessment_draft_custody", id=row.id, element_id=row.element_id,
                assessment=row.assessment, custody_seq=row.custody_seq))


@legal.command("sign-off")
def legal_sign_off(ctx: typer.Context, assessment_id: Annotated[int, typer.Argument()],
                   as_user: AsUser = None) -> None:
    """Sign off a colleague's draft assessment (a signed custody entry)."""
    from tocsin.accountability.qualification import sign_off

    locker = open_locker(ctx)
    row = run_or_fail(lambda: sign_off(locker, as_user or "", assessment_id))
    out.print(t("accountability.signed_off_assessment_custody", id=row.id, signoff_seq=row.signoff_seq))


@legal.command("checklist")
def legal_checklist(
    ctx: typer.Context,
    incident: Annotated[int, typer.Argument(help="Incident id.")],
    crime: Annotated[list[str] | None, typer.Option(help="Crime id; repeat (default: those "
                                                         "assessed).")] = None,
    situation: Annotated[str | None, typer.Option(help="Situation of the contextual elements.")] = None,
    as_user: AsUser = None, as_json: AsJson = False,
) -> None:
    """What is still missing to support each element of the crimes an incident may amount to."""
    from tocsin.accountability.qualification import DEFAULT_SITUATION, assessed_crimes, checklist

    with _records(ctx, as_user) as (session, user):
        chosen = crime or assessed_crimes(session, user.organisation_id, incident) \
            or ["7(1)(a)", "8(2)(e)(i)"]
        rows = run_or_fail(lambda: checklist(session, user.organisation_id, incident, chosen,
                                             situation or DEFAULT_SITUATION))
        data = [{"crime": r.crime.id, "element": r.element.id, "scope": r.element.scope,
                 "assessment": r.assessment.assessment if r.assessment else None,
                 "status": r.assessment.status if r.assessment else None,
                 "missing": r.missing} for r in rows]
    if as_json:
        print_json(data)
        return
    table = Table(t("accountability.crime"), t("accountability.element"), t("accountability.assessment"),
                  t("accountability.status"), t("accountability.still_missing"),
                  title=t("accountability.incident", incident=incident))
    for row in data:
        table.add_row(row["crime"], row["element"], row["assessment"] or "-",
                      row["status"] or "-", row["missing"] or t("accountability.nothing"))
    out.print(table)


# --- actors --------------------------------------------------------------------------------------
@actors.command("add")
def actors_add(
    ctx: typer.Context,
    schema: Annotated[str, typer.Argument(help="Person, Organization (armed group, unit), "
                                               "Company, Vessel, Airplane...")],
    name: Annotated[str, typer.Argument()],
    alias: Annotated[list[str] | None, typer.Option(help="Other spelling; repeat.")] = None,
    public: Annotated[bool, typer.Option(help="Visible to every organisation.")] = False,
    source: Source = None, as_user: AsUser = None,
) -> None:
    """Add an actor (an FtM entity, and a records actor incidents can name)."""
    from tocsin.accountability.entities import add_actor

    with _records(ctx, as_user) as (session, user):
        row = run_or_fail(lambda: add_actor(session, user, schema, name,
                                            properties={"alias": alias or []}, public=public,
                                            sources=source or []))
        out.print(t("accountability.added", schema=row.schema, caption=row.caption, id=row.id))


@actors.command("link")
def actors_link(
    ctx: typer.Context,
    schema: Annotated[str, typer.Argument(help="Membership, Directorship, Ownership, Family, "
                                               "Representation or UnknownLink (supply).")],
    source_actor: Annotated[str, typer.Argument(help="Member, director, owner, supplier...")],
    target_actor: Annotated[str, typer.Argument(help="Organisation, asset, client, supplied...")],
    role: Annotated[str | None, typer.Option(help="e.g. commander, sector, supplier of arms.")] = None,
    start: Annotated[str | None, typer.Option(help="From (YYYY[-MM[-DD]]).")] = None,
    end: Annotated[str | None, typer.Option(help="Until.")] = None,
    status: Status = "needs_work", source: Source = None, as_user: AsUser = None,
) -> None:
    """Record a sourced claim linking two actors (command, ownership, supply...)."""
    from tocsin.accountability.entities import add_link, find_entity

    with _records(ctx, as_user) as (session, user):
        def act() -> Any:
            left = find_entity(session, source_actor, user.organisation_id)
            right = find_entity(session, target_actor, user.organisation_id)
            return add_link(session, user, schema, left, right, role=role, start=start, end=end,
                            status=status, sources=source or [])

        row = run_or_fail(act)
        out.print(t("accountability.linked", caption=row.caption, schema=row.schema, id=row.id,
                    status=row.status))


@actors.command("area")
def actors_area(
    ctx: typer.Context,
    unit: Annotated[str, typer.Argument(help="The unit (id or name).")],
    label: Annotated[str, typer.Option(help="Place name as the source gives it.")],
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    date_to: Annotated[str | None, typer.Option("--to", help="Last day, if known.")] = None,
    place: Annotated[str | None, typer.Option(help="Gazetteer place id.")] = None,
    admin2: Annotated[str | None, typer.Option(help="Locality P-code (area-wide).")] = None,
    status: Status = "needs_work", source: Source = None, as_user: AsUser = None,
) -> None:
    """Position a unit at a place over a period (its area of operations)."""
    from tocsin.accountability.entities import add_area, find_entity

    start = parse_day(date_from, "--from")
    stop = parse_day(date_to, "--to")
    if place is None and admin2 is None:
        fail(t("accountability.give_place_or_admin"))
    with _records(ctx, as_user) as (session, user):
        area = run_or_fail(lambda: add_area(
            session, user, find_entity(session, unit, user.organisation_id), label=label,
            date_from=start, date_to=stop, place_id=place, admin2_pcode=admin2, status=status,
            sources=source or []))
        out.print(t("accountability.area_operations_from", id=area.id, label=label, start=start))


@actors.command("route")
def actors_route(
    ctx: typer.Context,
    protector: Annotated[str, typer.Argument(help="The actor protecting the route.")],
    name: Annotated[str, typer.Option(help="Route name.")],
    place: Annotated[list[str], typer.Option(help="A place on the route, in order; repeat.")],
    date_from: Annotated[str | None, typer.Option("--from")] = None,
    date_to: Annotated[str | None, typer.Option("--to")] = None,
    status: Status = "needs_work", source: Source = None, as_user: AsUser = None,
) -> None:
    """Record a supply route (a sequence of places) that an actor protects."""
    from tocsin.accountability.entities import add_route, find_entity

    with _records(ctx, as_user) as (session, user):
        route = run_or_fail(lambda: add_route(
            session, user, find_entity(session, protector, user.organisation_id), name=name,
            places=place, date_from=parse_day(date_from, "--from"),
            date_to=parse_day(date_to, "--to"), status=status, sources=source or []))
        out.print(t("accountability.route", id=route.id, places=' → '.join(route.places)))


@actors.command("list")
def actors_list(ctx: typer.Context, as_user: AsUser = None, as_json: AsJson = False) -> None:
    """Actors your organisation may see (its own and public ones, sanctions lists included)."""
    from sqlalchemy import select

    from tocsin.accountability.entities import ACTOR_SCHEMATA, visible
    from tocsin.records.accountability_models import FtmEntity

    with _records(ctx, as_user) as (session, user):
        rows = [{"id": r.id, "schema": r.schema, "name": r.caption, "dataset": r.dataset}
                for r in session.scalars(visible(select(FtmEntity), user.organisation_id).where(
                    FtmEntity.schema.in_(ACTOR_SCHEMATA)).order_by(FtmEntity.caption)).all()]
    if as_json:
        print_json(rows)
        return
    table = Table(t("accountability.id"), t("accountability.kind"), t("accountability.name"),
                  t("accountability.dataset"), title=t("accountability.actors"))
    for row in rows:
        table.add_row(row["id"], row["schema"], row["name"], row["dataset"])
    out.print(table)


@actors.command("export")
def actors_export(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="FtM JSON-lines file to write.")],
    dataset: Annotated[str | None, typer.Option(help="Only this dataset (e.g. tocsin).")] = None,
    as_user: AsUser = None,
) -> None:
    """Every entity your organisation may see, as FtM JSON lines (`ftm validate` reads them)."""
    from sqlalchemy import select

    from tocsin.accountability.entities import proxy_of, visible
    from tocsin.records.accountability_models import FtmEntity
    from tocsin.report.brief import _write_atomic

    with _records(ctx, as_user) as (session, user):
        query = visible(select(FtmEntity), user.organisation_id).order_by(FtmEntity.id)
        if dataset:
            query = query.where(FtmEntity.dataset == dataset)
        lines = [json.dumps(proxy_of(r).to_dict(), ensure_ascii=False, sort_keys=True) + "\n"
                 for r in session.scalars(query).all()]
    try:
        _write_atomic(out_file, "".join(lines).encode("utf-8"))
    except OSError as exc:
        fail(t("accountability.cannot_write", out_file=out_file, exc=exc))
    out.print(t("accountability.wrote_entities", n_lines=len(lines), out_file=out_file))


# --- sanctions -----------------------------------------------------------------------------------
@sanctions.command("import")
def sanctions_import(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="UN XML, UK CSV, US table or FtM JSON lines.")],
    strict: Annotated[bool, typer.Option(help="Refuse a file with any bad entry.")] = False,
    as_json: AsJson = False,
) -> None:
    """Import sanctions lists and resolve the same person or company across them."""
    from tocsin.accountability.importing import import_sanctions
    from tocsin.workspace import WorkspaceError

    try:
        ctx.obj.require()
    except WorkspaceError as exc:
        fail(exc)
    report = run_or_fail(lambda: import_sanctions(ctx.obj, paths, strict=strict))
    if as_json:
        print_json(report.to_json())
        return
    for item in report.files:
        out.print(t("accountability.listings_new_entities_quarantined", file=item['file'],
                    layout=item['layout'], sanctions=item['sanctions'], new=item['new'],
                    quarantined=item['quarantined']))
    for q in report.quarantined:
        out.print(t("accountability.quarantined", q=q))
    out.print(t("accountability.merged_pairs_across_lists", merged=report.merged,
                suggested=report.suggested))


@sanctions.command("matches")
def sanctions_matches(
    ctx: typer.Context,
    judgement: Annotated[str | None, typer.Option(help="suggested, positive or negative.")] = None,
    as_json: AsJson = False,
) -> None:
    """Candidate pairs with their score and judgement."""
    from sqlalchemy import select

    from tocsin.records.accountability_models import EntityMatch, FtmEntity
    from tocsin.records.db import session_factory

    ctx.obj.require()
    with session_factory(ctx.obj.database_url)() as session:
        query = select(EntityMatch).order_by(EntityMatch.score.desc())
        if judgement:
            query = query.where(EntityMatch.judgement == judgement)
        rows = []
        for m in session.scalars(query).all():
            left, right = session.get(FtmEntity, m.left_id), session.get(FtmEntity, m.right_id)
            if left is None or right is None or left.organisation_id or right.organisation_id:
                continue  # a match touching an organisation's own actor: shown on its pages
            rows.append({"id": m.id, "score": m.score, "judgement": m.judgement,
                         "decided_by": m.decided_by, "left": f"{left.caption} ({left.dataset})",
                         "right": f"{right.caption} ({right.dataset})"})
    if as_json:
        print_json(rows)
        return
    table = Table(t("accountability.id"), t("accountability.score"), t("accountability.judgement"),
                  t("accountability.left"), t("accountability.right"), title=t("accountability.matches"))
    for r in rows:
        table.add_row(str(r["id"]), f"{r['score']:.2f}", f"{r['judgement']} ({r['decided_by'] or '-'})",
                      r["left"], r["right"])
    out.print(table)


@sanctions.command("judge")
def sanctions_judge(
    ctx: typer.Context, match_id: Annotated[int, typer.Argument()],
    judgement: Annotated[str, typer.Argument(help="positive (same) or negative (different).")],
    as_user: AsUser = None,
) -> None:
    """Confirm or reject a candidate match."""
    from tocsin.accountability.importing import judge

    with _records(ctx, as_user) as (session, user):
        if user.role not in ("admin", "analyst"):
            fail(t("accountability.judging_matches_needs_analyst", role=user.role))
        match = run_or_fail(lambda: judge(session, match_id, judgement, user.username))
        out.print(t("accountability.match", id=match.id, judgement=match.judgement))


# --- dossier -------------------------------------------------------------------------------------
def dossier(
    ctx: typer.Context,
    actor: Annotated[str, typer.Argument(help="Actor id or name.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path("."),
    lang: Annotated[str, typer.Option(help="en or ar.")] = "en",
    situation: Annotated[str | None, typer.Option(help="Situation of the contextual elements.")] = None,
    as_user: AsUser = None,
) -> None:
    """The actor's dossier: links, incidents with elements and evidence hashes, sanctions and
    gaps; HTML, PDF and FtM JSON lines, with only what your organisation may see."""
    from tocsin.accountability.dossier import LANGUAGES, write_dossier
    from tocsin.accountability.qualification import DEFAULT_SITUATION

    if lang not in LANGUAGES:
        raise typer.BadParameter(t("accountability.expected_one_of", languages=', '.join(LANGUAGES)),
                                 param_hint="--lang")
    with _records(ctx, as_user) as (session, user):
        files = run_or_fail(lambda: write_dossier(session, actor, user.organisation_id, out_dir,
                                                  lang, situation or DEFAULT_SITUATION))
    out.print(t("accountability.wrote", html=files.html, pdf=files.pdf, ftm=files.ftm))
