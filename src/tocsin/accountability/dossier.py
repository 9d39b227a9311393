"""The dossier of an actor: who it is and its links (command, ownership, supply); the incidents
attributed to it or to the units it commands, with the legal elements supported and the
evidence hashes and custody status behind them; its sanctions by authority and the gaps (not yet
listed by X); the sources. HTML and PDF (English or Arabic, right to left), and the same
entities as FtM JSON lines.

Only what the reader's organisation may see goes in: public and own entities, own incidents and
assessments, evidence items the organisation holds a key for (others are counted, not named).

An incident reaches a commander two ways: attributed to the actor or one of its units in the
incident record (incident_actors), or committed in the area of operations of a unit the actor
commanded, inside both the command period and the area's period. The dossier says which.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.accountability.elements import legal_elements
from tocsin.accountability.entities import (
    COMMAND_ROLES,
    LINKS,
    cluster_of,
    find_entity,
    links_of,
    proxy_of,
    visible,
)
from tocsin.accountability.errors import AccountabilityError
from tocsin.accountability.qualification import DEFAULT_SITUATION, current
from tocsin.accountability.sanctions import PROGRAMMES
from tocsin.records.accountability_models import (
    EntityMatch,
    FtmEntity,
    LegalAssessment,
    SupplyRoute,
    UnitArea,
)
from tocsin.records.evidence_models import CustodyEntry, EvidenceItem, EvidenceKey, EvidenceLink
from tocsin.records.models import Incident, IncidentActor, Organisation

LANGUAGES = ("en", "ar")


@cache
def strings(lang: str) -> dict[str, str]:
    from tocsin.i18n import load

    if lang not in LANGUAGES:
        raise AccountabilityError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return dict(load("dossier", lang))


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:  # FtM dates may be partial: 2023-04 starts on the first of April
        parts = [int(p) for p in value[:10].split("-")]
        return dt.date(*[*parts, 1, 1][:3])
    except (ValueError, TypeError):
        return None


def _overlap(a_from: dt.date | None, a_to: dt.date | None, b_from: dt.date | None,
             b_to: dt.date | None) -> bool:
    low = max(a_from or dt.date.min, b_from or dt.date.min)
    high = min(a_to or dt.date.max, b_to or dt.date.max)
    return low <= high


@dataclass
class Command:
    unit: FtmEntity
    role: str
    start: dt.date | None
    end: dt.date | None
    status: str
    via: str | None = None  # the parent unit it was reached through


def commanded_units(session: Session, actor: FtmEntity, org: int) -> list[Command]:
    """Units the actor commands (Membership with a command role), and their sub-units."""
    found: list[Command] = []
    for link in links_of(session, [actor.id], org):
        if link.schema != "Membership" or actor.id not in link.properties.get("member", []):
            continue
        role = " ".join(link.properties.get("role", [])).lower()
        if not any(word in role for word in COMMAND_ROLES):
            continue
        for unit_id in link.properties.get("organization", []):
            unit = session.get(FtmEntity, unit_id)
            if unit is not None:
                found.append(Command(unit, role, _date(_first(link, "startDate")),
                                     _date(_first(link, "endDate")), link.status))
    # Sub-units: organisations that are members of a commanded unit, inheriting the period.
    frontier = list(found)
    seen = {c.unit.id for c in found}
    while frontier:
        parent = frontier.pop()
        for link in links_of(session, [parent.unit.id], org):
            if link.schema != "Membership" or parent.unit.id not in link.properties.get(
                    "organization", []):
                continue
            for child_id in link.properties.get("member", []):
                child = session.get(FtmEntity, child_id)
                if child is None or child.schema == "Person" or child.id in seen:
                    continue
                seen.add(child.id)
                command = Command(child, parent.role, parent.start, parent.end,
                                  parent.status, via=parent.unit.caption)
                found.append(command)
                frontier.append(command)
    return found


def _first(row: FtmEntity, prop: str) -> str | None:
    values = row.properties.get(prop) or []
    return values[0] if values else None


def _evidence(session: Session, org: int, item_ids: Iterable[int]) -> tuple[list[dict[str, Any]], int]:
    shown, withheld = [], 0
    for item_id in sorted(set(item_ids)):
        item = session.get(EvidenceItem, item_id)
        if item is None:
            continue
        if item.sensitivity != "public" and session.get(EvidenceKey, (item_id, org)) is None:
            withheld += 1
            continue
        entries = session.scalars(select(CustodyEntry).where(
            CustodyEntry.item_id == item_id).order_by(CustodyEntry.seq)).all()
        shown.append({"id": item.id, "sha256": item.sha256, "sensitivity": item.sensitivity,
                      "status": item.status, "media_type": item.media_type,
                      "custody_entries": len(entries),
                      "last_entry": entries[-1].entry_hash if entries else None,
                      "added_in": entries[0].seq if entries else None})
    return shown, withheld


def _incident_block(session: Session, org: int, incident: Incident, basis: dict[str, Any],
                    situation: str) -> dict[str, Any]:
    elements = legal_elements()
    rows = session.scalars(select(LegalAssessment).where(
        LegalAssessment.organisation_id == org, LegalAssessment.incident_id == incident.id,
        LegalAssessment.status != "superseded").order_by(LegalAssessment.element_id)).all()
    crimes: dict[str, dict[str, Any]] = {}
    item_ids: set[int] = set()
    for row in rows:
        element = elements.element(row.element_id)
        crime = elements.crime(element.crime_id)
        block = crimes.setdefault(crime.id, {"id": crime.id, "title": crime.title,
                                             "elements": []})
        block["elements"].append({"id": element.id, "text": element.text,
                                  "assessment": row.assessment, "status": row.status,
                                  "protected_group": row.protected_group,
                                  "evidence": [e["id"] for e in row.evidence_items]})
        item_ids |= {int(e["id"]) for e in row.evidence_items}
    for crime_id, block in crimes.items():
        crime = elements.crime(crime_id)
        # The situation's contextual elements, assessed once per situation.
        for element in crime.elements:
            if element.scope != "situation":
                continue
            ctx = current(session, org, element=element, incident_id=None, situation=situation)
            block["elements"].append({"id": element.id, "text": element.text,
                                      "assessment": ctx.assessment if ctx else "not_assessed",
                                      "status": ctx.status if ctx else "-",
                                      "protected_group": None, "situation": situation,
                                      "evidence": [e["id"] for e in ctx.evidence_items] if ctx else []})
        signed = [e for e in block["elements"] if e["status"] == "signed_off"
                  and e["assessment"] == "supported"]
        block["supported"] = len(signed)
        block["total"] = len(crime.elements)
    linked = session.scalars(select(EvidenceLink.item_id).where(
        EvidenceLink.kind == "incident", EvidenceLink.target == str(incident.id))).all()
    evidence, withheld = _evidence(session, org, item_ids | set(linked))
    return {"id": incident.id, "title": incident.title, "from": incident.occurred_from,
            "to": incident.occurred_to, "place": incident.place_id, "basis": basis,
            "crimes": list(crimes.values()), "evidence": evidence, "withheld": withheld}


def _incidents(session: Session, org: int, actor: FtmEntity, commands: list[Command],
               situation: str) -> list[dict[str, Any]]:
    found: dict[int, tuple[Incident, str]] = {}
    direct = {actor.actor_id: actor.caption} if actor.actor_id else {}
    direct |= {c.unit.actor_id: c.unit.caption for c in commands if c.unit.actor_id}
    for link in session.scalars(select(IncidentActor).where(
            IncidentActor.actor_id.in_(list(direct)), IncidentActor.role == "perpetrator")).all():
        incident = session.get(Incident, link.incident_id)
        if incident is not None and incident.organisation_id == org:
            found.setdefault(incident.id, (incident, {"kind": "direct",
                                                      "unit": direct[link.actor_id]}))
    for command in commands:
        areas = session.scalars(select(UnitArea).where(UnitArea.entity_id == command.unit.id)).all()
        for area in areas:
            if area.organisation_id not in (None, org):
                continue
            query = select(Incident).where(Incident.organisation_id == org)
            if area.place_id:
                query = query.where(Incident.place_id == area.place_id)
            elif area.admin2_pcode:
                query = query.where(Incident.admin2_pcode == area.admin2_pcode)
            else:
                continue
            for incident in session.scalars(query).all():
                when = (incident.occurred_from, incident.occurred_to or incident.occurred_from)
                if _overlap(*when, area.date_from, area.date_to) and \
                        _overlap(*when, command.start, command.end):
                    found.setdefault(incident.id, (incident, {
                        "kind": "area", "unit": command.unit.caption, "area": area.label,
                        "area_from": area.date_from, "area_to": area.date_to,
                        "area_status": area.status, "via": command.via,
                        "command_from": command.start, "command_to": command.end,
                        "command_status": command.status}))
    return [_incident_block(session, org, incident, basis, situation)
            for incident, basis in sorted(found.values(), key=lambda x: x[0].occurred_from)]


def gather(session: Session, ref: str, organisation_id: int,
           situation: str = DEFAULT_SITUATION) -> dict[str, Any]:
    """Everything the dossier shows, as plain data (also what the web page renders)."""
    org = organisation_id
    actor = find_entity(session, ref, org)
    same = sorted(cluster_of(session, actor.id))
    same_rows = [r for r in (session.get(FtmEntity, i) for i in same)
                 if r is not None and r.organisation_id in (None, org)]
    ids = {r.id for r in same_rows}
    links = []
    for link in links_of(session, ids, org):
        left, right = LINKS[link.schema]
        ends = {p: (link.properties.get(p) or [None])[0] for p in (left, right)}
        other_id = ends[right] if ends[left] in ids else ends[left]
        other = session.get(FtmEntity, other_id) if other_id else None
        links.append({"id": link.id, "schema": link.schema,
                      "role": ", ".join(link.properties.get("role", [])),
                      "direction": "out" if ends[left] in ids else "in",
                      "other": other.caption if other else other_id,
                      "other_id": other_id, "start": _first(link, "startDate"),
                      "end": _first(link, "endDate"), "status": link.status,
                      "sources": link.sources})
    commands = commanded_units(session, actor, org)
    sanctions = []
    for row in session.scalars(visible(select(FtmEntity), org).where(
            FtmEntity.schema == "Sanction")).all():
        if set(row.properties.get("entity", [])) & ids:
            sanctions.append({"id": row.id, "authority": _first(row, "authority"),
                              "program": _first(row, "program"),
                              "listed": _first(row, "listingDate") or _first(row, "startDate"),
                              "provisions": row.properties.get("provisions", []),
                              "entry": _first(row, "authorityId"),
                              "source": _first(row, "sourceUrl"), "dataset": row.dataset})
    # Candidates not yet confirmed: a "not yet listed" may only mean nobody has judged them.
    pending: dict[str, dict[str, Any]] = {}  # the other entity -> its best open match
    for match in session.scalars(select(EntityMatch).where(
            EntityMatch.judgement == "suggested",
            or_(EntityMatch.left_id.in_(ids), EntityMatch.right_id.in_(ids)))
            .order_by(EntityMatch.score.desc())).all():
        other = session.get(FtmEntity, match.right_id if match.left_id in ids else match.left_id)
        if other is not None and other.id not in ids and other.organisation_id in (None, org):
            pending.setdefault(other.id, {"match": match.id, "score": match.score,
                                          "caption": other.caption, "dataset": other.dataset})
    listed_by = {s["authority"] for s in sanctions}
    gaps = [name for name, _program in PROGRAMMES.values() if name not in listed_by]
    routes = session.scalars(select(SupplyRoute).where(SupplyRoute.protected_by.in_(ids))).all()
    incidents = _incidents(session, org, actor, commands, situation)
    sources = sorted({json.dumps(s, sort_keys=True) if not isinstance(s, str) else s
                      for link in links for s in link["sources"]}
                     | {s["source"] for s in sanctions if s["source"]})
    organisation = session.get(Organisation, org)
    return {"actor": {"id": actor.id, "caption": actor.caption, "schema": actor.schema,
                      "properties": actor.properties, "dataset": actor.dataset,
                      "same_as": [{"id": r.id, "caption": r.caption, "dataset": r.dataset}
                                  for r in same_rows if r.id != actor.id]},
            "links": links,
            "commands": [{"unit": c.unit.caption, "role": c.role, "start": c.start,
                          "end": c.end, "status": c.status, "via": c.via} for c in commands],
            "routes": [{"name": r.name, "places": r.places, "status": r.status,
                        "sources": r.sources, "from": r.date_from, "to": r.date_to}
                       for r in routes if r.organisation_id in (None, org)],
            "incidents": incidents, "sanctions": sanctions, "gaps": gaps, "sources": sources,
            "pending": list(pending.values()),
            "situation": situation, "elements_version": legal_elements().version,
            "organisation": organisation.name if organisation else str(org),
            "generated": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "entity_ids": sorted(ids | {link["id"] for link in links}
                                 | {link["other_id"] for link in links if link["other_id"]}
                                 | {s["id"] for s in sanctions})}


def ftm_lines(session: Session, data: dict[str, Any], organisation_id: int) -> list[str]:
    """The dossier's entities as FtM JSON lines (what `ftm validate` reads)."""
    lines = []
    for entity_id in data["entity_ids"]:
        row = session.get(FtmEntity, entity_id)
        if row is None or row.organisation_id not in (None, organisation_id):
            continue
        entity = proxy_of(row)
        lines.append(json.dumps(entity.to_dict(), ensure_ascii=False, sort_keys=True))
    return lines


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tocsin.accountability", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(data: dict[str, Any], lang: str) -> str:
    return _environment().get_template("dossier.html.j2").render(d=data, s=strings(lang),
                                                                 lang=lang)


