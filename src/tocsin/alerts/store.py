"""Recording escalations as alerts (once each), listing and acknowledging them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tocsin.i18n import Said
from tocsin.records.db import sessions_at_head
from tocsin.records.models import Alert, utcnow


class AlertError(Exception):
    """An alert operation cannot be done; the message says why."""


def open_records(url: str) -> sessionmaker[Session]:
    """Sessions on the records database, refused when its schema is older than this Tocsin."""
    return sessions_at_head(url, "alerts", AlertError)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def record_escalations(sessions: sessionmaker[Session], rows: Iterable[dict[str, Any]]) -> list[Alert]:
    """One alert per (place, stage, day) siege escalation; rows already recorded are skipped,
    also when another process records the same escalation at the same moment. (Clusters of
    field reports: tocsin.alerts.clusters.record_clusters.)"""
    created = []
    with sessions() as session:
        for row in rows:
            if _recorded(session, row["place_id"], row["stage"], row["date"]):
                continue
            alert = Alert(place_id=row["place_id"], place_name=row["name"] or row["place_id"],
                          stage=row["stage"], stage_rank=int(row["stage_rank"]),
                          previous_stage=row["previous_stage"], day=row["date"],
                          exposed=row.get("exposed"), reasons=row.get("reasons") or row["stage"],
                          evidence=_jsonable(row.get("evidence") or []))
            if insert_once(session, alert):
                created.append(alert)
        session.commit()
    return created


def insert_once(session: Session, alert: Alert) -> bool:
    """Add the alert unless the database already holds it (a unique constraint: recorded
    meanwhile by another scan); False when it did."""
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return False
    return True


def _recorded(session: Session, place_id: str, stage: str, day: dt.date) -> bool:
    return session.scalar(select(Alert.id).where(
        Alert.place_id == place_id, Alert.stage == stage, Alert.day == day)) is not None


def list_alerts(sessions: sessionmaker[Session], *, include_acknowledged: bool = False,
                limit: int = 200) -> list[Alert]:
    with sessions() as session:
        query = select(Alert).order_by(Alert.day.desc(), Alert.stage_rank.desc().nulls_last(),
                                       Alert.id.desc())
        if not include_acknowledged:
            query = query.where(Alert.status == "open")
        return list(session.scalars(query.limit(limit)))


def acknowledge(sessions: sessionmaker[Session], alert_id: int, by: str,
                note: str | None = None, now: dt.datetime | None = None) -> Alert:
    if not by.strip():
        raise AlertError(Said("alerts.say_who"))
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertError(Said("alerts.no_alert", alert_id=alert_id))
        if alert.status == "acknowledged":
            raise AlertError(Said("alerts.already_acknowledged", alert_id=alert_id,
                                  by=alert.acknowledged_by,
                                  at=f"{alert.acknowledged_at:%Y-%m-%d %H:%M}"))
        alert.status = "acknowledged"
        alert.acknowledged_at = now or utcnow()
        alert.acknowledged_by = by.strip()
        alert.note = note
        session.commit()
        return alert


def get_alert(sessions: sessionmaker[Session], alert_id: int) -> tuple[Alert, list[dict[str, Any]]]:
    """An alert and every attempt to deliver it (webhook URL, attempt, time, status, error)."""
    from tocsin.records.models import Webhook, WebhookDelivery

    with sessions() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertError(Said("alerts.no_alert", alert_id=alert_id))
        attempts = session.execute(
            select(Webhook.url, WebhookDelivery.attempt, WebhookDelivery.attempted_at,
                   WebhookDelivery.status_code, WebhookDelivery.error, WebhookDelivery.succeeded)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.alert_id == alert_id)
            .order_by(WebhookDelivery.webhook_id, WebhookDelivery.attempt)).all()
        return alert, [dict(row._mapping) for row in attempts]


def alert_json(alert: Alert) -> dict[str, Any]:
    """What an alert says to anyone who may list alerts (other organisations, webhooks): for a
    report cluster, counts only (tocsin.alerts.clusters)."""
    return {"id": alert.id, "kind": alert.kind, "place_id": alert.place_id,
            "place_name": alert.place_name,
            "stage": alert.stage, "stage_rank": alert.stage_rank,
            "previous_stage": alert.previous_stage, "day": alert.day.isoformat(),
            "sign": alert.sign, "reports": alert.reports, "reporters": alert.reporters,
            "first_day": alert.first_day.isoformat() if alert.first_day else None,
            "exposed": alert.exposed, "reasons": alert.reasons, "evidence": alert.evidence,
            "status": alert.status, "created_at": alert.created_at.isoformat(),
            "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
            "acknowledged_by": alert.acknowledged_by, "note": alert.note}
