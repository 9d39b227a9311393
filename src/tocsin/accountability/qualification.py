"""Legal qualification of incidents: per element of a crime, an analyst's assessment
(supported / contested / insufficient / not assessed), the evidence items and events behind it,
a note, and the victims' protected group where the evidence reports it.

Two-person review: an assessment is a draft until a second analyst (or admin) of the same
organisation signs it off. Both acts are signed custody log entries holding the SHA-256 of the
assessment's canonical content (which includes the SHA-256 of each evidence item it rests on),
so ``tocsin evidence verify`` catches a row changed after the fact (:func:`verify_assessments`).
A revision is a new assessment that supersedes the old one; rows are never edited.

Contextual elements (``scope: situation``: the widespread or systematic attack, the armed
conflict, the manifest pattern) are assessed once per situation, e.g. "Darfur 2023-".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accountability.elements import ASSESSMENTS, Crime, Element, legal_elements
from tocsin.accountability.errors import AccountabilityError
from tocsin.evidence.access import EDITOR_ROLES
from tocsin.evidence.crypto import canonical_json, sha256_hex
from tocsin.evidence.custody import Entry, Finding
from tocsin.i18n import Said
from tocsin.records.accountability_models import LegalAssessment
from tocsin.records.evidence_models import EvidenceItem, EvidenceKey
from tocsin.records.models import Incident, User

DEFAULT_SITUATION = "Darfur 2023-"


def content_of(row: LegalAssessment) -> dict[str, Any]:
    """What the custody log vouches for: everything an assessment says, nothing about who."""
    return {"format": "tocsin-assessment/1", "incident": row.incident_id,
            "situation": row.situation, "element": row.element_id, "context": row.context,
            "elements_version": row.elements_version, "assessment": row.assessment,
            "note": row.note or "", "evidence_items": list(row.evidence_items),
            "event_uids": sorted(row.event_uids), "protected_group": row.protected_group,
            "organisation": row.organisation_id, "supersedes": row.supersedes}


def content_hash(row: LegalAssessment) -> str:
    return sha256_hex(canonical_json(content_of(row)))


def _require_editor(role: str, what: str) -> None:
    if role not in EDITOR_ROLES:
        raise AccountabilityError(Said("qualify.needs_editor", what=what, role=role))


def _evidence(session: Session, organisation_id: int, item_ids: Sequence[int]) -> list[dict[str, Any]]:
    out = []
    for item_id in item_ids:
        item = session.get(EvidenceItem, item_id)
        if item is None or item.status != "active":
            raise AccountabilityError(Said("qualify.no_evidence_item", item_id=item_id))
        if session.get(EvidenceKey, (item_id, organisation_id)) is None \
                and item.sensitivity != "public":
            raise AccountabilityError(Said("qualify.no_access", item_id=item_id))
        out.append({"id": item.id, "sha256": item.sha256})
    return out


def current(session: Session, organisation_id: int, *, element: Element,
            incident_id: int | None, situation: str | None) -> LegalAssessment | None:
    query = select(LegalAssessment).where(LegalAssessment.organisation_id == organisation_id,
                                          LegalAssessment.status != "superseded")
    if element.scope == "situation":
        query = query.where(LegalAssessment.situation == situation,
                            LegalAssessment.context == element.context)
    else:
        query = query.where(LegalAssessment.incident_id == incident_id,
                            LegalAssessment.element_id == element.id)
    return session.scalars(query.order_by(LegalAssessment.id.desc())).first()


def assess(locker: Any, username: str, *, element_id: str, assessment: str,
           incident_id: int | None = None, situation: str | None = None, note: str | None = None,
           evidence_items: Sequence[int] = (), event_uids: Sequence[str] = (),
           protected_group: dict[str, Any] | None = None) -> LegalAssessment:
    """Record (or revise) one assessment as a draft, with its signed ``assess`` custody entry."""
    elements = legal_elements()
    element = elements.element(element_id)
    if assessment not in ASSESSMENTS:
        raise AccountabilityError(Said("qualify.assessment", kinds=", ".join(ASSESSMENTS),
                                        assessment=assessment))
    if element.scope == "situation":
        if incident_id is not None or not situation:
            raise AccountabilityError(
                Said("qualify.contextual", element=element.id, situation=DEFAULT_SITUATION))
    elif incident_id is None or situation:
        raise AccountabilityError(Said("qualify.per_incident", element=element.id))
    if protected_group is not None and not evidence_items:
        raise AccountabilityError(Said("qualify.group_needs_evidence"))
    if assessment == "supported" and not evidence_items and not event_uids:
        raise AccountabilityError(Said("qualify.needs_support", element=element.id))
    with locker.transaction(username) as (session, actor):
        _require_editor(actor.role, Said("qualify.to_assess"))
        if incident_id is not None:
            incident = session.get(Incident, incident_id)
            if incident is None or incident.organisation_id != actor.organisation_id:
                raise AccountabilityError(Said("qualify.no_incident", incident_id=incident_id))
        previous = current(session, actor.organisation_id, element=element,
                           incident_id=incident_id, situation=situation)
        row = LegalAssessment(
            organisation_id=actor.organisation_id, incident_id=incident_id,
            situation=situation if element.scope == "situation" else None,
            element_id=element.id, context=element.context, elements_version=elements.version,
            assessment=assessment, note=note,
            evidence_items=_evidence(session, actor.organisation_id, evidence_items),
            event_uids=sorted(set(event_uids)), protected_group=protected_group,
            status="draft", content_sha256="", created_by=actor.user_id, custody_seq=0,
            supersedes=previous.id if previous else None)
        session.add(row)
        session.flush()
        row.content_sha256 = content_hash(row)
        entry = locker.append(session, actor, "assess", {
            "assessment": row.id, "content": content_of(row), "content_sha256": row.content_sha256})
        row.custody_seq = entry.seq
        if previous is not None:
            previous.status = "superseded"
        session.flush()
        return row


def sign_off(locker: Any, username: str, assessment_id: int) -> LegalAssessment:
    """A second analyst of the organisation signs the draft off (a signed custody entry)."""
    with locker.transaction(username) as (session, actor):
        _require_editor(actor.role, Said("qualify.to_sign_off"))
        row = session.get(LegalAssessment, assessment_id)
        if row is None or row.organisation_id != actor.organisation_id:
            raise AccountabilityError(Said("qualify.no_assessment", assessment_id=assessment_id))
        if row.status != "draft":
            raise AccountabilityError(Said("qualify.not_draft", assessment_id=assessment_id,
                                            status=row.status))
        if row.created_by == actor.user_id:
            raise AccountabilityError(Said("qualify.second_analyst", assessment_id=assessment_id))
        if content_hash(row) != row.content_sha256:
            raise AccountabilityError(Said("qualify.changed_after", assessment_id=assessment_id))
        author = session.get(User, row.created_by)
        entry = locker.append(session, actor, "sign_off", {
            "assessment": row.id, "content_sha256": row.content_sha256,
            "author": author.username if author else None})
        row.status, row.signed_off_by, row.signoff_seq = "signed_off", actor.user_id, entry.seq
        row.signed_off_at = dt.datetime.now(dt.UTC)
        session.flush()
        return row


@dataclass
class ChecklistRow:
    crime: Crime
    element: Element
    assessment: LegalAssessment | None

    @property
    def missing(self) -> str | None:
        """What is still needed before this element counts as supported; None when it does."""
        row = self.assessment
        kinds = ", ".join(legal_elements().evidence_kinds[k] for k in self.element.evidence)
        if row is None or row.assessment == "not_assessed":
            return f"not assessed yet; usually proved by: {kinds}"
        if row.assessment in ("insufficient", "contested"):
            return f"{row.assessment}; more evidence of: {kinds}"
        if row.status != "signed_off":
            return "supported in a draft: needs a second analyst's sign-off"
        return None


def checklist(session: Session, organisation_id: int, incident_id: int,
              crimes: Sequence[str] | None = None,
              situation: str = DEFAULT_SITUATION) -> list[ChecklistRow]:
    elements = legal_elements()
    chosen = [elements.crime(c) for c in crimes] if crimes else list(elements.crimes.values())
    rows = []
    for crime in chosen:
        for element in crime.elements:
            rows.append(ChecklistRow(crime, element, current(
                session, organisation_id, element=element, incident_id=incident_id,
                situation=situation)))
    return rows


def assessed_crimes(session: Session, organisation_id: int, incident_id: int) -> list[str]:
    """Crimes with at least one element assessed for the incident."""
    elements = legal_elements()
    ids = set(session.scalars(select(LegalAssessment.element_id).where(
        LegalAssessment.organisation_id == organisation_id,
        LegalAssessment.incident_id == incident_id)).all())
    return [c.id for c in elements.crimes.values() if ids & {e.id for e in c.elements}]


def describe(row: LegalAssessment, session: Session) -> dict[str, Any]:
    author = session.get(User, row.created_by)
    signer = session.get(User, row.signed_off_by) if row.signed_off_by else None
    return {"id": row.id, "incident": row.incident_id, "situation": row.situation,
            "element": row.element_id, "assessment": row.assessment, "status": row.status,
            "note": row.note, "evidence_items": row.evidence_items, "event_uids": row.event_uids,
            "protected_group": row.protected_group, "author": author.username if author else None,
            "signed_off_by": signer.username if signer else None,
            "elements_version": row.elements_version, "content_sha256": row.content_sha256,
            "custody_seq": row.custody_seq, "signoff_seq": row.signoff_seq}


def verify_assessments(session: Session, entries: Sequence[Entry], report: Any = None) -> list[Finding]:
    """Each assessment row must be what its ``assess`` entry recorded, and a signed-off one must
    have a ``sign_off`` entry by another user over the same content."""
    assessed: dict[int, tuple[Entry, dict[str, Any]]] = {}
    signed: dict[int, tuple[Entry, dict[str, Any]]] = {}
    for entry in entries:
        body = entry.body
        details = body.get("details") or {}
        if body.get("action") == "assess":
            assessed[int(details["assessment"])] = (entry, body)
        elif body.get("action") == "sign_off":
            signed[int(details["assessment"])] = (entry, body)
    rows = {r.id: r for r in session.scalars(select(LegalAssessment)).all()}
    if report is not None:
        report.checked["legal assessments"] = len(rows)
    findings = []
    for assessment_id in sorted(set(assessed) - set(rows)):
        findings.append(Finding(f"assessment {assessment_id}", (
            f"was recorded in custody entry {assessed[assessment_id][0].seq} but its row is gone")))
    for assessment_id, row in sorted(rows.items()):
        subject = f"assessment {assessment_id} ({row.element_id})"
        logged = assessed.get(assessment_id)
        if logged is None:
            findings.append(Finding(subject, "is in the database but no custody entry recorded "
                                             "it (inserted by hand)"))
            continue
        entry, body = logged
        details = body["details"]
        actual = content_hash(row)
        if actual != details["content_sha256"] or row.content_sha256 != details["content_sha256"]:
            changed = sorted(k for k, v in content_of(row).items()
                             if details["content"].get(k) != v)
            findings.append(Finding(subject, (
                f"was changed after it was recorded in custody entry {entry.seq}"
                f"{' (' + ', '.join(changed) + ')' if changed else ''}"
                f"{'; it had been signed off' if assessment_id in signed else ''}")))
        sign = signed.get(assessment_id)
        if sign is not None:
            sign_entry, sign_body = sign
            if sign_body["details"].get("content_sha256") != details["content_sha256"]:
                findings.append(Finding(subject, f"custody entry {sign_entry.seq} signs off "
                                                 "other content than was recorded"))
            if sign_body.get("user") == body.get("user"):
                findings.append(Finding(subject, f"custody entry {sign_entry.seq}: signed off by "
                                                 "its own author (two-person review broken)"))
            if row.status == "draft":
                findings.append(Finding(subject, (
                    f"is a draft in the database but custody entry {sign_entry.seq} signed it "
                    "off")))
        elif row.status == "signed_off":
            findings.append(Finding(subject, "says it is signed off but no custody entry signs "
                                             "it off (signature forged in the database)"))
    return findings
