"""SQLAlchemy models of the records database.

Portable types only, so the same models run on SQLite (the default) and PostgreSQL.
Timestamps are timezone-aware UTC on the Python side whatever the backend stores.
Closed vocabularies (roles, statuses, languages, actor kinds) are strings guarded by
CHECK constraints rather than native enums: they migrate the same way on both backends.

The migrations in ``tocsin/records/migrations/versions`` are written by hand and must
describe exactly these tables; ``tests/records`` compares the two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Every constraint gets a predictable name: Alembic's batch mode on SQLite and later
# migrations on PostgreSQL need names to drop or alter constraints.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

USER_ROLES = ("admin", "analyst", "monitor", "viewer")
LANGUAGES = ("en", "ar")
ACTOR_KINDS = (
    "armed_group",
    "state_force",
    "militia",
    "company",
    "person",
    "organisation",
    "other",
)
INCIDENT_STATUSES = ("open", "verified", "closed")
ACTOR_ROLES = ("perpetrator", "victim", "supplier", "financier", "witness", "other")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    Naive datetimes are refused on the way in (their zone is unknown). SQLite keeps no
    zone, so the UTC wall time is stored and UTC is attached again on the way out;
    PostgreSQL stores ``timestamp with time zone`` and values are converted to UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone-aware (UTC) datetime")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _created_at() -> Mapped[dt.datetime]:
    return mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=func.current_timestamp()
    )


class Organisation(Base):
    """A member of the coalition; users and incidents belong to one."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint("digits IN ('western', 'arabic_indic')", name="digits_style"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = _created_at()
    # Digits in its Arabic briefs and pages (tocsin.arabic.DIGIT_STYLES).
    digits: Mapped[str] = mapped_column(String(16), nullable=False, default="western",
                                        server_default="western")

    users: Mapped[list[User]] = relationship(back_populates="organisation")
    incidents: Mapped[list[Incident]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"Organisation(id={self.id!r}, name={self.name!r})"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="role"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    username: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="viewer",
                                      server_default="viewer")
    # None: the account cannot log in with a password (not yet set, or disabled).
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    language: Mapped[str] = mapped_column(String(2), nullable=False, default="en",
                                          server_default="en")
    created_at: Mapped[dt.datetime] = _created_at()

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r}, role={self.role!r})"


class Actor(Base):
    """An armed group, force, company or person that incidents name, with its provenance."""

    __tablename__ = "actors"
    __table_args__ = (
        CheckConstraint(_in("kind", ACTOR_KINDS), name="kind"),
        UniqueConstraint("source", "source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # Other spellings, English and Arabic: ["RSF", "الدعم السريع", ...]
    aliases: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, default=list, server_default=text("'[]'")
    )
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Where the actor came from (e.g. "ucdp-ged" and its actor id); None when entered by hand.
    source: Mapped[str | None] = mapped_column(String(50), nullable=True)
    source_id: Mapped[str | None] = mapped_column(String(200), nullable=True)

    incident_links: Mapped[list[IncidentActor]] = relationship(back_populates="actor")

    def __repr__(self) -> str:
        return f"Actor(id={self.id!r}, name={self.name!r}, kind={self.kind!r})"


class Incident(Base):
    """A case that analysts build and verify; it points at lake events by ``event_uid``.

    ``occurred_to`` None means the end is unknown or the incident is ongoing.
    """

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(_in("status", INCIDENT_STATUSES), name="status"),
        CheckConstraint(
            "occurred_to IS NULL OR occurred_to >= occurred_from", name="occurred_order"
        ),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
        CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_lon_together"),
        Index(None, "occurred_from"),
        Index(None, "admin1_pcode", "admin2_pcode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A canonical event category from tocsin.schema's taxonomy (not constrained here, so
    # the taxonomy can grow without a migration).
    category: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    occurred_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    occurred_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    place_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    admin1_pcode: Mapped[str | None] = mapped_column(String(20), nullable=True)
    admin2_pcode: Mapped[str | None] = mapped_column(String(20), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open",
                                        server_default="open")
    created_by: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    created_at: Mapped[dt.datetime] = _created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(),
        nullable=False,
        default=utcnow,
        onupdate=utcnow,
        server_default=func.current_timestamp(),
    )

    organisation: Mapped[Organisation] = relationship(back_populates="incidents")
    creator: Mapped[User] = relationship()
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", passive_deletes=True
    )
    actor_links: Mapped[list[IncidentActor]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def event_uids(self) -> list[str]:
        return [link.event_uid for link in self.events]

    def link_event(self, event_uid: str) -> IncidentEvent:
        link = IncidentEvent(event_uid=event_uid)
        self.events.append(link)
        return link

    def link_actor(self, actor: Actor, role: str) -> IncidentActor:
        link = IncidentActor(actor=actor, role=role)
        self.actor_links.append(link)
        return link

    def __repr__(self) -> str:
        return f"Incident(id={self.id!r}, title={self.title!r}, status={self.status!r})"


class IncidentEvent(Base):
    """Links an incident to an event row of the Parquet lake (``events.event_uid``)."""

    __tablename__ = "incident_events"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    event_uid: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)

    incident: Mapped[Incident] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"IncidentEvent(incident_id={self.incident_id!r}, event_uid={self.event_uid!r})"


