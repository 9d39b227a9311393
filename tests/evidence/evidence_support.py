"""Helpers of the evidence tests: a locker with two organisations, their people and keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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


def backend_locker(backend: str, request: pytest.FixtureRequest | None, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """A fresh locker with no master key, on the workspace's own SQLite file ("sqlite") or on a
    fresh PostgreSQL database ("postgresql"): the body of the evidence and accountability tests'
    locker fixtures."""
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    if backend == "postgresql":
        assert request is not None, "a PostgreSQL locker needs the fixture request"
        monkeypatch.setenv(DATABASE_URL_ENV, request.getfixturevalue("fresh_postgres_database"))
    else:
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    made = make_locker(tmp_path)
    yield made
    made.locker.close()


def sqlite_locker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """A fresh locker on the workspace's own SQLite file (no database server needed)."""
    yield from backend_locker("sqlite", None, tmp_path, monkeypatch)
