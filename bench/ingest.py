"""Benchmark: `tocsin ingest firms` on a 5-million-row FIRMS CSV against DuckDB's bare CSV read.

    .venv/bin/python bench/ingest.py [--rows 5000000] [--rounds 3]

The CSV is made by resampling the real VIIRS file in ../shared/data (bench/firms_sample.py) and
kept in bench/out/ between runs. Each contender runs in its own process, alternating, so that
its peak memory is its own; the ratio is taken round by round (the machines are shared and
noisy) and the median reported.

Tocsin is timed twice a round, each time as the whole `tocsin ingest` process (Python start-up,
hashing, checks, quarantine, Parquet, commit, and the derived-table refresh that ends every
ingest): into a new workspace, where that refresh builds the gazetteer (of the curated reference
places) for the first time, and into a workspace that already holds a file (the real MODIS
file), where the refresh finds nothing stale, as in every ingest after a workspace's first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from harness import DATA, OUT, VIIRS_WEEK, measure, resample_in_child

REAL = VIIRS_WEEK
EARLIER = DATA / "firms-modis-nrt-sudan-2023-2025" / "modis_c61_nrt_sudan_box_days_2023_2025.csv"
NEW, HELD = "tocsin ingest firms (new workspace)", "tocsin ingest firms (workspace with a file)"

BASELINES = {
    # What a data scientist writes: read the CSV into an Arrow table.
    "duckdb.read_csv().to_arrow_table()":
        "import duckdb, sys; duckdb.execute('SET enable_progress_bar = false'); "
        "t = duckdb.read_csv(sys.argv[1]).to_arrow_table(); print(t.num_rows)",
    # DuckDB reading into its own table, no conversion out.
    "duckdb CREATE TABLE AS read_csv":
        "import duckdb, sys; c = duckdb.connect(); c.execute('SET enable_progress_bar = false'); "
        "c.execute(f\"CREATE TABLE t AS SELECT * FROM read_csv('{sys.argv[1]}')\"); "
        "print(c.execute('SELECT count(*) FROM t').fetchone()[0])",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = OUT / f"firms_viirs_resampled_{args.rows}.csv"
    if not csv_path.exists():
        resample_in_child(REAL, csv_path, args.rows)
    size_mb = csv_path.stat().st_size / 1e6
    print(f"file: {csv_path.name} ({size_mb:,.0f} MB, {args.rows:,} rows)")

    tocsin = str(Path(sys.executable).with_name("tocsin"))
    times: dict[str, list[float]] = {NEW: [], HELD: [], **{k: [] for k in BASELINES}}
    peaks: dict[str, float] = dict.fromkeys(times, 0.0)
    ratios: dict[tuple[str, str], list[float]] = {(t, b): [] for t in (NEW, HELD) for b in BASELINES}
    for round_ in range(1, args.rounds + 1):
        line = [f"round {round_}"]
        for contender, earlier in ((NEW, None), (HELD, EARLIER)):
            home = Path(tempfile.mkdtemp(prefix="tocsin-bench-"))
            try:
                measure([tocsin, "--home", str(home), "init"])  # once per workspace, not ingest
                if earlier is not None:  # not timed: the workspace's first file
                    measure([tocsin, "--home", str(home), "ingest", "firms", str(earlier)])
                seconds, peak, stdout = measure([tocsin, "--home", str(home), "ingest", "firms",
                                                 str(csv_path), "--json"])
                added = json.loads(stdout)["results"][0]["rows_added"]
                assert added == args.rows, f"tocsin added {added} rows, expected {args.rows}"
            finally:
                shutil.rmtree(home, ignore_errors=True)
            times[contender].append(seconds)
            peaks[contender] = max(peaks[contender], peak)
            line.append(f"{contender} {seconds:.2f} s")
        for name, code in BASELINES.items():
            b_seconds, b_peak, b_out = measure([sys.executable, "-c", code, str(csv_path)])
            assert int(b_out.strip()) == args.rows
            times[name].append(b_seconds)
            peaks[name] = max(peaks[name], b_peak)
            for contender in (NEW, HELD):
                ratios[(contender, name)].append(times[contender][-1] / b_seconds)
            line.append(f"{name} {b_seconds:.2f} s")
        print(line[0] + ": " + "; ".join(line[1:]), f"(load {os.getloadavg()[0]:.1f})", flush=True)

    print(f"\n{'contender':<44} {'median s':>9} {'rows/s':>12} {'peak MB':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<44} {median:>9.2f} {args.rows / median:>12,.0f} {peaks[name]:>9,.0f}")
    print()
    for (contender, name), values in ratios.items():
        print(f"{contender} / {name}: {statistics.median(values):.2f}x (median of per-round "
              "ratios; target <= 2x)")
    print(f"tocsin peak memory: {max(peaks[NEW], peaks[HELD]):,.0f} MB (target < 2048 MB); "
          f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
