"""The workspace: one folder that holds the lake, the records database and the rejects.

Layout under ``home``::

    lake/                 Parquet datasets, one folder per canonical table, plus _manifest.json
    rejects/              quarantined rows, one CSV per ingested file that had bad rows
    records.sqlite        the records database (unless TOCSIN_DATABASE_URL names another)
    .lock                 held while something writes
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "tocsin-data"
DATABASE_URL_ENV = "TOCSIN_DATABASE_URL"


class WorkspaceError(Exception):
    """The workspace is missing, locked or unusable."""


@dataclass(frozen=True)
class Workspace:
    home: Path

    @classmethod
    def at(cls, home: str | os.PathLike[str] | None = None) -> Workspace:
        chosen = home or os.environ.get("TOCSIN_HOME") or DEFAULT_HOME
        return cls(Path(chosen).expanduser().resolve())

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def rejects_dir(self) -> Path:
        return self.home / "rejects"

    @property
    def database_url(self) -> str:
        return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{self.home / 'records.sqlite'}"

    def exists(self) -> bool:
        return (self.lake_dir / "_manifest.json").exists()

    def init(self) -> bool:
        """Create the folders and the records schema; returns False when it already existed."""
        from sqlalchemy.exc import SQLAlchemyError

        from tocsin.lake import Lake
        from tocsin.records.db import upgrade

        existed = self.exists()
        self.home.mkdir(parents=True, exist_ok=True)
        # The database first: when it cannot be reached, no lake is made that looks complete.
        try:
            upgrade(self.database_url)
        except SQLAlchemyError as exc:
            first = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
            raise WorkspaceError(f"the records database cannot be set up: {first}") from exc
        self.rejects_dir.mkdir(exist_ok=True)
        with self.write_lock():
            Lake(self.lake_dir).create()
        return not existed

    def require(self) -> None:
        if not self.exists():
            from tocsin.i18n import Said

            raise WorkspaceError(Said("workspace.missing", home=self.home))

    @contextmanager
    def write_lock(self, wait: bool = True) -> Iterator[None]:
        """One writer at a time; readers never need the lock (they read the manifest)."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".lock", "a+") as handle:
            flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
            try:
                fcntl.flock(handle, flags)
            except BlockingIOError as exc:
                from tocsin.i18n import Said

                raise WorkspaceError(Said("workspace.busy", home=self.home)) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
