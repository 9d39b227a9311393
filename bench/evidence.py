"""Benchmark: `EvidenceLocker.add` (hash, copy, fsync, record, sign) against `sha256sum` on the
same files in the same run.

    .venv/bin/python bench/evidence.py [--size-gb 2] [--files 20] [--rounds 3] [--confidential]

Random files are written to a temporary folder (removed at the end). Each round runs
`sha256sum` over all files, then the locker's add of the same files into a fresh workspace,
each in its own process so that its peak memory is its own. The ratio (locker throughput over
sha256sum's) is taken round by round, because the machines are shared and noisy, and the median
is reported. --confidential adds the files encrypted (AES-256-GCM) instead.
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

from harness import measure

CHILD = r"""
import datetime as dt, json, sys, time
from pathlib import Path
from tocsin.evidence.locker import EvidenceLocker
from tocsin.records.accounts import add_organisation, add_user
from tocsin.records.db import session_factory
from tocsin.workspace import Workspace

home, sensitivity, files = Path(sys.argv[1]), sys.argv[2], [Path(p) for p in sys.argv[3:]]
workspace = Workspace(home)
workspace.init()
with session_factory(workspace.database_url)() as session, session.begin():
    add_organisation(session, "Bench")
    add_user(session, "bench", "Bench", "admin")
locker = EvidenceLocker(workspace)
locker.create_keys("bench")
start = time.perf_counter()
added = locker.add(files, user="bench", collector="bench", sensitivity=sensitivity,
                   captured_at=dt.datetime(2024, 5, 10, tzinfo=dt.UTC))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "items": len(added),
                  "bytes": sum(a.size for a in added)}))
"""


def make_files(folder: Path, total_bytes: int, count: int) -> list[Path]:
    size = total_bytes // count
    files = []
    for n in range(count):
        path = folder / f"video-{n:03d}.bin"
        with open(path, "wb") as handle:
            left = size
            while left:
                chunk = min(left, 8 << 20)
                handle.write(os.urandom(chunk))
                left -= chunk
        files.append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--confidential", action="store_true")
    parser.add_argument("--tmp", type=Path, default=None, help="Folder for the files.")
    args = parser.parse_args()
    if shutil.which("sha256sum") is None:
        raise SystemExit("sha256sum is not installed")
    sensitivity = "confidential" if args.confidential else "public"

    base = Path(tempfile.mkdtemp(prefix="tocsin-bench-evidence-", dir=args.tmp))
    try:
        (base / "files").mkdir()
        files = make_files(base / "files", int(args.size_gb * 1e9), args.files)
        total_mb = sum(f.stat().st_size for f in files) / 1e6
        print(f"{len(files)} files, {total_mb:,.0f} MB; sensitivity {sensitivity}")
        ratios, rows = [], []
        for round_no in range(1, args.rounds + 1):
            sha_s, sha_mb, _ = measure(["sha256sum", *map(str, files)])
            home = base / f"ws-{round_no}"
            _, add_mb, stdout = measure([sys.executable, "-c", CHILD, str(home), sensitivity,
                                     *map(str, files)])
            add_s = json.loads(stdout)["seconds"]
            shutil.rmtree(home)
            ratio = sha_s / add_s  # throughput ratio: locker MB/s over sha256sum MB/s
            ratios.append(ratio)
            rows.append((round_no, total_mb / sha_s, sha_mb, total_mb / add_s, add_mb, ratio))
            print(f"round {round_no}: sha256sum {total_mb / sha_s:7.1f} MB/s (peak {sha_mb:5.1f} MB)"
                  f" | locker add {total_mb / add_s:7.1f} MB/s (peak {add_mb:5.1f} MB)"
                  f" | ratio {ratio:.2f}")
        median = statistics.median(ratios)
        print(f"median ratio locker/sha256sum throughput: {median:.2f} (target >= 0.70)")
        print(f"locker peak memory: {max(r[4] for r in rows):.1f} MB")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