@dataclass
class DossierFiles:
    html: Path
    pdf: Path
    ftm: Path


def write_dossier(session: Session, ref: str, organisation_id: int, out_dir: Path,
                  lang: str = "en", situation: str = DEFAULT_SITUATION) -> DossierFiles:
    from tocsin.report.brief import _write_atomic  # one atomic writer for every report

    strings(lang)
    data = gather(session, ref, organisation_id, situation)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AccountabilityError(f"cannot create the output folder {out_dir}: {exc}") from exc
    html = render_html(data, lang)
    from weasyprint import HTML  # loads Pango and fonts: only the PDF needs them

    pdf = HTML(string=html, base_url=str(out_dir)).write_pdf()
    stem = out_dir / f"dossier-{data['actor']['id']}-{lang}"
    files = DossierFiles(stem.with_suffix(".html"), stem.with_suffix(".pdf"),
                         out_dir / f"dossier-{data['actor']['id']}.ftm.jsonl")
    try:
        _write_atomic(files.html, html.encode("utf-8"))
        _write_atomic(files.pdf, pdf)
        _write_atomic(files.ftm, "".join(line + "\n" for line in ftm_lines(
            session, data, organisation_id)).encode("utf-8"))
    except OSError as exc:
        raise AccountabilityError(f"cannot write the dossier into {out_dir}: {exc}") from exc
    return files
