"""Alert acknowledgements, one per organisation: an alert stays open for every organisation that
has not acknowledged it itself (a monitor of one organisation cannot close another's)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from tocsin.records.models import Alert, Base, UTCDateTime, utcnow


class AlertAcknowledgement(Base):
    __tablename__ = "alert_acknowledgements"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"),
                                          primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    acknowledged_by: Mapped[str] = mapped_column(String(200), nullable=False)
    acknowledged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class AckError(Exception):
    """The alert cannot be acknowledged; the message says why."""


def acknowledge_for(sessions: sessionmaker[Session], alert_id: int, organisation_id: int,
                    by: str, note: str | None = None) -> AlertAcknowledgement:
    with sessions() as session, session.begin():
        if session.get(Alert, alert_id) is None:
            raise AckError(f"no alert {alert_id}")
        done = session.get(AlertAcknowledgement, (alert_id, organisation_id))
        if done is not None:
            raise AckError(f"alert {alert_id} was already acknowledged by {done.acknowledged_by} "
                           f"at {done.acknowledged_at:%Y-%m-%d %H:%M} UTC")
        ack = AlertAcknowledgement(alert_id=alert_id, organisation_id=organisation_id,
                                   acknowledged_by=by, acknowledged_at=utcnow(), note=note)
        session.add(ack)
        return ack


def acknowledgements_of(sessions: sessionmaker[Session],
                        organisation_id: int) -> dict[int, AlertAcknowledgement]:
    with sessions() as session:
        rows = session.scalars(select(AlertAcknowledgement).where(
            AlertAcknowledgement.organisation_id == organisation_id)).all()
        return {row.alert_id: row for row in rows}
