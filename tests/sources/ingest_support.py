"""Helpers for the ingest tests (tests/sources): ingest wrappers, lake queries and snapshots, CSV
writing and counting. The fixtures are in conftest.py."""

from __future__ import annotations

import csv
import json
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
        rows=dict(query(workspace, " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES))),
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


# UCDP GED in the HDX layout (as ged241_sudan_hdx.csv): 50 columns, an HXL tag row under the header.
_UCDP_HDX_HEADER = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,"
    "conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,"
    "side_b_dset_id,side_b_new_id,side_b,number_of_sources,source_article,source_office,source_date,"
    "source_headline,source_original,where_prec,where_coordinates,where_description,adm_1,adm_2,"
    "latitude,longitude,geom_wkt,priogrid_gid,country,iso3,country_id,region,event_clarity,date_prec,"
    "date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob"
)
UCDP_HDX_HEADER = _UCDP_HDX_HEADER.split(",")
_UCDP_HDX_TAGS = (
    ",,#date+year,,,,,,,,,,,,#group+name+first,,,#group+name+second,,#meta+source,,,#description,,,"
    "#loc+name,,#adm1+name,#adm2+name,#geo+lat,#geo+lon,,,#country+name,#country+code,,#region+name,,,"
    "#date+start,#date+end,,,,,#affected+killed,,,,"
)
UCDP_HDX_TAGS = _UCDP_HDX_TAGS.split(",")


def ucdp_record(event_id: int, **values: str) -> list[str]:
    """A one-sided attack in El Fasher in the HDX layout; keyword arguments replace columns."""
    row = {
        "id": str(event_id), "relid": f"SUD-2024-3-{event_id}", "year": "2024", "active_year": "1",
        "code_status": "Clear", "type_of_violence": "3", "conflict_dset_id": "14476",
        "conflict_new_id": "14476", "conflict_name": "RSF - Civilians", "dyad_dset_id": "14476",
        "dyad_new_id": "14476", "dyad_name": "RSF - Civilians", "side_a_dset_id": "7306",
        "side_a_new_id": "7306", "side_a": "RSF", "side_b_dset_id": "1", "side_b_new_id": "1",
        "side_b": "Civilians", "number_of_sources": "1", "source_article": "Radio Dabanga",
        "source_office": "Radio Dabanga", "source_date": "2024-05-12",
        "source_headline": "Shelling on Abu Shouk camp", "source_original": "residents",
        "where_prec": "1", "where_coordinates": "El Fasher town", "where_description": "Abu Shouk",
        "adm_1": "North Darfur state", "adm_2": "El Fasher district", "latitude": "13.628056",
        "longitude": "25.349444", "geom_wkt": "POINT (25.349444 13.628056)", "priogrid_gid": "151331",
        "country": "Sudan", "iso3": "SDN", "country_id": "625", "region": "Africa", "event_clarity": "1",
        "date_prec": "1", "date_start": "2024-05-11 00:00:00.000", "date_end": "2024-05-11 00:00:00.000",
        "deaths_a": "0", "deaths_b": "0", "deaths_civilians": "4", "deaths_unknown": "0", "best": "4",
        "high": "6", "low": "4", "gwnoa": "625", "gwnob": "",
    }
    unknown = set(values) - set(row)
    assert not unknown, unknown
    row.update(values)
    return [row[c] for c in UCDP_HDX_HEADER]


def ucdp_file(path: Path, records: list[list[str]], *, tags: bool = True, final_newline: bool = True) -> Path:
    rows = [UCDP_HDX_HEADER, *([UCDP_HDX_TAGS] if tags else []), *records]
    return write_csv(path, rows, final_newline=final_newline)
