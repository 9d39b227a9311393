"""Benchmark: the full Sudan backtest and scoring every place for one date, on the real data.

    .venv/bin/python bench/backtest.py [--start 2005-01-01 --end 2023-12-01] [--quick]

Ingests ../shared/data (UCDP GED Sudan, the gazetteer sources, DTM, WFP) into bench/out/fc-ws once
and reuses it. Each part runs in its own process so its peak memory is its own:

- score: index the inputs, compute every place's features as of 2023-08-01 and score them with a
  fitted model, with reasons for the top 20. Baseline, measured in the same run: what a per-place
  loop does (haversine from each place to every event, then the 24 ring-window counts only, of
  the 57 features), timed on a slice of places and scaled to all of them.
- backtest: monthly origins, three horizons, six models. Baseline, in the same run: the same
  origins through the one-date API (``build_features``, which re-indexes the inputs each time),
  timed on a few origins and scaled to all of them.

Targets (issue 5): backtest under 180 s, one date under 5 s, on 2 cores. Results also go to
bench/out/backtest-bench.json (and the model scores to bench/out/backtest-scores.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date

from harness import DATA, OUT, SUDAN_FILES

HOME = OUT / "fc-ws"
AS_OF = date(2023, 8, 1)
SIEGE = False  # --siege: the siege tracker's stages as features
VARIANT: dict[str, object] = {}   # --lags / --calibration / --actor-features: model card experiments


def prepare() -> None:
    from tocsin.ingest import ingest_paths, rebuild_derived
    from tocsin.workspace import Workspace

    workspace = Workspace(HOME)
    if workspace.exists() and (HOME / ".complete").exists():
        return
    workspace.init()
    for kind, name in SUDAN_FILES:
        outcome = ingest_paths(workspace, kind, [DATA / name], rebuild=False)
        if outcome.errors:
            raise SystemExit(f"{name}: {outcome.errors[0][1].render()}")
    rebuild_derived(workspace)
    (HOME / ".complete").write_text("ingested\n")


def stage_history():  # type: ignore[no-untyped-def]
    """The siege tracker's stage history of the workspace (the siege job's output, an input
    here): computed once and kept in bench/out, so the backtest is timed without it."""
    import pyarrow.parquet as pq

    from tocsin.jobs.steps.siege import stage_history as compute
    from tocsin.workspace import Workspace

    path = OUT / "stage-history.parquet"
    if not path.exists():
        began, cpu = time.perf_counter(), time.process_time()
        table = compute(Workspace(HOME))
        pq.write_table(table, path)
        print(f"stage history: {table.num_rows:,} changes in {time.perf_counter() - began:.1f} s wall, "
              f"{time.process_time() - cpu:.1f} s CPU (once; not in the backtest's time)", file=sys.stderr)
    return pq.read_table(path)


def inputs_for_bench():  # type: ignore[no-untyped-def]
    from tocsin.jobs.steps.forecasts import read_inputs
    from tocsin.workspace import Workspace

    wanted = SIEGE or bool(VARIANT.get("takeovers"))
    return read_inputs(Workspace(HOME), siege=SIEGE, takeovers=bool(VARIANT.get("takeovers")),
                       history=stage_history() if wanted else None)


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_score() -> dict[str, float]:
    import numpy as np

    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import fit_forecaster, score_places
    from tocsin.spatial import haversine_km

    inputs = inputs_for_bench()
    builder = FeatureBuilder(inputs, backtest_params(AS_OF, AS_OF).features)
    fitted = fit_forecaster(builder, AS_OF, 30)
    start, cpu = time.perf_counter(), time.process_time()
    builder = FeatureBuilder(inputs)         # the index, as a fresh process would build it
    fitted.builder = builder
    indexed = time.perf_counter() - start
    table = score_places(fitted, inputs.places, AS_OF, top=20)
    ours, cpu = time.perf_counter() - start, time.process_time() - cpu

    # Baseline: a loop over places, haversine to every precisely located violent event.
    events = inputs.events.to_pylist()
    points = [(e["latitude"], e["longitude"], e["date_end"], e["fatalities"] or 0) for e in events
              if e["location_precision"] in ("exact", "near") and e["date_end"] and e["date_end"] <= AS_OF]
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    age = np.array([(AS_OF - p[2]).days for p in points])
    deaths = np.array([p[3] for p in points], dtype=float)
    places = inputs.places.select(["latitude", "longitude"]).to_pylist()
    sample = places[: 2000]
    start = time.perf_counter()
    for p in sample:
        km = haversine_km(p["latitude"], p["longitude"], lat, lon)
        for window in (30, 90, 365):
            for ring in (10, 25, 50, 100):
                inside = (km <= ring) & (age < window)
                _ = int(inside.sum()), float(deaths[inside].sum())
    baseline = (time.perf_counter() - start) * len(places) / len(sample)
    return {"places": len(places), "index_s": indexed, "score_one_date_s": ours, "score_cpu_s": cpu,
            "baseline_loop_s": baseline,
            "ratio": baseline / ours, "top": table.num_rows, "peak_mb": peak_mb()}


def backtest_params(start: date, end: date):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from tocsin.analysis.backtest import BacktestParams
    from tocsin.analysis.features import FeatureParams
    from tocsin.analysis.models import BoostedParams
    from tocsin.analysis.publication import PUBLICATION_LAGS
    from tocsin.analysis.units import LEVELS

    features = FeatureParams()
    if VARIANT.get("lags"):
        features = replace(features, source_lags=tuple(sorted(PUBLICATION_LAGS.items())))
    if VARIANT.get("actor_features"):
        features = replace(features, actor_features=True)
    if VARIANT.get("takeovers"):
        features = replace(features, takeover_features=True)
    if VARIANT.get("country"):
        features = replace(features, country_features=True)
    if VARIANT.get("decay"):
        features = replace(features, decay_features=True)
    boosted = BoostedParams(calibration=str(VARIANT.get("calibration", "platt")),
                            onset_split=bool(VARIANT.get("onset_split")),
                            balanced_weights=bool(VARIANT.get("balanced")))
    if VARIANT.get("trees"):
        boosted = replace(boosted, trees=int(VARIANT["trees"]))   # type: ignore[call-overload]
    negatives = int(VARIANT.get("negatives", BacktestParams.negatives_per_origin))  # type: ignore[call-overload]
    return BacktestParams(start=start, end=end, features=features, boosted=boosted,
                          negatives_per_origin=negatives,
                          unit_levels=() if VARIANT.get("no_units") else LEVELS)


def part_backtest(start: date, end: date) -> dict[str, object]:
    from tocsin.analysis.backtest import run_backtest
    from tocsin.analysis.features import build_features

    inputs = inputs_for_bench()
    load_before = os.getloadavg()[0]
    began, cpu = time.perf_counter(), time.process_time()
    result = run_backtest(inputs, backtest_params(start, end))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    load = (load_before, os.getloadavg()[0])
    scores = result.table().to_pylist()
    origins_total = (end.year - 1990) * 12 + end.month      # origins from 1990-01 (train start)
    probe = [date(2010, m, 1) for m in (1, 2, 3)]
    began = time.perf_counter()
    for origin in probe:
        build_features(inputs, origin)
    baseline = (time.perf_counter() - began) / len(probe) * origins_total
    (OUT / f"backtest-scores{suffix()}.json").write_text(json.dumps(
        {"scores": scores, "calibration": result.calibration().to_pylist(), "data_end": result.data_end,
         "units": result.units, "variant": VARIANT}, indent=1, default=str))
    return {"backtest_s": seconds, "backtest_cpu_s": cpu, "load_average": load,
            "origins_scored": result.origins,
            "baseline_features_only_s": baseline,
            "ratio": baseline / seconds, "peak_mb": peak_mb()}


def suffix() -> str:
    """The scores file of a variant: backtest-scores[-siege][-lags][-isotonic][-actor].json."""
    parts = ["-siege" if SIEGE else "", "-lags" if VARIANT.get("lags") else "",
             f"-{VARIANT['calibration']}" if VARIANT.get("calibration", "platt") != "platt" else "",
             "-actor" if VARIANT.get("actor_features") else "",
             "-takeovers" if VARIANT.get("takeovers") else "",
             "-onset" if VARIANT.get("onset_split") else "",
             "-country" if VARIANT.get("country") else "", "-decay" if VARIANT.get("decay") else "",
             "-balanced" if VARIANT.get("balanced") else "",
             f"-trees{VARIANT['trees']}" if VARIANT.get("trees") else "",
             f"-negatives{VARIANT['negatives']}" if VARIANT.get("negatives") else ""]
    return "".join(parts)


def run_part(argv: list[str]) -> dict[str, object]:
    proc = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2005-01-01")
    parser.add_argument("--end", default="2023-12-01")
    parser.add_argument("--quick", action="store_true", help="origins of 2010 only (for development)")
    parser.add_argument("--siege", action="store_true",
                        help="feed the siege tracker's stages to the model (the model card compares)")
    parser.add_argument("--lags", action="store_true",
                        help="each source's publication lag (UCDP GED 365 d, Candidate 30, ACLED 7)")
    parser.add_argument("--calibration", choices=["platt", "platt-here", "beta", "isotonic"], default="platt")
    parser.add_argument("--actor-features", action="store_true",
                        help="with the RSF-violence and sides features (measured; off by default)")
    parser.add_argument("--takeovers", action="store_true",
                        help="with the siege tracker's falls and assaults as features")
    parser.add_argument("--trees", type=int, default=0, help="LightGBM's trees (default 50)")
    parser.add_argument("--negatives", type=int, default=0, help="negatives sampled per origin and stratum")
    parser.add_argument("--balanced", action="store_true",
                        help="trees fitted with the sampling weights, positives balanced")
    parser.add_argument("--decay", action="store_true",
                        help="with violence weighted by distance and age kernels")
    parser.add_argument("--country", action="store_true",
                        help="with the country's violence now against its past year")
    parser.add_argument("--onset-split", action="store_true",
                        help="a calibration of its own for onset and for continuation places")
    parser.add_argument("--no-units", action="store_true", help="places only (no peer units)")
    parser.add_argument("--skip-score", action="store_true", help="the backtest only")
    parser.add_argument("--part", choices=["score", "backtest"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    global SIEGE
    SIEGE = args.siege
    VARIANT.update({k: v for k, v in (("lags", args.lags), ("calibration", args.calibration),
                                      ("actor_features", args.actor_features),
                                      ("takeovers", args.takeovers),
                                      ("onset_split", args.onset_split),
                                      ("country", args.country), ("trees", args.trees),
                                      ("decay", args.decay), ("balanced", args.balanced),
                                      ("negatives", args.negatives),
                                      ("no_units", args.no_units)) if v and v != "platt"})
    siege = ["--siege"] if args.siege else []
    siege += ["--lags"] if args.lags else []
    siege += ["--calibration", args.calibration]
    siege += ["--actor-features"] if args.actor_features else []
    siege += ["--no-units"] if args.no_units else []
    siege += ["--takeovers"] if args.takeovers else []
    siege += ["--onset-split"] if args.onset_split else []
    siege += ["--country"] if args.country else []
    siege += ["--decay"] if args.decay else []
    siege += ["--balanced"] if args.balanced else []
    siege += ["--trees", str(args.trees)] if args.trees else []
    siege += ["--negatives", str(args.negatives)] if args.negatives else []
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    if args.quick:
        start, end = date(2010, 1, 1), date(2010, 12, 1)
    if args.part == "score":
        print(json.dumps(part_score()))
        return
    if args.part == "backtest":
        print(json.dumps(part_backtest(start, end), default=str))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    prepare()
    score = {} if args.skip_score else run_part(["--part", "score", *siege])
    if score:
        print(f"score one date: {score['places']:,} places in {score['score_one_date_s']:.2f} s wall, "
              f"{score['score_cpu_s']:.2f} s CPU "
              f"(index {score['index_s']:.2f} s; target < 5 s); per-place loop "
              f"{score['baseline_loop_s']:.1f} s; ratio {score['ratio']:.0f}x; "
              f"peak {score['peak_mb']:.0f} MB")
    backtest = run_part(["--part", "backtest", "--start", str(start), "--end", str(end), *siege])
    print(f"backtest {start}..{end}: {backtest['backtest_s']:.1f} s wall, "
          f"{backtest['backtest_cpu_s']:.1f} s CPU "
          f"(target < 180 s), origins scored "
          f"{backtest['origins_scored']}; one-date API per origin (features only) "
          f"{backtest['baseline_features_only_s']:.0f} s; ratio {backtest['ratio']:.1f}x; "
          f"peak {backtest['peak_mb']:.0f} MB; load average {backtest['load_average'][0]:.1f} at the "
          f"start, {backtest['load_average'][1]:.1f} at the end (the machine is shared: on a loaded "
          f"machine the CPU time is the honest figure)")
    (OUT / f"backtest-bench{suffix()}.json").write_text(
        json.dumps({"score": score, "backtest": backtest}, indent=1, default=str))


if __name__ == "__main__":
    main()
