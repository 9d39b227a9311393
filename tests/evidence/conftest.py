"""Fixtures for the evidence locker: workspaces with two organisations, their people and keys,
on SQLite and on a real PostgreSQL; an RFC 3161 authority running in the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from evidence_support import LockerSetup, backend_locker, sqlite_locker
from evidence_tsa import TestAuthority


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def setup(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """A locker with two organisations and their keys, on each database backend."""
    yield from backend_locker(request.param, request, tmp_path, monkeypatch)


@pytest.fixture
def sqlite_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """The same on SQLite only, for tests that run subprocesses or many operations."""
    yield from sqlite_locker(tmp_path, monkeypatch)


@pytest.fixture
def authority() -> Iterator[TestAuthority]:
    with TestAuthority() as tsa:
        yield tsa
