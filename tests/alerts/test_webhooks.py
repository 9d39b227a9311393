"""Webhook delivery against a real HTTP server on 127.0.0.1 that fails the first attempts."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tocsin.alerts.store import AlertError, acknowledge, open_records, record_escalations
from tocsin.alerts.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    add_webhook,
    deliver_pending,
    list_webhooks,
    remove_webhook,
    sign,
    verify,
)
from tocsin.records.models import WebhookDelivery

SECRET = "a-long-shared-secret-for-tests"


class Receiver:
    """An HTTP server answering each POST with the next scripted status (then 200)."""

    def __init__(self, statuses: list[int], retry_after: str | None = None) -> None:
        self.statuses = list(statuses)
        self.retry_after = retry_after
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status != 200 and receiver.retry_after:
                    self.send_header("Retry-After", receiver.retry_after)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"try later")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory() -> Iterator:  # type: ignore[type-arg]
    made: list[Receiver] = []

    def make(statuses: list[int], retry_after: str | None = None) -> Receiver:
        made.append(Receiver(statuses, retry_after))
        return made[-1]

    yield make
    for r in made:
        r.close()


def escalation(place: str = "p-1") -> dict:  # type: ignore[type-arg]
    return {"place_id": place, "name": "Nyala", "stage": "overrun", "stage_rank": 5,
            "previous_stage": "under_assault", "date": dt.date(2023, 9, 3), "exposed": 781_074,
            "reasons": "overrun: mass displacement", "evidence": []}


def test_retries_with_backoff_until_delivered_and_signed(records_url: str, receiver_factory) -> None:  # type: ignore[no-untyped-def]
    receiver = receiver_factory([503, 503])
    sessions = open_records(records_url)
    add_webhook(sessions, receiver.url, SECRET)
    (alert,) = record_escalations(sessions, [escalation()])
    pauses: list[float] = []
    (result,) = deliver_pending(sessions, backoff_s=0.01, sleep=pauses.append)  # type: ignore[arg-type]
    assert result.delivered and result.attempts == 3 and result.last_status == 200
    assert pauses == [0.01, 0.02]  # exponential backoff
    assert len(receiver.requests) == 3
    headers, body = receiver.requests[-1]
    assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert not verify("another-secret-entirely", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    payload = json.loads(body)
    assert payload["type"] == "tocsin.siege.escalation"
    assert (payload["alert"]["id"], payload["alert"]["stage"], payload["alert"]["day"]) == (
        alert.id, "overrun", "2023-09-03")
    with sessions() as session:
        attempts = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.attempt)).all()
        assert [(a.attempt, a.status_code, a.succeeded) for a in attempts] == [
            (1, 503, False), (2, 503, False), (3, 200, True)]
    assert deliver_pending(sessions, backoff_s=0.01, sleep=pauses.append) == []  # type: ignore[arg-type]
    assert len(receiver.requests) == 3


def test_a_receiver_asking_to_wait_longer_is_heard(records_url: str, receiver_factory) -> None:  # type: ignore[no-untyped-def]
    receiver = receiver_factory([429, 503], retry_after="7")
    sessions = open_records(records_url)
    add_webhook(sessions, receiver.url, SECRET)
    record_escalations(sessions, [escalation()])
    pauses: list[float] = []
    (result,) = deliver_pending(sessions, backoff_s=0.01, sleep=pauses.append)  # type: ignore[arg-type]
    assert result.delivered and result.attempts == 3
    assert pauses == [7.0, 7.0]


def test_a_refusal_is_final_until_the_next_run(records_url: str, receiver_factory) -> None:  # type: ignore[no-untyped-def]
    receiver = receiver_factory([400])
    sessions = open_records(records_url)
    add_webhook(sessions, receiver.url, SECRET)
    record_escalations(sessions, [escalation()])
    (first,) = deliver_pending(sessions, backoff_s=0.0, sleep=lambda s: None)  # type: ignore[arg-type]
    assert (first.delivered, first.attempts, first.last_status) == (False, 1, 400)
    (second,) = deliver_pending(sessions, backoff_s=0.0, sleep=lambda s: None)  # type: ignore[arg-type]
    assert second.delivered
    with sessions() as session:
        assert [a.attempt for a in session.scalars(select(WebhookDelivery))] == [1, 2]


def test_an_unreachable_webhook_is_retried_and_every_attempt_recorded(records_url: str) -> None:
    import socket

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sessions = open_records(records_url)
    add_webhook(sessions, f"http://127.0.0.1:{port}/hook", SECRET)
    record_escalations(sessions, [escalation()])
    (result,) = deliver_pending(sessions, attempts=3, backoff_s=0.0, timeout_s=2.0,  # type: ignore[arg-type]
                                sleep=lambda s: None)
    assert not result.delivered and result.attempts == 3 and result.last_status is None
    assert "refused" in (result.last_error or "").lower()
    with sessions() as session:
        rows = session.scalars(select(WebhookDelivery)).all()
        assert len(rows) == 3 and all(r.error and not r.succeeded for r in rows)


def test_acknowledged_alerts_and_old_alerts_are_not_sent(records_url: str, receiver_factory) -> None:  # type: ignore[no-untyped-def]
    receiver = receiver_factory([])
    sessions = open_records(records_url)
    (old,) = record_escalations(sessions, [escalation("p-old")])  # before the webhook existed
    add_webhook(sessions, receiver.url, SECRET)
    (seen, fresh) = record_escalations(sessions, [escalation("p-seen"), escalation("p-new")])
    acknowledge(sessions, seen.id, "amira")
    results = deliver_pending(sessions, backoff_s=0.0, sleep=lambda s: None)  # type: ignore[arg-type]
    assert [r.alert_id for r in results] == [fresh.id]
    assert old.id not in [json.loads(b)["alert"]["id"] for _, b in receiver.requests]


def test_webhook_configuration(records_url: str) -> None:
    sessions = open_records(records_url)
    with pytest.raises(AlertError, match="http:// or https://"):
        add_webhook(sessions, "ftp://example.org/x", SECRET)
    with pytest.raises(AlertError, match="at least 16"):
        add_webhook(sessions, "https://example.org/x", "short")
    hook = add_webhook(sessions, "https://example.org/x", SECRET)
    with pytest.raises(AlertError, match="exists already"):
        add_webhook(sessions, "https://example.org/x", SECRET)
    assert [h.url for h in list_webhooks(sessions)] == ["https://example.org/x"]
    remove_webhook(sessions, str(hook.id))
    assert list_webhooks(sessions) == []
    with pytest.raises(AlertError, match="no webhook"):
        remove_webhook(sessions, "https://example.org/x")


def test_signatures_cover_time_and_body() -> None:
    body = b'{"alert": 1}'
    signature = sign(SECRET, 1_700_000_000, body)
    assert verify(SECRET, "1700000000", body, signature, now=1_700_000_100)
    assert not verify(SECRET, "1700000000", body + b" ", signature, now=1_700_000_100)
    assert not verify(SECRET, "1700000001", body, signature, now=1_700_000_100)
    assert not verify(SECRET, "1700000000", body, signature, now=1_700_009_999)  # a replay
    assert not verify(SECRET, "soon", body, signature)
