"""Benchmark: the brief on the bundled sample, each language, against a baseline in the same run.

    .venv/bin/python bench/brief.py [--as-of 2023-11-30] [--rounds 3] [--baseline-src ../main/src]

The sample (data/sample, what `tocsin demo` ingests) goes once into bench/out/brief-ws. Each
round runs `tocsin brief` in a child process, once per language, with this checkout's code and
with the baseline's (by default the main branch's checkout beside this one, the brief before
page-one judgements and the Arabic rework); the median seconds, the median ratio and each
contender's peak memory are printed. The issue's bound: under 10 s per language.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from harness import OUT, ROOT, measure

WORKSPACE = OUT / "brief-ws"


def prepare() -> None:
    if (WORKSPACE / "lake" / "_manifest.json").exists():
        return
    print("ingesting the sample into bench/out/brief-ws (once) ...", flush=True)
    sys.path.insert(0, str(ROOT / "src"))
    from tocsin.cli.demo import SAMPLE_FILES, bundled_sample
    from tocsin.ingest import ingest_paths, rebuild_derived
    from tocsin.workspace import Workspace

    workspace = Workspace(WORKSPACE)
    workspace.init()
    for kind, name in SAMPLE_FILES:
        ingest_paths(workspace, kind, [bundled_sample() / name], rebuild=False)
    rebuild_derived(workspace)


# The child imports first, then times write_brief alone: the brief's own work, without the
# interpreter's start-up and imports (printed apart: the command's wall time includes them).
CHILD = """
import datetime, sys, time
from pathlib import Path
import weasyprint  # noqa: F401
from tocsin.report.brief import write_brief
from tocsin.workspace import Workspace
start, cpu = time.perf_counter(), time.process_time()
write_brief(Workspace(Path(sys.argv[1])), datetime.date.fromisoformat(sys.argv[2]), sys.argv[3],
            Path(sys.argv[4]))
print(time.perf_counter() - start, time.process_time() - cpu)
"""


def run(src: Path, lang: str, as_of: str, out: Path) -> tuple[float, float, float, float]:
    """(command wall seconds, the brief's own wall and CPU seconds, peak MB) of one brief in a
    child. CPU seconds say what the brief costs on a machine others share; wall what a user waits."""
    shutil.rmtree(out, ignore_errors=True)  # no earlier brief to compare with: the same work
    env = {**os.environ, "PYTHONPATH": str(src)}
    seconds, peak, stdout = measure([sys.executable, "-c", CHILD, str(WORKSPACE), as_of, lang,
                                     str(out)], env)
    wall, cpu = (float(x) for x in stdout.strip().splitlines()[-1].split())
    return seconds, wall, cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", default="2023-11-30")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, default=ROOT.parent / "main" / "src")
    args = parser.parse_args()
    prepare()
    subprocess.run([sys.executable, "-c", "import weasyprint"], check=True)  # warm the imports
    for lang in ("en", "ar"):
        new, cpus, walls, old, old_cpus, ratios, cpu_ratios = [], [], [], [], [], [], []
        peaks = {"this": 0.0, "baseline": 0.0}
        for _ in range(args.rounds):
            wall, seconds, cpu, peak = run(ROOT / "src", lang, args.as_of, OUT / "brief-this")
            new.append(seconds)
            cpus.append(cpu)
            walls.append(wall)
            peaks["this"] = max(peaks["this"], peak)
            if args.baseline_src.is_dir():
                _, base, base_cpu, peak = run(args.baseline_src, lang, args.as_of, OUT / "brief-baseline")
                old.append(base)
                old_cpus.append(base_cpu)
                peaks["baseline"] = max(peaks["baseline"], peak)
                ratios.append(seconds / base)
                cpu_ratios.append(cpu / base_cpu)
        line = (f"brief {lang}: {statistics.median(new):.1f} s wall, {statistics.median(cpus):.1f} s "
                f"CPU (process with imports {statistics.median(walls):.1f} s), peak "
                f"{peaks['this']:.0f} MB")
        if ratios:
            line += (f"; baseline {statistics.median(old):.1f} s wall, {statistics.median(old_cpus):.1f} s "
                     f"CPU, peak {peaks['baseline']:.0f} MB; ratio this/baseline "
                     f"{statistics.median(ratios):.2f} wall, {statistics.median(cpu_ratios):.2f} CPU")
        verdict = "within" if statistics.median(new) < 10 else "OVER"
        load = Path("/proc/loadavg").read_text().split()[0]  # the machine is shared: say how busy
        print(f"{line} ({verdict} the 10 s bound); load average {load}", flush=True)


if __name__ == "__main__":
    main()
