"""The real FIRMS files (../shared/data) ingested in fixed scenarios, and a digest of what the lake
and the quarantine then hold: the check that a faster ingest writes the same lake as before.

Run as a script, it prints each scenario's digest with whichever Tocsin is on the path, which is
how the expected digests in test_ingest_firms_identical.py were taken from the ingest before
decision 0047 (commit cba38f7):

    git archive cba38f7 src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src .venv/bin/python tests/sources/firms_scenarios.py ../shared/data
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tocsin.ingest import ingest_paths
from tocsin.lake import Lake
from tocsin.workspace import Workspace

VIIRS = "firms-viirs-darfur-kordofan-2025/firms_viirs_snpp_nrt_sudan_bbox_2025-10-31_2025-11-08.csv"
MODIS = "firms-modis-nrt-sudan-2023-2025/modis_c61_nrt_sudan_box_days_2023_2025.csv"

# Batch columns that differ from run to run by design (a new batch id and time each ingest).
PER_RUN = {"batch_id", "retrieved_at"}


def damaged(real: Path, out: Path) -> Path:
    """The real file with bad rows a user meets, at fixed records: values out of range or not
    parsable, short and long records, a record repeated word for word."""
    with open(real, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    header, body = records[0], records[1:]
    at = {name: i for i, name in enumerate(header)}
    conf = "x" if "bright_ti4" in at else "101"

    def spoil(row: int, column: str, value: str) -> None:
        body[row][at[column]] = value

    spoil(10, "latitude", "abc")
    spoil(20, "acq_date", "2025-13-01")
    spoil(30, "acq_time", "2400")
    spoil(40, "confidence", conf)
    spoil(50, "frp", "-1.5")
    spoil(60, "daynight", "X")
    spoil(70, "longitude", "")
    spoil(80, "satellite", "")
    body[90] = body[90][:5]  # a short record
    body[100] = [*body[100], "surplus"]  # a long one
    body.insert(121, list(body[120]))  # the same detection twice
    with open(out, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *body])
    return out


def first_rows(real: Path, out: Path, rows: int) -> Path:
    """The real file's header and first rows: a download that overlaps an earlier one."""
    with open(real, encoding="utf-8", newline="") as handle:
        lines = handle.readlines()
    out.write_text("".join(lines[: rows + 1]), encoding="utf-8")
    return out


def digest(workspace: Workspace, results: list[dict[str, object]]) -> str:
    """SHA-256 of the lake's fire_detections (every column but the per-run ones, with their
    types, rows sorted), each ingest's counts, and every quarantined row."""
    con = Lake(workspace.lake_dir).connect(["fire_detections"])
    try:
        described = con.execute("DESCRIBE SELECT * FROM fire_detections").fetchall()
        columns = [name for name, *_ in described if name not in PER_RUN]
        types = [(name, kind) for name, kind, *_ in described if name not in PER_RUN]
        listing = ", ".join(columns)
        rows = con.execute(f"SELECT {listing} FROM fire_detections ORDER BY ALL").fetchall()
    finally:
        con.close()
    rejects = []
    for path in sorted(workspace.rejects_dir.glob("*.rejects.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            rejects.append(list(csv.reader(handle)))
    rejects.sort()
    sha = hashlib.sha256()
    for part in (types, rows, results, rejects):
        sha.update(repr(part).encode())
    return sha.hexdigest()


def _counts(result: object) -> dict[str, object]:
    data = result.to_json()  # type: ignore[attr-defined]
    return {k: data[k] for k in ("file", "rows_added", "duplicates", "rejected", "problems")}


def run(data: Path, folder: Path, files: Callable[[Path, Path], list[Path]]) -> str:
    """Ingest ``files(data, folder)`` one after another in a new workspace; the lake's digest."""
    workspace = Workspace(folder / "ws")
    workspace.init()
    results = []
    for path in files(data, folder):
        outcome = ingest_paths(workspace, "firms", [path], rebuild=False)
        assert not outcome.errors, [e.render() for _, e in outcome.errors]
        results += [_counts(r) for r in outcome.results]
    return digest(workspace, results)


SCENARIOS: dict[str, Callable[[Path, Path], list[Path]]] = {
    # Each real file as published.
    "viirs": lambda data, folder: [data / VIIRS],
    "modis": lambda data, folder: [data / MODIS],
    # Bad rows quarantined, a repeated row dropped.
    "viirs damaged": lambda data, folder: [damaged(data / VIIRS, folder / "viirs_damaged.csv")],
    "modis damaged": lambda data, folder: [damaged(data / MODIS, folder / "modis_damaged.csv")],
    # Both sensors in one lake, then an overlapping download: its rows are held already.
    "both, then an overlap": lambda data, folder: [
        data / VIIRS,
        data / MODIS,
        damaged(data / MODIS, folder / "modis_damaged.csv"),
        first_rows(data / VIIRS, folder / "viirs_first.csv", 5_000),
    ],
}


def main() -> None:
    data = Path(sys.argv[1])
    digests = {}
    for name, files in SCENARIOS.items():
        with tempfile.TemporaryDirectory() as folder:
            digests[name] = run(data, Path(folder), files)
    print(json.dumps(digests, indent=1))


if __name__ == "__main__":
    main()
