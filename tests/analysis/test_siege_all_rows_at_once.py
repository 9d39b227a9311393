"""Parts of the siege rules computed for all rows at once (analysis.siege) give what a loop
over each row gives: the price spikes (same spikes, medians and order as a loop over each
series' days) and each row's signals and reason."""

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


def signal_names_one_by_one(flat_rank: np.ndarray, active: list) -> tuple[list, list]:
    from tocsin.analysis.siege import STAGES

    names: list[list[str]] = [[] for _ in range(len(flat_rank))]
    for sig, holds in active:
        for r in np.flatnonzero(holds).tolist():
            names[r].append(sig.name)
    reasons = [f"{STAGES[k]}: " + ", ".join(n.replace("_", " ") for n in names[r]) if k > 0 else None
               for r, k in enumerate(flat_rank.tolist())]
    return names, reasons


@settings(max_examples=60, deadline=None)
@given(signals=st.sampled_from([0, 1, 3, 62, 63, 70]), rows=st.integers(0, 40),
       seed=st.integers(0, 2**32 - 1))
def test_signal_names_made_once_per_combination_are_each_rows_own(signals: int, rows: int,
                                                                  seed: int) -> None:
    """The signals and reason of each row (siege._signal_names, by combination of signals),
    for few signals and for more than a number's bits hold."""
    from types import SimpleNamespace

    from tocsin.analysis.siege import STAGES, _signal_names

    rng = np.random.default_rng(seed)
    flat_rank = rng.integers(0, len(STAGES), rows).astype(np.int16)
    active = [(SimpleNamespace(name=f"signal_{i}"), rng.random(rows) < 0.3) for i in range(signals)]
    names, reasons = _signal_names(None, flat_rank, active)
    assert (names.to_pylist(), reasons) == signal_names_one_by_one(flat_rank, active)
