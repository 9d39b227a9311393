"""Benchmark: the one-day update when fire detections come every day, as a daily FIRMS sync
brings them (bench/update.py leaves FIRMS out).

    python bench/update.py --snapshot bench/out/update-snapshot     # the whole-Sudan workspace
    python bench/update_fires.py bench/out/update-snapshot [--fires 480000] [--day-fires 1300]
                                 [--jitter 0.002] [--rounds 1]

On a copy of the snapshot (bench/update.py's workspace after its full rebuild: UCDP GED 24.1 and
a year of invented ACLED-layout events, 2024-01-10 to 2025-01-08), ``--fires`` VIIRS detections
spread evenly over that year are ingested: the real VIIRS week after El Fasher fell, resampled
(bench/firms_sample.py: drawn with replacement, jittered within a pixel), about what S-NPP sees
over Darfur and Kordofan in a year. Jittered within a pixel, the draws return to the week's own
spots; ``--jitter 0.03`` (about 3 km) scatters them around the week's places instead, which
finds far more burnings in the year, and the brief lists them. Then, same run:

1. `tocsin update --no-sync --force` (every job rebuilt: the baseline);
2. `tocsin update firms` after the next day's ``--day-fires`` detections are put on the replay
   publisher (tocsin.sync.replay, on 127.0.0.1): the one-day FIRMS sync (``until`` the next day,
   so that a past year can be replayed) and the jobs the new day makes stale. No new events.

Both print their jobs as the runner timed them, so that what the fires cost can be seen job by
job. Each contender runs in a child process (bench/harness.py), so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import OUT, VIIRS_WEEK, measure_child, resample_in_child
from update import _copy, print_contest

from tocsin.ingest import ingest_paths
from tocsin.sync.base import env_name
from tocsin.sync.replay import DEMO_CREDENTIALS, ReplayPublisher, serve
from tocsin.workspace import Workspace

HISTORY_LAST_DAY = date(2025, 1, 8)  # bench/update.py's year of events: 2024-01-10 .. 2025-01-08
SUDAN_BOX = (21.8, 8.6, 38.7, 22.3)  # west, south, east, north: the VIIRS week's bounding box


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("snapshot", type=Path, help="bench/update.py --snapshot's workspace")
    parser.add_argument("--fires", type=int, default=480_000, help="detections in the year")
    parser.add_argument("--day-fires", type=int, default=1_300, help="detections of the next day")
    parser.add_argument("--jitter", type=float, default=0.002, help="degrees each draw moves, at most")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each contender (medians)")
    args = parser.parse_args()
    if not (args.snapshot / "lake").is_dir():
        raise SystemExit(f"{args.snapshot}: no workspace there (run bench/update.py --snapshot "
                         f"{args.snapshot} first)")
    OUT.mkdir(parents=True, exist_ok=True)
    home, with_fires, rebuilt = OUT / "fires-ws", OUT / "fires-ws-year", OUT / "fires-ws-rebuilt"
    year_csv, day_csv = OUT / "fires-year.csv", OUT / "fires-day.csv"
    resample_in_child(VIIRS_WEEK, year_csv, args.fires, seed=7,
                      last_day=HISTORY_LAST_DAY.isoformat(), span_days=366, jitter=args.jitter)
    next_day = HISTORY_LAST_DAY + timedelta(days=1)
    resample_in_child(VIIRS_WEEK, day_csv, args.day_fires, seed=8, last_day=next_day.isoformat(),
                      span_days=1, jitter=args.jitter)
    _copy(args.snapshot, with_fires)
    _ingest(Workspace(with_fires), year_csv)
    tocsin = [sys.executable, "-m", "tocsin.cli.main", "--home", str(home)]
    fulls = []
    for _ in range(max(1, args.rounds)):
        _copy(with_fires, home)
        fulls.append(measure_child([*tocsin, "update", "--no-sync", "--force", "--json"]))
    _copy(home, rebuilt)
    publisher = ReplayPublisher()
    with open(day_csv, encoding="utf-8", newline="") as handle:
        publisher.firms = [{**row, "product": "VIIRS_SNPP_NRT"} for row in csv.DictReader(handle)]
    env = {**os.environ, env_name("firms", "map_key"): DEMO_CREDENTIALS["firms"]["map_key"]}
    days = []
    with serve(publisher) as url:
        for _ in range(max(1, args.rounds)):
            _copy(rebuilt, home)
            (home / "sync.yaml").write_text(
                "sources:\n  acled: {enabled: false}\n  ucdp: {enabled: false}\n"
                f"  firms: {{base_url: '{url}', area: {list(SUDAN_BOX)}, products: [VIIRS_SNPP_NRT], "
                f"start: '{next_day}', until: '{next_day}'}}\n"
                "  hapi: {enabled: false}\n  ioda: {enabled: false}\n")
            days.append(measure_child([*tocsin, "update", "firms", "--json"], env))
    synced = _synced_rows(days[-1].stdout)
    if synced == 0:
        raise SystemExit("the FIRMS sync brought no detections: see the update's report")
    print(f"the FIRMS sync added {synced:,} of the day's {args.day_fires:,} detections "
          "(a draw repeated exactly is one detection)")
    print_contest(fulls, days, [
        f"update --no-sync --force, {args.fires:,} detections (baseline)",
        f"update firms: a one-day FIRMS sync of {args.day_fires:,} detections, then the jobs"])


def _synced_rows(update_json: str) -> int:
    """The detections the update's FIRMS sync added (its ``--json`` report)."""
    report = json.loads(update_json)
    return sum(int(s.get("rows_added") or 0) for s in report.get("sync", []) if s.get("source") == "firms")


def _ingest(workspace: Workspace, path: Path) -> None:
    outcome = ingest_paths(workspace, "firms", [path], rebuild=False)
    if outcome.errors:
        raise SystemExit(f"{path}: {outcome.errors[0][1].render()}")


if __name__ == "__main__":
    main()
