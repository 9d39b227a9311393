"""Benchmark: burnings on a generated continent at 10 M, 30 M and 100 M detections, one machine
against Spark local[2], in the same run, with time, peak memory and growth per size.

    .venv/bin/pip install -e '.[spark]'
    .venv/bin/python bench/scale.py [--sizes 10000000,30000000,100000000] [--places 1000000]
                                    [--engines local,spark] [--tile-deg 3]

Each world is generated once (analysis/world.py) into bench/out/world-N and kept. The single
machine streams the detection files through ``BurningDetector`` a region file at a time; Spark
reads the same Parquet files itself and runs the tiled detector (engine/burnings_spark.py: the
same answer as one machine, bit for bit). Peak memory is the whole process tree's (Spark's JVM
and Python workers included), sampled every 0.2 s.
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
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows, "burnings": result.num_rows}))
'''

SPARK = r'''
import json, sys, time
from pathlib import Path
import pyarrow.parquet as pq
from tocsin.analysis.burnings import BurningParams
from tocsin.engine.burnings_spark import detect_fires_spark
from tocsin.engine.spark import spark_session
world, tile_deg = Path(sys.argv[1]), float(sys.argv[2])
spark = spark_session("local[2]")
start = time.perf_counter()
places, events = pq.read_table(world / "places.parquet"), pq.read_table(world / "events.parquet")
# The exact tiled detector: the context over all detections, candidates per tile with the
# halo, sweeps and fire events once (analysis/burnings_tiled).
result = detect_fires_spark(spark, sorted(world.glob("detections-*.parquet")), places, events,
                            BurningParams(), tile_deg=tile_deg).burnings
print(json.dumps({"seconds": time.perf_counter() - start, "burnings": result.num_rows}))
spark.stop()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000000,30000000,100000000")
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--engines", default="local,spark")
    parser.add_argument("--tile-deg", type=float, default=3.0)
    args = parser.parse_args()
    from tocsin.analysis.world import WorldParams, generate_world

    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        world = OUT / f"world-{size}-{args.places}"
        if not (world / "truth.parquet").exists():
            print(f"generating a world of {size:,} detections and {args.places:,} places ...",
                  flush=True)
            generate_world(WorldParams(detections=size, places=args.places), world)
        for engine in args.engines.split(","):
            code, extra = (LOCAL, ()) if engine == "local" else (SPARK, (str(args.tile_deg),))
            result, peak = run(code, str(world), *extra)
            rows.append({"size": size, "engine": engine, **result, "peak_mb": peak})
            print(f"{size:>12,}  {engine:<6} {result['seconds']:8.1f} s  "
                  f"{size / result['seconds'] / 1e6:6.2f} M/s  peak {peak:,.0f} MB  "
                  f"{int(result['burnings']):,} burnings", flush=True)
    print("\ngrowth (seconds per million detections, by engine):")
    for engine in args.engines.split(","):
        mine = [r for r in rows if r["engine"] == engine]
        print(f"  {engine}: " + ", ".join(f"{r['size'] / 1e6:.0f} M: {r['seconds'] / r['size'] * 1e6:.2f}"
                                         for r in mine))
    sizes = sorted({r["size"] for r in rows})
    for size in sizes:
        pair = {r["engine"]: r for r in rows if r["size"] == size}
        if "local" in pair and "spark" in pair:
            print(f"  {size / 1e6:.0f} M: Spark local[2] takes "
                  f"{pair['spark']['seconds'] / pair['local']['seconds']:.2f}x the single machine")
    (OUT / "scale.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
