"""The field-report inbox on the web: a survivor's report is invisible to a monitor of the same
organisation and to every user of another, in pages, API and map; the responder sees it."""

from __future__ import annotations

import datetime as dt
import json

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from web_support import add_field_reports, error_detail, form_token, log_in

from tocsin.records.intake_models import FieldReport, Responder
from tocsin.records.models import User

SECRET = "وصف سري لا يظهر"


def test_sensitive_report_hidden_from_monitor_and_other_org(client: TestClient) -> None:
    ids = add_field_reports(client)
    for username in ("amal", "victor", "bashir", "sara"):  # monitor and viewer; the other org
        client.cookies.clear()
        log_in(client, username)
        inbox = client.get("/reports")
        assert inbox.status_code == 200 and f'href="/reports/{ids["sv"]}"' not in inbox.text
        assert client.get(f"/reports/{ids['sv']}").status_code == 404
        api = client.get("/api/v1/reports").json()
        assert ids["sv"] not in [r["id"] for r in api["reports"]]
        assert api["counts"] == {"reports": 2, "sensitive": 1}
        assert client.get(f"/api/v1/reports/{ids['sv']}").status_code == 404
        assert client.get("/reports/alerts").status_code == 404
        place = client.get("/places/p-cc4987562f9d")
        assert f'href="/reports/{ids["sv"]}"' not in place.text
        for zoom in (5, 9):
            assert "sexual_violence" not in client.get(f"/api/v1/map/places?zoom={zoom}").text
    # The monitor of the same organisation sees the ordinary report, in Arabic.
    client.cookies.clear()
    log_in(client, "amal")
    page = client.get(f"/reports/{ids['plain']}")
    assert page.status_code == 200 and "الطرق مغلقة" in page.text and 'dir="rtl"' in page.text
    assert "<script" not in page.text