class IncidentActor(Base):
    """An actor's part in an incident; one actor may hold several roles in the same one."""

    __tablename__ = "incident_actors"
    __table_args__ = (CheckConstraint(_in("role", ACTOR_ROLES), name="role"),)

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    incident: Mapped[Incident] = relationship(back_populates="actor_links")
    actor: Mapped[Actor] = relationship(back_populates="incident_links")

    def __repr__(self) -> str:
        return (
            f"IncidentActor(incident_id={self.incident_id!r}, actor_id={self.actor_id!r}, "
            f"role={self.role!r})"
        )


# --- alerts (siege escalations) and their delivery to webhooks --------------------------------
# The stages past calm, in analysis/siege.py's order (kept as literals here so the records
# models import without numpy; tests/analysis/test_siege_rules.py checks they agree).
SIEGE_STAGES = ("threatened", "encircled", "cut_off", "outcome_unrecorded", "under_assault",
                "overrun", "fallen")
PREVIOUS_STAGES = ("calm", *SIEGE_STAGES)
ALERT_STATUSES = ("open", "acknowledged")
# What raised it: a place's siege stage rose, or independent field reports clustered at a place
# (tocsin.alerts.clusters); each kind fills its own columns (the ``kind_fields`` check).
ALERT_KINDS = ("siege", "report_cluster")


