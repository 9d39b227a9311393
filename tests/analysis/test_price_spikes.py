"""The siege rules' price spikes, found for all rows at once (analysis.siege._spikes), are the
ones a loop over each series' days finds, with the same medians, in the same order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.analysis.siege import _spikes


def spikes_one_by_one(series: np.ndarray, day: np.ndarray, price: np.ndarray, baseline_days: int,
                      min_baseline: int, min_ratio: float) -> list[tuple[int, float]]:
    """The rule as written: each series in turn, each of its days against the positive prices
    of the ``baseline_days`` before that day."""
    found = []
    for number in sorted(set(series.tolist())):
        rows = sorted(np.flatnonzero(series == number).tolist(), key=lambda r: day[r])
        d, v = day[rows], price[rows]
        for j, row in enumerate(rows):
            lo = np.searchsorted(d, d[j] - baseline_days, "left")
            hi = np.searchsorted(d, d[j], "left")
            base = v[lo:hi]
            base = base[~np.isnan(base) & (base > 0)]
            if len(base) < min_baseline or np.isnan(v[j]) or len(base) == 0:
                continue
            median = float(np.median(base))
            if v[j] >= min_ratio * median:
                found.append((row, median))
    return found


prices = st.one_of(st.just(float("nan")), st.just(0.0), st.floats(-5, 1e6, allow_nan=False),
                   st.sampled_from([100.0, 150.0, 250.0, 1000.0]))


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 4), st.integers(19000, 19400), prices), max_size=80),
       baseline=st.integers(0, 200), min_baseline=st.integers(0, 5),
       ratio=st.sampled_from([0.0, 1.0, 1.5, 2.0]))
def test_spikes_at_once_are_the_spikes_day_by_day(rows: list[tuple[int, int, float]], baseline: int,
                                                  min_baseline: int, ratio: float) -> None:
    series = np.array([r[0] for r in rows], np.int64)
    day = np.array([r[1] for r in rows], np.int64)
    price = np.array([r[2] for r in rows], np.float64)
    assert _spikes(series, day, price, baseline, min_baseline, ratio) == \
        spikes_one_by_one(series, day, price, baseline, min_baseline, ratio)


def test_a_monthly_series_spikes_against_its_own_half_year() -> None:
    # Sorghum at 100 for six months, then 160: a spike at 1.5x; another market at 100 does not.
    day = np.array([19000 + 30 * m for m in range(7)] * 2, np.int64)
    price = np.array([100.0] * 6 + [160.0] + [100.0] * 7)
    series = np.array([0] * 7 + [1] * 7, np.int64)
    assert _spikes(series, day, price, 180, 3, 1.5) == [(6, 100.0)]
