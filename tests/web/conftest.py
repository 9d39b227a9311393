"""Fixtures for the web app tests: a copy of the sample workspace, records databases on both
backends, users in two organisations, and a TestClient over HTTPS (cookies are Secure)."""

from __future__ import annotations

import functools
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from tocsin.records.db import session_factory, upgrade
from tocsin.records.models import Organisation, User
from tocsin.web.app import create_app
from tocsin.web.auth import hash_password
from tocsin.workspace import Workspace

PASSWORD = "correct horse battery staple"
# username -> (organisation, role, language)
USERS = {
    "alice": ("Darfur Network", "analyst", "en"),
    "amal": ("Darfur Network", "monitor", "ar"),
    "victor": ("Darfur Network", "viewer", "en"),
    "adam": ("Darfur Network", "admin", "en"),
    "bashir": ("Sudan Witness", "monitor", "en"),
}


@pytest.fixture(scope="session")
def web_workspace(sample_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A copy of the sample workspace (the original is shared and read-only); the web app only
    reads its lake, so one copy serves every test."""
    home = tmp_path_factory.mktemp("web") / "ws"
    shutil.copytree(sample_workspace.home, home, ignore=shutil.ignore_patterns(".lock"))
    return Workspace(home)


def _fresh_postgres_database(server_url: str) -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"tocsin_web_{uuid.uuid4().hex[:12]}"
    admin = make_url(server_url).set(drivername="postgresql")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated records database with USERS in it, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.sqlite'}"
        upgrade(url)
        add_users(url)
        yield url
    else:
        for url in _fresh_postgres_database(request.getfixturevalue("postgres_url")):
            upgrade(url)
            add_users(url)
            yield url


@pytest.fixture
def client(web_workspace: Workspace, records_url: str) -> Iterator[TestClient]:
    app = create_app(web_workspace, database_url=records_url)
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client
    app.state.sessions.kw["bind"].dispose()


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
