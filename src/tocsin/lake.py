"""The lake: append-only Parquet datasets, one folder per canonical table.

A batch becomes visible only when the manifest says so. Writing a batch is:
write each Parquet file under ``_staging/``, fsync, rename it into its table folder, then
replace ``_manifest.json`` atomically (write, fsync, rename, fsync the folder). Readers list
files from the manifest alone, so a crash at any point leaves either the old or the new state;
files that no manifest names are orphans that the next writer sweeps away.

Derived tables (the gazetteer, event links) are rebuilt whole and swapped in the same way.

Sync bookmarks (how far each connector has read its publisher) live in the same manifest and are
written in the same replace as the batch they describe: a kill can never leave a bookmark ahead of
the data, nor data committed behind an old bookmark.

Rows are never edited in place: a publisher's deletion or replacement is a ``withdrawals`` row,
and the table views hide what it withdraws (see ``connect``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from tocsin.schema.tables import BATCH_COLUMNS, TABLES, empty_select
from tocsin.sqltext import sql_str

MANIFEST = "_manifest.json"
STAGING = "_staging"
DERIVED = "derived"
FORMAT_VERSION = 1


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` so that ``path`` holds either the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """``atomic_write_text`` for bytes."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


def new_batch_id() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


@dataclass
class Batch:
    """What one ingested file added: its files per table and its ledger facts."""

    batch_id: str
    kind: str
    source: str
    file_name: str
    file_sha256: str
    file_bytes: int
    ingested_at: str
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    rejected: int = 0
    duplicates: int = 0
    rejects_file: str | None = None
    license: str = ""
    withdraws: list[str] = field(default_factory=list)  # tables whose rows its withdrawals hide

    def provenance(self) -> dict[str, str]:
        """The batch-level provenance of its rows (see schema.tables.BATCH_COLUMNS)."""
        return {"source": self.source, "batch_id": self.batch_id, "source_file": self.file_name,
                "retrieved_at": self.ingested_at, "license": self.license}

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Batch:
        return cls(**data)


class LakeError(Exception):
    """The lake is unreadable or inconsistent."""


