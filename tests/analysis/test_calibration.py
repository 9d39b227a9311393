"""Calibrations of the trees' margin tried in the backtest: beta calibration (two inputs, ln p
and -ln(1 - p)) and a Platt curve per side of the onset / continuation split."""

from __future__ import annotations

import numpy as np

from tocsin.analysis.models import (
    CONTINUATION,
    HERE,
    BoostedParams,
    GradientBoostedModel,
    TrainingSet,
    _fit_logistic,
    beta_columns,
)


def test_the_logistic_fit_recovers_two_slopes_and_an_intercept() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40_000, 2))
    p = 1 / (1 + np.exp(-(1.5 * x[:, 0] - 0.7 * x[:, 1] - 2.0)))
    y = rng.random(len(p)) < p
    fitted = _fit_logistic(x, y, np.ones(len(y)))
    assert np.allclose(fitted.coef_[0], [1.5, -0.7], atol=0.06)
    assert abs(fitted.intercept_[0] + 2.0) < 0.06
    assert np.allclose(fitted.predict_proba(x)[:, 1], p, atol=0.03)


def test_beta_columns_are_the_logs_of_the_trees_probability_even_far_in_the_tail() -> None:
    margin = np.array([-30.0, -2.0, 0.0, 3.0])
    p = 1 / (1 + np.exp(-margin))
    columns = beta_columns(margin)
    assert np.allclose(columns[:, 0], np.log(p))
    assert np.allclose(columns[1:, 1], -np.log1p(-p[1:]))
    assert np.isfinite(columns).all() and columns[0, 0] < -29


def _data(n: int = 6_000) -> tuple[TrainingSet, list[str]]:
    """Onset places (no violence near) are hit a fifth as often as continuation places with the
    same other feature: one curve for both cannot fit both."""
    rng = np.random.default_rng(5)
    names = ["signal", CONTINUATION, HERE]
    going = rng.random(n) < 0.5
    signal = rng.normal(size=n)
    rate = 1 / (1 + np.exp(-(signal - 2.5 + np.where(going, 1.0, -0.6))))
    y = rng.random(n) < rate
    here = (going & (rng.random(n) < 0.3)).astype(float)
    features = np.column_stack([signal, going.astype(float), here]).astype(np.float32)
    origin = np.repeat(np.arange(12), n // 12)
    return TrainingSet(features, y, np.ones(n), origin), names


def test_beta_and_the_onset_split_give_probabilities_and_the_split_separates_the_sides() -> None:
    data, names = _data()
    plain = GradientBoostedModel(BoostedParams(trees=20))
    plain.fit(data, names)
    split = GradientBoostedModel(BoostedParams(trees=20, onset_split=True))
    split.fit(data, names)
    beta = GradientBoostedModel(BoostedParams(trees=20, calibration="beta"))
    beta.fit(data, names)
    here = GradientBoostedModel(BoostedParams(trees=20, calibration="platt-here"))
    here.fit(data, names)
    assert here.here is not None and here.here[0] == names.index(HERE)
    for model in (plain, split, beta, here):
        p = model.predict(data.features)
        assert ((p >= 0) & (p <= 1)).all()
    assert split.split is not None and split.split[1][True] != split.split[1][False]
    # Held-out log-loss: the split is no worse than one curve on data built to need it.
    test, _ = _data()
    def loss(m: GradientBoostedModel) -> float:
        q = np.clip(m.predict(test.features), 1e-9, 1 - 1e-9)
        return float(-np.mean(test.outcome * np.log(q) + (~test.outcome) * np.log(1 - q)))
    assert loss(split) <= loss(plain) + 1e-3
