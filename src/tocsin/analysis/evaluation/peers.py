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


@dataclass
class _Sorted:
    """One contender's rows in ranking order (score down, negatives first among ties), once:
    a bootstrap draw is then a weight per row (how often its month was drawn), and every metric
    a weighted sum, instead of a sort of the drawn rows per draw (the sorts were a tenth of the
    backtest). Equal to scoring the concatenated draw: copies of a row tie with it."""

    order: NDArray[np.int64]
    hit: NDArray[np.bool_]            # in ranking order
    last: NDArray[np.bool_]           # last row of each run of equal scores, in ranking order
    squared_log: NDArray[np.float64]  # per row, in the original order
    absolute: NDArray[np.float64]
    brier: NDArray[np.float64] | None

    @classmethod
    def of(cls, c: Contender, observed: NDArray[np.float64], threshold: float) -> _Sorted:
        hit = observed >= threshold
        score = c.probability if c.probability is not None else c.expected
        order = np.lexsort((hit, -score))
        s = score[order]
        return cls(order, hit[order], np.r_[s[1:] != s[:-1], True],
                   (np.log1p(np.maximum(c.expected, 0)) - np.log1p(observed)) ** 2,
                   np.abs(c.expected - observed),
                   (c.probability - hit) ** 2 if c.probability is not None else None)

    def metrics(self, weight: NDArray[np.float64]) -> dict[str, float]:
        total = float(weight.sum())
        out = {"msle": float(weight @ self.squared_log) / total,
               "mae": float(weight @ self.absolute) / total,
               "brier": float(weight @ self.brier) / total if self.brier is not None else float("nan")}
        w = weight[self.order]
        gained_all = w * self.hit
        positives = float(gained_all.sum())
        if positives <= 0:
            out["ap"] = float("nan")
            return out
        tp = np.cumsum(gained_all)[self.last]
        seen = np.cumsum(w)[self.last]
        gained = np.diff(np.r_[0.0, tp])
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.where(seen > 0, tp / np.where(seen > 0, seen, 1.0), 0.0)
        out["ap"] = float(np.sum(precision * gained) / positives)
        return out


def score_side_by_side(observed: NDArray[np.float64], month: NDArray[np.int64],
                       contenders: list[Contender], threshold: float, reps: int = 500,
                       seed: int = 17) -> list[dict[str, object]]:
    """One row per contender: each metric with its 95% interval, and its difference from the
    first contender (negative MSLE / MAE / Brier differences and positive AP ones favour the
    contender)."""
    n = len(observed)
    ranked = [_Sorted.of(c, observed, threshold) for c in contenders]
    point = [r.metrics(np.ones(n)) for r in ranked]
    rng = np.random.default_rng(seed)
    months, group = np.unique(month, return_inverse=True)
    if len(months) <= 1:
        group = np.arange(n)               # one month: units are drawn instead
    groups = int(group.max()) + 1 if n else 0
    draws: list[list[dict[str, float]]] = []
    for _ in range(reps):
        picked = rng.integers(0, groups, size=groups)
        weight = np.bincount(picked, minlength=groups).astype(np.float64)[group]
        draws.append([r.metrics(weight) for r in ranked])
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