class Lake:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)  # a str from a script or the README works as well as a Path

    # -- manifest -------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            (self.root / name).mkdir(exist_ok=True)
        (self.root / STAGING).mkdir(exist_ok=True)
        (self.root / DERIVED).mkdir(exist_ok=True)
        if not self.manifest_path.exists():
            self._write_manifest({"format": FORMAT_VERSION, "version": 0, "batches": [],
                                  "derived": {}})
        self.sweep_orphans()

    def manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise LakeError(f"no lake manifest at {self.manifest_path}") from exc
        except json.JSONDecodeError as exc:
            raise LakeError(f"lake manifest {self.manifest_path} is not valid JSON: {exc}") from exc

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=1, sort_keys=True))

    def batches(self) -> list[Batch]:
        return [Batch.from_json(b) for b in self.manifest()["batches"]]

    def find_file(self, kind: str, sha256: str) -> Batch | None:
        for batch in self.batches():
            if batch.kind == kind and batch.file_sha256 == sha256:
                return batch
        return None

    # -- files ----------------------------------------------------------------------------
    def table_files(self, table: str, source: str | None = None) -> list[Path]:
        """The table's committed files, optionally only those of one source."""
        return [self.root / table / name for batch in self.batches()
                if source is None or batch.source == source
                for name in batch.files.get(table, [])]

    def staging_path(self, table: str, batch_id: str, part: int = 0) -> Path:
        return self.root / STAGING / f"{table}-{batch_id}-{part}.parquet"

    def commit(self, batch: Batch, staged: dict[str, list[Path]],
               bookmark: tuple[str, dict[str, Any]] | None = None) -> None:
        """Move staged files into place and record the batch: the single point of visibility.
        ``bookmark`` (source, state) moves that source's sync bookmark in the same write."""
        for table, paths in staged.items():
            # A table added by a later version has no folder in a lake made before it.
            (self.root / table).mkdir(exist_ok=True)
            names = []
            for path in paths:
                fsync_path(path)
                final = self.root / table / path.name
                os.replace(path, final)
                names.append(final.name)
            fsync_path(self.root / table)
            batch.files[table] = names
        pause_for_tests("before-manifest")
        manifest = self.manifest()
        manifest["batches"].append(batch.to_json())
        if bookmark is not None:
            _set_bookmark(manifest, bookmark[0], bookmark[1], batch.batch_id)
        manifest["version"] = int(manifest["version"]) + 1
        self._write_manifest(manifest)

    def record_job(self, name: str, inputs: str) -> None:
        """Remember the inputs a job without derived outputs last ran on (see jobs.base)."""
        manifest = self.manifest()
        manifest.setdefault("jobs", {})[name] = {"inputs": inputs,
                                                 "ran_at": datetime.now(UTC).isoformat()}
        self._write_manifest(manifest)

    # -- sync bookmarks -------------------------------------------------------------------
    def bookmarks(self) -> dict[str, dict[str, Any]]:
        """Per sync source: ``state`` (the connector's own), ``batch_id`` of the last batch it
        committed, ``moved_at``, and ``synced_at`` (the end of the last complete pull)."""
        return dict(self.manifest().get("bookmarks", {}))

    def move_bookmark(self, source: str, state: dict[str, Any] | None = None,
                      complete: bool = False) -> None:
        """Move a bookmark with no batch (nothing new, or a pull that ended). Needs the lock."""
        manifest = self.manifest()
        entry = manifest.setdefault("bookmarks", {}).get(source, {})
        if state is not None:
            _set_bookmark(manifest, source, state, entry.get("batch_id"))
        if complete:
            manifest["bookmarks"].setdefault(source, {"state": {}})["synced_at"] = \
                datetime.now(UTC).isoformat()
        manifest["version"] = int(manifest["version"]) + 1
        self._write_manifest(manifest)

    def sweep_orphans(self) -> list[Path]:
        """Delete files no manifest names: leftovers of a writer that died. Needs the lock."""
        manifest = self.manifest()
        named = {(t, n) for b in manifest["batches"] for t, ns in b["files"].items() for n in ns}
        named |= {(DERIVED, n) for d in manifest["derived"].values() for n in derived_names(d)}
        removed = []
        for table in [*TABLES, DERIVED]:
            folder = self.root / table
            if not folder.exists():
                continue
            for path in folder.iterdir():
                if path.suffix == ".parquet" and (table, path.name) not in named:
                    path.unlink()
                    removed.append(path)
        staging = self.root / STAGING
        if staging.exists():
            for path in staging.iterdir():
                path.unlink()
                removed.append(path)
        for tmp in self.root.glob(".*.tmp"):
            tmp.unlink()
            removed.append(tmp)
        return removed

    # -- derived tables -------------------------------------------------------------------
    def derived_path(self, name: str) -> Path | None:
        """The one file of a derived table stored whole (None when it does not exist yet). A
        partitioned table (``replace_derived_parts``) has several: ``derived_files``."""
        entry = self.manifest()["derived"].get(name)
        if entry is None:
            return None
        if "file" not in entry:
            raise LakeError(f"derived table {name!r} is stored in partitions: read derived_files")
        return self.root / DERIVED / entry["file"]

    def derived_files(self, name: str) -> list[Path]:
        """Every file of a derived table (one when stored whole, one per partition, in key
        order, when partitioned); none when the table does not exist yet."""
        return [self.root / DERIVED / n for n in derived_names(self.manifest()["derived"].get(name))]

    def derived_parts(self, name: str) -> dict[str, Path] | None:
        """A partitioned derived table's files by partition key; None when the table does not
        exist or is stored whole (a lake written before it was partitioned)."""
        entry = self.manifest()["derived"].get(name)
        if entry is None or "parts" not in entry:
            return None
        return {key: self.root / DERIVED / n for key, n in sorted(entry["parts"].items())}

    def replace_derived(self, files: dict[str, Path], inputs: dict[str, str]) -> None:
        """Swap in rebuilt derived tables (staged Parquet files) in one manifest write;
        ``inputs`` fingerprints what each was built from."""
        manifest = self.manifest()
        for name, staged in files.items():
            final_name = f"{name}-{uuid.uuid4().hex[:12]}.parquet"
            fsync_path(staged)
            os.replace(staged, self.root / DERIVED / final_name)
            manifest["derived"][name] = {"file": final_name, "inputs": inputs[name],
                                         "built_at": datetime.now(UTC).isoformat()}
        fsync_path(self.root / DERIVED)
        pause_for_tests("before-derived-manifest")
        self._write_manifest(manifest)
        self.sweep_orphans()

    def replace_derived_parts(self, name: str, parts: dict[str, Path], inputs: str,
                              whole: bool = False) -> None:
        """Swap in some partitions of a partitioned derived table (staged Parquet files by
        partition key, e.g. an as-of day) in one manifest write; the other partitions stay as
        they are, so a day's update writes one file, not the whole table. ``whole``: ``parts``
        are every partition (the first write, or a table stored whole before, migrated)."""
        manifest = self.manifest()
        entry = manifest["derived"].get(name) or {}
        if "file" in entry and not whole:
            raise LakeError(f"derived table {name!r} is stored whole: migrate it with whole=True")
        kept = {} if whole else dict(entry.get("parts", {}))
        for key, staged in parts.items():
            if not PART_KEY.fullmatch(key):
                raise LakeError(f"partition key {key!r} of {name!r} is not a plain name")
            final_name = f"{name}-{key}-{uuid.uuid4().hex[:12]}.parquet"
            fsync_path(staged)
            os.replace(staged, self.root / DERIVED / final_name)
            kept[key] = final_name
        manifest["derived"][name] = {"parts": kept, "inputs": inputs,
                                     "built_at": datetime.now(UTC).isoformat()}
        fsync_path(self.root / DERIVED)
        pause_for_tests("before-derived-manifest")
        self._write_manifest(manifest)
        self.sweep_orphans()

    # -- reading --------------------------------------------------------------------------
    def connect(self, tables: Iterable[str] | None = None) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one view per table and per derived table."""
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        manifest = self.manifest()
        batches = [Batch.from_json(b) for b in manifest["batches"]]
        files = [(str(self.root / t / n), b, seq) for seq, b in enumerate(batches)
                 for t, ns in b.files.items() for n in ns]
        _create_batch_files(con, files)
        withdrawn = self._stage_withdrawals(con, batches)
        for table in tables or TABLES:
            paths = [str(self.root / table / n) for b in batches for n in b.files.get(table, [])]
            select = self.select_sql(table, paths)
            if table in withdrawn and paths:
                select = _hide_withdrawn(table, paths)
            con.execute(f"CREATE VIEW {table} AS {select}")
        for name, entry in manifest["derived"].items():
            listing = ", ".join(sql_str(str(self.root / DERIVED / n)) for n in derived_names(entry))
            # union_by_name: a partition written before a column was added reads it as NULL.
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listing}], "
                        "union_by_name = true)")
        return con

    def _stage_withdrawals(self, con: duckdb.DuckDBPyConnection, batches: list[Batch]) -> set[str]:
        """Temp table ``_withdrawn`` (each withdrawal with the order of its batch); returns the
        tables that have any. Costs nothing in a lake where nothing was ever withdrawn."""
        paths = [str(self.root / "withdrawals" / n) for b in batches
                 for n in b.files.get("withdrawals", [])]
        if not paths:
            return set()
        listing = ", ".join(sql_str(p) for p in paths)
        con.execute("CREATE TEMP TABLE _withdrawn AS SELECT w.target_table, w.target_source, "
                    "w.target_id, w.target_batch, f.seq FROM read_parquet([" + listing + "], "
                    "union_by_name = true, filename = true) w JOIN _batch_files f "
                    "ON w.filename = f.file")
        return {r[0] for r in con.execute("SELECT DISTINCT target_table FROM _withdrawn").fetchall()}

    @staticmethod
    def select_sql(table: str, files: list[str]) -> str:
        """All of a table's columns from its files: stored ones, computed ones, and the batch
        provenance joined from _batch_files (made by ``connect``)."""
        if not files:
            return empty_select(table)
        listing = ", ".join(sql_str(f) for f in files)
        return (f"SELECT {TABLES[table].read_columns()} FROM read_parquet([{listing}], "
                "union_by_name = true, filename = true) JOIN _batch_files ON filename = file")


BATCH_FILES_COLUMNS = ("file VARCHAR, source VARCHAR, batch_id VARCHAR, source_file VARCHAR, "
                       "retrieved_at TIMESTAMP WITH TIME ZONE, license VARCHAR, seq BIGINT")


def _create_batch_files(con: duckdb.DuckDBPyConnection, files: list[tuple[str, Batch, int]]) -> None:
    """Temp table ``_batch_files``: each committed file with its batch's provenance. Written as
    SQL literals, not an Arrow table: building one from Python values makes pyarrow import
    pandas (a fifth of a second on every command that reads the lake)."""
    con.execute(f"CREATE TEMP TABLE _batch_files ({BATCH_FILES_COLUMNS})")
    rows = []
    for file, batch, seq in files:
        p = batch.provenance()
        retrieved = datetime.fromisoformat(str(p["retrieved_at"]))
        if retrieved.tzinfo is None:  # as pyarrow took a naive time: UTC
            retrieved = retrieved.replace(tzinfo=UTC)
        values = [file, *(p[k] for k in BATCH_COLUMNS if k != "retrieved_at")]
        literals = [sql_str(str(v)) if v is not None else "NULL" for v in values]
        rows.append(f"({', '.join(literals[:4])}, TIMESTAMPTZ {sql_str(retrieved.isoformat())}, "
                    f"{literals[4]}, {seq})")
    for start in range(0, len(rows), 1000):  # one statement per thousand files
        con.execute("INSERT INTO _batch_files VALUES " + ", ".join(rows[start:start + 1000]))


def _hide_withdrawn(table: str, files: list[str]) -> str:
    """The table's rows less those a later withdrawal (or one naming their batch) hides."""
    listing = ", ".join(sql_str(f) for f in files)
    return (f"SELECT {TABLES[table].read_columns()} FROM (SELECT r.*, _batch_files.* FROM "
            f"read_parquet([{listing}], union_by_name = true, filename = true) r JOIN _batch_files "
            f"ON r.filename = _batch_files.file) AS t WHERE NOT EXISTS (SELECT 1 FROM _withdrawn w "
            f"WHERE w.target_table = {sql_str(table)} AND w.target_source = t.source "
            f"AND w.target_id = {TABLES[table].computed.get('source_id', 't.source_id')} "
            f"AND (w.target_batch = t.batch_id OR (w.target_batch IS NULL AND w.seq > t.seq)))")


