"""Scores for unit-month forecasts, side by side, with the metrics the peers report.

ViEWS scores fatality forecasts by the mean squared error of log(1 + deaths) (MSLE) and by CRPS;
for a point forecast CRPS is the absolute error, which is what is given here (``mae``). Its
probability of 25 or more deaths is scored by the Brier score and average precision. CAST's
expected event counts get the same MSLE and MAE, and AP for "at least one event".

Intervals: a cluster bootstrap over the forecast months (all units of a month drawn together:
units of one month share its shocks), 95% percentile intervals, for each model and for each
model's difference from the first (Tocsin) model. With a single month, units are drawn instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass
class Contender:
    name: str
    expected: NDArray[np.float64]
    probability: NDArray[np.float64] | None = None


def average_precision(score: NDArray[np.float64], outcome: NDArray[np.bool_]) -> float:
    """Step-wise AP (scikit-learn's definition), ties broken against the forecaster."""
    if not outcome.any():
        return float("nan")
    order = np.lexsort((outcome, -score))       # among equal scores, negatives first
    y = outcome[order]
    tp = np.cumsum(y)
    precision = tp / np.arange(1, len(y) + 1)
    # Only the last row of each run of equal scores is a threshold.
    s = score[order]
    last = np.r_[s[1:] != s[:-1], True]
    gained = np.diff(np.r_[0, tp[last]])
    return float(np.sum(precision[last] * gained) / y.sum())


def _metrics(c: Contender, observed: NDArray[np.float64], threshold: float,
             rows: NDArray[np.int64]) -> dict[str, float]:
    y, e = observed[rows], c.expected[rows]
    out = {"msle": float(np.mean((np.log1p(np.maximum(e, 0)) - np.log1p(y)) ** 2)),
           "mae": float(np.mean(np.abs(e - y)))}
    hit = y >= threshold
    score = c.probability[rows] if c.probability is not None else e
    out["ap"] = average_precision(score, hit)
    out["brier"] = float(np.mean((c.probability[rows] - hit) ** 2)) if c.probability is not None \
        else float("nan")
    return out


def score_side_by_side(observed: NDArray[np.float64], month: NDArray[np.int64],
                       contenders: list[Contender], threshold: float, reps: int = 500,
                       seed: int = 17) -> list[dict[str, object]]:
    """One row per contender: each metric with its 95% interval, and its difference from the
    first contender (negative MSLE / MAE / Brier differences and positive AP ones favour the
    contender)."""
    n = len(observed)
    every = np.arange(n)
    point = [_metrics(c, observed, threshold, every) for c in contenders]
    rng = np.random.default_rng(seed)
    months = np.unique(month)
    groups = [np.flatnonzero(month == m) for m in months] if len(months) > 1 else \
        [np.asarray([i]) for i in range(n)]
    draws: list[list[dict[str, float]]] = []
    for _ in range(reps):
        picked = rng.integers(0, len(groups), size=len(groups))
        rows = np.concatenate([groups[i] for i in picked])
        draws.append([_metrics(c, observed, threshold, rows) for c in contenders])
    table = []
    for k, c in enumerate(contenders):
        row: dict[str, object] = {"model": c.name, "n": n, "months": len(months),
                                  "events": int((observed >= threshold).sum())}
        for metric in ("msle", "mae", "brier", "ap"):
            values = np.asarray([d[k][metric] for d in draws])
            row[metric] = point[k][metric]
            row[f"{metric}_low"], row[f"{metric}_high"] = _interval(values)
            if k:
                diff = np.asarray([d[k][metric] - d[0][metric] for d in draws])
                row[f"{metric}_vs_first"] = point[k][metric] - point[0][metric]
                row[f"{metric}_vs_first_low"], row[f"{metric}_vs_first_high"] = _interval(diff)
        table.append(row)
    return table


def _interval(values: NDArray[np.float64]) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return float("nan"), float("nan")
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)
