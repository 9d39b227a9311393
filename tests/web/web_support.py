"""Helpers of the web tests: users in two organisations, logging in through the form."""

from __future__ import annotations

import functools
import re

from fastapi.testclient import TestClient

from tocsin.records.db import session_factory
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


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token (from the next page)."""
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": form_token(page.text), "next": "/account"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return form_token(client.get("/account").text)
