"""Fixtures for the evidence locker: workspaces with two organisations, their people and keys,
on SQLite and on a real PostgreSQL; an RFC 3161 authority running in the test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from evidence_support import LockerSetup, make_locker
from evidence_tsa import TestAuthority
from sqlalchemy.engine import make_url

from tocsin.workspace import DATABASE_URL_ENV


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
