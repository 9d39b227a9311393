"""Fixtures for the web app tests: a copy of the sample workspace, records databases on both
backends, users in two organisations, and a TestClient over HTTPS (cookies are Secure)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from web_support import add_users

from tocsin.records.db import upgrade
from tocsin.web.app import create_app
from tocsin.workspace import Workspace


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
