"""Benchmark: `tocsin detect burnings` on 10 million detections and the 35k OSM places of Sudan,
against what a data scientist would write with geopandas and scikit-learn, and against method 1.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/burnings.py [--rows 10000000] [--baseline-rows 1000000]
                                       [--lean-rows N] [--rounds 2] [--compare-commit 53610db]

The detections are the real VIIRS week in ../shared/data resampled to --rows (bench/firms_sample.py:
drawn with replacement, jittered within a pixel, spread over three years), ingested once into a
workspace with the OSM places; both are kept in bench/out/ between runs. Tocsin runs end to end
(reading the lake, detecting, writing the burnings table) in its own process. Two baselines read
the same lake files in their own processes: the lean one of issue 20 (`sjoin_nearest` of the
detections to the places within 2 km in a metric projection, then DBSCAN, haversine, 1 km, at
least 3, on the matched detections day by day; all --lean-rows, by default all rows), and the
heavier one (nearest place within 8 km kept within its radius, DBSCAN on every detection of each
day; the first --baseline-rows, as large a subset as finishes in a few minutes). Method 1 (the
detector as of --compare-commit) runs the same command on a workspace its own Tocsin ingested.
Rates are compared per row; peak memory is each process's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import VIIRS_WEEK, resample_in_child

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
REAL = VIIRS_WEEK
OSM = DATA / "osm-populated-places-sdn" / "hotosm_sdn_populated_places_points_geojson.zip"
OUT = ROOT / "bench" / "out"

# What both geopandas baselines start with: the lake's detections (the first N) and places
# read into pandas.
BASELINE_READ = r'''
import sys, time
import duckdb, numpy as np, pandas as pd, geopandas as gpd
from sklearn.cluster import DBSCAN
from tocsin.lake import Lake
from tocsin.sqltext import sql_str

home, rows = sys.argv[1], int(sys.argv[2])
start = time.perf_counter()
lake = Lake(__import__("pathlib").Path(home) / "lake")
files = ", ".join(sql_str(str(f)) for f in lake.table_files("fire_detections"))
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
fires = con.execute(f"SELECT latitude, longitude, acq_date, acq_time, frp, daynight FROM "
                    f"read_parquet([{files}]) LIMIT {rows}").df()
places = con.execute(f"SELECT place_id, place_class, latitude, longitude, radius_km FROM "
                     f"read_parquet({sql_str(str(lake.derived_path('gazetteer')))})").df()
'''

# Issue 20's lean baseline, as a data scientist would first write it: each detection to its
# nearest place within 2 km (a metric projection), then DBSCAN (haversine, 1 km, at least 3)
# on the matched detections, day by day.
LEAN_BASELINE = BASELINE_READ + r'''
points = gpd.GeoDataFrame(fires, geometry=gpd.points_from_xy(fires.longitude, fires.latitude),
                          crs="EPSG:4326").to_crs("EPSG:32635")
towns = gpd.GeoDataFrame(places, geometry=gpd.points_from_xy(places.longitude, places.latitude),
                         crs="EPSG:4326").to_crs("EPSG:32635")
joined = gpd.sjoin_nearest(points, towns[["place_id", "geometry"]], how="inner",
                           max_distance=2000, distance_col="metres")
joined = joined[~joined.index.duplicated()]
coords = np.radians(joined[["latitude", "longitude"]].to_numpy())
labels = np.full(len(joined), -1, dtype=np.int64)
next_label = 0
for _, idx in joined.groupby("acq_date").indices.items():
    found = DBSCAN(eps=1.0 / 6371.0, min_samples=3, metric="haversine",
                   algorithm="ball_tree").fit_predict(coords[idx])
    labels[idx] = np.where(found >= 0, found + next_label, -1)
    next_label += int(found.max()) + 1 if len(found) else 0
joined["event"] = labels
summary = joined[joined.event >= 0].groupby(["place_id", "event"]).agg(
    detections=("frp", "size"), frp=("frp", "sum")).reset_index()
print(len(fires), len(summary), time.perf_counter() - start)
'''

# The heavier baseline (the bench's first): the nearest place within 8 km, kept within its
# radius, and DBSCAN (1 km, at least 2) on every detection of each day.
BASELINE = BASELINE_READ + r'''
# Nearest place within 8 km (the largest settlement radius), in a metric projection.
points = gpd.GeoDataFrame(fires, geometry=gpd.points_from_xy(fires.longitude, fires.latitude),
                          crs="EPSG:4326").to_crs("EPSG:32635")
towns = gpd.GeoDataFrame(places, geometry=gpd.points_from_xy(places.longitude, places.latitude),
                         crs="EPSG:4326").to_crs("EPSG:32635")
joined = gpd.sjoin_nearest(points, towns[["place_id", "radius_km", "geometry"]], how="inner",
                           max_distance=8000, distance_col="metres")
joined = joined[joined.metres <= joined.radius_km * 1000]
joined = joined[~joined.index.duplicated()]
# Fire events: DBSCAN in space (1 km, haversine) within each day.
labels = np.full(len(fires), -1, dtype=np.int64)
next_label = 0
coords = np.radians(fires[["latitude", "longitude"]].to_numpy())
for _, idx in fires.groupby("acq_date").indices.items():
    found = DBSCAN(eps=1.0 / 6371.0, min_samples=2, metric="haversine",
                   algorithm="ball_tree").fit_predict(coords[idx])
    labels[idx] = np.where(found >= 0, found + next_label, -1)
    next_label += int(found.max()) + 1 if len(found) else 0
joined["event"] = labels[joined.index.to_numpy()]
summary = joined[joined.event >= 0].groupby(["place_id", "event"]).agg(
    detections=("frp", "size"), frp=("frp", "sum")).reset_index()
print(len(fires), len(summary), time.perf_counter() - start)
'''


# The `tocsin` command as a user installs it: its runtime dependencies do not include pandas,
# but this environment has it (geopandas needs it), and pyarrow imports pandas whenever it is
# there, on the first NumPy conversion: a second of a run that an install without it never pays.
WITHOUT_PANDAS = (
    "import sys\n"
    "class NoPandas:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] == 'pandas':\n"
    "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
    "sys.meta_path.insert(0, NoPandas())\n")
TOCSIN = WITHOUT_PANDAS + "sys.argv[0] = 'tocsin'\nfrom tocsin.cli.main import app\napp()\n"

# The resampled week repeats every real fire spot ~400 times over three years, so the method
# rightly calls nearly all of them persistent heat sources and reports little. This contender
# runs the same command path with persistence switched off, so that every settlement hit is
# formed into periods, scored and given ids: the cost of a lake that reports a lot.
# The same job timed inside its process, after the imports (as the baselines time themselves
# after theirs): what start-up costs each side, and what the work alone compares at.
IN_PROCESS = WITHOUT_PANDAS + r'''
import json, sys, time
from tocsin.jobs.steps.burnings import detect_in_workspace
from tocsin.workspace import Workspace
start = time.perf_counter()
table = detect_in_workspace(Workspace.at(sys.argv[1]))
print(json.dumps({"burnings": table.num_rows, "seconds": time.perf_counter() - start}))
'''

NO_PERSISTENCE = WITHOUT_PANDAS + r'''
import json, sys
from tocsin.analysis.burnings import BurningParams
from tocsin.jobs.steps.burnings import detect_in_workspace
from tocsin.workspace import Workspace
table = detect_in_workspace(Workspace.at(sys.argv[1]), params=BurningParams(persistent_min_weeks=10**6))
print(json.dumps({"burnings": table.num_rows}))
'''


def run_measured(argv: list[str], env: dict[str, str] | None = None,
                 cpu: list[float] | None = None) -> tuple[float, float, str]:
    """Seconds, peak resident memory (MB) and stdout of a process (wait4); its CPU seconds
    (user + system, threads included) appended to ``cpu`` when given: on a shared machine the
    CPU time moves less with the load than the wall time does."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out_path = proc.stdout
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stdout = out_path.read().decode() if out_path else ""
    if os.waitstatus_to_exitcode(status) != 0:
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{argv[:4]} failed:\n{stderr[-3000:]}")
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    return seconds, usage.ru_maxrss / 1024, stdout


