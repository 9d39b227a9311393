"""Forecast scores that stream over origins: average precision, AUROC, Brier and its skill
against the base rate, recall in the top N places, and a calibration table.

A backtest scores ~44k places at each of hundreds of origins: keeping every probability would
take gigabytes. ``ScoreAccumulator`` keeps, instead, counts of positives and negatives per
probability bin on a fine logit grid (20,000 bins over logit -18..+8) plus exact sums for the
Brier score. AP and AUROC from it are the exact values for probabilities rounded to the grid
(within ~0.001 of the unrounded ones; a test checks against scikit-learn). Recall in the top N is
computed per origin, exactly, then averaged over origins that had at least one event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

LOGIT_LOW, LOGIT_HIGH, BINS = -18.0, 8.0, 20_000
TOP_N = (10, 20, 30)
CALIBRATION_EDGES = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)


def _bin(probability: NDArray[np.float64]) -> NDArray[np.int64]:
    p = np.clip(probability, 1e-12, 1 - 1e-12)
    logit = np.log(p) - np.log1p(-p)
    scaled = (logit - LOGIT_LOW) / (LOGIT_HIGH - LOGIT_LOW) * BINS
    return np.clip(scaled.astype(np.int64), 0, BINS - 1)


@dataclass
class ScoreAccumulator:
    positives: NDArray[np.int64] = field(default_factory=lambda: np.zeros(BINS, dtype=np.int64))
    negatives: NDArray[np.int64] = field(default_factory=lambda: np.zeros(BINS, dtype=np.int64))
    brier_sum: float = 0.0
    count: int = 0
    calibration: NDArray[np.float64] = field(
        default_factory=lambda: np.zeros((len(CALIBRATION_EDGES) - 1, 3)))  # n, sum p, sum y
    recall_at: dict[int, list[float]] = field(default_factory=lambda: {n: [] for n in TOP_N})

    def add(self, probability: NDArray[np.float64], outcome: NDArray[np.bool_]) -> None:
        """One origin's forecasts for every place and what happened."""
        probability = np.asarray(probability, dtype=np.float64)
        outcome = np.asarray(outcome, dtype=bool)
        if probability.shape != outcome.shape:
            raise ValueError("probabilities and outcomes differ in length")
        if len(probability) and (np.isnan(probability).any() or probability.min() < 0
                                 or probability.max() > 1):
            raise ValueError("probabilities must be numbers between 0 and 1")
        bins = _bin(probability)
        positives = np.bincount(bins[outcome], minlength=BINS)
        self.positives += positives
        self.negatives += np.bincount(bins, minlength=BINS) - positives
        self.brier_sum += float(np.sum((probability - outcome) ** 2))
        self.count += len(probability)
        slot = np.clip(np.searchsorted(CALIBRATION_EDGES, probability, side="right") - 1, 0,
                       len(CALIBRATION_EDGES) - 2)
        self.calibration[:, 0] += np.bincount(slot, minlength=len(CALIBRATION_EDGES) - 1)
        self.calibration[:, 1] += np.bincount(slot, weights=probability, minlength=len(CALIBRATION_EDGES) - 1)
        self.calibration[:, 2] += np.bincount(slot, weights=outcome.astype(float),
                                              minlength=len(CALIBRATION_EDGES) - 1)
        if outcome.any():
            # Ties broken against the forecaster: a place shares its rank with everyone equal.
            # One partition gives the thresholds of every N (the N-th highest values).
            deepest = min(max(TOP_N), len(probability))
            highest = np.sort(np.partition(probability, -deepest)[-deepest:])[::-1]
            for n in TOP_N:
                if len(probability) <= n:
                    self.recall_at[n].append(1.0)
                    continue
                threshold = highest[n - 1]
                above = probability > threshold
                tied = probability == threshold
                room = n - int(above.sum())
                hit = outcome[above].sum() + room * outcome[tied].mean()
                self.recall_at[n].append(float(hit / outcome.sum()))

    @property
    def events(self) -> int:
        return int(self.positives.sum())

    def average_precision(self) -> float:
        """Step-wise AP over thresholds from the highest bin down (scikit-learn's definition)."""
        pos, neg = self.positives[::-1], self.negatives[::-1]
        total = pos.sum()
        if total == 0:
            return float("nan")
        tp, fp = np.cumsum(pos), np.cumsum(neg)
        moved = (pos + neg) > 0
        precision = tp[moved] / (tp[moved] + fp[moved])
        recall_gain = pos[moved] / total
        return float(np.sum(precision * recall_gain))

    def auroc(self) -> float:
        pos, neg = self.positives, self.negatives
        if pos.sum() == 0 or neg.sum() == 0:
            return float("nan")
        below = np.cumsum(neg) - neg        # negatives strictly below each bin
        wins = np.sum(pos * (below + 0.5 * neg))
        return float(wins / (pos.sum() * neg.sum()))

    def brier(self) -> float:
        return self.brier_sum / self.count if self.count else float("nan")

    def brier_skill(self, reference_brier: float) -> float:
        return 1.0 - self.brier() / reference_brier if reference_brier > 0 else float("nan")

    def recall(self, n: int) -> float:
        values = self.recall_at[n]
        return float(np.mean(values)) if values else float("nan")

    def calibration_table(self) -> list[dict[str, float]]:
        rows = []
        for i, (n, sum_p, sum_y) in enumerate(self.calibration):
            if n == 0:
                continue
            rows.append({"from": CALIBRATION_EDGES[i], "to": CALIBRATION_EDGES[i + 1], "forecasts": int(n),
                         "mean_probability": sum_p / n, "observed_rate": sum_y / n})
        return rows
