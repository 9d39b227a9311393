"""Engines, URLs and the migration plumbing of tocsin.records.db."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import tocsin
from tocsin.records.db import (
    MIGRATIONS_DIR,
    RecordsDatabaseError,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    normalise_url,
    upgrade,
)
from tocsin.workspace import DATABASE_URL_ENV, Workspace


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u:p@db.example/tocsin", "postgresql+psycopg"),
        ("postgres://u:p@db.example/tocsin", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db.example/tocsin", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@db.example/tocsin", "postgresql+psycopg2"),
        ("sqlite:////tmp/records.sqlite", "sqlite"),
    ],
)
def test_normalise_url_picks_psycopg3(given: str, driver: str) -> None:
    url = normalise_url(given)
    assert url.drivername == driver
    assert url.database in {"tocsin", "/tmp/records.sqlite"}


def test_normalise_url_keeps_password_and_rejects_garbage() -> None:
    url = normalise_url("postgresql://analyst:s%40cret@db.example:5433/tocsin")
    assert (url.username, url.password, url.port) == ("analyst", "s@cret", 5433)
    with pytest.raises(RecordsDatabaseError, match="not a database URL"):
        normalise_url("not a url")


def test_postgres_engine_uses_psycopg3() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:1/none")  # never connects
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_sqlite_engine_creates_folder_turns_on_foreign_keys_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "records.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()
    assert path.exists()


def test_sqlite_in_memory_engine_works() -> None:
    engine = make_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_current_revision_of_missing_file_is_none_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "records.sqlite"
    assert current_revision(f"sqlite:///{path}") is None
    assert not path.parent.exists()


def test_migrations_ship_inside_the_package() -> None:
    package_dir = Path(tocsin.__file__).resolve().parent
    assert package_dir / "records" / "migrations" == MIGRATIONS_DIR
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "0001_initial.py").is_file()
    config = alembic_config()
    assert config.config_file_name is None  # no alembic.ini involved
    assert Path(config.get_main_option("script_location")).is_absolute()


def test_upgrade_works_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    upgrade(url)
    assert current_revision(url) == head_revision()
    assert list(elsewhere.iterdir()) == []


def test_workspace_default_url_is_a_migratable_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    workspace = Workspace.at(tmp_path / "home")
    upgrade(workspace.database_url)
    assert current_revision(workspace.database_url) == head_revision()
    assert (workspace.home / "records.sqlite").is_file()


@pytest.mark.postgres
def test_workspace_url_from_environment_reaches_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, postgres_url)
    workspace = Workspace.at(tmp_path)
    assert workspace.database_url.startswith("postgresql://")
    engine = make_engine(workspace.database_url)
    try:
        with engine.connect() as connection:
            assert connection.dialect.name == "postgresql"
            assert connection.scalar(sa.text("SELECT current_database()")) == "tocsin_test"
    finally:
        engine.dispose()
