"""Dated points near places, indexed once so that any date's window is a contiguous slice.

A backtest asks the same question at hundreds of dates: "how many events within 25 km of each
place in the 90 days before D?". The (point, place) pairs within the largest ring are found once
(a k-d tree on the unit sphere), ordered by the point's date; a date window is then a slice, and
each ring a ``bincount`` over it. No per-place Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from tocsin.spatial import EARTH_RADIUS_KM

if TYPE_CHECKING:  # SciPy is imported when a tree is built, not by every command's start-up
    from scipy.spatial import cKDTree

CHUNK = 256


def unit_xyz(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def chord_for_km(km: float) -> float:
    return float(2 * np.sin(km / (2 * EARTH_RADIUS_KM)))


def km_for_chord(chord: NDArray[np.float64]) -> NDArray[np.float64]:
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))


def place_tree(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> cKDTree:
    from scipy.spatial import cKDTree

    return cKDTree(unit_xyz(lat, lon))


@dataclass
class DatedPairs:
    """Points sorted by day, and their pairs with places within ``max_km``.

    ``day`` is when the point happened (days since 1970-01-01), ``known`` when it became known;
    pairs of point ``i`` are ``offsets[i]:offsets[i + 1]``.
    """

    day: NDArray[np.int64]
    known: NDArray[np.int64]
    order: NDArray[np.int64]          # original row of each sorted point
    offsets: NDArray[np.int64]
    pair_point: NDArray[np.int32]
    pair_place: NDArray[np.int32]
    pair_km: NDArray[np.float32]

    @classmethod
    def build(cls, tree: cKDTree, lat: NDArray[np.float64], lon: NDArray[np.float64],
              day: NDArray[np.int64], known: NDArray[np.int64], max_km: float) -> DatedPairs:
        order = np.argsort(day, kind="stable")
        lat, lon = lat[order], lon[order]
        if len(order) == 0:
            empty = np.zeros(0, dtype=np.int32)
            return cls(day[order], known[order], order, np.zeros(1, dtype=np.int64), empty, empty,
                       np.zeros(0, dtype=np.float32))
        xyz = unit_xyz(lat, lon)
        # In chunks: the tree answers with Python lists, which would take ~30x the memory of
        # the final arrays if built for all points at once.
        places, distances, counts = [], [], []
        for lo in range(0, len(xyz), CHUNK):
            part = xyz[lo:lo + CHUNK]
            hits = tree.query_ball_point(part, chord_for_km(max_km), return_sorted=False)
            sizes = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
            found = (np.concatenate([np.asarray(h, dtype=np.int32) for h in hits]) if sizes.sum()
                     else np.zeros(0, dtype=np.int32))
            owner = np.repeat(np.arange(len(part)), sizes)
            chord = np.linalg.norm(tree.data[found] - part[owner], axis=1)
            places.append(found)
            distances.append(km_for_chord(chord).astype(np.float32))
            counts.append(sizes)
        sizes = np.concatenate(counts)
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        pair_point = np.repeat(np.arange(len(order), dtype=np.int32), sizes)
        return cls(day[order], known[order], order, offsets, pair_point, np.concatenate(places),
                   np.concatenate(distances))

    def window(self, as_of: int, days: int | None) -> tuple[slice, NDArray[np.bool_]]:
        """Pairs of points dated in (as_of - days, as_of] (all history when days is None) and
        the mask of those already known at as_of."""
        lo = 0 if days is None else int(np.searchsorted(self.day, as_of - days, side="right"))
        hi = int(np.searchsorted(self.day, as_of, side="right"))
        pairs = slice(int(self.offsets[lo]), int(self.offsets[hi]))
        return pairs, self.known[self.pair_point[pairs]] <= as_of

    def future(self, as_of: int, days: int) -> slice:
        """Pairs of points dated in (as_of, as_of + days]: what a label looks at."""
        lo = int(np.searchsorted(self.day, as_of, side="right"))
        hi = int(np.searchsorted(self.day, as_of + days, side="right"))
        return slice(int(self.offsets[lo]), int(self.offsets[hi]))
