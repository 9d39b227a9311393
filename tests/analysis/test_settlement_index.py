"""The vectorised settlement look-up finds exactly what a brute-force distance check finds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.analysis import settlement_index
from tocsin.analysis.settlement_index import SettlementIndex
from tocsin.spatial import haversine_km


def brute_force(lat, lon, p_lat, p_lon, reach):  # type: ignore[no-untyped-def]
    pairs = set()
    for i in range(len(lat)):
        km = haversine_km(lat[i], lon[i], p_lat, p_lon)
        pairs |= {(i, int(j)) for j in np.flatnonzero(km <= reach)}
    return pairs


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_places=st.integers(0, 40), n_points=st.integers(0, 300),
       cell=st.sampled_from([0.005, 0.01, 0.05]), dense=st.booleans())
def test_candidates_equal_brute_force(seed: int, n_places: int, n_points: int, cell: float,
                                      dense: bool) -> None:
    rng = np.random.default_rng(seed)
    p_lat, p_lon = rng.uniform(12.0, 12.3, n_places), rng.uniform(-0.1, 0.2, n_places)
    reach = rng.choice([1.0, 2.5, 4.5, 11.0], n_places)
    lat, lon = rng.uniform(11.9, 12.4, n_points), rng.uniform(-0.2, 0.3, n_points)
    old = settlement_index.DENSE_CELL_LIMIT
    settlement_index.DENSE_CELL_LIMIT = old if dense else 0  # exercise the sparse layout too
    try:
        index = SettlementIndex(p_lat, p_lon, reach, cell_deg=cell)
    finally:
        settlement_index.DENSE_CELL_LIMIT = old
    point, place, km = index.candidates(lat, lon)
    assert set(zip(point.tolist(), place.tolist(), strict=True)) == brute_force(
        lat, lon, p_lat, p_lon, reach)
    assert np.allclose(km, haversine_km(lat[point], lon[point], p_lat[place], p_lon[place]), rtol=1e-5)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_places=st.integers(1, 40), n_points=st.integers(0, 300),
       cell=st.sampled_from([0.005, 0.01, 0.05]), lat0=st.sampled_from([-60.0, 0.0, 12.0, 55.0]))
def test_ring_only_cells_are_exactly_the_ring(seed: int, n_places: int, n_points: int, cell: float,
                                             lat0: float) -> None:
    """With the settlements' own radii, the pairs are still every pair within reach; a pair
    whose distance the index skipped (inf) is truly beyond the inner radius."""
    rng = np.random.default_rng(seed)
    p_lat, p_lon = rng.uniform(lat0, lat0 + 0.3, n_places), rng.uniform(-0.1, 0.2, n_places)
    inner = rng.choice([0.5, 1.0, 1.5, 4.0, 8.0], n_places)
    reach = inner + rng.choice([0.5, 3.0], n_places)
    lat, lon = rng.uniform(lat0 - 0.1, lat0 + 0.4, n_points), rng.uniform(-0.2, 0.3, n_points)
    index = SettlementIndex(p_lat, p_lon, reach, cell_deg=cell, inner_km=inner)
    point, place, km = index.candidates(lat, lon)
    assert set(zip(point.tolist(), place.tolist(), strict=True)) == brute_force(
        lat, lon, p_lat, p_lon, reach)
    assert np.all(np.diff(point) >= 0)  # grouped by point, in point order
    exact = np.isfinite(km)
    true_km = haversine_km(lat[point], lon[point], p_lat[place], p_lon[place])
    assert np.allclose(km[exact], true_km[exact], rtol=1e-5)
    assert np.all(true_km[~exact] > inner[place[~exact]] * (1 - 1e-5))
    plain = SettlementIndex(p_lat, p_lon, reach, cell_deg=cell)
    p2, q2, km2 = plain.candidates(lat, lon)
    same = dict(zip(zip(p2.tolist(), q2.tolist(), strict=True), km2.tolist(), strict=True))
    assert all(same[(a, b)] == k for a, b, k in zip(point[exact].tolist(), place[exact].tolist(),
                                                   km[exact].tolist(), strict=True))
    assert all(same[(a, b)] > inner[b] for a, b in zip(point[~exact].tolist(),
                                                      place[~exact].tolist(), strict=True))
