"""Records of accountability work: FollowTheMoney entities (actors, units, links, sanctions),
cross-list matches with their judgements, units' areas of operations, supply routes, and legal
assessments of incidents (migration 0008).

Entities keep FtM's own shape (schema + properties) so they export as FtM JSON lines unchanged;
``organisation_id`` None means public (e.g. a published sanctions list), otherwise only that
organisation sees the row. Assessments are checked against their custody log entries by
``tocsin evidence verify`` (see tocsin.accountability.qualification).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.records.models import Base, UTCDateTime, _created_at, _in

CLAIM_STATUSES = ("accepted", "contested", "needs_work")
JUDGEMENTS = ("suggested", "positive", "negative")
ASSESSMENT_VALUES = ("supported", "contested", "insufficient", "not_assessed")
ASSESSMENT_STATUSES = ("draft", "signed_off", "superseded")


def _json_list() -> Mapped[list[Any]]:
    return mapped_column(JSON, nullable=False, default=list, server_default=text("'[]'"))


class FtmEntity(Base):
    """One FtM entity: a person, organisation, company, unit, vessel, or a link between them
    (Membership, Directorship, Ownership, Family, Representation, UnknownLink) or a Sanction.
    A link is a claim: ``status`` and ``sources`` say how far it is established."""

    __tablename__ = "ftm_entities"
    __table_args__ = (CheckConstraint(_in("status", CLAIM_STATUSES), name="status"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    schema: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    caption: Mapped[str] = mapped_column(String(500), nullable=False, index=True)
    properties: Mapped[dict[str, list[str]]] = mapped_column(JSON, nullable=False)
    dataset: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="SET NULL"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="accepted",
                                        server_default="accepted")
    sources: Mapped[list[Any]] = _json_list()
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = _created_at()


class EntityMatch(Base):
    """A candidate: two entities that may be the same person or company, with the score and
    the method that found them, until an analyst confirms (positive) or rejects (negative).
    ``left_id`` < ``right_id``."""

    __tablename__ = "entity_matches"
    __table_args__ = (
        CheckConstraint(_in("judgement", JUDGEMENTS), name="judgement"),
        CheckConstraint("left_id < right_id", name="ordered"),
        UniqueConstraint("left_id", "right_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    left_id: Mapped[str] = mapped_column(
        ForeignKey("ftm_entities.id", ondelete="CASCADE"), nullable=False)
    right_id: Mapped[str] = mapped_column(
        ForeignKey("ftm_entities.id", ondelete="CASCADE"), nullable=False, index=True)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    method: Mapped[str] = mapped_column(String(50), nullable=False)
    judgement: Mapped[str] = mapped_column(String(20), nullable=False, default="suggested",
                                           server_default="suggested")
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = _created_at()


class UnitArea(Base):
    """A unit positioned at a place over a period (its area of operations), sourced."""

    __tablename__ = "unit_areas"
    __table_args__ = (
        CheckConstraint(_in("status", CLAIM_STATUSES), name="status"),
        CheckConstraint("date_to IS NULL OR date_to >= date_from", name="date_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[str] = mapped_column(
        ForeignKey("ftm_entities.id", ondelete="CASCADE"), nullable=False, index=True)
    place_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    admin2_pcode: Mapped[str | None] = mapped_column(String(20), nullable=True)
    label: Mapped[str] = mapped_column(String(300), nullable=False)
    date_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    date_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="accepted",
                                        server_default="accepted")
    sources: Mapped[list[Any]] = _json_list()
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True, index=True)
    created_at: Mapped[dt.datetime] = _created_at()


class SupplyRoute(Base):
    """A route (a sequence of places) that an actor protects, sourced."""

    __tablename__ = "supply_routes"
    __table_args__ = (
        CheckConstraint(_in("status", CLAIM_STATUSES), name="status"),
        CheckConstraint("date_to IS NULL OR date_from IS NULL OR date_to >= date_from",
                        name="date_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    places: Mapped[list[Any]] = _json_list()
    protected_by: Mapped[str] = mapped_column(
        ForeignKey("ftm_entities.id", ondelete="CASCADE"), nullable=False, index=True)
    date_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    date_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="accepted",
                                        server_default="accepted")
    sources: Mapped[list[Any]] = _json_list()
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True, index=True)
    created_at: Mapped[dt.datetime] = _created_at()


class LegalAssessment(Base):
    """One analyst's assessment of one legal element, for an incident or (contextual elements)
    for a situation such as "Darfur 2023-". Draft until a second analyst of the organisation
    signs it off; both acts are custody log entries (``custody_seq``, ``signoff_seq``) that
    hold ``content_sha256``. A revision supersedes the row, never edits it."""

    __tablename__ = "legal_assessments"
    __table_args__ = (
        CheckConstraint(_in("assessment", ASSESSMENT_VALUES), name="assessment"),
        CheckConstraint(_in("status", ASSESSMENT_STATUSES), name="status"),
        CheckConstraint("(incident_id IS NULL) <> (situation IS NULL)", name="subject"),
        CheckConstraint("status <> 'signed_off' OR signed_off_by IS NOT NULL", name="signed"),
        Index(None, "incident_id", "element_id"),
        Index(None, "situation", "context"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), nullable=True)
    situation: Mapped[str | None] = mapped_column(String(100), nullable=True)
    element_id: Mapped[str] = mapped_column(String(50), nullable=False)
    context: Mapped[str | None] = mapped_column(String(50), nullable=True)
    elements_version: Mapped[str] = mapped_column(String(20), nullable=False)
    assessment: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence_items: Mapped[list[Any]] = _json_list()
    event_uids: Mapped[list[Any]] = _json_list()
    # Victims' protected group as the evidence reports it: {"group": ..., "kind": ...}.
    protected_group: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft",
                                        server_default="draft")
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_by: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    created_at: Mapped[dt.datetime] = _created_at()
    custody_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    signed_off_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=True)
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    signoff_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    supersedes: Mapped[int | None] = mapped_column(
        ForeignKey("legal_assessments.id", ondelete="RESTRICT"), nullable=True)
