"""The standing attack suite: each attack of issue 14, scripted as its attacker would run it
(write access to the workspace, no private key, no TOCSIN_MASTER_KEY), must be caught and named
by `evidence verify` / `verify-bundle` (with a witness or a pinned key where only they can
catch it), or refused by the server. The evidence fixtures and helpers are shared."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

for _helpers in ("evidence", "web"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / _helpers))

from evidence_support import LockerSetup, make_locker  # noqa: E402

from tocsin.workspace import DATABASE_URL_ENV  # noqa: E402

MASTER = "correct horse battery staple"


@pytest.fixture
def plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """A locker whose keys are kept in clear (no master key)."""
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    made = make_locker(tmp_path)
    yield made
    made.locker.close()


@pytest.fixture
def sealed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LockerSetup]:
    """A locker whose keys are sealed under TOCSIN_MASTER_KEY (set for the whole test)."""
    monkeypatch.setenv("TOCSIN_MASTER_KEY", MASTER)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    made = make_locker(tmp_path)
    yield made
    made.locker.close()
