"""Distances and grid hashing: the spatial join Tocsin uses everywhere (DuckDB's spatial
extension cannot be installed offline, and a grid equi-join works the same in DuckDB, NumPy and
Spark)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64]:
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def grid_cell(lat: ArrayLike, lon: ArrayLike, size_deg: float) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Integer cell coordinates; points closer than ``size_deg`` degrees of latitude share a cell
    or are neighbours (lon cells shrink with latitude, so callers size cells for the worst case)."""
    return (np.floor(np.asarray(lat, dtype=float) / size_deg).astype(np.int64),
            np.floor(np.asarray(lon, dtype=float) / size_deg).astype(np.int64))


def cell_size_for_km(km: float) -> float:
    """A cell size in degrees at least ``km`` wide everywhere Sudan is (|lat| < 25)."""
    return km / (111.32 * np.cos(np.radians(25)))


def nearest_within(lat: NDArray[np.float64], lon: NDArray[np.float64],
                   target_lat: NDArray[np.float64], target_lon: NDArray[np.float64],
                   radius_km: NDArray[np.float64] | float) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """For each point, the index of the nearest target within its radius (the target's own
    radius when an array is given), or -1; and the distance in km (NaN when none).

    Grid hashing: targets are bucketed by cell, each point looks in its 3x3 neighbourhood.
    """
    radii = np.broadcast_to(np.asarray(radius_km, dtype=float), target_lat.shape)
    best = np.full(lat.shape, -1, dtype=np.int64)
    best_km = np.full(lat.shape, np.nan)
    if len(target_lat) == 0 or len(lat) == 0:
        return best, best_km
    size = cell_size_for_km(float(radii.max()))
    t_row, t_col = grid_cell(target_lat, target_lon, size)
    buckets: dict[tuple[int, int], list[int]] = {}
    for index, key in enumerate(zip(t_row.tolist(), t_col.tolist(), strict=True)):
        buckets.setdefault(key, []).append(index)
    p_row, p_col = grid_cell(lat, lon, size)
    for point in range(len(lat)):
        candidates = [t for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                      for t in buckets.get((int(p_row[point]) + dr, int(p_col[point]) + dc), ())]
        if not candidates:
            continue
        idx = np.asarray(candidates)
        km = haversine_km(lat[point], lon[point], target_lat[idx], target_lon[idx])
        inside = km <= radii[idx]
        if inside.any():
            pick = int(np.argmin(np.where(inside, km, np.inf)))
            best[point], best_km[point] = idx[pick], km[pick]
    return best, best_km
