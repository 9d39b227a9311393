from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from intake_support import IntakeSetup, make_setup

from tocsin.workspace import DATABASE_URL_ENV, Workspace


@pytest.fixture
def setup(
    tmp_path: Path, sample_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> Iterator[IntakeSetup]:
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    made = make_setup(tmp_path, sample_workspace)
    yield made
    made.store.close()
