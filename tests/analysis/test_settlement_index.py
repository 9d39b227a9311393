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
