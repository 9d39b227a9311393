"""Fixtures for the ingest tests: the real data in ../shared/data and fresh workspaces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_support import new_workspace

from tocsin.workspace import Workspace


@pytest.fixture(scope="session")
def real_file(shared_data: Path) -> Callable[[str], Path]:
    """A real data file by its path under the shared data folder (skips when it is missing)."""

    def find(relative: str) -> Path:
        path = shared_data / relative
        if not path.is_file():
            pytest.skip(f"real data file {relative} not found under {shared_data}")
        return path

    return find


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return new_workspace(tmp_path / "ws")
