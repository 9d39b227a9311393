"""Print docs/model-card.md's results and calibration tables from a backtest's scores
(bench/out/backtest-scores.json, written by bench/backtest.py, or `tocsin backtest --out`).

    .venv/bin/python bench/model_card_tables.py [bench/out/backtest-scores.json]
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


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    data = json.loads(path.read_text())
    print("\n".join(results(data["scores"])))
    print()
    print("\n".join(calibration(data["calibration"])))


if __name__ == "__main__":
    main()
