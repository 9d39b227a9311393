"""The web pages: actors, dossiers and an incident's qualification, with roles and
per-organisation visibility (another organisation gets 404, monitors read but cannot assess)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from accountability_support import Case
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import form_token, log_in, password_hash

from tocsin.records.accountability_models import LegalAssessment
from tocsin.records.db import session_factory
from tocsin.records.evidence_models import EvidenceItem
from tocsin.records.models import User
from tocsin.web.app import create_app


@pytest.fixture
def web(case: Case) -> Iterator[tuple[TestClient, Case]]:
    url = case.setup.workspace.database_url
    with session_factory(url)() as session, session.begin():
        for user in session.scalars(select(User)).all():
            user.password_hash = password_hash()
    app = create_app(case.setup.workspace)
    with TestClient(app, base_url="https://testserver") as client:
        yield client, case
    app.state.sessions.kw["bind"].dispose()
    locker = getattr(app.state, "evidence_locker", None)
    if locker is not None:
        locker.close()


def test_dossier_page_and_export_for_the_own_organisation_only(web: tuple[TestClient, Case]) -> None:
    client, case = web
    log_in(client, "badr")
    listing = client.get("/actors")
    assert listing.status_code == 200 and "RSF West Darfur sector" in listing.text
    page = client.get(f"/actors/{case.commander}")
    assert page.status_code == 200
    with session_factory(case.setup.workspace.database_url)() as session:
        sha = session.get(EvidenceItem, case.item).sha256
    assert "Killings of civilians in El Geneina" in page.text and sha in page.text
    export = client.get(f"/actors/{case.commander}/ftm.jsonl")
    assert export.status_code == 200 and '"schema": "Membership"' in export.text
    client.post("/logout", data={"csrf_token": form_token(client.get("/account").text)})
    log_in(client, "salim")  # an analyst of the other organisation
    assert client.get(f"/actors/{case.commander}").status_code == 404
    assert client.get(f"/incidents/{case.incident}/qualification").status_code == 404
    assert "RSF West Darfur sector" not in client.get("/actors").text


def test_assess_and_sign_off_through_the_page(web: tuple[TestClient, Case]) -> None:
    client, case = web
    log_in(client, "musa")  # a monitor reads the checklist but may not assess
    page = client.get(f"/incidents/{case.incident}/qualification?crime=7(1)(a)")
    assert page.status_code == 200 and "7(1)(a)-3" in page.text and '/assess"' not in page.text
    token = form_token(client.get("/account").text)
    refused = client.post(f"/incidents/{case.incident}/assess", data={
        "element": "7(1)(a)-3", "assessment": "insufficient", "csrf_token": token})
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": token})

    token = log_in(client, "badr")
    done = client.post(f"/incidents/{case.incident}/assess", data={
        "element": "7(1)(a)-3", "assessment": "insufficient", "note": "no order found yet",
        "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    with session_factory(case.setup.workspace.database_url)() as session:
        row = session.scalars(select(LegalAssessment).where(
            LegalAssessment.element_id == "7(1)(a)-3")).one()
    assert row.status == "draft"
    # Its author cannot sign it off; a second analyst can.
    assert client.post(f"/assessments/{row.id}/sign-off", data={
        "incident_id": case.incident, "csrf_token": token}).status_code == 422
    client.post("/logout", data={"csrf_token": token})
    token = log_in(client, "amira")
    assert client.post(f"/assessments/{row.id}/sign-off", data={
        "incident_id": case.incident, "csrf_token": token},
        follow_redirects=False).status_code == 303
    with session_factory(case.setup.workspace.database_url)() as session:
        assert session.get(LegalAssessment, row.id).status == "signed_off"
