"""Fixtures for the evidence locker: workspaces with two organisations, their people and keys,
on SQLite and on a real PostgreSQL; an RFC 3161 authority running in the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from evidence_support import LockerSetup, make_locker, sqlite_locker
from evidence_tsa import TestAuthority

from tocsin.workspace import DATABASE_URL_ENV


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def setup(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """A locker with two organisations and their keys, on each database backend."""
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    if request.param == "postgresql":
        monkeypatch.setenv(DATABASE_URL_ENV, request.getfixturevalue("fresh_postgres_database"))
    else:
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    made = make_locker(tmp_path)
    yield made
    made.locker.close()


@pytest.fixture
def sqlite_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """The same on SQLite only, for tests that run subprocesses or many operations."""
    yield from sqlite_locker(tmp_path, monkeypatch)


@pytest.fixture
def authority() -> Iterator[TestAuthority]:
    with TestAuthority() as tsa:
        yield tsa