def workspace(rows: int, source: Path | None = None, tag: str = "") -> Path:
    """A workspace holding ``rows`` resampled detections and the OSM places, made once; with
    ``source``, made by the Tocsin of that source tree (method 1 cannot read a lake whose
    manifest a later Tocsin wrote), in its own folder."""
    home = OUT / f"burnings-ws-{rows}{'-' + tag if tag else ''}"
    if (home / ".bench-ready").exists():
        return home
    csv_path = OUT / f"firms_viirs_resampled_{rows}.csv"
    if not csv_path.exists():
        resample_in_child(REAL, csv_path, rows)
    tocsin = [sys.executable, "-c", "import sys; sys.argv[0] = 'tocsin'\n"
              "from tocsin.cli.main import app\napp()"]
    env = {**os.environ, "PYTHONPATH": str(source)} if source else None
    print(f"ingesting into {home} ...", flush=True)
    subprocess.run([*tocsin, "--home", str(home), "init"], check=True, capture_output=True, env=env)
    for kind, path in (("osm-places", OSM), ("firms", csv_path)):
        subprocess.run([*tocsin, "--home", str(home), "ingest", kind, str(path)], check=True,
                       capture_output=True, env=env)
    (home / ".bench-ready").write_text("ok\n")
    return home


def compile_sources(*trees: Path) -> None:
    """Byte-compile the Tocsin trees timed here, as an install does (pip writes the .pyc files).
    Where PYTHONDONTWRITEBYTECODE is set, as on this project's machines, an editable checkout
    otherwise recompiles every module it imports on every run: a tenth of a second or more of
    each run, and more of the larger tree's."""
    for tree in trees:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True,
                       capture_output=True)


