"""Engines, sessions and migrations of the records database.

The URL is an SQLAlchemy URL: ``sqlite:///PATH`` (the default, see ``Workspace.database_url``)
or ``postgresql://user:pass@host/db`` (run with psycopg 3). Migrations are Alembic scripts
shipped inside the package; :func:`upgrade` runs them from code, so neither an
``alembic.ini`` nor a particular working directory is needed.

On SQLite every connection gets ``PRAGMA foreign_keys=ON`` and the file uses WAL, and
SQLAlchemy (not the sqlite3 module) emits BEGIN, so DDL is transactional: a migration
that fails or is killed half-way leaves the database as it was.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where migrations run: opening a session (a brief counting evidence, a CLI
# reading an organisation's digits) does not pay its import (about 0.7 s).

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any constant: serialises concurrent `upgrade` calls on one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x70C5_1E
_SQLITE_BUSY_TIMEOUT_MS = 15_000


class RecordsDatabaseError(Exception):
    """The records database is unusable (bad URL, failed integrity check)."""


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``; plain ``postgresql://`` / ``postgres://`` URLs get the psycopg 3 driver."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except Exception as exc:  # ArgumentError for garbage; keep the message readable
        raise RecordsDatabaseError(f"not a database URL: {url!r} ({exc})") from exc
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _ensure_wal(cursor: Any) -> None:
    """Switch the file to WAL (persistent, so only its first connection really switches).

    Switching needs an exclusive lock and SQLite does not always wait for it (another
    process opening the same new file at the same moment), so retry for a while.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _make_private(path: Path) -> None:
    """The records database holds users, sessions and case work: 0600, with its WAL files."""
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if part.stat().st_mode & 0o077:
                os.chmod(part, 0o600)
        except FileNotFoundError:
            continue


def _engine(url: str | URL, *, foreign_keys: bool, begin: str = "BEGIN") -> Engine:
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)

    path = _sqlite_file(parsed)
    if path is not None:
        path.expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module (which skips it before DDL) ...
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            if path is not None:
                _ensure_wal(cursor)
        finally:
            cursor.close()
        if path is not None:
            _make_private(path)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # ... and emit it ourselves, so every transaction, DDL included, is atomic.
        connection.exec_driver_sql(begin)

    return engine


def make_engine(url: str | URL) -> Engine:
    """An engine for the records database; on SQLite, foreign keys on and WAL journal."""
    return _engine(url, foreign_keys=True)


def session_factory(url: str | URL) -> sessionmaker[Session]:
    """Sessions bound to a fresh engine for ``url`` (objects stay readable after commit)."""
    return sessionmaker(bind=make_engine(url), expire_on_commit=False)


def sessions_at_head(url: str, needs: str, error: type[Exception]) -> sessionmaker[Session]:
    """Sessions on the records database, refused with ``error`` (saying what ``needs`` the newer
    schema) when its schema is older than this Tocsin."""
    revision = current_revision(url)
    if revision != head_revision():
        raise error(f"the records database is at schema {revision or 'none'}, {needs} need "
                    f"{head_revision()}: run `tocsin init` to upgrade it")
    return session_factory(url)


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic config built in code, pointing at the migrations shipped in the package.

    Developers can use it to write a new revision, e.g.
    ``command.revision(alembic_config(url), "add alerts", autogenerate=True)``.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = normalise_url(url).render_as_string(hide_password=False)
        # ConfigParser interpolation: a literal % must be doubled.
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str:
    """The newest migration shipped with this version of Tocsin (read once: the migrations
    are files of the package, and one update asks for it at every read of the records)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RecordsDatabaseError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _migrate(url: str | URL, run: Any) -> None:
    is_sqlite = normalise_url(url).get_backend_name() == "sqlite"
    # Foreign keys off while migrating SQLite: batch mode rebuilds tables by copy, drop and
    # rename, which must not cascade. Integrity is checked before the commit instead.
    # BEGIN IMMEDIATE takes the write lock at once, so two concurrent upgrades queue.
    engine = (
        _engine(url, foreign_keys=False, begin="BEGIN IMMEDIATE")
        if is_sqlite
        else _engine(url, foreign_keys=True)
    )
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            config = alembic_config(url)
            config.attributes["connection"] = connection
            run(config)
            if is_sqlite:
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RecordsDatabaseError(
                        f"migration left rows that break foreign keys: {problems[:5]}"
                    )
    finally:
        engine.dispose()


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``; a no-op when already there."""
    from alembic import command

    _migrate(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str | URL, revision: str = "base") -> None:
    """Migrate the database at ``url`` down to ``revision`` (``base`` drops every table)."""
    from alembic import command

    _migrate(url, lambda config: command.downgrade(config, revision))


def current_revision(url: str | URL) -> str | None:
    """The migration the database is at; None when it has never been migrated.

    A SQLite file that does not exist yet is reported as None and not created.
    """
    from alembic.runtime.migration import MigrationContext

    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None and not path.expanduser().exists():
            return None
    engine = make_engine(parsed)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
