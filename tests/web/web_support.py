"""Helpers of the web tests: users in two organisations, logging in through the form."""

from __future__ import annotations

import datetime as dt
import functools
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tocsin.records.db import session_factory
from tocsin.records.intake_models import FieldReport, Responder
from tocsin.records.models import Organisation, User
from tocsin.web.auth import hash_password

PASSWORD = "correct horse battery staple"
# username -> (organisation, role, language)
USERS = {
    "alice": ("Darfur Network", "analyst", "en"),
    "amal": ("Darfur Network", "monitor", "ar"),
    "victor": ("Darfur Network", "viewer", "en"),
    "adam": ("Darfur Network", "admin", "en"),
    "bashir": ("Sudan Witness", "monitor", "en"),
    "sara": ("Sudan Witness", "admin", "en"),
}


@functools.cache
def password_hash() -> str:
    """One argon2 hash for every test user: hashing is deliberately slow."""
    return hash_password(PASSWORD)


def add_users(url: str, users: dict[str, tuple[str, str, str]] = USERS) -> None:
    sessions = session_factory(url)
    with sessions() as db:
        orgs: dict[str, Organisation] = {}
        for username, (org_name, role, language) in users.items():
            org = orgs.setdefault(org_name, Organisation(name=org_name))
            db.add(User(username=username, display_name=username.title(), role=role, organisation=org,
                        language=language, password_hash=password_hash()))
        db.commit()
    sessions.kw["bind"].dispose()


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def error_detail(html: str) -> str:
    """What an error page says is wrong (its detail paragraph), read without the Unicode
    isolates that keep a Latin name's order inside Arabic."""
    found = re.search(r'<p class="detail">(.*?)</p>', html, re.S)
    assert found, "the error page names no detail"
    return re.sub("[\u2066-\u2069]", "", found.group(1))


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token (from the next page)."""
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": form_token(page.text), "next": "/account"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return form_token(client.get("/account").text)


def add_field_reports(client: TestClient) -> dict[str, int]:
    """Two field reports of Darfur Network at El Fasher, an ordinary one ("plain") and a
    survivor's ("sv"); alice is made a designated responder. Returns their ids."""
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as db, db.begin():
        org = db.scalar(select(Organisation).where(Organisation.name == "Darfur Network"))
        alice = db.scalar(select(User).where(User.username == "alice"))
        db.add(Responder(user_id=alice.id, added_by="adam"))
        ids = {}
        for instance, sensitive in (("plain", False), ("sv", True)):
            report = FieldReport(
                organisation_id=org.id,
                source="kobo",
                form_id="f",
                instance_id=f"uuid:{instance}",
                collector="نجمة",
                occurred_on=dt.date(2024, 5, 10),
                categories=["sexual_violence"] if sensitive else ["siege_related"],
                signs=["water_cut"],
                place_id="p-cc4987562f9d",
                place_name="El Fasher",
                lat=13.63,
                lon=25.35,
                location_from="point",
                content={"harmed": {}} if sensitive else {"description": "الطرق مغلقة", "harmed": {}},
                sensitive=sensitive,
                consent=True,
            )
            db.add(report)
            db.flush()
            ids[instance] = report.id
    return ids
