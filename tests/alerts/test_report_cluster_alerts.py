"""Clusters of independent field reports as alerts (SQLite and PostgreSQL): raised by the alerts
scan, once per cluster unless it escalates, acknowledged and delivered like a siege alert, and
made of counts only (a survivor's report adds one to a count, nothing else)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tocsin.alerts.clusters import describe, find_clusters, record_clusters
from tocsin.alerts.store import acknowledge, alert_json, list_alerts, open_records
from tocsin.alerts.webhooks import add_webhook, deliver_pending
from tocsin.jobs.steps.alerts import scan
from tocsin.records.intake_models import FieldReport
from tocsin.records.models import Organisation

SECRET_WORDS = ("اغتصاب في البيت الأزرق", "نجمة-السرية", "25.3512", "13.6291", "ليلاً")
DAY = dt.date(2024, 5, 10)


@pytest.fixture
def sessions(records_url: str) -> Any:
    made = open_records(records_url)
    with made() as db, db.begin():
        db.add_all([Organisation(name="Darfur Witness Network"), Organisation(name="Sudan Archive")])
    return made


def add_report(sessions: Any, n: int, *, hours: float, collector: str | None = None,
               org: int = 1, signs: tuple[str, ...] = ("water_cut",),
               categories: tuple[str, ...] = ("siege_related",), sensitive: bool = False,
               place: tuple[str, str] = ("p-fasher", "El Fasher"), created: dt.datetime | None = None,
               verification: str = "unverified") -> int:
    """A report submitted (and stored, unless ``created``) ``hours`` after 06:00 on DAY. A
    sensitive one carries what must never leave its responders (pseudonym, point) as a real
    one would."""
    when = dt.datetime.combine(DAY, dt.time(6), dt.UTC) + dt.timedelta(hours=hours)
    content = ({"harmed": {"injured_women": 1}, "child_harmed": False} if sensitive else
               {"description": f"انقطعت المياه {n}", "harmed": {}})
    with sessions() as db, db.begin():
        report = FieldReport(
            organisation_id=org, source="kobo", form_id="f", instance_id=f"uuid:{n}",
            collector=collector or f"راصد-{n}", submitted_at=when, occurred_on=when.date(),
            categories=list(categories), signs=list(signs), place_id=place[0], place_name=place[1],
            lat=13.6291, lon=25.3512, location_from="point", content=content,
            sensitive=sensitive, consent=True, sealed="sealed:" + SECRET_WORDS[0] if sensitive else None,
            verification=verification, created_at=created or when)
        db.add(report)
        db.flush()
        return report.id


def scan_reports(sessions: Any, end: dt.date = DAY + dt.timedelta(days=5), days: int = 30) -> list[Any]:
    return scan(None, None, sessions, end, days)[1]


def test_three_independent_reports_alert_once_and_again_only_when_escalating(sessions: Any) -> None:
    for n, hours in enumerate((0, 10, 30)):
        add_report(sessions, n, hours=hours, org=1 + n % 2)
    (alert,) = scan_reports(sessions)
    assert (alert.kind, alert.place_id, alert.sign, alert.reports, alert.reporters) == (
        "report_cluster", "p-fasher", "water_cut", 3, 3)
    assert (alert.first_day, alert.day, alert.stage) == (DAY, DAY + dt.timedelta(days=1), None)
    assert alert.reasons.startswith("3 reports of water cut in El Fasher in 48 hours")
    assert describe(alert) == "3 reports of water cut from 3 reporters, 2024-05-10 to 2024-05-11"
    assert scan_reports(sessions) == []  # the same cluster is not alerted twice
    # Two more reporters: a bigger cluster, not yet twice as many reporters: no new alert.
    add_report(sessions, 3, hours=32)
    add_report(sessions, 4, hours=34)
    assert scan_reports(sessions) == []
    add_report(sessions, 5, hours=36)  # six reporters within 48 hours: escalated
    (escalated,) = scan_reports(sessions)
    assert (escalated.reports, escalated.reporters) == (6, 6)
    assert f"escalated from 3 reporter(s) (alert #{alert.id})" in escalated.reasons
    # Weeks later, a new chain at the same place: a new alert with its own count.
    for n in range(6, 9):
        add_report(sessions, n, hours=24 * 20 + n)
    (later,) = scan_reports(sessions, end=DAY + dt.timedelta(days=25))
    assert (later.first_day, later.reporters) == (DAY + dt.timedelta(days=20), 3)
    assert len(list_alerts(sessions)) == 3


def test_one_monitor_sending_three_reports_is_one_source(sessions: Any) -> None:
    for n in range(3):
        add_report(sessions, n, hours=n, collector="نجمة-1")
    add_report(sessions, 3, hours=4, collector="نجمة-1", org=2)  # the same pseudonym elsewhere
    assert scan_reports(sessions) == []
    add_report(sessions, 4, hours=5, collector="قمر-2")
    (alert,) = scan_reports(sessions)
    assert (alert.reports, alert.reporters) == (5, 3)


def test_reports_further_apart_than_the_window_do_not_cluster(sessions: Any) -> None:
    for n, hours in enumerate((0, 49, 98)):
        add_report(sessions, n, hours=hours)
    assert scan_reports(sessions) == []


def test_attacks_cluster_but_sexual_violence_never_does(sessions: Any) -> None:
    for n in range(3):
        add_report(sessions, n, hours=n, signs=(), categories=("sexual_violence",), sensitive=True)
    assert scan_reports(sessions) == []  # restricted alerts to responders only, never here
    for n in range(3, 6):
        add_report(sessions, n, hours=n, signs=(), categories=("remote_violence",),
                   place=("p-tawila", "Tawila"))
    (alert,) = scan_reports(sessions)
    assert (alert.sign, alert.place_name, alert.reports) == ("remote_violence", "Tawila", 3)
    assert describe(alert).startswith("3 reports of shelling, air or drone strike")


def test_the_scan_knows_only_what_was_stored_by_its_day(sessions: Any) -> None:
    for n in range(2):
        add_report(sessions, n, hours=n)
    add_report(sessions, 2, hours=2, created=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
    assert find_clusters(sessions, DAY, DAY + dt.timedelta(days=5)) == []  # as of 15 May
    assert len(find_clusters(sessions, DAY, dt.date(2024, 6, 1))) == 1
    # And a cluster whose last report is before the scanned days is not the scan's.
    assert find_clusters(sessions, dt.date(2024, 5, 20), dt.date(2024, 6, 1)) == []


def test_an_alert_with_a_survivors_report_in_it_says_only_counts(sessions: Any) -> None:
    add_report(sessions, 0, hours=0)
    add_report(sessions, 1, hours=3, verification="verified")
    survivor = add_report(sessions, 2, hours=5, collector=SECRET_WORDS[1], sensitive=True,
                          categories=("sexual_violence", "siege_related"))
    (alert,) = scan_reports(sessions)
    assert (alert.reports, alert.reporters) == (3, 3)
    shown = json.dumps(alert_json(alert), ensure_ascii=False)
    for word in (*SECRET_WORDS, "sexual", "sealed", "survivor", "uuid:", "انقطعت", "راصد"):
        assert word not in shown, word
    assert f'"{survivor}"' not in shown and "report_ids" not in shown
    assert alert.evidence == [{"date": "2024-05-10", "signal": "field_reports:water_cut",
                               "kind": "field_reports", "detail": "3 report(s)", "ref": "field reports"}]
    assert alert.reasons.endswith("3 independent reporter(s), 1 verified")


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.bodies.append((dict(self.headers),
                                        self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()
    made.server.server_close()


def test_a_cluster_is_delivered_as_its_own_event_and_acknowledged(sessions: Any, receiver: Receiver) -> None:
    add_webhook(sessions, receiver.url, "a-long-shared-secret-for-tests")
    add_report(sessions, 0, hours=0)
    add_report(sessions, 1, hours=1)
    add_report(sessions, 2, hours=2, sensitive=True, collector=SECRET_WORDS[1])
    (alert,) = record_clusters(sessions, find_clusters(sessions, DAY, DAY))
    (result,) = deliver_pending(sessions, backoff_s=0.0, sleep=lambda s: None)  # type: ignore[arg-type]
    assert result.delivered
    headers, body = receiver.bodies[0]
    assert headers["X-Tocsin-Event"] == "reports.cluster"
    payload = json.loads(body)
    assert payload["type"] == "tocsin.reports.cluster"
    assert {k: payload["alert"][k] for k in ("kind", "sign", "reports", "reporters", "place_name")} == {
        "kind": "report_cluster", "sign": "water_cut", "reports": 3, "reporters": 3,
        "place_name": "El Fasher"}
    for word in SECRET_WORDS:
        assert word not in body.decode("utf-8")
    done = acknowledge(sessions, alert.id, "amira", note="called the committee")
    assert done.status == "acknowledged" and list_alerts(sessions) == []
