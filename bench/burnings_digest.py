"""Digests of the burnings detector's outputs, to check that a speed change changed nothing:
the real VIIRS week (../shared/data, with the OSM places and COD-AB areas), generated harvest
and plain worlds, and the bench lake of bench/burnings.py (with and without the persistent-source
rule). Run before and after a change and compare the lines.

    .venv/bin/python bench/burnings_digest.py [--seeds 1,2,3] [--bench-rows 2000000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from tocsin.analysis.burnings import BurningParams, detect_fires
from tocsin.analysis.scenarios import ScenarioParams, generate, harvest_world

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def digest(table: pa.Table) -> str:
    """The rows as JSON, in their order (the order is part of the answer: the rank)."""
    text = json.dumps(table.to_pylist(), default=str, sort_keys=True)
    return f"{table.num_rows} rows {hashlib.sha256(text.encode()).hexdigest()[:16]}"


def tocsin(home: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "tocsin.cli.main", "--home", str(home), *args], check=True, capture_output=True
    )


def real_week(folder: Path) -> None:
    from tocsin.jobs.steps.burnings import read_burnings, read_fire_events
    from tocsin.workspace import Workspace

    home = folder / "viirs"
    tocsin(home, "init")
    tocsin(
        home,
        "ingest",
        "cod-ab",
        str(DATA / "cod-ab-sdn/sdn_admin1.geojson"),
        str(DATA / "cod-ab-sdn/sdn_admin2.geojson"),
    )
    tocsin(
        home,
        "ingest",
        "osm-places",
        str(DATA / "osm-populated-places-sdn/hotosm_sdn_populated_places_points_geojson.zip"),
    )
    tocsin(home, "ingest", "firms", *map(str, (DATA / "firms-viirs-darfur-kordofan-2025").glob("*.csv")))
    tocsin(home, "detect", "burnings")
    workspace = Workspace.at(home)
    print(f"viirs week burnings: {digest(read_burnings(workspace))}")
    print(f"viirs week fire_events: {digest(read_fire_events(workspace))}")


def bench_lake(rows: int) -> None:
    from tocsin.jobs.steps.burnings import detect_in_workspace, read_fire_events
    from tocsin.workspace import Workspace

    home = ROOT / "bench" / "out" / f"burnings-ws-{rows}"
    if not (home / ".bench-ready").exists():
        print(f"bench lake {rows}: not built (run bench/burnings.py --rows {rows})")
        return
    workspace = Workspace.at(home)
    for label, params in (("", None), (" persistence off", BurningParams(persistent_min_weeks=10**6))):
        table = detect_in_workspace(workspace, params=params)
        print(f"bench lake {rows}{label} burnings: {digest(table)}")
        print(f"bench lake {rows}{label} fire_events: {digest(read_fire_events(workspace))}")
    detect_in_workspace(workspace)  # leave the default tables stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--bench-rows", type=int, default=2_000_000, help="0: skip the bench lake")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        real_week(Path(folder))
    every = replace(BurningParams(), min_score=0.0)
    for seed in (int(s) for s in args.seeds.split(",")):
        for label, world_params in (("harvest", harvest_world(seed)), ("plain", ScenarioParams(seed=seed))):
            world = generate(world_params)
            found = detect_fires(world.detections, world.places, world.events, every)
            print(f"{label} seed {seed} burnings: {digest(found.burnings)}")
            print(f"{label} seed {seed} fire_events: {digest(found.fire_events)}")
    if args.bench_rows:
        bench_lake(args.bench_rows)


if __name__ == "__main__":
    main()
