"""Benchmark: the live path on the whole-Sudan workspace.

1. A full sync of a year of Sudan events from the replay server on 127.0.0.1 (`tocsin sync acled
   ucdp`: UCDP GED 24.1's Sudan events from the shared file, and a year of ACLED-layout events,
   invented, at ACLED's Sudan volume): wall time and peak memory (targets: < 60 s, < 1 GB).
2. `tocsin update --no-sync --force` (every job rebuilt: the baseline) against `tocsin update`
   after one more day of events (sync that day, rebuild only the stale jobs: event links,
   burnings, the day's forecast with the month's model reused, alerts, the brief), same
   workspace, same run: the ratio is the baseline's time over the incremental one's.

    python bench/update.py [--events 10000] [--day 40] [--quick]

--quick uses the Darfur sample's places instead of Sudan's (a minute instead of several).
Each contender runs in a child process (bench/harness.py), so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import DATA, OUT, ROOT, SUDAN_FILES, measure

from tocsin.ingest import ingest_paths
from tocsin.sync.replay import (
    DEMO_CREDENTIALS,
    ReplayPublisher,
    invented_acled_events,
    serve,
    ucdp_record,
)
from tocsin.workspace import Workspace

UCDP = DATA / "ucdp-ged-sudan" / "ged241_sudan_api.csv"
SAMPLE = ROOT / "data" / "sample"
QUICK_FILES = [("cod-ab", SAMPLE / "cod_ab_darfur_admin2.geojson"),
               ("geonames", SAMPLE / "rg_cities1000_SD.csv"),
               ("dtm-sites", SAMPLE / "iom_dtm_darfur_idp_sites_2019.xlsx")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="ACLED events in the year")
    parser.add_argument("--day", type=int, default=40, help="events in the one-day update")
    parser.add_argument("--quick", action="store_true", help="the Darfur sample's places")
    parser.add_argument("--snapshot", type=Path, help="copy the workspace here after the full "
                        "rebuild (to profile the one-day update again without redoing the rest)")
    args = parser.parse_args()
    home = OUT / "update-ws"
    shutil.rmtree(home, ignore_errors=True)
    workspace = Workspace(home)
    files = QUICK_FILES if args.quick else [(k, DATA / f) for k, f in SUDAN_FILES if k != "ucdp-ged"]
    print(f"ingesting {len(files)} files (places, areas, displacement, prices) into {home}")
    for kind, path in files:
        outcome = ingest_paths(workspace, kind, [path], rebuild=False)
        if outcome.errors:
            raise SystemExit(f"{path}: {outcome.errors[0][1].render()}")

    publisher = ReplayPublisher()
    with open(UCDP, encoding="utf-8", newline="") as handle:
        publisher.ucdp_releases = {"24.1": [ucdp_record(r) for r in csv.DictReader(handle)]}
    # A year from 2024-01-10 (to 2025-01-08), then one more day: within a month, so the model
    # fitted by the full rebuild is reused (a new monthly origin, once a month, refits it).
    publisher.acled_events = invented_acled_events(args.events, start="2024-01-10")
    env = {**os.environ, "TOCSIN_ACLED_USERNAME": DEMO_CREDENTIALS["acled"]["username"],
           "TOCSIN_ACLED_PASSWORD": DEMO_CREDENTIALS["acled"]["password"],
           "TOCSIN_UCDP_TOKEN": DEMO_CREDENTIALS["ucdp"]["token"]}
    tocsin = [sys.executable, "-m", "tocsin.cli.main", "--home", str(home)]
    with serve(publisher) as url:
        (home / "sync.yaml").write_text(
            "sources:\n"
            f"  acled: {{base_url: '{url}', start: '2024-01-01'}}\n"
            f"  ucdp: {{base_url: '{url}/api', ged_version: '24.1', candidate_version: '25.0.1'}}\n"
            "  firms: {enabled: false}\n  hapi: {enabled: false}\n  ioda: {enabled: false}\n")
        events = len(publisher.held_acled_ids()) + len(publisher.ucdp_releases["24.1"])
        sync_s, sync_mb, _ = measure([*tocsin, "sync", "acled", "ucdp"], env)
        full_s, full_mb, _ = measure([*tocsin, "update", "--no-sync", "--force"], env)
        if args.snapshot:
            shutil.rmtree(args.snapshot, ignore_errors=True)
            shutil.copytree(home, args.snapshot, symlinks=True)
        publisher.acled_events += invented_acled_events(args.day, start="2025-01-09", days=1,
                                                        timestamp=1_900_000_000, first_id=10_000_000)
        day_s, day_mb, said = measure([*tocsin, "update", "acled", "--json"], env)
    rebuilt = said[said.find('"ran"'):].split("}")[0].replace("\n", " ")
    print(f"\n{'what':<58} {'seconds':>8} {'peak MB':>8}")
    print(f"{f'full sync of {events:,} events (replay on 127.0.0.1)':<58} {sync_s:>8.1f} {sync_mb:>8.0f}")
    print(f"{'tocsin update --no-sync --force (baseline: every job)':<58} {full_s:>8.1f} {full_mb:>8.0f}")
    print(f"{f'tocsin update after one day ({args.day} events)':<58} {day_s:>8.1f} {day_mb:>8.0f}")
    print(f"one-day update vs full rebuild: {full_s / day_s:.1f}x faster; one-day jobs: {rebuilt}")


if __name__ == "__main__":
    main()
