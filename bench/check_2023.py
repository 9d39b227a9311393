"""The 2023 cases the model card reports, on the real data: Wad Madani's rank as of 2023-12-01
(it fell on 18-19 December), the onset of the war (2023-04-10), and the reasons of the top 30 of
each 1st of the month of 2023 (none may be a bare class or population).

    .venv/bin/python bench/check_2023.py [--takeovers] [--calibration beta]

Each date gets its own model, fitted as ``tocsin forecast`` fits it (ten years of closed
windows), and the ranked list folds sub-places into their town as the command does. Writes
bench/out/check-2023[-variant].json.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from datetime import date

import backtest
from harness import OUT

BARE = re.compile(r"^(a (city|town|village|camp|hamlet|place|village or IDP site|isolated dwelling)|"
                  r"population [\d,]+|nearest monitored market .*)$")


def ranked(fitted, inputs, hierarchy, as_of: date, top: int) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    from tocsin.analysis.forecast import score_places
    from tocsin.places.hierarchy import fold_ranked

    table = score_places(fitted, inputs.places, as_of, top=top * 3)
    return fold_ranked(table.to_pylist(), hierarchy, max_keys=("probability",), limit=top)


def main() -> None:

    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import ForecastParams, fit_forecaster
    from tocsin.places.hierarchy import Hierarchy
    from tocsin.workspace import Workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takeovers", action="store_true")
    parser.add_argument("--country", action="store_true")
    parser.add_argument("--decay", action="store_true")
    parser.add_argument("--balanced", action="store_true")
    parser.add_argument("--onset-split", action="store_true")
    parser.add_argument("--calibration", default="platt")
    parser.add_argument("--trees", type=int, default=0)
    parser.add_argument("--negatives", type=int, default=0)
    parser.add_argument("--skip-months", action="store_true", help="Wad Madani and the onset only")
    args = parser.parse_args()
    backtest.VARIANT.update({k: v for k, v in vars(args).items()
                             if k != "skip_months" and v and v != "platt"})
    settings = backtest.backtest_params(date(2005, 1, 1), date(2023, 12, 1))
    params = ForecastParams(features=settings.features, boosted=settings.boosted,
                            negatives_per_origin=settings.negatives_per_origin)
    inputs = backtest.inputs_for_bench()
    builder = FeatureBuilder(inputs, params.features)
    hierarchy = Hierarchy.from_workspace(Workspace(backtest.HOME))
    out: dict[str, object] = {"variant": backtest.VARIANT}
    began = time.perf_counter()

    wad: dict[str, object] = {}
    for horizon in (30, 90):
        fitted = fit_forecaster(builder, date(2023, 12, 1), horizon, params)
        rows = ranked(fitted, inputs, hierarchy, date(2023, 12, 1), 400)
        found = [r for r in rows if str(r["name"]).lower() in ("wad medani", "wad madani")]
        top = [{"rank": r["rank"] if "rank" in r else i + 1, "name": r["name"],
                "probability": r["probability"], "reasons": r["reasons"], "reasons_ar": r["reasons_ar"]}
               for i, r in enumerate(rows[:3])]
        entry = {"top3": top}
        if found:
            i = rows.index(found[0])
            entry.update(rank=i + 1, probability=found[0]["probability"], reasons=found[0]["reasons"],
                         reasons_ar=found[0]["reasons_ar"])
        wad[f"{horizon}d"] = entry
        print(f"Wad Madani, 2023-12-01, {horizon} d: rank {entry.get('rank', '>400')}, "
              f"p = {entry.get('probability', float('nan')):.3f}; {entry.get('reasons')}")
    out["wad_madani"] = wad

    fitted = fit_forecaster(builder, date(2023, 4, 10), 30, params)
    rows = ranked(fitted, inputs, hierarchy, date(2023, 4, 10), 30)
    hit = builder.labels(date(2023, 4, 10), 30)
    index = {pid: i for i, pid in enumerate(builder.place_ids)}
    hit_top = sum(bool(hit[index[str(r["place_id"])]]) for r in rows)
    out["onset"] = {"expected_top30": sum(float(r["probability"]) for r in rows), "hit_top30": hit_top,
                    "hit_all": int(hit.sum())}
    print(f"onset 2023-04-10, 30 d: top 30 expected {out['onset']['expected_top30']:.2f}, "
          f"{hit_top} hit (of {int(hit.sum())} places hit)")

    if not args.skip_months:
        bare, seen, examples = [], 0, []
        for month in range(1, 13):
            as_of = date(2023, month, 1)
            fitted = fit_forecaster(builder, as_of, 30, params)
            for r in ranked(fitted, inputs, hierarchy, as_of, 30):
                for en, ar in zip(r["reasons"], r["reasons_ar"], strict=True):
                    seen += 1
                    if BARE.match(en) or not re.search(r"\d", en) or not re.search(r"[\u0600-\u06FF]", ar):
                        bare.append((str(as_of), r["name"], en))
                    if any(k in en for k in ("took", "came under assault", "was overrun", "of 8 sides")):
                        examples.append((str(as_of), r["name"], en, ar))
        out["reasons_2023"] = {"seen": seen, "bare_or_numberless": bare, "takeover_examples": examples[:20]}
        print(f"reasons in the 2023 top 30s: {seen}, bare or without a number: {len(bare)}; "
              f"takeover reasons: {len(examples)}")
    out["seconds"] = time.perf_counter() - began
    suffix = backtest.suffix()
    (OUT / f"check-2023{suffix}.json").write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
