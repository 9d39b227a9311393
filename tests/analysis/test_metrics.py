"""Streaming scores agree with scikit-learn's on the same (grid-rounded) probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from tocsin.analysis.evaluation.metrics import ScoreAccumulator, _bin

probabilities = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=2, max_size=200)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), origins=st.integers(1, 4))
def test_ap_auroc_brier_match_scikit_learn(data: st.DataObject, origins: int) -> None:
    acc = ScoreAccumulator()
    all_p, all_y = [], []
    for _ in range(origins):
        p = np.asarray(data.draw(probabilities))
        y = np.asarray(data.draw(st.lists(st.booleans(), min_size=len(p), max_size=len(p))))
        acc.add(p, y)
        all_p.append(p)
        all_y.append(y)
    p, y = np.concatenate(all_p), np.concatenate(all_y)
    assert acc.count == len(p) and acc.events == int(y.sum())
    assert acc.brier() == pytest.approx(float(np.mean((p - y) ** 2)))
    if 0 < y.sum() < len(y):
        # The accumulator ranks by grid bin; scikit-learn on the bins must agree exactly.
        grid = _bin(p)
        assert acc.average_precision() == pytest.approx(average_precision_score(y, grid))
        assert acc.auroc() == pytest.approx(roc_auc_score(y, grid))


def test_grid_rounding_barely_moves_average_precision() -> None:
    rng = np.random.default_rng(5)
    y = rng.random(50_000) < 0.002
    p = np.clip(rng.beta(0.5, 200, 50_000) + y * rng.beta(1, 30, 50_000), 0, 1)
    acc = ScoreAccumulator()
    acc.add(p, y)
    assert acc.average_precision() == pytest.approx(average_precision_score(y, p), abs=1e-3)
    assert acc.auroc() == pytest.approx(roc_auc_score(y, p), abs=1e-3)


def test_recall_in_the_top_n_counts_ties_against_the_forecaster() -> None:
    acc = ScoreAccumulator()
    p = np.linspace(0, 0.5, 100)
    y = np.zeros(100, dtype=bool)
    y[[99, 95, 50]] = True                     # ranks 1 and 5 are in the top 10, rank 50 is not
    acc.add(p, y)
    assert acc.recall(10) == pytest.approx(2 / 3)
    assert acc.recall(30) == pytest.approx(2 / 3)
    flat = ScoreAccumulator()
    flat.add(np.full(100, 0.1), y)            # all tied: 10 of 100 places, a tenth of each event
    assert flat.recall(10) == pytest.approx(0.1)
    quiet = ScoreAccumulator()
    quiet.add(p, np.zeros(100, dtype=bool))   # an origin without events says nothing of recall
    assert np.isnan(quiet.recall(10))


def test_brier_skill_and_calibration_table() -> None:
    y = np.array([True, False, False, False])
    perfect, reference = ScoreAccumulator(), ScoreAccumulator()
    perfect.add(y.astype(float), y)
    reference.add(np.full(4, 0.25), y)
    assert perfect.brier() == 0 and perfect.brier_skill(reference.brier()) == 1
    assert reference.brier_skill(reference.brier()) == 0
    table = reference.calibration_table()
    assert table == [{"from": 0.2, "to": 0.35, "forecasts": 4, "mean_probability": 0.25,
                      "observed_rate": 0.25}]


@pytest.mark.parametrize("bad", [np.array([0.5, np.nan]), np.array([0.5, 1.5]), np.array([-0.1, 0.2])])
def test_refuses_what_is_not_a_probability(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        ScoreAccumulator().add(bad, np.array([True, False]))
    with pytest.raises(ValueError, match="differ in length"):
        ScoreAccumulator().add(np.array([0.1]), np.array([True, False]))
