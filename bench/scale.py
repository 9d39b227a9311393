"""Benchmark: burnings and the forecast features on a generated continent at 10 M, 30 M and
100 M detections and 1 M places, one machine against Spark local[2], in the same run, with
time, peak memory and growth per size.

    .venv/bin/pip install -e '.[bench,spark]'
    .venv/bin/python bench/scale.py [--sizes 10000000,30000000,100000000] [--places 1000000]
                                    [--local-max N] [--spark-master URL] [--json FILE]
                                    [--engines local,spark] [--analyses burnings,features]
                                    [--tile-deg 3]

Each world is generated once (analysis/world.py) into bench/out/world-N-P and kept. Burnings:
the single machine streams the detection files through ``BurningDetector`` a region file at a
time (never the whole table in memory); Spark reads the same Parquet files itself and runs the
tiled detector (engine/burnings_spark.py: the same answer as one machine, bit for bit).
Features: every place at two origins with 30-day labels, from the world's events and the
burnings the single machine found; one ``FeatureBuilder`` over everything against
``engine.features.tiled_features`` on Spark, and the two digests compared. Peak memory is the
whole process tree's (Spark's JVM and Python workers included), sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"

LOCAL = r'''
import json, sys, time
from pathlib import Path
import pyarrow.parquet as pq
from tocsin.analysis.burnings import BurningDetector, BurningParams
world = Path(sys.argv[1])
start = time.perf_counter()
places, events = pq.read_table(world / "places.parquet"), pq.read_table(world / "events.parquet")
detector = BurningDetector(places, events, BurningParams())
rows = 0
for path in sorted(world.glob("detections-*.parquet")):
    for batch in pq.ParquetFile(path).iter_batches(1_000_000):
        detector.add(batch)
        rows += batch.num_rows
result = detector.result()
seconds = time.perf_counter() - start
pq.write_table(result, world / "burnings-local.parquet")   # the features' input, both engines
print(json.dumps({"seconds": seconds, "rows": rows, "burnings": result.num_rows}))
'''

SPARK = r'''
import json, sys, time
from pathlib import Path
import pyarrow.parquet as pq
from tocsin.analysis.burnings import BurningParams
from tocsin.engine.burnings_spark import detect_fires_spark
from tocsin.engine.spark import spark_session
world, tile_deg, master = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
spark = spark_session(master)
start = time.perf_counter()
places, events = pq.read_table(world / "places.parquet"), pq.read_table(world / "events.parquet")
# The exact tiled detector: the context over all detections, candidates per tile with the
# halo, sweeps and fire events once (analysis/burnings_tiled).
result = detect_fires_spark(spark, sorted(world.glob("detections-*.parquet")), places, events,
                            BurningParams(), tile_deg=tile_deg).burnings
seconds = time.perf_counter() - start
pq.write_table(result, world / "burnings-spark.parquet")   # the features' input where one machine did not run
print(json.dumps({"seconds": seconds, "burnings": result.num_rows}))
spark.stop()
'''


FEATURES = r'''
import json, sys, time
from datetime import timedelta
from pathlib import Path
import pyarrow.parquet as pq
from tocsin.analysis.scenarios import ScenarioParams
from tocsin.analysis.world import forecast_inputs
from tocsin.engine.features import tiled_features, whole_features
world, engine, tile_deg, master = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
start = time.perf_counter()
inputs = forecast_inputs(pq.read_table(world / "places.parquet"), pq.read_table(world / "events.parquet"))
found = world / "burnings-local.parquet"
found = found if found.exists() else world / "burnings-spark.parquet"
burnings = pq.read_table(found, columns=["place_id", "latitude", "longitude",
                                                                    "first_detection", "confidence"])
inputs = inputs.__class__(**{**inputs.__dict__, "burnings": burnings})
origins = [ScenarioParams().start + timedelta(days=d) for d in (120, 240)]
if engine == "local":
    features = whole_features(inputs, origins, (30,))
else:
    from tocsin.engine.spark import spark_session
    features = tiled_features(inputs, origins, (30,), spark=spark_session(master), tile_deg=tile_deg)
digest = features.digest()
print(json.dumps({"seconds": time.perf_counter() - start, "places": features.n,
                  "origins": len(origins), "digest": digest}))
'''


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in (Path("/proc") / str(p) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children.get(p, []))
    return total / 1024


def run(code: str, *args: str) -> tuple[dict[str, float], float]:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(0.2)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"contender failed:\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1]), peak


def commit() -> str:
    """The code measured (the features' tiles changed during the scale runs)."""
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000000,30000000,100000000")
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--engines", default="local,spark")
    parser.add_argument("--analyses", default="burnings,features")
    parser.add_argument("--tile-deg", type=float, default=3.0)
    parser.add_argument("--local-max", type=int, default=None,
                        help="skip the single machine's burnings above this many detections "
                             "(its memory grows with them; its features do not)")
    parser.add_argument("--spark-master", default="local[2]",
                        help="a cluster's URL (spark://HOST:7077) instead of local mode")
    parser.add_argument("--json", type=Path, default=OUT / "scale.json", help="where the rows go")
    args = parser.parse_args()
    from tocsin.analysis.world import WorldParams, generate_world

    engines, analyses = args.engines.split(","), args.analyses.split(",")
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        world = OUT / f"world-{size}-{args.places}"
        if not (world / "truth.parquet").exists():
            print(f"generating a world of {size:,} detections and {args.places:,} places ...", flush=True)
            started = time.perf_counter()
            generate_world(WorldParams(detections=size, places=args.places), world)
            print(f"  generated in {time.perf_counter() - started:,.0f} s", flush=True)
        big = args.local_max is not None and size > args.local_max
        for analysis in analyses:
            if analysis == "features" and not any((world / f"burnings-{e}.parquet").exists()
                                                   for e in ("local", "spark")):
                # The features read the burnings found (both engines find the same ones).
                spark_args = (str(args.tile_deg), args.spark_master)
                run(*((SPARK, str(world), *spark_args) if big else (LOCAL, str(world))))
            for engine in engines:
                # The single machine's features read the places, events and burnings found,
                # not the detections: only its burnings are skipped for size.
                if engine == "local" and big and analysis == "burnings":
                    print(f"{size:>12,}  {analysis:<9} local  skipped (over --local-max)", flush=True)
                    continue
                if analysis == "burnings":
                    spark_args = (str(args.tile_deg), args.spark_master)
                    code, extra = (LOCAL, ()) if engine == "local" else (SPARK, spark_args)
                else:
                    code, extra = FEATURES, (engine, str(args.tile_deg), args.spark_master)
                measured = commit()     # the code as the contender starts
                result, peak = run(code, str(world), *extra)
                rows.append({"size": size, "analysis": analysis, "engine": engine, **result,
                             "peak_mb": peak, "load": os.getloadavg()[0], "commit": measured})
                what = (f"{int(result['burnings']):,} burnings" if analysis == "burnings" else
                        f"{int(result['places']):,} places x {int(result['origins'])} origins, "
                        f"digest {result['digest'][:12]}")
                print(f"{size:>12,}  {analysis:<9} {engine:<6} {result['seconds']:8.1f} s  "
                      f"{size / result['seconds'] / 1e6:6.2f} M detections/s  peak {peak:,.0f} MB  "
                      f"load {os.getloadavg()[0]:.1f}  {what}",
                      flush=True)
                args.json.write_text(json.dumps(rows, indent=1))
    report(rows, engines, analyses)


def report(rows: list[dict[str, object]], engines: list[str], analyses: list[str]) -> None:
    print("\ngrowth: seconds per million detections, and against the first size (1.00 = linear)")
    for analysis in analyses:
        for engine in engines:
            mine = [r for r in rows if r["engine"] == engine and r["analysis"] == analysis]
            if not mine:
                continue
            base = mine[0]["seconds"] / mine[0]["size"]  # type: ignore[operator]
            print(f"  {analysis} {engine}: " + ", ".join(
                f"{r['size'] / 1e6:.0f} M: {r['seconds'] / r['size'] * 1e6:.2f} s/M "  # type: ignore[operator]
                f"({r['seconds'] / r['size'] / base:.2f})" for r in mine))  # type: ignore[operator]
    for analysis in analyses:
        for size in sorted({r["size"] for r in rows}):  # type: ignore[type-var]
            pair = {r["engine"]: r for r in rows if r["size"] == size and r["analysis"] == analysis}
            if "local" in pair and "spark" in pair:
                line = (f"  {analysis} {size / 1e6:.0f} M: Spark local[2] takes "  # type: ignore[operator]
                        f"{pair['spark']['seconds'] / pair['local']['seconds']:.2f}x the single machine")  # type: ignore[operator]
                if analysis == "features":
                    same = pair["spark"]["digest"] == pair["local"]["digest"]
                    line += f"; digests {'equal' if same else 'DIFFER'}"
                if analysis == "burnings":
                    line += (f"; {pair['spark']['burnings']:,} burnings on Spark, "
                             f"{pair['local']['burnings']:,} here")
                print(line)


if __name__ == "__main__":
    main()
