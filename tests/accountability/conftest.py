"""Fixtures of the accountability tests: a locker with two organisations (the evidence tests'
people), and a case built on it: RSF, its West Darfur sector, the sector's commander, the
sector's area of operations in El Geneina, an incident there with evidence, qualified."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

for helpers in ("evidence", "web"):  # the evidence and web tests' helpers
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / helpers))

from accountability_support import Case, build_case  # noqa: E402
from evidence_support import LockerSetup, backend_locker, sqlite_locker  # noqa: E402


@pytest.fixture
def locker_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    yield from sqlite_locker(tmp_path, monkeypatch)


@pytest.fixture
def case(locker_setup: LockerSetup) -> Case:
    return build_case(locker_setup)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_case(request: pytest.FixtureRequest, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Case]:
    """The same case on each database backend."""
    for made in backend_locker(request.param, request, tmp_path, monkeypatch):
        yield build_case(made)
