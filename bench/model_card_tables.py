"""Print docs/model-card.md's results and calibration tables from a backtest's scores
(bench/out/backtest-scores.json, written by bench/backtest.py, or `tocsin backtest --out`), the
peer-unit tables, and the comparison of a variant's scores (--against another scores file).

    .venv/bin/python bench/model_card_tables.py [bench/out/backtest-scores.json]
    .venv/bin/python bench/model_card_tables.py bench/out/backtest-scores.json \
        --against bench/out/backtest-scores-lags.json
    .venv/bin/python bench/model_card_tables.py --tried bench/out/backtest-scores.json \
        "takeovers=bench/out/backtest-scores-takeovers.json" ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "out" / "backtest-scores.json"


def results(scores: list[dict]) -> list[str]:
    lines = ["| horizon | model | origins | hits | avg precision | AUROC | Brier | Brier skill | "
             "recall top 10 / 20 / 30 |", "|---|---|---|---|---|---|---|---|---|"]
    for row in scores:
        model = f"**{row['model']}**" if row["model"] == "lightgbm" else row["model"]
        lines.append(
            f"| {row['horizon_days']} d | {model} | {row['origins']} | {row['events']:,} | "
            f"{row['average_precision']:.4f} | {row['auroc']:.3f} | {row['brier']:.3e} | "
            f"{row['brier_skill']:+.4f} | {row['recall_top10']:.2f} / {row['recall_top20']:.2f} / "
            f"{row['recall_top30']:.2f} |")
    return lines


def calibration(rows: list[dict]) -> list[str]:
    lines = ["| horizon | probability | forecasts | mean forecast | observed rate |",
             "|---|---|---|---|---|"]
    for row in rows:
        if row.get("model", "lightgbm") != "lightgbm":
            continue
        lines.append(f"| {row['horizon_days']} d | {row['from']:g}–{row['to']:g} | {row['forecasts']:,} | "
                     f"{row['mean_probability']:.3g} | {row['observed_rate']:.3g} |")
    return lines


def _interval(row: dict, metric: str, fmt: str) -> str:
    value = row.get(metric)
    if value is None or value != value:
        return "-"
    return f"{value:{fmt}} [{row[metric + '_low']:{fmt}}, {row[metric + '_high']:{fmt}}]"


def units(rows: list[dict]) -> list[str]:
    """Peer-unit scores: one line per level, target, lead and model, with 95% intervals."""
    lines = ["| level | target | lead | model | unit-months | with 25+ deaths / 1+ event | MSLE | "
             "Brier | AP |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        model = f"**{r['model']}**" if r["model"] == "tocsin" else r["model"]
        lines.append(f"| {r['level']} | {r['target']} | {r['lead_months']} | {model} | {r['n']:,} | "
                     f"{r['events']:,} | {_interval(r, 'msle', '.4f')} | {_interval(r, 'brier', '.4f')} | "
                     f"{_interval(r, 'ap', '.3f')} |")
    return lines


def versus(base: list[dict], other: list[dict], label: str) -> list[str]:
    """LightGBM in two runs side by side, per horizon."""
    lines = [f"| horizon | AP default → {label} | Brier skill default → {label} | top-30 recall "
             f"default → {label} |", "|---|---|---|---|"]
    pick = {(r["horizon_days"], r["model"]): r for r in other}
    for row in base:
        if row["model"] != "lightgbm":
            continue
        o = pick[(row["horizon_days"], "lightgbm")]
        lines.append(f"| {row['horizon_days']} d | {row['average_precision']:.4f} → "
                     f"{o['average_precision']:.4f} | {row['brier_skill']:+.4f} → {o['brier_skill']:+.4f} | "
                     f"{row['recall_top30']:.2f} → {o['recall_top30']:.2f} |")
    return lines


def tried(base: list[dict], variants: list[tuple[str, list[dict]]]) -> list[str]:
    """Each variant's LightGBM against the default's, at 7, 30 and 90 days: the change in AP,
    Brier skill and top-30 recall (positive: the variant is better)."""
    lines = ["| change | 7 d AP | 30 d AP | 90 d AP | 7 d Brier skill | 30 d Brier skill | "
             "90 d Brier skill | 30 d top-30 recall | 90 d top-30 recall |",
             "|---|---|---|---|---|---|---|---|---|"]
    ours = {r["horizon_days"]: r for r in base if r["model"] == "lightgbm"}
    for label, scores in variants:
        theirs = {r["horizon_days"]: r for r in scores if r["model"] == "lightgbm"}
        cells = [f"{theirs[h]['average_precision'] - ours[h]['average_precision']:+.4f}" for h in (7, 30, 90)]
        cells += [f"{theirs[h]['brier_skill'] - ours[h]['brier_skill']:+.4f}" for h in (7, 30, 90)]
        cells += [f"{theirs[h]['recall_top30'] - ours[h]['recall_top30']:+.3f}" for h in (30, 90)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    args = sys.argv[1:]
    if "--tried" in args:
        # --tried DEFAULT LABEL=FILE...: the table of changes tried (model card, "Tried").
        i = args.index("--tried")
        base = json.loads(Path(args[i + 1]).read_text())["scores"]
        variants = [(label, json.loads(Path(file).read_text())["scores"])
                    for label, file in (a.split("=", 1) for a in args[i + 2:])]
        print("\n".join(tried(base, variants)))
        return
    other = None
    if "--against" in args:
        i = args.index("--against")
        other = Path(args[i + 1])
        args = args[:i] + args[i + 2:]
    path = Path(args[0]) if args else DEFAULT
    data = json.loads(path.read_text())
    if other is not None:
        print("\n".join(versus(data["scores"], json.loads(other.read_text())["scores"], other.stem)))
        return
    print("\n".join(results(data["scores"])))
    print()
    print("\n".join(calibration(data["calibration"])))
    if data.get("units"):
        print()
        print("\n".join(units(data["units"])))


if __name__ == "__main__":
    main()
