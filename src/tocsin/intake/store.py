"""Field reports in the records database and their attachments in the evidence locker.

Submissions are stored (a batch at a time: a sync's page, ``store_batch``) in steps that can
each be killed and redone: (1) their report rows (unique per organisation and instanceID: a
resubmission adds nothing), then (2) their attachments in one locker transaction that also
records the reports' attachment rows, so a file is in the locker once or not at all. A sync
that dies between steps finds the reports and adds only the attachments still missing.

Who sees what (``may_see``): a report belongs to its organisation; a sensitive report (sexual
violence, harm to a child) only to the organisation's designated responders. Everyone else meets
such a report only as a count. Every opening of a report or an identity is logged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tocsin.evidence.crypto import canonical_json, new_data_key, seal, unseal, unwrap_key, wrap_key
from tocsin.evidence.errors import EvidenceError
from tocsin.evidence.keys import KeyStore
from tocsin.i18n import Said
from tocsin.intake.access import Viewer, may_edit, may_open_identity, may_see
from tocsin.intake.parse import Attachment, Submission
from tocsin.intake.places import PlaceResolver
from tocsin.intake.reports import Draft, draft_report
from tocsin.records.db import session_factory
from tocsin.records.intake_models import (
    IDENTITY_KINDS,
    TRIAGE_STATES,
    VERIFICATION_STATES,
    FieldReport,
    FieldReportAttachment,
    FieldReportIdentity,
    FieldReportView,
    IntakeBookmark,
    Responder,
    ResponderAlert,
)
from tocsin.records.models import Incident, Organisation, User
from tocsin.workspace import Workspace


class IntakeError(Exception):
    """A report cannot be stored, found or changed; the message says why."""


def _whose(kind: str) -> Said | str:
    """Whose identity ``kind`` is, in words a language can tell (a kind the form sent that is
    no kind stays as it was sent)."""
    return Said(f"fieldreport.whose_{kind}") if kind in IDENTITY_KINDS else kind


class AttachmentMissing(Exception):
    """A file the submission names cannot be had (404, not in the ZIP): recorded, not fatal."""


@dataclass
class Outcome:
    reports: int = 0
    duplicates: int = 0
    rejected: int = 0
    attachments: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reports": self.reports,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "attachments": self.attachments,
            "problems": self.problems,
        }


def _image_problem(path: Path, media_type: str) -> str | None:
    """A photo that does not decode: kept (it is what arrived), flagged for the analyst."""
    if not media_type.startswith("image/"):
        return None
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            image.load()
    except Exception as exc:  # Pillow raises many types for broken files
        return f"{path.name}: the photo is corrupt or not an image ({type(exc).__name__}: {exc})"
    return None


def _attachment_row(report_id: int, name: str, media_type: str,
                    problem: str | None) -> Callable[[Session, int, str], None]:
    """What the locker runs in its transaction: the report's attachment row (and the photo's
    problem on the report), committed with the locker item or not at all."""

    def record(session: Session, item_id: int, sha256: str) -> None:
        session.add(FieldReportAttachment(report_id=report_id, name=name, item_id=item_id,
                                          sha256=sha256, media_type=media_type, problem=problem))
        if problem:
            report = session.get(FieldReport, report_id)
            assert report is not None
            report.problems = [*report.problems, problem]
            report.triage = "needs_review"

    return record


class IntakeStore:
    def __init__(self, workspace: Workspace) -> None:
        from tocsin.evidence.locker import EvidenceLocker

        self.workspace = workspace
        self.sessions: sessionmaker[Session] = session_factory(workspace.database_url)
        self.locker = EvidenceLocker(workspace)
        self.keys = KeyStore(workspace.home / "keys")
        self._resolver: PlaceResolver | None = None

    def close(self) -> None:
        self.locker.close()
        self.sessions.kw["bind"].dispose()

    @property
    def resolver(self) -> PlaceResolver:
        if self._resolver is None:
            self._resolver = PlaceResolver(self.workspace)
        return self._resolver

    # -- people ------------------------------------------------------------------------------
    def viewer(self, username: str | None) -> Viewer:
        if not username:
            raise IntakeError(Said("accounts.say_who_acting_as"))
        with self.sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise IntakeError(Said("accounts.unknown_user", username=username))
            responder = session.get(Responder, user.id) is not None
            return Viewer(user.id, user.username, user.role, user.organisation_id, responder)

    def viewer_for(self, principal: Any) -> Viewer:
        """A web principal (user_id, username, role, organisation_id) as a Viewer."""
        with self.sessions() as session:
            responder = session.get(Responder, principal.user_id) is not None
        return Viewer(
            principal.user_id, principal.username, principal.role, principal.organisation_id, responder
        )

    def add_responder(self, username: str, *, by: str) -> None:
        admin = self.viewer(by)
        if admin.role != "admin":
            raise IntakeError(Said("fieldreport.admin_designates", role=admin.role))
        with self.sessions() as session, session.begin():
            user = session.scalar(select(User).where(User.username == username))
            if user is None or user.organisation_id != admin.organisation_id:
                raise IntakeError(Said("fieldreport.no_user", username=username))
            if session.get(Responder, user.id) is None:
                session.add(Responder(user_id=user.id, added_by=admin.username))

    # -- encryption ----------------------------------------------------------------------------
    def _kek(self, session: Session, organisation_id: int) -> tuple[str, bytes]:
        from tocsin.evidence.locker import EvidenceError

        # The key in use is the one the signed custody log names (a planted key file cannot
        # make itself the organisation's key).
        try:
            return self.locker.active_kek(session, organisation_id)
        except EvidenceError as exc:
            raise IntakeError(Said("fieldreport.no_keys")) from exc

    @staticmethod
    def _seal(kek: tuple[str, bytes], context: str, payload: Any) -> tuple[str, str, str]:
        data_key = new_data_key()
        return (
            kek[0],
            wrap_key(kek[1], data_key, context.encode()),
            seal(data_key, canonical_json(payload), context.encode()),
        )

    def _unseal(self, organisation_id: int, context: str, kek_id: str, wrapped: str, sealed: str) -> Any:
        kek = self.keys.kek(organisation_id, kek_id)
        data_key = unwrap_key(kek, wrapped, context.encode())
        return json.loads(unseal(data_key, sealed, context.encode()))

    # -- storing -------------------------------------------------------------------------------
    def ingest(
        self,
        submissions: Iterable[Submission],
        *,
        user: str,
        source: str,
        fetch: Callable[[Submission, Attachment], Path],
        after_each: Callable[[Submission], None] | None = None,
    ) -> Outcome:
        """Store each submission and its attachments; ``after_each`` runs once a submission is
        completely stored (a connector moves its bookmark there)."""
        actor = self.viewer(user)
        outcome = Outcome()
        for sub in submissions:
            self.store_one(sub, actor=actor, source=source, fetch=fetch, outcome=outcome)
            if after_each is not None:
                after_each(sub)
        return outcome

    def store_one(
        self,
        sub: Submission,
        *,
        actor: Viewer,
        source: str,
        fetch: Callable[[Submission, Attachment], Path],
        outcome: Outcome,
    ) -> int:
        return self.store_batch([sub], actor=actor, source=source, fetch=fetch, outcome=outcome)[0]

    def store_batch(
        self,
        subs: Sequence[Submission],
        *,
        actor: Viewer,
        source: str,
        fetch: Callable[[Submission, Attachment], Path],
        outcome: Outcome,
    ) -> list[int]:
        """Store submissions together, in two steps that can each be killed and redone: (1)
        their report rows in one transaction (a resubmission, by instanceID, adds nothing),
        (2) every attachment still missing, fetched, then put in the evidence locker as one
        batch (``EvidenceLocker.add_batch``: one signed entry per file, one commit and one
        fsync for the lot) with the reports' attachment rows in the same transaction. A kill
        between them leaves reports whose attachments the next try adds."""
        drafts = [draft_report(sub, self.resolver) for sub in subs]
        rows = self._report_rows(drafts, actor, source)
        additions: list[tuple[Submission, Any, str | None]] = []
        queued: set[tuple[int, str]] = set()
        for sub, draft, (report_id, created) in zip(subs, drafts, rows, strict=True):
            if not created:
                outcome.duplicates += 1
            elif not draft.consent:
                outcome.rejected += 1
            else:
                outcome.reports += 1
            if created:
                outcome.problems += [
                    f"{sub.where}: {p}" if not p.startswith(sub.where) else p for p in draft.problems
                ]
            if draft.consent:
                additions += self._attachments(report_id, sub, draft, source, fetch, outcome, queued)
        from tocsin.evidence.locker import MAX_BATCH

        for start in range(0, len(additions), MAX_BATCH):
            outcome.attachments += self._to_locker(additions[start:start + MAX_BATCH], actor, outcome)
        return [report_id for report_id, _ in rows]

    def _report_rows(self, drafts: Sequence[Draft], actor: Viewer, source: str) -> list[tuple[int, bool]]:
        found = []
        with self.sessions() as session, session.begin():
            kek: tuple[str, bytes] | None = None
            for draft in drafts:
                existing = session.scalar(
                    select(FieldReport.id).where(
                        FieldReport.organisation_id == actor.organisation_id,
                        FieldReport.instance_id == draft.instance_id,
                    )
                )
                if existing is not None:
                    found.append((existing, False))
                    continue
                if draft.consent and kek is None:
                    kek = self._kek(session, actor.organisation_id)
                found.append((self._report_row(session, draft, actor, source, kek), True))
        return found

    def _report_row(self, session: Session, draft: Draft, actor: Viewer, source: str,
                    kek: tuple[str, bytes] | None) -> int:
        located = draft.located
        report = FieldReport(
            organisation_id=actor.organisation_id,
            source=source,
            form_id=draft.form_id,
            instance_id=draft.instance_id,
            submission_id=draft.submission_id,
            collector=draft.collector,
            submitted_at=draft.submitted_at,
            occurred_on=draft.occurred_on,
            categories=draft.categories,
            signs=draft.signs,
            place_id=located.place_id if located else None,
            place_name=located.place_name if located else None,
            lat=located.lat if located else None,
            lon=located.lon if located else None,
            location_from=located.how if located else None,
            content=draft.content,
            sensitive=draft.sensitive,
            consent=draft.consent,
            problems=draft.problems,
            attachments_expected=len(draft.media),
            triage=draft.triage,
        )
        session.add(report)
        session.flush()
        if draft.consent:
            assert kek is not None
            report.kek_id, report.wrapped_key, report.sealed = self._seal(
                kek, f"field-report:{report.id}", draft.sealed
            )
            for kind, identity in draft.identities.items():
                kek_id, wrapped, sealed = self._seal(
                    kek, f"field-report-identity:{report.id}:{kind}", identity
                )
                session.add(
                    FieldReportIdentity(
                        report_id=report.id, kind=kind, kek_id=kek_id, wrapped_key=wrapped, sealed=sealed
                    )
                )
            if draft.sensitive:
                # Restricted: only the organisation's responders list these; no webhook ever.
                session.add(
                    ResponderAlert(
                        report_id=report.id,
                        organisation_id=actor.organisation_id,
                        kinds=draft.responder_kinds,
                        referral_consent=draft.referral_consent or "not_asked",
                    )
                )
        return report.id

    def _attachments(
        self,
        report_id: int,
        sub: Submission,
        draft: Draft,
        source: str,
        fetch: Callable[[Submission, Attachment], Path],
        outcome: Outcome,
        queued: set[tuple[int, str]],
    ) -> list[tuple[Submission, Any, str | None]]:
        """The report's attachments not yet in the locker, fetched, as locker additions (with
        the photo's problem, if it does not decode)."""
        from tocsin.evidence.locker import Addition
        from tocsin.evidence.media import file_facts

        with self.sessions() as session:
            done = set(
                session.scalars(
                    select(FieldReportAttachment.name).where(FieldReportAttachment.report_id == report_id)
                ).all()
            )
        carried = {a.name: a for a in sub.attachments}
        located = draft.located
        place = {
            "place_id": located.place_id if located else None,
            "place_name": located.place_name if located else None,
            "lat": located.lat if located else None,
            "lon": located.lon if located else None,
            "location_from": (
                "coordinates"
                if located and located.how == "point"
                else "place"
                if located and located.place_id
                else None
            ),
        }
        found = []
        for name in dict.fromkeys([*draft.media, *carried]):
            if name in done or (report_id, name) in queued:
                continue
            try:
                path = fetch(sub, carried.get(name, Attachment(name=name)))
            except AttachmentMissing as exc:
                self._missing(report_id, name, str(exc))
                outcome.problems.append(f"{sub.where}: {exc}")
                continue
            queued.add((report_id, name))
            media_type, _ = file_facts(path)
            problem = _image_problem(path, media_type)
            found.append((sub, Addition(
                path=path,
                collector=draft.collector,
                captured_at=draft.submitted_at or dt.datetime.now(dt.UTC),
                sensitivity="confidential" if draft.sensitive else "restricted",
                place_fields=place,
                method=f"{source} field report",
                custody={
                    "form": draft.form_id,
                    "submission": draft.instance_id,
                    "submission_id": draft.submission_id,
                    "collector": draft.collector,
                    "source": source,
                    "attachment": name,
                },
                within=_attachment_row(report_id, name, media_type, problem),
            ), problem))
        return found

    def _missing(self, report_id: int, name: str, problem: str) -> None:
        with self.sessions() as session, session.begin():
            if session.get(FieldReportAttachment, (report_id, name)) is None:
                session.add(FieldReportAttachment(report_id=report_id, name=name, problem=problem))
                report = session.get(FieldReport, report_id)
                assert report is not None
                report.problems = [*report.problems, problem]
                report.triage = "needs_review"

    def _to_locker(self, additions: Sequence[tuple[Submission, Any, str | None]], actor: Viewer,
                   outcome: Outcome) -> int:
        if not additions:
            return 0
        try:
            self.locker.add_batch([a for _, a, _ in additions], user=actor.username)
        except EvidenceError as exc:
            first = additions[0][0]
            raise IntakeError(f"{first.where} (and the {len(additions) - 1} other attachment(s) of "
                              f"its batch): {exc}") from exc
        outcome.problems += [f"{sub.where}: {problem}" for sub, _, problem in additions if problem]
        return len(additions)

    # -- bookmarks -------------------------------------------------------------------------------
    def bookmark(self, source: str) -> str | None:
        with self.sessions() as session:
            row = session.get(IntakeBookmark, source)
            return row.bookmark if row else None

    def set_bookmark(self, source: str, value: str) -> None:
        with self.sessions() as session, session.begin():
            row = session.get(IntakeBookmark, source)
            if row is None:
                session.add(IntakeBookmark(source=source, bookmark=value, updated_at=dt.datetime.now(dt.UTC)))
            else:
                row.bookmark, row.updated_at = value, dt.datetime.now(dt.UTC)

    # -- reading (rows as tocsin.intake.store._row makes them) ------------------------------------
    def report_rows(
        self, *, verification: Sequence[str] = VERIFICATION_STATES, as_of: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """Every consented report (all organisations), for counts, events and signals: callers
        that show reports to a person go through ``visible`` instead."""
        return report_rows(self.sessions, verification=verification, as_of=as_of)

    def visible(
        self, viewer: Viewer, *, place_id: str | None = None, triage: str | None = None
    ) -> list[dict[str, Any]]:
        """Reports the viewer may see, newest first (listing is not a view of their content)."""
        with self.sessions() as session:
            query = select(FieldReport).where(FieldReport.organisation_id == viewer.organisation_id)
            if not viewer.responder:
                query = query.where(FieldReport.sensitive.is_(False))
            if place_id is not None:
                query = query.where(FieldReport.place_id == place_id)
            if triage is not None:
                query = query.where(FieldReport.triage == triage)
            return [_row(r) for r in session.scalars(query.order_by(FieldReport.id.desc())).all()]

    def counts(self, place_id: str | None = None) -> dict[str, int]:
        """How many reports there are, all organisations, sensitive ones included: the only form
        in which a survivor's report leaves its responders."""
        with self.sessions() as session:
            query = (
                select(FieldReport.sensitive, func.count())
                .where(FieldReport.consent.is_(True))
                .group_by(FieldReport.sensitive)
            )
            if place_id is not None:
                query = query.where(FieldReport.place_id == place_id)
            found = dict(session.execute(query).all())
        return {"reports": int(sum(found.values())), "sensitive": int(found.get(True, 0))}

    def _log(self, session: Session, report_id: int, viewer: Viewer, what: str) -> None:
        session.add(
            FieldReportView(
                report_id=report_id, user_id=viewer.user_id, what=what, viewed_at=dt.datetime.now(dt.UTC)
            )
        )

    def get(self, report_id: int, viewer: Viewer, *, what: str = "report") -> dict[str, Any]:
        """One report with its attachments and the sensitive module when the viewer may read it;
        a logged view. A report the viewer may not see is reported as not existing."""
        with self.sessions() as session, session.begin():
            report = session.get(FieldReport, report_id)
            if report is None or not may_see(report, viewer):
                raise IntakeError(Said("fieldreport.no_report", report_id=report_id))
            self._log(session, report.id, viewer, what)
            row = _row(report)
            row["attachments"] = [
                {
                    "name": a.name,
                    "item_id": a.item_id,
                    "sha256": a.sha256,
                    "media_type": a.media_type,
                    "problem": a.problem,
                }
                for a in session.scalars(
                    select(FieldReportAttachment)
                    .where(FieldReportAttachment.report_id == report.id)
                    .order_by(FieldReportAttachment.name)
                ).all()
            ]
            row["identities"] = sorted(
                session.scalars(
                    select(FieldReportIdentity.kind).where(FieldReportIdentity.report_id == report.id)
                ).all()
            )
            if report.sensitive and report.sealed and report.kek_id and report.wrapped_key:
                sealed = self._unseal(
                    report.organisation_id,
                    f"field-report:{report.id}",
                    report.kek_id,
                    report.wrapped_key,
                    report.sealed,
                )
                row["content"] = {**sealed.get("content", {}), **row["content"]}
                row["module"] = sealed.get("module", {})
            row["may_edit"] = may_edit(report, viewer)
            row["may_open_identity"] = {k: may_open_identity(report, k, viewer) for k in row["identities"]}
            return row

    def identity(self, report_id: int, kind: str, viewer: Viewer) -> dict[str, Any]:
        with self.sessions() as session, session.begin():
            report = session.get(FieldReport, report_id)
            if report is None or not may_see(report, viewer):
                raise IntakeError(Said("fieldreport.no_report", report_id=report_id))
            if not may_open_identity(report, kind, viewer):
                raise IntakeError(Said("fieldreport.identity_denied", report_id=report_id,
                                             whose=_whose(kind)))
            row = session.get(FieldReportIdentity, (report_id, kind))
            if row is None:
                raise IntakeError(Said("fieldreport.no_identity", report_id=report_id,
                                             whose=_whose(kind)))
            self._log(session, report_id, viewer, f"identity:{kind}")
            value: dict[str, Any] = self._unseal(
                report.organisation_id,
                f"field-report-identity:{report_id}:{kind}",
                row.kek_id,
                row.wrapped_key,
                row.sealed,
            )
            return value

    def views(self, report_id: int) -> list[dict[str, Any]]:
        with self.sessions() as session:
            rows = session.execute(
                select(FieldReportView, User.username)
                .join(User, User.id == FieldReportView.user_id)
                .where(FieldReportView.report_id == report_id)
                .order_by(FieldReportView.id)
            ).all()
            return [{"user": name, "what": v.what, "at": v.viewed_at} for v, name in rows]

    # -- changing ------------------------------------------------------------------------------------
    def _editable(self, session: Session, report_id: int, viewer: Viewer) -> FieldReport:
        report = session.get(FieldReport, report_id)
        if report is None or not may_see(report, viewer):
            raise IntakeError(Said("fieldreport.no_report", report_id=report_id))
        if not may_edit(report, viewer):
            raise IntakeError(Said("fieldreport.responders_change" if report.sensitive
                                       else "fieldreport.editors_change",
                                       report_id=report_id, role=viewer.role))
        return report

    def set_verification(self, report_id: int, status: str, viewer: Viewer, note: str | None = None) -> None:
        if status not in VERIFICATION_STATES:
            raise IntakeError(Said("fieldreport.verification", states=", ".join(VERIFICATION_STATES),
                                   status=status))
        with self.sessions() as session, session.begin():
            report = self._editable(session, report_id, viewer)
            report.verification = status
            report.verified_by = viewer.username
            report.verified_at = dt.datetime.now(dt.UTC)
            if report.triage in ("new", "needs_review"):
                report.triage = "triaged"
            if note:
                report.note = note

    def set_triage(self, report_id: int, triage: str, viewer: Viewer, note: str | None = None) -> None:
        if triage not in ("new", "needs_review", "triaged", "rejected"):
            raise IntakeError(Said("fieldreport.triage", triage=triage,
                                   choices=", ".join(TRIAGE_STATES)))
        with self.sessions() as session, session.begin():
            report = self._editable(session, report_id, viewer)
            report.triage = triage
            if note:
                report.note = note

    def link_incident(self, report_id: int, incident_id: int, viewer: Viewer) -> None:
        with self.sessions() as session, session.begin():
            report = self._editable(session, report_id, viewer)
            incident = session.get(Incident, incident_id)
            if incident is None or incident.organisation_id != viewer.organisation_id:
                raise IntakeError(Said("qualify.no_incident", incident_id=incident_id))
            report.incident_id = incident_id

    # -- responders --------------------------------------------------------------------------------
    def responder_alerts(self, viewer: Viewer) -> list[dict[str, Any]]:
        if not viewer.responder:
            return []
        with self.sessions() as session:
            rows = session.execute(
                select(ResponderAlert, FieldReport)
                .join(FieldReport, FieldReport.id == ResponderAlert.report_id)
                .where(ResponderAlert.organisation_id == viewer.organisation_id)
                .order_by(ResponderAlert.id.desc())
            ).all()
            return [
                {
                    "id": a.id,
                    "report_id": a.report_id,
                    "kinds": list(a.kinds),
                    "referral_consent": a.referral_consent,
                    "status": a.status,
                    "created_at": a.created_at,
                    "place_name": r.place_name,
                    "occurred_on": r.occurred_on,
                    "acknowledged_by": a.acknowledged_by,
                }
                for a, r in rows
            ]

    def acknowledge_alert(self, alert_id: int, viewer: Viewer) -> None:
        with self.sessions() as session, session.begin():
            alert = session.get(ResponderAlert, alert_id)
            if alert is None or not viewer.responder or alert.organisation_id != viewer.organisation_id:
                raise IntakeError(Said("fieldreport.no_alert", alert_id=alert_id))
            alert.status, alert.acknowledged_by = "acknowledged", viewer.username
            alert.acknowledged_at = dt.datetime.now(dt.UTC)

    def organisation_name(self, organisation_id: int) -> str:
        with self.sessions() as session:
            org = session.get(Organisation, organisation_id)
            return org.name if org else "?"



def _row(report: FieldReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "organisation_id": report.organisation_id,
        "source": report.source,
        "form_id": report.form_id,
        "instance_id": report.instance_id,
        "submission_id": report.submission_id,
        "collector": report.collector,
        "submitted_at": report.submitted_at,
        "occurred_on": report.occurred_on,
        "categories": list(report.categories),
        "signs": list(report.signs),
        "place_id": report.place_id,
        "place_name": report.place_name,
        "lat": report.lat,
        "lon": report.lon,
        "location_from": report.location_from,
        "content": dict(report.content),
        "sensitive": report.sensitive,
        "consent": report.consent,
        "problems": list(report.problems),
        "triage": report.triage,
        "verification": report.verification,
        "verified_by": report.verified_by,
        "incident_id": report.incident_id,
        "note": report.note,
        "created_at": report.created_at,
    }


def report_rows(
    sessions: sessionmaker[Session], *, verification: Sequence[str] = VERIFICATION_STATES,
    as_of: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Every consented, not rejected report of every organisation (stored by ``as_of``): what
    counts, events and clusters are made of; never shown to a person as it is."""
    with sessions() as session:
        query = select(FieldReport).where(
            FieldReport.consent.is_(True),
            FieldReport.triage != "rejected",
            FieldReport.verification.in_(list(verification)),
        )
        if as_of is not None:
            query = query.where(FieldReport.created_at <= as_of)
        return [_row(r) for r in session.scalars(query.order_by(FieldReport.id)).all()]


def report_events(workspace: Workspace, *, verification: Sequence[str] = ("verified",),
                  as_of: dt.datetime | None = None) -> Any:
    """The one function the siege tracker and the forecast read field reports through: reports
    (all organisations) as an events-like Arrow table (tocsin.intake.reports.EVENT_SCHEMA).
    Verified ones by default; ``verification=VERIFICATION_STATES`` for display of unverified
    ones as such. Counts only: no text, no person, and a survivor's report is one row with its
    category, place and day like any other."""
    from tocsin.intake.reports import events_table

    store = IntakeStore(workspace)
    try:
        return events_table(store.report_rows(verification=verification, as_of=as_of))
    finally:
        store.close()


def period_counts(sessions: sessionmaker[Session], start: dt.date, end: dt.date) -> dict[str, int]:
    """Reports that name a day in the period: how many, how many verified, how many restricted to
    responders (the brief's line: counts, never content)."""
    with sessions() as session:
        rows = session.execute(select(FieldReport.verification, FieldReport.sensitive, func.count()).where(
            FieldReport.consent.is_(True), FieldReport.triage != "rejected",
            FieldReport.occurred_on.between(start, end)).group_by(
            FieldReport.verification, FieldReport.sensitive)).all()
    return {"reports": sum(n for _, _, n in rows),
            "verified": sum(n for v, _, n in rows if v == "verified"),
            "sensitive": sum(n for _, s, n in rows if s)}
