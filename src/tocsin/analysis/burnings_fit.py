"""Fitting the burnings score's weights: on generated worlds with known truth, and on verified
cases a user supplies. Method: docs/methods/burnings.md ("Fitting the weights").

The weights are a logistic regression over the features of every candidate period
(``burnings.feature_matrix``), each labelled by the truth it matches (``label_burnings``). The
bias is then moved so that, on the same training worlds, the default output (score >= 0.5)
keeps a precision of at least ``target_precision`` with as much recall as that allows: an
analyst's first list should be right nine times in ten, and the leads below it carry the rest.
Everything is seeded: the same seeds give the same file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from tocsin.analysis.burnings import FEATURES, BurningParams, detect_burnings
from tocsin.analysis.evaluation.burnings import Evaluation, evaluate_burnings, label_burnings
from tocsin.analysis.scenarios import Scenario, ScenarioParams, generate, harvest_world

FLAG_THRESHOLD = 0.5  # the default output: medium confidence or more
# Not fitted (weight 0): the generator's arson FRP is drawn higher than its field fires' by
# assumption (lognormal means), not from measurement, so a fitted weight would learn the
# generator; on the real VIIRS week it lifted single high-FRP daytime detections to medium.
NOT_FITTED = ("frp",)


@dataclass
class TrainingSet:
    """Candidate periods (their features and stored columns), labels and where each came from."""

    tables: list[pa.Table] = field(default_factory=list)  # every candidate, min_score 0
    truths: list[pa.Table] = field(default_factory=list)
    complete: list[bool] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)  # a user's verified cases weigh more
    names: list[str] = field(default_factory=list)


@dataclass
class FitReport:
    weights: dict[str, float]
    per_source: dict[str, dict[str, float | None]]
    candidates: int
    positives: int


def features_of(table: pa.Table) -> np.ndarray:
    """The stored feature struct of a burnings table as a matrix (rows x FEATURES)."""
    column = table.column("features").combine_chunks()
    return np.column_stack([column.field(name).to_numpy(zero_copy_only=False).astype(float)
                            for name in FEATURES]) if table.num_rows else np.zeros((0, len(FEATURES)))


def rescore(table: pa.Table, weights: dict[str, float]) -> pa.Table:
    """The table with its score recomputed from its stored features under other weights (the
    sweep feature stays what the detector found with the weights it ran with)."""
    x = features_of(table)
    logit = weights.get("bias", 0.0) + x @ np.array([weights.get(n, 0.0) for n in FEATURES])
    score = 1 / (1 + np.exp(-logit))
    return table.set_column(table.schema.get_field_index("score"), "score", pa.array(score))


# Where the fit starts: signs and rough sizes from what each feature means. Only the sweep
# feature depends on them (a sweep is seeded by burnings scoring 0.5 or more), and the fit runs
# twice (the second time with the sweeps its first weights find), so the file it writes depends
# on these and the seeds, never on the params file in use.
STARTING_WEIGHTS = {"bias": -5.5, "excess": 4.0, "night_excess": 1.0, "contained": 1.5,
                    "alone": 0.5, "night_alone": 1.0, "core": 1.0, "field_ring": -1.5,
                    "count": 0.5, "single": -1.0,
                    "frp": 0.0, "night": 1.0, "overpasses": 0.5, "day_and_night": 0.6,
                    "events": 1.5, "sweep": 1.5, "steady": -4.0,
                    "recurrent": -2.0}


def training_worlds(seeds: Sequence[int], days: int) -> list[tuple[str, Scenario]]:
    """For each seed, its harvest world (``days`` long) and its plain world (a year): the
    weights must hold in the hard season and in an ordinary year."""
    return [(name, generate(params)) for seed in seeds for name, params in (
        (f"harvest world seed {seed}", harvest_world(seed, days=days)),
        (f"plain world seed {seed}", ScenarioParams(seed=seed)))]


def generated_training(worlds: Sequence[tuple[str, Scenario]],
                       weights: dict[str, float] | None = None,
                       say: Callable[[str], None] = lambda _: None) -> TrainingSet:
    """Every candidate period of these worlds, scored with ``weights`` (for the sweeps), with
    their complete truth."""
    out = TrainingSet()
    params = BurningParams(weights=dict(weights or STARTING_WEIGHTS), min_score=0.0)
    for name, world in worlds:
        say(name)
        out.tables.append(detect_burnings(world.detections, world.places, world.events, params))
        out.truths.append(world.truth)
        out.complete.append(True)
        out.weight.append(1.0)
        out.names.append(name)
    return out


def fit_generated(seeds: Sequence[int], days: int, extra: TrainingSet | None = None,
                  target_precision: float = 0.95, say: Callable[[str], None] = lambda _: None
                  ) -> FitReport:
    """Fit on the generated worlds of ``seeds`` (and ``extra`` cases): once from the starting
    weights, then again with the sweeps the first fit's weights find."""
    say(f"generating worlds of seeds {', '.join(map(str, seeds))}")
    worlds = training_worlds(seeds, days)
    data = generated_training(worlds, say=say)
    report = fit_weights(_joined(data, extra), target_precision=target_precision)
    say("second pass, with the first fit's sweeps")
    data = generated_training(worlds, report.weights)
    return fit_weights(_joined(data, extra), target_precision=target_precision)


