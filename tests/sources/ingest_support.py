"""Helpers for the ingest tests (tests/sources): ingest wrappers, lake queries and snapshots, CSV
writing and counting. The fixtures are in conftest.py."""

from __future__ import annotations

import csv
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tocsin.errors import InputError
from tocsin.ingest import IngestOutcome, ingest_paths
from tocsin.lake import Lake
from tocsin.schema.tables import TABLES
from tocsin.sources.base import IngestResult
from tocsin.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TEST_DATA = HERE / "data"

VIIRS_HEADER = ("latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
                "confidence,version,bright_ti5,frp,daynight")


def shared_data_dir() -> Path:
    return Path(os.environ.get("TOCSIN_SHARED_DATA", REPO.parent / "shared" / "data"))


def new_workspace(home: Path) -> Workspace:
    workspace = Workspace(home)
    workspace.init()
    return workspace


def ingest(workspace: Workspace, kind: str, *paths: Path, strict: bool = False) -> IngestOutcome:
    """The public ingest, without the derived-table rebuild (these tests are about the lake)."""
    return ingest_paths(workspace, kind, list(paths), strict=strict, rebuild=False)


def ingest_one(workspace: Workspace, kind: str, path: Path, strict: bool = False) -> IngestResult:
    """Ingest a file that must go in; returns its IngestResult."""
    outcome = ingest(workspace, kind, path, strict=strict)
    assert not outcome.errors, [e.render() for _, e in outcome.errors]
    assert len(outcome.results) == 1
    return outcome.results[0]


def refused(workspace: Workspace, kind: str, path: Path, strict: bool = False) -> InputError:
    """Ingest a file that must be refused; returns its InputError."""
    outcome = ingest(workspace, kind, path, strict=strict)
    assert outcome.results == [], [r.to_json() for r in outcome.results]
    assert [name for name, _ in outcome.errors] == [path.name]
    return outcome.errors[0][1]


def query(workspace: Workspace, sql: str) -> list[tuple[Any, ...]]:
    con = Lake(workspace.lake_dir).connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def count(workspace: Workspace, table: str, where: str = "true") -> int:
    return int(query(workspace, f"SELECT count(*) FROM {table} WHERE {where}")[0][0])


@dataclass(frozen=True)
class Snapshot:
    """What a workspace holds, to check that a refused file wrote nothing."""

    batches: int
    manifest_version: int
    rows: dict[str, int]
    table_files: frozenset[str]
    staging: frozenset[str]
    rejects: frozenset[str]


def snapshot(workspace: Workspace) -> Snapshot:
    lake = Lake(workspace.lake_dir)
    manifest = json.loads(lake.manifest_path.read_text(encoding="utf-8"))
    files = frozenset(str(p.relative_to(lake.root)) for table in TABLES
                      for p in (lake.root / table).glob("*") if p.is_file())
    staging = lake.root / "_staging"
    return Snapshot(
        batches=len(manifest["batches"]),
        manifest_version=int(manifest["version"]),
        rows={table: count(workspace, table) for table in TABLES},
        table_files=files,
        staging=frozenset(p.name for p in staging.rglob("*")) if staging.exists() else frozenset(),
        rejects=frozenset(p.name for p in workspace.rejects_dir.glob("*")),
    )


def assert_nothing_written(workspace: Workspace, before: Snapshot) -> None:
    after = snapshot(workspace)
    assert after == before
    assert after.staging == frozenset()


def csv_records(path: Path) -> list[list[str]]:
    """Every record of a CSV file as Python's csv module reads it (header included)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def csv_data_rows(path: Path) -> int:
    """Data records: not the header, not an HXL tag row (#...), not blank lines."""
    records = [r for r in csv_records(path) if r]
    body = records[1:]
    if body and all(v.strip().startswith("#") for v in body[0] if v.strip()):
        body = body[1:]
    return len(body)


def geojson_features(path: Path) -> int:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            member = next(m for m in archive.namelist() if m.endswith((".geojson", ".json")))
            doc = json.loads(archive.read(member))
    else:
        doc = json.loads(path.read_bytes())
    return len(doc["features"])


def write_csv(path: Path, rows: list[list[str]], *, newline: str = "\n", final_newline: bool = True) -> Path:
    """A CSV file as publishers write it: fields quoted only when they must be."""
    import io

    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    text = buffer.getvalue()
    if not final_newline:
        text = text[: -len(newline)]
    path.write_text(text, encoding="utf-8", newline="")
    return path


def line_of(path: Path, startswith: str) -> int:
    """The 1-based physical line that starts with this text (exactly one must)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found = [i + 1 for i, line in enumerate(lines) if line.startswith(startswith)]
    assert len(found) == 1, (startswith, found)
    return found[0]
