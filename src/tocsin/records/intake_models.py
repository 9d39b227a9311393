"""Records of field reports (KoboToolbox, ODK Central, exports carried by hand): the reports,
their attachments (held in the evidence locker), identities kept encrypted apart, every view of
a report, the sync bookmarks, the organisation's designated responders and their restricted
alerts. Migration 0009 creates exactly these tables.

A report's ``content`` holds only what may be shown to the organisation's users (categories,
siege signs, place, day, counts of people harmed, perpetrator descriptions). The raw submission
and, for a sexual-violence or child-violations report, the whole module are sealed
(AES-256-GCM) under a data key wrapped with the organisation's key-encryption key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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

REPORT_SOURCES = ("kobo", "odk", "file")
TRIAGE_STATES = ("new", "needs_review", "triaged", "rejected")
VERIFICATION_STATES = ("unverified", "corroborated", "verified")
IDENTITY_KINDS = ("reporter", "survivor")
RESPONDER_ALERT_STATUSES = ("open", "acknowledged")


class FieldReport(Base):
    """One submission. ``instance_id`` (ODK's meta/instanceID) is the same however the
    submission arrives, so a resubmission, a re-import or a re-sync adds nothing."""

    __tablename__ = "field_reports"
    __table_args__ = (
        CheckConstraint(_in("source", REPORT_SOURCES), name="source"),
        CheckConstraint(_in("triage", TRIAGE_STATES), name="triage"),
        CheckConstraint(_in("verification", VERIFICATION_STATES), name="verification"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
        UniqueConstraint("organisation_id", "instance_id"),
        Index(None, "place_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    form_id: Mapped[str] = mapped_column(String(200), nullable=False)
    instance_id: Mapped[str] = mapped_column(String(200), nullable=False)
    submission_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    collector: Mapped[str] = mapped_column(String(200), nullable=False)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    occurred_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # Taxonomy categories and siege signs (roads_closed, water_cut, ...).
    categories: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list,
                                                  server_default=text("'[]'"))
    signs: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list,
                                             server_default=text("'[]'"))
    place_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    place_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    location_from: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # What the organisation's users may read: counts harmed, perpetrators, description.
    content: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict,
                                                    server_default=text("'{}'"))
    # A sexual-violence or child-violations report: shown only to designated responders,
    # elsewhere only as counts.
    sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                            server_default=text("false"))
    consent: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # The raw submission and the sensitive module, encrypted (None when no consent: nothing kept).
    sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    kek_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    wrapped_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    problems: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list,
                                                server_default=text("'[]'"))
    attachments_expected: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                      server_default="0")
    triage: Mapped[str] = mapped_column(String(20), nullable=False, default="new",
                                        server_default="new")
    verification: Mapped[str] = mapped_column(String(20), nullable=False, default="unverified",
                                              server_default="unverified")
    verified_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = _created_at()


class FieldReportAttachment(Base):
    """A photo, video or recording of a report, held in the evidence locker as ``item_id``;
    recorded in the same transaction as the locker item, so it is there once or not at all."""

    __tablename__ = "field_report_attachments"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("field_reports.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)


class FieldReportIdentity(Base):
    """Who reported, or the survivor's pseudonym and contact: encrypted, apart from the report,
    opened only by the roles the organisation allows (each opening logged)."""

    __tablename__ = "field_report_identities"
    __table_args__ = (CheckConstraint(_in("kind", IDENTITY_KINDS), name="kind"),)

    report_id: Mapped[int] = mapped_column(
        ForeignKey("field_reports.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(64), nullable=False)
    wrapped_key: Mapped[str] = mapped_column(Text, nullable=False)
    sealed: Mapped[str] = mapped_column(Text, nullable=False)


class FieldReportView(Base):
    """Every time someone opened a report (its page, the API, an identity, an export)."""

    __tablename__ = "field_report_views"
    __table_args__ = (Index(None, "report_id", "viewed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("field_reports.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=False,
                                         index=True)
    what: Mapped[str] = mapped_column(String(50), nullable=False)
    viewed_at: Mapped[dt.datetime] = _created_at()


class IntakeBookmark(Base):
    """How far a sync source has been read (e.g. the last Kobo ``_id``); moved only after the
    submissions it covers are committed."""

    __tablename__ = "intake_bookmarks"

    source: Mapped[str] = mapped_column(String(300), primary_key=True)
    bookmark: Mapped[str] = mapped_column(String(300), nullable=False)
    updated_at: Mapped[dt.datetime] = _created_at()


class Responder(Base):
    """A user the organisation designated to receive restricted alerts (sexual violence, harm
    to a child) and to see those reports."""

    __tablename__ = "intake_responders"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(100), nullable=False)
    added_at: Mapped[dt.datetime] = _created_at()


class ResponderAlert(Base):
    """A restricted alert: shown only to the owning organisation's responders, never sent to
    a webhook. ``referral_consent`` is the survivor's answer, as given."""

    __tablename__ = "responder_alerts"
    __table_args__ = (CheckConstraint(_in("status", RESPONDER_ALERT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("field_reports.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    kinds: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    referral_consent: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open",
                                        server_default="open")
    created_at: Mapped[dt.datetime] = _created_at()
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
