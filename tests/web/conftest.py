"""Fixtures for the web app tests: a copy of the sample workspace, records databases on both
backends, users in two organisations, and a TestClient over HTTPS (cookies are Secure)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated records database with USERS in it, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.sqlite'}"
        upgrade(url)
        add_users(url)
        yield url
    else:
        url = request.getfixturevalue("fresh_postgres_database")
        upgrade(url)
        add_users(url)
        yield url


@pytest.fixture
def client(web_workspace: Workspace, records_url: str) -> Iterator[TestClient]:
    app = create_app(web_workspace, database_url=records_url)
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client
    app.state.sessions.kw["bind"].dispose()
