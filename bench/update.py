"""Benchmark: the live path on the whole-Sudan workspace.

1. A full sync of a year of Sudan events from the replay server on 127.0.0.1 (`tocsin sync acled
   ucdp`: UCDP GED 24.1's Sudan events from the shared file, and a year of ACLED-layout events,
   invented, at ACLED's Sudan volume): wall time and peak memory (targets: < 60 s, < 1 GB).
2. `tocsin update --no-sync --force` (every job rebuilt: the baseline) against `tocsin update`
   after one more day of events (sync that day, rebuild only the stale jobs: event links,
   burnings, the day's forecast with the month's model reused, alerts, the brief), same
   workspace, same run: the ratio is the baseline's time over the incremental one's.

    python bench/update.py [--events 10000] [--day 40] [--quick] [--rounds 3]

--rounds N runs the full rebuild and the one-day update N times each, each time from the same
copy of the workspace, and prints medians: on a shared machine one run's load says little. Wall
and CPU time (the child's user + system seconds) are both printed, with both ratios.

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

from harness import DATA, OUT, ROOT, SUDAN_FILES, Measured, measure_child

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
    parser.add_argument("--rounds", type=int, default=1, help="runs of each contender (medians)")
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
        sync = measure_child([*tocsin, "sync", "acled", "ucdp"], env)
        synced, rebuilt_home = OUT / "update-ws-synced", OUT / "update-ws-rebuilt"
        _copy(home, synced)
        fulls = []
        for _ in range(max(1, args.rounds)):  # each round from the same synced workspace
            _copy(synced, home)
            fulls.append(measure_child([*tocsin, "update", "--no-sync", "--force"], env))
        _copy(home, rebuilt_home)
        if args.snapshot:
            _copy(home, args.snapshot)
        publisher.acled_events += invented_acled_events(args.day, start="2025-01-09", days=1,
                                                        timestamp=1_900_000_000, first_id=10_000_000)
        days = []
        for _ in range(max(1, args.rounds)):  # each round from the same rebuilt workspace
            _copy(rebuilt_home, home)
            days.append(measure_child([*tocsin, "update", "acled", "--json"], env))
    full, day = _median(fulls), _median(days)
    said = days[-1].stdout
    rebuilt = said[said.find('"ran"'):].split("}")[0].replace("\n", " ")
    rounds = f" (median of {len(days)})" if len(days) > 1 else ""
    print(f"\n{'what' + rounds:<58} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for label, m in ((f"full sync of {events:,} events (replay on 127.0.0.1)", sync),
                     ("tocsin update --no-sync --force (baseline: every job)", full),
                     (f"tocsin update after one day ({args.day} events)", day)):
        print(f"{label:<58} {m.wall_s:>8.1f} {m.cpu_s:>8.1f} {m.peak_mb:>8.0f}")
    print(f"one-day update vs full rebuild: {full.wall_s / day.wall_s:.1f}x faster (wall), "
          f"{full.cpu_s / day.cpu_s:.1f}x (CPU); one-day jobs: {rebuilt}")
    print(f"every round, wall s: full {[round(m.wall_s, 1) for m in fulls]}, "
          f"one day {[round(m.wall_s, 1) for m in days]}; load average {os.getloadavg()}")


def _copy(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)


def _median(runs: list[Measured]) -> Measured:
    """The run of median wall time (its CPU time and memory with it)."""
    return sorted(runs, key=lambda m: m.wall_s)[len(runs) // 2]

if __name__ == "__main__":
    main()
