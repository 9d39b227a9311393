"""Delivering alerts to webhooks: an HTTP POST of the alert as JSON, signed, retried.

Signature: ``X-Tocsin-Signature: sha256=HEX`` where HEX is HMAC-SHA256 under the webhook's
secret of ``TIMESTAMP.BODY`` (the ``X-Tocsin-Timestamp`` header, a dot, the raw body bytes).
Receivers recompute it and refuse a timestamp older than a few minutes (replays):
:func:`verify` does both.

Events: ``siege.escalation`` (a place's stage rose) and ``reports.cluster`` (independent field
reports clustered at a place: counts only, see tocsin.alerts.clusters), in ``X-Tocsin-Event`` and
as the body's ``type`` (``tocsin.`` + event).

Retries: network errors, timeouts, 408, 429 and 5xx are retried with exponential backoff
(``backoff * 2**n`` seconds, or the receiver's Retry-After when longer, capped at 5 minutes);
other answers are final. Every attempt is recorded in
``webhook_deliveries``; an alert whose delivery failed is tried again by the next
``tocsin alerts deliver`` (or scan).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tocsin.alerts.store import AlertError, alert_json
from tocsin.i18n import Said
from tocsin.records.models import Alert, Webhook, WebhookDelivery, utcnow

SIGNATURE_HEADER = "X-Tocsin-Signature"
TIMESTAMP_HEADER = "X-Tocsin-Timestamp"
RETRY_STATUSES = {408, 425, 429}
MAX_BACKOFF_S = 300.0
MIN_SECRET_LENGTH = 16
# The event each kind of alert is delivered as (body ``type`` is ``tocsin.`` + it).
EVENTS = {"siege": "siege.escalation", "report_cluster": "reports.cluster"}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None,
           tolerance_s: int = 300) -> bool:
    """A receiver's check: the signature matches and the timestamp is recent."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - stamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


def add_webhook(sessions: sessionmaker[Session], url: str, secret: str) -> Webhook:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise AlertError(Said("alerts.webhook_url", url=url))
    if len(secret) < MIN_SECRET_LENGTH:
        raise AlertError(Said("alerts.secret_short", count=MIN_SECRET_LENGTH))
    with sessions() as session:
        hook = Webhook(url=url, secret=secret)
        session.add(hook)
        try:
            session.commit()
        except IntegrityError as exc:
            raise AlertError(Said("alerts.webhook_exists", url=url)) from exc
        return hook


def list_webhooks(sessions: sessionmaker[Session]) -> list[Webhook]:
    with sessions() as session:
        return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def remove_webhook(sessions: sessionmaker[Session], which: str) -> Webhook:
    with sessions() as session:
        hook = session.get(Webhook, int(which)) if which.isdigit() else session.scalar(
            select(Webhook).where(Webhook.url == which))
        if hook is None:
            raise AlertError(Said("alerts.no_webhook", which=which))
        session.delete(hook)
        session.commit()
        return hook


@dataclass
class DeliveryResult:
    alert_id: int
    webhook_id: int
    url: str
    delivered: bool
    attempts: int
    last_status: int | None
    last_error: str | None


def _post(url: str, body: bytes, headers: dict[str, str],
          timeout: float) -> tuple[int | None, str | None, float | None]:
    """Status (None when no answer), error text, and the receiver's Retry-After in seconds."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, None, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}", _seconds(exc.headers.get("Retry-After"))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}", None


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is ignored: the backoff applies)."""
    try:
        return max(0.0, float(retry_after)) if retry_after else None
    except ValueError:
        return None


def _retryable(status: int | None) -> bool:
    return status is None or status in RETRY_STATUSES or status >= 500


def deliver(session: Session, alert: Alert, hook: Webhook, *, attempts: int = 5,
            backoff_s: float = 1.0, timeout_s: float = 10.0,
            sleep: Callable[[float], None] = time.sleep) -> DeliveryResult:
    """POST one alert to one webhook, retrying; each attempt is committed as it happens."""
    event = EVENTS[alert.kind]
    body = json.dumps({"type": f"tocsin.{event}", "alert": alert_json(alert)},
                      ensure_ascii=False, sort_keys=True).encode("utf-8")
    done = session.scalar(select(WebhookDelivery.attempt).where(
        WebhookDelivery.alert_id == alert.id, WebhookDelivery.webhook_id == hook.id)
        .order_by(WebhookDelivery.attempt.desc()).limit(1)) or 0
    status: int | None = None
    error: str | None = None
    asked: float | None = None  # the receiver's Retry-After, honoured when longer than the backoff
    for n in range(attempts):
        if n:
            sleep(min(max(backoff_s * 2 ** (n - 1), asked or 0.0), MAX_BACKOFF_S))
        stamp = int(time.time())
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "tocsin",
                   "X-Tocsin-Event": event, "X-Tocsin-Delivery": f"{alert.id}-{hook.id}",
                   TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign(hook.secret, stamp, body)}
        status, error, asked = _post(hook.url, body, headers, timeout_s)
        ok = status is not None and 200 <= status < 300
        session.add(WebhookDelivery(alert_id=alert.id, webhook_id=hook.id, attempt=done + n + 1,
                                    attempted_at=utcnow(), status_code=status, error=error,
                                    succeeded=ok))
        session.commit()
        if ok:
            return DeliveryResult(alert.id, hook.id, hook.url, True, n + 1, status, None)
        if not _retryable(status):
            break
    return DeliveryResult(alert.id, hook.id, hook.url, False, n + 1, status, error)


def deliver_pending(sessions: sessionmaker[Session], **options: float) -> list[DeliveryResult]:
    """Every open alert not yet delivered to an active webhook (made since the webhook was
    added: a new webhook is not flooded with history), oldest first."""
    results = []
    with sessions() as session:
        for hook in session.scalars(select(Webhook).where(Webhook.active).order_by(Webhook.id)):
            delivered = exists().where(WebhookDelivery.alert_id == Alert.id,
                                       WebhookDelivery.webhook_id == hook.id,
                                       WebhookDelivery.succeeded)
            pending = session.scalars(select(Alert).where(
                Alert.status == "open", Alert.created_at >= hook.created_at, ~delivered)
                .order_by(Alert.id)).all()
            for alert in pending:
                results.append(deliver(session, alert, hook, **options))  # type: ignore[arg-type]
    return results