PART_KEY = re.compile(r"[0-9A-Za-z_.-]+")


def derived_names(entry: dict[str, Any] | None) -> list[str]:
    """The file names of a derived table's manifest entry: ``file`` (stored whole) or
    ``parts`` (partitioned: one file per key, in key order)."""
    if not entry:
        return []
    if "file" in entry:
        return [entry["file"]]
    return [entry["parts"][key] for key in sorted(entry["parts"])]


def derived_token(entry: dict[str, Any] | None) -> str:
    """A short name for what a derived table holds now, for fingerprints: its file, or a hash
    of its partitions' files (any rewritten partition changes it)."""
    if not entry:
        return "-"
    if "file" in entry:
        return str(entry["file"])
    return "parts:" + hashlib.sha256("\n".join(derived_names(entry)).encode()).hexdigest()[:16]


def _set_bookmark(manifest: dict[str, Any], source: str, state: dict[str, Any],
                  batch_id: str | None) -> None:
    entry = manifest.setdefault("bookmarks", {}).setdefault(source, {})
    entry.update(state=state, batch_id=batch_id, moved_at=datetime.now(UTC).isoformat())


def pause_for_tests(point: str) -> None:
    """Let crash tests kill the process at a named point (TOCSIN_TEST_PAUSE=point:seconds)."""
    wanted = os.environ.get("TOCSIN_TEST_PAUSE", "")
    if wanted.startswith(point + ":"):
        import time

        marker = os.environ.get("TOCSIN_TEST_PAUSE_MARKER")
        if marker:
            Path(marker).write_text(point)
        time.sleep(float(wanted.split(":", 1)[1]))
