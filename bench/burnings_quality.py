"""Detection quality on generated worlds with known truth (analysis/scenarios.py): the harvest
season's hard worlds (harvest_world: field fires round villages, flares beside them, cloud gaps,
small night arsons, towns burned over days, road sweeps) and the plain worlds, on test seeds,
with the weights fitted in this same run on other seeds (analysis/burnings_fit.py). Compared,
in the same run and on the same worlds: method 1 (the detector as of commit 53610db, loaded from
git), and the z-score of counts over the seasonal background alone (the published approach,
given its best cut per world).

    .venv/bin/python bench/burnings_quality.py [--seeds 1,2,3] [--fit-seeds 4,5,6,7,8,9] [--days 120]
    .venv/bin/python bench/burnings_quality.py --params src/tocsin/analysis/burnings_params.json

Figures: average precision; precision and recall at the default output (score >= 0.5, what
`tocsin detect burnings` lists); and the ranked leads' recall within the top 3x as many
periods as truly burned. These are worlds Tocsin's own generator made: they say the method
separates what the generator separates, not how it does on Darfur.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pyarrow as pa

from tocsin.analysis.burnings import BurningParams, _poisson_z, detect_burnings, load_params_file
from tocsin.analysis.burnings_fit import fit_generated
from tocsin.analysis.evaluation.burnings import evaluate_burnings, recall_within
from tocsin.analysis.scenarios import ScenarioParams, generate, harvest_world

ROOT = Path(__file__).resolve().parents[1]
METHOD_1 = "53610db"  # the last commit of method 1


def method_1() -> ModuleType:
    """Method 1's detector, from git, as a module of its own."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{METHOD_1}:src/tocsin/analysis/burnings.py"],
                            check=True, capture_output=True, text=True).stdout
    path = ROOT / "bench" / "out" / "burnings_method1.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("burnings_method1", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def scores(name: str, table: pa.Table, truth: pa.Table) -> dict[str, float | None]:
    flagged = evaluate_burnings(table, truth, 0.5, complete=True)
    burned = int(np.sum(truth.column("burned")))
    return {"precision": flagged.precision, "recall": flagged.recall,
            "ap": flagged.average_precision, "top3x": recall_within(table, truth, 3 * burned)}


def mean_of(results: list[dict[str, float | None]], attr: str) -> str:
    values = [r[attr] for r in results if r[attr] is not None]
    return f"{statistics.mean(values):.2f}" if values else "n/a"


def z_only(every: pa.Table, truth: pa.Table) -> pa.Table:
    """The z-score rule at its best cut for F1 in this very world (flattering it)."""
    z = _poisson_z(every.column("detections").to_numpy(), every.column("background_expected").to_numpy())
    table = every.set_column(every.schema.get_field_index("score"), "score", pa.array(np.clip(z / 20, 0, 1)))
    best = max(np.linspace(0.05, 0.95, 19), key=lambda t: evaluate_burnings(
        table, truth, float(t), complete=True).f1 or 0)
    # Move the best cut to 0.5, so that "at the default output" means "at its best cut".
    shifted = np.clip(np.clip(z / 20, 0, 1) - float(best) + 0.5, 0, 1)
    return every.set_column(every.schema.get_field_index("score"), "score", pa.array(shifted))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--fit-seeds", default="4,5,6,7,8,9")
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--plain-days", type=int, default=365, help="days of the plain worlds")
    parser.add_argument("--params", type=Path, help="use this params file (its fit seeds are "
                        "checked against --seeds) instead of fitting in this run")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    fit_seeds = [int(s) for s in args.fit_seeds.split(",")]
    start = time.perf_counter()
    if args.params:
        document = load_params_file(args.params)
        fit_seeds, weights = document["fitted"]["seeds"], document["weights"]
        print(f"weights from {args.params}, fitted on seeds {fit_seeds}")
    else:
        report = fit_generated(fit_seeds, args.days)
        weights = report.weights
        print(f"weights fitted on the harvest and plain worlds of seeds {fit_seeds} "
              f"({report.candidates:,} candidates, "
              f"{report.positives} burned) in {time.perf_counter() - start:.0f} s")
    if set(seeds) & set(fit_seeds):
        raise SystemExit("--seeds and the fit's seeds overlap: measure on worlds the fit never saw")
    params = replace(BurningParams(), weights=weights, min_score=0.0)
    old = method_1()
    for label, make in (("harvest worlds", lambda s: harvest_world(s, days=args.days)),
                        ("plain worlds", lambda s: ScenarioParams(seed=s, days=args.plain_days))):
        found: dict[str, list[dict[str, float | None]]] = {"new": [], "old": [], "z": []}
        for seed in seeds:
            t0 = time.perf_counter()
            world = generate(make(seed))
            new = detect_burnings(world.detections, world.places, world.events, params)
            t1 = time.perf_counter()
            before = old.detect_burnings(world.detections, world.places, world.events,
                                         old.BurningParams(min_score=0.0))
            t2 = time.perf_counter()
            found["new"].append(scores("new", new, world.truth))
            found["old"].append(scores("old", before, world.truth))
            found["z"].append(scores("z", z_only(before, world.truth), world.truth))
            burned = int(np.sum(world.truth.column("burned")))
            mine = found["new"][-1]
            print(f"{label}, seed {seed}: {world.detections.num_rows:,} detections, {burned} burned "
                  f"settlements; method 2 {t1 - t0:.1f} s (with generating), method 1 {t2 - t1:.1f} s; "
                  f"method 2 precision {mine['precision'] or 0:.2f} recall {mine['recall'] or 0:.2f} "
                  f"AP {mine['ap'] or 0:.2f} top 3x {mine['top3x'] or 0:.2f}")
        print(f"\n{label} (mean over seeds {seeds}, --complete truth)")
        print(f"{'rule':<52} {'precision':>9} {'recall':>7} {'AP':>6} {'top 3x':>7}")
        for key, name in (("new", "method 2, score >= 0.5 (fitted on other seeds)"),
                          ("old", "method 1 (53610db), score >= 0.5"),
                          ("z", "z-score vs seasonal background, best cut")):
            cells = [mean_of(found[key], attr) for attr in ("precision", "recall", "ap", "top3x")]
            print(f"{name:<52} {cells[0]:>9} {cells[1]:>7} {cells[2]:>6} {cells[3]:>7}")
        print()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
