"""Records of the evidence locker: items, their links, wrapped keys, the custody log, signing
keys and trusted timestamps.

Nothing here is trusted on its own: anyone with database access can edit these rows. The
custody log entries carry their own hash chain and Ed25519 signatures, and
``tocsin.evidence.verify`` checks every other table against that log (see
docs/methods/evidence.md).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.records.models import Base, UTCDateTime, _created_at, _in

SENSITIVITIES = ("public", "restricted", "confidential")
ITEM_STATUSES = ("active", "deleted")
LINK_KINDS = ("incident", "event")
TIMESTAMP_STATUSES = ("queued", "stamped", "failed")


class EvidenceItem(Base):
    """One stored file. ``sha256`` is the content's; ``stored_sha256`` the bytes on disk
    (different only when the content is encrypted at rest)."""

    __tablename__ = "evidence_items"
    __table_args__ = (
        CheckConstraint(_in("sensitivity", SENSITIVITIES), name="sensitivity"),
        CheckConstraint(_in("status", ITEM_STATUSES), name="status"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    stored_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    filename: Mapped[str] = mapped_column(String(500), nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), nullable=False)
    sensitivity: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active",
                                        server_default="active")
    # The item's metadata as recorded in its custody entry (canonical JSON); confidential
    # items keep the sensitive fields only in ``sealed`` (encrypted) and here as null.
    metadata_json: Mapped[str] = mapped_column(Text, nullable=False)
    metadata_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_nonce: Mapped[str | None] = mapped_column(String(64), nullable=True)
    collector: Mapped[str] = mapped_column(String(200), nullable=False)
    captured_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    place_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    derived_from: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    original: Mapped[bool] = mapped_column(Boolean, nullable=False)
    added_by: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    added_at: Mapped[dt.datetime] = _created_at()


class EvidenceLink(Base):
    """An item's link to an incident (records id) or a lake event (``event_uid``)."""

    __tablename__ = "evidence_links"
    __table_args__ = (CheckConstraint(_in("kind", LINK_KINDS), name="kind"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    target: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class EvidenceKey(Base):
    """An item's data key, wrapped (AES-256-GCM) under one organisation's key-encryption key.
    An organisation can decrypt an item only when it holds a row here."""

    __tablename__ = "evidence_keys"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True
    )
    kek_id: Mapped[str] = mapped_column(String(64), nullable=False)
    wrapped_key: Mapped[str] = mapped_column(Text, nullable=False)


class CustodyEntry(Base):
    """One entry of the custody log. ``payload`` is the canonical JSON that was hashed and
    signed; the other columns repeat parts of it for queries."""

    __tablename__ = "custody_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    item_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False)
    signature: Mapped[str] = mapped_column(String(200), nullable=False)


class SigningKey(Base):
    """An organisation's Ed25519 public key; ``retired_at`` set once rotated away."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    public_key: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = _created_at()
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TimestampAuthority(Base):
    """An RFC 3161 time-stamping authority; ``ca_pem`` the certificate its replies chain to."""

    __tablename__ = "timestamp_authorities"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    ca_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = _created_at()


class TimestampCheckpoint(Base):
    """A Merkle root over the locker (blobs, metadata, log) at one head of the custody log."""

    __tablename__ = "timestamp_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root: Mapped[str] = mapped_column(String(64), nullable=False)
    head_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    leaves: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = _created_at()


class TimestampToken(Base):
    """One authority's time-stamp of one checkpoint: queued while offline, then stamped."""

    __tablename__ = "timestamp_tokens"
    __table_args__ = (CheckConstraint(_in("status", TIMESTAMP_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("timestamp_checkpoints.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    authority: Mapped[str] = mapped_column(String(100), nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued",
                                        server_default="queued")
    token: Mapped[str | None] = mapped_column(Text, nullable=True)  # base64 DER TimeStampToken
    gen_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = _created_at()