def _joined(a: TrainingSet, b: TrainingSet | None) -> TrainingSet:
    if b is None:
        return a
    return TrainingSet(a.tables + b.tables, a.truths + b.truths, a.complete + b.complete,
                       a.weight + b.weight, a.names + b.names)


def fit_weights(data: TrainingSet, l2: float = 1.0, target_precision: float = 0.95,
                match_km: float = 1.0, tolerance_days: int = 2) -> FitReport:
    """A logistic regression of the labels on the features, then the bias moved so that the
    default output keeps ``target_precision`` on the training sources (pooled)."""
    from sklearn.linear_model import LogisticRegression

    xs, ys, ws = [], [], []
    for table, truth, complete, weight in zip(data.tables, data.truths, data.complete,
                                              data.weight, strict=True):
        labels = label_burnings(table, truth, match_km, tolerance_days, complete)
        known = labels >= 0
        x_all = features_of(table)
        x_all[:, [FEATURES.index(n) for n in NOT_FITTED]] = 0.0
        xs.append(x_all[known])
        ys.append(labels[known])
        ws.append(np.full(int(known.sum()), weight))
    x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
    if len(np.unique(y)) < 2:
        raise ValueError("the training cases hold only one label: a fit needs burned and "
                         "not-burned cases")
    model = LogisticRegression(C=1.0 / l2, max_iter=5000)
    model.fit(x, y, sample_weight=w)
    weights = {"bias": float(model.intercept_[0]),
               **{name: 0.0 if name in NOT_FITTED else float(c)
                  for name, c in zip(FEATURES, model.coef_[0], strict=True)}}
    weights["bias"] += _bias_shift(data, weights, target_precision, match_km, tolerance_days)
    weights = {k: round(v, 3) for k, v in weights.items()}
    per_source = {name: _summary(evaluate_burnings(rescore(table, weights), truth, FLAG_THRESHOLD,
                                                   match_km, tolerance_days, complete))
                  for name, table, truth, complete in zip(data.names, data.tables, data.truths,
                                                          data.complete, strict=True)}
    return FitReport(weights, per_source, len(y), int(y.sum()))


def _bias_shift(data: TrainingSet, weights: dict[str, float], target: float, match_km: float,
                tolerance_days: int) -> float:
    """The largest upward shift (most recall) whose pooled precision at the default output
    reaches ``target``; the smallest tried when none does."""
    best = 0.0
    for shift in np.arange(4.0, -4.01, -0.25):
        shifted = {**weights, "bias": weights["bias"] + float(shift)}
        tp = fp = 0
        for table, truth, complete in zip(data.tables, data.truths, data.complete, strict=True):
            e = evaluate_burnings(rescore(table, shifted), truth, FLAG_THRESHOLD, match_km,
                                  tolerance_days, complete)
            tp, fp = tp + e.true_positives, fp + e.false_positives
        best = float(shift)
        if tp + fp and tp / (tp + fp) >= target:
            return best
    return best


def _summary(e: Evaluation) -> dict[str, float | None]:
    return {"precision": e.precision, "recall": e.recall, "average_precision": e.average_precision}


def params_document(report: FitReport, provenance: dict[str, Any]) -> dict[str, Any]:
    """What the params file holds: the weights, how they were fitted, how they scored."""
    from tocsin.jobs.steps.burnings import METHOD_VERSION

    return {"method_version": METHOD_VERSION, "fitted": {**provenance,
            "candidates": report.candidates, "positives": report.positives,
            "training_scores_at_0.5": report.per_source}, "weights": report.weights}