def method_1_source(commit: str) -> Path:
    """The project's sources at ``commit`` (method 1 of the detector), unpacked once under
    bench/out, to run the same command against in the same run."""
    target = OUT / f"src-{commit}"
    if not (target / "src" / "tocsin").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000_000)
    parser.add_argument("--lean-rows", type=int, default=None,
                        help="rows for the lean geopandas baseline (default: --rows, all of them)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare-commit", default="53610db",
                        help="also time the detector as of this commit (method 1); '' for none")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    old_env = old_home = None
    if args.compare_commit:
        old_source = method_1_source(args.compare_commit)
        old_env = {**os.environ, "PYTHONPATH": str(old_source)}
        old_home = workspace(args.rows, old_source, args.compare_commit)
    old_s: list[float] = []
    cpu: dict[str, list[float]] = {"tocsin": [], "old": []}
    home = workspace(args.rows)
    compile_sources(ROOT / "src", *([old_source] if args.compare_commit else []))
    tocsin_s: list[float] = []
    open_s: list[float] = []
    baseline_s: list[float] = []
    lean_s: list[float] = []
    lean_rows = args.lean_rows or args.rows
    peaks = {"tocsin": 0.0, "baseline": 0.0, "open": 0.0, "old": 0.0, "lean": 0.0}
    ratios: list[float] = []
    lean_ratios: list[float] = []
    inside_s: list[float] = []  # after the imports
    lean_inside_s: list[float] = []
    for round_ in range(1, args.rounds + 1):
        seconds, peak, stdout = run_measured([sys.executable, "-c", TOCSIN, "--home", str(home),
                                              "detect", "burnings", "--json", "--top", "1"],
                                             cpu=cpu["tocsin"])
        stored = json.loads(stdout)["burnings"]
        tocsin_s.append(seconds)
        peaks["tocsin"] = max(peaks["tocsin"], peak)
        if old_env is not None:
            m_seconds, m_peak, m_out = run_measured([sys.executable, "-c", TOCSIN, "--home", str(old_home),
                                                     "detect", "burnings", "--json", "--top", "1"],
                                                    env=old_env, cpu=cpu["old"])
            old_s.append(m_seconds)
            peaks["old"] = max(peaks["old"], m_peak)
            print(f"round {round_}: method 1 ({args.compare_commit}) {m_seconds:.2f} s "
                  f"({json.loads(m_out)['burnings']:,} burning periods)", flush=True)
        _, _, i_out = run_measured([sys.executable, "-c", IN_PROCESS, str(home)])
        inside_s.append(json.loads(i_out)["seconds"])
        o_seconds, o_peak, o_out = run_measured([sys.executable, "-c", NO_PERSISTENCE, str(home)])
        open_s.append(o_seconds)
        peaks["open"] = max(peaks["open"], o_peak)
        print(f"round {round_}: persistence off: {json.loads(o_out)['burnings']:,} burning periods "
              f"in {o_seconds:.2f} s", flush=True)
        b_seconds, b_peak, b_out = run_measured([sys.executable, "-c", BASELINE, str(home),
                                                 str(args.baseline_rows)])
        b_rows = int(b_out.split()[0])
        baseline_s.append(b_seconds)
        peaks["baseline"] = max(peaks["baseline"], b_peak)
        ratios.append((args.rows / seconds) / (b_rows / b_seconds))
        l_seconds, l_peak, l_out = run_measured([sys.executable, "-c", LEAN_BASELINE, str(home),
                                                 str(lean_rows)])
        l_rows = int(l_out.split()[0])
        lean_inside_s.append(float(l_out.split()[2]))
        lean_s.append(l_seconds)
        peaks["lean"] = max(peaks["lean"], l_peak)
        lean_ratios.append((args.rows / seconds) / (l_rows / l_seconds))
        print(f"round {round_}: tocsin {args.rows:,} rows in {seconds:.2f} s ({stored:,} burning "
              f"periods); baseline {b_rows:,} rows in {b_seconds:.2f} s; lean baseline "
              f"{l_rows:,} rows in {l_seconds:.2f} s ({int(l_out.split()[1]):,} clusters)",
              flush=True)

    t_rate = args.rows / statistics.median(tocsin_s)
    b_rate = args.baseline_rows / statistics.median(baseline_s)
    print(f"\n{'contender':<48} {'rows':>11} {'median s':>9} {'rows/s':>11} {'peak MB':>8}")
    print(f"{'tocsin detect burnings (end to end)':<48} {args.rows:>11,} "
          f"{statistics.median(tocsin_s):>9.2f} {t_rate:>11,.0f} {peaks['tocsin']:>8,.0f}")
    o_median = statistics.median(open_s)
    print(f"{'  same, persistence off (every hit scored)':<48} {args.rows:>11,} {o_median:>9.2f} "
          f"{args.rows / o_median:>11,.0f} {peaks['open']:>8,.0f}")
    if old_s:
        m_median = statistics.median(old_s)
        print(f"{'  method 1 (' + args.compare_commit + '), same command':<48} {args.rows:>11,} "
              f"{m_median:>9.2f} {args.rows / m_median:>11,.0f} {peaks['old']:>8,.0f}")
    print(f"{'geopandas sjoin_nearest + sklearn DBSCAN/day':<48} {args.baseline_rows:>11,} "
          f"{statistics.median(baseline_s):>9.2f} {b_rate:>11,.0f} {peaks['baseline']:>8,.0f}")
    l_median = statistics.median(lean_s)
    print(f"{'lean: sjoin_nearest 2 km + DBSCAN on matched/day':<48} {lean_rows:>11,} "
          f"{l_median:>9.2f} {lean_rows / l_median:>11,.0f} {peaks['lean']:>8,.0f}")
    if old_s:
        print(f"\nmethod 2 / method 1 time per detection: "
              f"{statistics.median(tocsin_s) / statistics.median(old_s):.2f} wall, "
              f"{statistics.median(cpu['tocsin']) / statistics.median(cpu['old']):.2f} CPU "
              f"(medians {statistics.median(cpu['tocsin']):.2f} s and "
              f"{statistics.median(cpu['old']):.2f} s of CPU; target <= 1)")
    print(f"\ntocsin / lean baseline rate: {statistics.median(lean_ratios):.1f}x (median of per-round "
          "ratios; issue 20's target >= 10x)")
    t_in, l_in = statistics.median(inside_s), statistics.median(lean_inside_s)
    print(f"after the imports (each timed inside its process): tocsin {t_in:.2f} s, lean baseline "
          f"{l_in:.2f} s: {(args.rows / t_in) / (lean_rows / l_in):.1f}x")
    print(f"tocsin / heavier baseline rate: {statistics.median(ratios):.1f}x (median of per-round "
          "ratios; target >= 20x)")
    print(f"tocsin rate: {t_rate / 1e6:.2f} M detections/s (target >= 1 M/s); peak memory "
          f"{peaks['tocsin']:,.0f} MB (target < 3072 MB)")


if __name__ == "__main__":
    main()