class Alert(Base):
    """A place's stage rose on a day (``siege``: one alert per place, stage and day), or several
    independent field reports of one siege sign or attack at a place within hours
    (``report_cluster``: once per cluster, again only when it escalates), until an analyst
    acknowledges it. ``evidence`` holds the rows that put the place at that stage; for a cluster,
    only counts per day (never a report's content, point, reporter or survivor)."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("stage", SIEGE_STAGES), name="stage"),
        CheckConstraint(_in("previous_stage", PREVIOUS_STAGES), name="previous_stage"),
        CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
        CheckConstraint(_in("kind", ALERT_KINDS), name="kind"),
        CheckConstraint(
            "(status = 'acknowledged') = (acknowledged_at IS NOT NULL)", name="acknowledged"
        ),
        CheckConstraint(
            "(kind = 'siege' AND stage IS NOT NULL AND stage_rank IS NOT NULL "
            "AND previous_stage IS NOT NULL) OR (kind = 'report_cluster' AND sign IS NOT NULL "
            "AND reports IS NOT NULL AND reporters IS NOT NULL AND first_day IS NOT NULL)",
            name="kind_fields",
        ),
        UniqueConstraint("place_id", "stage", "day"),
        # Two scans at once compute the same cluster: the database keeps one.
        UniqueConstraint("place_id", "sign", "first_day", "reporters"),
        Index(None, "status", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="siege",
                                      server_default="siege")
    place_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    place_name: Mapped[str] = mapped_column(String(300), nullable=False)
    stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    stage_rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    previous_stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    # report_cluster: the sign or taxonomy category, how many reports, how many independent
    # reporters (organisation and collector), from which day (``day`` is the last).
    sign: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reports: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reporters: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_day: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    exposed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reasons: Mapped[str] = mapped_column(Text, nullable=False)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, nullable=False, default=list, server_default=text("'[]'")
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open",
                                        server_default="open")
    created_at: Mapped[dt.datetime] = _created_at()
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return (f"Alert(id={self.id!r}, kind={self.kind!r}, place={self.place_name!r}, "
                f"stage={self.stage or self.sign!r}, day={self.day!r}, status={self.status!r})")


CONTROL_KINDS = ("fell", "returned")


class ControlChange(Base):
    """A sourced change of control of a place, recorded by an analyst (`tocsin siege record`,
    the web place page): it fell on a day to an actor, or people returned. The siege tracker
    shows it as the evidence of the fallen stage."""

    __tablename__ = "control_changes"
    __table_args__ = (
        CheckConstraint(_in("kind", CONTROL_KINDS), name="kind"),
        CheckConstraint("kind <> 'fell' OR actor IS NOT NULL", name="fell_needs_actor"),
        Index(None, "place_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[str] = mapped_column(String(100), nullable=False)
    place_name: Mapped[str] = mapped_column(String(300), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    actor: Mapped[str | None] = mapped_column(String(300), nullable=True)
    source_url: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = _created_at()


class Webhook(Base):
    """Where alerts are POSTed, signed with HMAC-SHA256 under ``secret``."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), nullable=False, unique=True)
    secret: Mapped[str] = mapped_column(String(500), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                         server_default=text("true"))
    created_at: Mapped[dt.datetime] = _created_at()

    def __repr__(self) -> str:
        return f"Webhook(id={self.id!r}, url={self.url!r}, active={self.active!r})"


class WebhookDelivery(Base):
    """One attempt to deliver one alert to one webhook, with what came back."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "webhook_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    attempted_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=func.current_timestamp()
    )
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)

    alert: Mapped[Alert] = relationship(back_populates="deliveries")
    webhook: Mapped[Webhook] = relationship()


# --- web app: sessions, API tokens, login attempts (migration 0004) -----------------------
class WebSession(Base):
    """A browser session. ``id`` is the SHA-256 of the cookie's secret, so a copy of the
    database does not hand out live sessions."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = _created_at()
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = _created_at()
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """One try to log in, kept to rate-limit guessing by account and by client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index(None, "username", "attempted_at"), Index(None, "client", "attempted_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), nullable=False)
    client: Mapped[str] = mapped_column(String(100), nullable=False)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class BriefAsk(Base):
    """An organisation's asks for one brief (its day and language): a short text on page one."""

    __tablename__ = "brief_asks"
    __table_args__ = (UniqueConstraint("organisation_id", "as_of", "lang"),
                      CheckConstraint("length(text) <= 1500", name="short"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    lang: Mapped[str] = mapped_column(String(8), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[dt.datetime] = _created_at()


# The evidence locker's tables, and the per-organisation alert acknowledgements, live in their
# own modules; importing them registers them on Base.
# Accountability (entities, matches, areas, routes, legal assessments): migration 0008.
from tocsin.records import accountability_models as _accountability_models  # noqa: E402, F401
from tocsin.records import alert_acks as _alert_acks  # noqa: E402, F401
from tocsin.records import evidence_models as _evidence_models  # noqa: E402, F401

# Field reports (migration 0009) likewise.
from tocsin.records import intake_models as _intake_models  # noqa: E402, F401
