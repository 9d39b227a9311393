"""Fixtures for the evidence locker: workspaces with two organisations, their people and keys,
on SQLite and on a real PostgreSQL; an RFC 3161 authority running in the test."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from tsa import TestAuthority

from tocsin.evidence.locker import EvidenceLocker
from tocsin.records.accounts import add_organisation, add_user
from tocsin.records.db import session_factory
from tocsin.workspace import DATABASE_URL_ENV, Workspace

CAPTURED = dt.datetime(2024, 5, 10, 14, 30, tzinfo=dt.UTC)
# Who is who in every locker fixture.
PEOPLE = [
    ("amira", "Darfur Witness Network", "admin"),
    ("badr", "Darfur Witness Network", "analyst"),
    ("musa", "Darfur Witness Network", "monitor"),
    ("vera", "Darfur Witness Network", "viewer"),
    ("sara", "Sudan Archive", "admin"),
    ("salim", "Sudan Archive", "analyst"),
]


@dataclass
class LockerSetup:
    workspace: Workspace
    locker: EvidenceLocker
    files: Path

    def file(self, name: str, content: bytes) -> Path:
        path = self.files / name
        path.write_bytes(content)
        return path

    def add(self, content: bytes = b"photo of the burnt market", name: str = "market.jpg",
            sensitivity: str = "public", user: str = "amira", **kwargs: object) -> int:
        path = self.file(name, content)
        added = self.locker.add([path], user=user, collector="Musa Adam", captured_at=CAPTURED,
                                sensitivity=sensitivity, **kwargs)  # type: ignore[arg-type]
        return added[0].item_id


def make_locker(home: Path) -> LockerSetup:
    workspace = Workspace(home / "ws")
    workspace.init()
    with session_factory(workspace.database_url)() as session, session.begin():
        for org in sorted({org for _, org, _ in PEOPLE}):
            add_organisation(session, org)
        for username, org, role in PEOPLE:
            add_user(session, username, org, role)
    locker = EvidenceLocker(workspace)
    locker.create_keys("amira")
    locker.create_keys("sara")
    files = home / "files"
    files.mkdir()
    return LockerSetup(workspace, locker, files)


def _fresh_postgres_database(server_url: str) -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"tocsin_ev_{uuid.uuid4().hex[:12]}"
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
def setup(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """A locker with two organisations and their keys, on each database backend."""
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    if request.param == "postgresql":
        url_iter = _fresh_postgres_database(request.getfixturevalue("postgres_url"))
        monkeypatch.setenv(DATABASE_URL_ENV, next(url_iter))
    else:
        url_iter = None
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    made = make_locker(tmp_path)
    yield made
    made.locker.close()
    if url_iter is not None:
        for _ in url_iter:  # drop the database
            pass


@pytest.fixture
def sqlite_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """The same on SQLite only, for tests that run subprocesses or many operations."""
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    made = make_locker(tmp_path)
    yield made
    made.locker.close()


@pytest.fixture
def authority() -> Iterator[TestAuthority]:
    with TestAuthority() as tsa:
        yield tsa
