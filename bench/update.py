"""Benchmark: the live path on the whole-Sudan workspace.

1. A full sync of a year of Sudan events from the replay server on 127.0.0.1 (`tocsin sync acled
   ucdp`: UCDP GED 24.1's Sudan events from the shared file, and a year of ACLED-layout events,
   invented, at ACLED's Sudan volume, set at the 390 places where UCDP recorded violence since
   2012, as often as it did): wall time and peak memory (targets: < 60 s, < 1 GB).
2. `tocsin update --no-sync --force` (every job rebuilt: the baseline) against `tocsin update`
   after one more day of events (sync that day, rebuild only the stale jobs: event links,
   burnings, the day's forecast with the month's model reused, alerts, the brief), same
   workspace, same run: the ratio is the baseline's time over the incremental one's.

    python bench/update.py [--events 10000] [--days 365] [--day 40] [--quick] [--rounds 3]
                           [--resident]

--days N makes the ACLED history N days long from 2024-01-10 (at the same rate unless --events
says otherwise): `--days 1060` reaches December 2026, to see how each contender grows with the
length of the war.

--rounds N runs the full rebuild and the one-day update N times each, each time from the same
copy of the workspace, and prints medians: on a shared machine one run's load says little. Wall
and CPU time (the child's user + system seconds) are both printed, with both ratios.

--resident also times the one-day update in a process that stays up, as `tocsin update --every`
runs (bench/update_resident.py): the run before it, every job, in the same process, has done the
imports; against the same full rebuild in a process of its own.

--quick uses the Darfur sample's places instead of Sudan's (a minute instead of several).
Each contender runs in a child process (bench/harness.py), so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import DATA, OUT, ROOT, SUDAN_FILES, Measured, measure_child

from tocsin.ingest import ingest_paths
from tocsin.sync.replay import (
    DEMO_CREDENTIALS,
    InventedPlace,
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
    parser.add_argument("--events", type=int, help="ACLED events in the history (default: "
                        "10,000 a year)")
    parser.add_argument("--days", type=int, default=365, help="days of ACLED history")
    parser.add_argument("--day", type=int, default=40, help="events in the one-day update")
    parser.add_argument("--quick", action="store_true", help="the Darfur sample's places")
    parser.add_argument("--snapshot", type=Path, help="copy the workspace here after the full "
                        "rebuild (to profile the one-day update again without redoing the rest)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each contender (medians)")
    parser.add_argument("--resident", action="store_true", help="also the one-day update in a "
                        "process that stays up (`update --every`)")
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
        ucdp = list(csv.DictReader(handle))
    publisher.ucdp_releases = {"24.1": [ucdp_record(r) for r in ucdp]}
    # From 2024-01-10 (a year by default, to 2025-01-08), then one more day: within a month, so
    # the model fitted by the full rebuild is reused (a new monthly origin, once a month, refits
    # it: a --days whose next day opens a month measures that refit too). The
    # invented events fall where UCDP saw violence, as often as it saw it there.
    places = violence_places(ucdp)
    first = date(2024, 1, 10)
    next_day = first + timedelta(days=args.days)
    n_events = args.events if args.events is not None else round(10_000 * args.days / 365)
    publisher.acled_events = invented_acled_events(n_events, start=first.isoformat(),
                                                   days=args.days, places=places)
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
            fulls.append(measure_child([*tocsin, "update", "--no-sync", "--force", "--json"], env))
        _copy(home, rebuilt_home)
        if args.snapshot:
            _copy(home, args.snapshot)
        publisher.acled_events += invented_acled_events(args.day, start=next_day.isoformat(), days=1,
                                                        timestamp=1_900_000_000, first_id=10_000_000,
                                                        seed=1, places=places)
        days = []
        for _ in range(max(1, args.rounds)):  # each round from the same rebuilt workspace
            _copy(rebuilt_home, home)
            days.append(measure_child([*tocsin, "update", "acled", "--json"], env))
        residents = []
        for _ in range(max(1, args.rounds) if args.resident else 0):
            _copy(synced, home)  # its own full rebuild first, then the day, in one process
            run = measure_child([sys.executable, str(Path(__file__).with_name("update_resident.py")),
                                 str(home)], env)
            residents.append((json.loads(run.stdout.strip().splitlines()[-1]), run.peak_mb))
    full = print_contest(fulls, days, [
        f"full sync of {events:,} events (replay on 127.0.0.1)",
        "tocsin update --no-sync --force (baseline: every job)",
        f"tocsin update after one day ({args.day} events)"], sync)
    if residents:
        timings, peak = sorted(residents, key=lambda r: r[0]["day"][0])[len(residents) // 2]
        (before_wall, _), (day_wall, day_cpu) = timings["before"], timings["day"]
        print(f"resident (as `update --every`): one-day update {day_wall:.1f} s wall, {day_cpu:.1f} s "
              f"CPU, after its own full rebuild ({before_wall:.1f} s, imports included), peak "
              f"{peak:.0f} MB; vs full rebuild: {full.wall_s / day_wall:.1f}x (wall), "
              f"{full.cpu_s / day_cpu:.1f}x (CPU); every round, one day "
              f"{[round(r[0]['day'][0], 1) for r in residents]}")


def print_contest(fulls: list[Measured], days: list[Measured], labels: list[str],
                  before: Measured | None = None) -> Measured:
    """The table of the full rebuild against the one-day update (medians of their rounds; a
    ``before`` run, such as the sync, first), the ratio, and where each one's time goes, job by
    job (the runner's own timings): the jobs both run (the day's alerts, forecast and brief)
    bound the ratio. ``labels``: one per row. Returns the full rebuild's median run."""
    full, day = _median(fulls), _median(days)
    rounds = f" (median of {len(days)})" if len(days) > 1 else ""
    print(f"\n{'what' + rounds:<62} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for label, m in zip(labels, [*([before] if before else []), full, day], strict=True):
        print(f"{label:<62} {m.wall_s:>8.1f} {m.cpu_s:>8.1f} {m.peak_mb:>8.0f}")
    print(f"one-day update vs full rebuild: {full.wall_s / day.wall_s:.1f}x faster (wall), "
          f"{full.cpu_s / day.cpu_s:.1f}x (CPU)")
    for label, m in (("full rebuild", full), ("one-day update", day)):
        ran = _jobs_ran(m.stdout)
        print(f"{label} jobs, s: " + ", ".join(f"{job} {s:.1f}" for job, s in ran.items())
              + f"; outside the jobs (start, imports, sync, exit) {m.wall_s - sum(ran.values()):.1f}")
    print(f"every round, wall s: full {[round(m.wall_s, 1) for m in fulls]}, "
          f"one day {[round(m.wall_s, 1) for m in days]}; load average {os.getloadavg()}")
    return full


def violence_places(ucdp: list[dict[str, str]], since: str = "2012") -> list[InventedPlace]:
    """The places of UCDP's Sudan events from ``since`` on (after South Sudan's independence)
    located to the place itself or near it (``where_prec`` 1-2), each weighted by how many
    events it had: ACLED's own Sudan events may not be redistributed, so the invented ones are
    set where real ones were, as often."""
    count: Counter[tuple[str, str, float, float]] = Counter()
    for row in ucdp:
        if row["year"] >= since and row["where_prec"] in ("1", "2"):
            # ACLED's state names: "South Darfur", where UCDP has "Southern Darfur state".
            admin1 = row["adm_1"].removesuffix(" state")
            for old, new in (("Southern ", "South "), ("Northern ", "North "), ("Western ", "West ")):
                admin1 = admin1.replace(old, new)
            count[(admin1, row["where_coordinates"], float(row["latitude"]),
                   float(row["longitude"]))] += 1
    return [(*place, float(n)) for place, n in sorted(count.items())]


def _jobs_ran(stdout: str) -> dict[str, float]:
    """The seconds each job took, from `tocsin update --json` (its one JSON document)."""
    document, _ = json.JSONDecoder().raw_decode(stdout[stdout.index("{"):])
    return document["jobs"]["ran"]


def _copy(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)


def _median(runs: list[Measured]) -> Measured:
    """The run of median wall time (its CPU time and memory with it)."""
    return sorted(runs, key=lambda m: m.wall_s)[len(runs) // 2]

if __name__ == "__main__":
    main()