def test_responder_sees_and_verifies_without_javascript(client: TestClient) -> None:
    ids = add_field_reports(client)
    csrf = log_in(client, "alice")
    assert f'href="/reports/{ids["sv"]}"' in client.get("/reports").text
    page = client.get(f"/reports/{ids['sv']}")
    assert page.status_code == 200
    response = client.post(
        f"/reports/{ids['sv']}/verify",
        data={"status": "verified", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "verified" in client.get(f"/api/v1/reports/{ids['sv']}").json()["verification"]
    # A form without the CSRF token is refused.
    assert client.post(f"/reports/{ids['plain']}/verify", data={"status": "verified"}).status_code == 403
    assert form_token(page.text)


def test_inbox_shows_problems_and_responders_get_restricted_alerts_in_arabic(client: TestClient) -> None:
    from tocsin.records.intake_models import ResponderAlert

    ids = add_field_reports(client)
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as db, db.begin():
        plain = db.get(FieldReport, ids["plain"])
        plain.problems = ["unknown place name 'قرية لا وجود لها': no place in the gazetteer"]
        plain.triage = "needs_review"
        sv = db.get(FieldReport, ids["sv"])
        db.add(ResponderAlert(report_id=sv.id, organisation_id=sv.organisation_id, kinds=["rape"],
                              referral_consent="yes"))
        amal = db.scalar(select(User).where(User.username == "amal"))
        db.add(Responder(user_id=amal.id, added_by="adam"))  # an Arabic-speaking responder
    log_in(client, "victor")
    inbox = client.get("/reports?triage=needs_review")
    assert "قرية لا وجود لها" in inbox.text and f'href="/reports/{ids["plain"]}"' in inbox.text
    assert client.get("/reports/alerts").status_code == 404
    client.cookies.clear()
    csrf = log_in(client, "amal")
    alerts = client.get("/reports/alerts")
    assert alerts.status_code == 200 and "اغتصاب" in alerts.text and "نعم، يمكن الإحالة" in alerts.text
    [alert_id] = [a.id for a in sessions().scalars(select(ResponderAlert)).all()]
    response = client.post(f"/reports/alerts/{alert_id}/ack", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303
    assert "amal" in client.get("/reports/alerts").text


def test_a_report_cluster_alert_shows_only_counts_to_a_monitor_and_another_organisation(
        client: TestClient) -> None:
    """Two ordinary reports and a survivor's of the water cut in El Fasher within hours: the
    alerts page and API show the cluster, three reports, to everyone; nothing of the survivor's
    report (its description, the collector's pseudonym, the point, its id) to anyone."""
    from tocsin.alerts.clusters import find_clusters, record_clusters

    ids = add_field_reports(client)
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as db, db.begin():
        for n, instance in enumerate(("plain", "sv")):
            report = db.get(FieldReport, ids[instance])
            report.submitted_at = dt.datetime(2024, 5, 10, 6 + n, tzinfo=dt.UTC)
            report.created_at = report.submitted_at
            report.collector = f"راصد-{instance}"
            if instance == "sv":
                report.content = {"harmed": {}, "child_harmed": False}
                report.sealed = SECRET
        third = FieldReport(organisation_id=report.organisation_id, source="kobo", form_id="f",
                            instance_id="uuid:third", collector="قمر", consent=True,
                            submitted_at=dt.datetime(2024, 5, 10, 9, tzinfo=dt.UTC),
                            created_at=dt.datetime(2024, 5, 10, 9, tzinfo=dt.UTC),
                            occurred_on=dt.date(2024, 5, 10), categories=["siege_related"],
                            signs=["water_cut"], place_id="p-cc4987562f9d", place_name="El Fasher",
                            lat=13.64, lon=25.36, location_from="point", content={"harmed": {}})
        db.add(third)
    (alert,) = record_clusters(sessions, find_clusters(sessions, dt.date(2024, 5, 10),
                                                       dt.date(2024, 5, 10)))
    for username in ("amal", "bashir", "sara", "alice"):  # monitor; the other org; responder
        client.cookies.clear()
        log_in(client, username)
        page = client.get("/alerts")
        assert page.status_code == 200
        listed = [a for a in client.get("/api/v1/alerts").json() if a["kind"] == "report_cluster"]
        assert [(a["id"], a["reports"], a["reporters"], a["sign"]) for a in listed] == [
            (alert.id, 3, 3, "water_cut")]
        for text in (page.text, json.dumps(listed, ensure_ascii=False)):
            for secret in (SECRET, "راصد-sv", "13.63", "25.35", "sexual", f"/reports/{ids['sv']}"):
                assert secret not in text, (username, secret)
        words = ("\u20663\u2069 بلاغات عن انقطاع المياه من \u20663\u2069 مبلّغين مستقلين"
                 if username == "amal" else "3 reports of water cut from 3 independent reporters")
        assert words in page.text, username
    # Acknowledged by one organisation, still open for the other.
    csrf = form_token(client.get("/alerts").text)
    assert client.post(f"/alerts/{alert.id}/ack", data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    assert [a["status"] for a in client.get("/api/v1/alerts").json()] == ["acknowledged"]
    client.cookies.clear()
    log_in(client, "bashir")
    assert [a["status"] for a in client.get("/api/v1/alerts").json()] == ["open"]


def test_why_a_field_report_cannot_be_changed_is_told_in_arabic(client: TestClient) -> None:
    """A monitor may read an ordinary report but not change it, nor open who reported it: the
    page says so in her language; the API says it in English."""
    import re

    ids = add_field_reports(client)
    csrf = log_in(client, "amal")  # a monitor whose language is Arabic

    def detail(response: Response) -> str:
        return error_detail(response.text)

    triage = client.post(f"/reports/{ids['plain']}/triage",
                         data={"triage": "needs_review", "csrf_token": csrf})
    assert triage.status_code == 403 and "لا يغيّره إلا المشرفون والمحللون" in detail(triage)
    identity = client.post(f"/reports/{ids['plain']}/identity",
                           data={"kind": "reporter", "csrf_token": csrf})
    assert identity.status_code == 403 and "لا يسمح دورك بفتح هوية المُبلِّغ" in detail(identity)
    missing = client.post("/reports/999999/verify", data={"status": "verified", "csrf_token": csrf})
    assert missing.status_code == 404 and "لا بلاغ ميداني رقمه" in detail(missing)
    for response in (triage, identity, missing):
        assert not re.search("[A-Za-z]{3,}", detail(response).replace("monitor", "")), detail(response)
    api = client.post(f"/api/v1/reports/{ids['plain']}/verification", headers={"x-csrf-token": csrf},
                      data={"status": "verified"})
    assert api.status_code == 403
    assert api.json() == {"detail": f"report {ids['plain']}: only admins and analysts may change it "
                                    "(you are monitor)"}

    client.cookies.clear()
    csrf = log_in(client, "alice")  # an analyst and responder, in English
    bad = client.post(f"/reports/{ids['plain']}/triage", data={"triage": "maybe", "csrf_token": csrf})
    assert "triage must be one of new, needs_review, triaged, rejected, not &#39;maybe&#39;" in detail(bad)
