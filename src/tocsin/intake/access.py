"""Who may see a field report, change it, or open an identity; and the one rule the evidence
locker asks of intake: a survivor's photos open only for designated responders. One place for
the rules, so the CLI, the web app and the locker agree (docs/decisions/0023)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.i18n import Said
from tocsin.records.intake_models import FieldReport, FieldReportAttachment, Responder

EDITOR_ROLES = ("admin", "analyst")


@dataclass(frozen=True)
class Viewer:
    user_id: int
    username: str
    role: str
    organisation_id: int
    responder: bool = False


def may_see(report: FieldReport, viewer: Viewer) -> bool:
    if report.organisation_id != viewer.organisation_id:
        return False
    return viewer.responder if report.sensitive else True


def may_edit(report: FieldReport, viewer: Viewer) -> bool:
    if not may_see(report, viewer):
        return False
    return viewer.responder if report.sensitive else viewer.role in EDITOR_ROLES


def may_open_identity(report: FieldReport, kind: str, viewer: Viewer) -> bool:
    if not may_see(report, viewer):
        return False
    if kind == "survivor" or report.sensitive:
        return viewer.responder
    return viewer.role in EDITOR_ROLES


def survivor_item_denied(session: Session, item_id: int, user_id: int) -> Said | None:
    """Why ``user_id`` may not open locker item ``item_id`` (an attachment of a sexual-violence or
    child-violations report, and the user no designated responder); None when this rule allows it."""
    sensitive = session.scalar(select(FieldReport.id).join(
        FieldReportAttachment, FieldReportAttachment.report_id == FieldReport.id).where(
        FieldReportAttachment.item_id == item_id, FieldReport.sensitive.is_(True)).limit(1))
    if sensitive is None or session.get(Responder, user_id) is not None:
        return None
    return Said("access.survivors_rule", item_id=item_id)
