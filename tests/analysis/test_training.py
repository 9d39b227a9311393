"""Training rows never look past the origin they are used for; weights stand for every place."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.analysis.training import TrainingStore


@settings(max_examples=40, deadline=None)
@given(horizon=st.sampled_from([7, 30, 90]), lag=st.integers(0, 20), cutoff=st.integers(0, 400),
       window=st.one_of(st.none(), st.integers(30, 300)), seed=st.integers(0, 1000))
def test_no_training_label_closes_after_the_cutoff(horizon: int, lag: int, cutoff: int,
                                                   window: int | None, seed: int) -> None:
    rng = np.random.default_rng(seed)
    store = TrainingStore((7, 30, 90), negatives_per_origin=20, event_lag_days=lag, seed=seed)
    origins = list(range(0, 400, 30))
    for origin in origins:
        features = np.full((200, 2), origin, dtype=np.float32)
        labels = {h: rng.random(200) < 0.05 for h in (7, 30, 90)}
        store.add(origin, features, labels, active=rng.random(200) < 0.3)
    data = store.training_set(horizon, cutoff, window)
    assert np.all(data.origin + horizon + lag <= cutoff)
    assert np.all(data.features[:, 0] == data.origin)        # rows keep their own origin
    if window is not None:
        assert np.all(data.origin > cutoff - window)
    closed = [o for o in origins if o + horizon + lag <= cutoff and (window is None or o > cutoff - window)]
    assert sorted(set(data.origin.tolist())) == closed


def test_weights_stand_for_every_negative_of_each_stratum() -> None:
    rng = np.random.default_rng(1)
    store = TrainingStore((30,), negatives_per_origin=25)
    n = 1000
    labels = rng.random(n) < 0.02
    active = rng.random(n) < 0.2
    store.add(0, np.zeros((n, 1), dtype=np.float32), {30: labels}, active)
    data = store.training_set(30, 10_000)
    assert data.outcome.sum() == labels.sum()                # every positive kept
    assert data.weight[data.outcome].tolist() == [1.0] * int(labels.sum())
    assert data.weight[~data.outcome].sum() == pytest.approx(n - labels.sum())
    assert len(data.origin) <= 50 + labels.sum()
