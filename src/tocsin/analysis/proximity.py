"""Dated points near places, indexed once so that any date's window is a contiguous slice.

A backtest asks the same question at hundreds of dates: "how many events within 25 km of each
place in the 90 days before D?". The (point, place) pairs within the largest ring are found once
(a k-d tree on the unit sphere), ordered by the point's date; a date window is then a slice, and
each ring a ``bincount`` over it. No per-place Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from tocsin.spatial import EARTH_RADIUS_KM

CHUNK = 256


def unit_xyz(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def chord_for_km(km: float) -> float:
    return float(2 * np.sin(km / (2 * EARTH_RADIUS_KM)))


def km_for_chord(chord: NDArray[np.float64]) -> NDArray[np.float64]:
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))


def place_tree(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> cKDTree:
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
    # The same pairs by distinct location: point i stands at ``location[i]``, whose pairs are
    # ``loc_place``/``loc_km`` at ``loc_offsets[g]:loc_offsets[g + 1]``. A day's counts per ring
    # are then counts per location spread over its pairs: far fewer than one pair per point
    # where events share coordinates (LocationWindow).
    location: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    loc_offsets: NDArray[np.int64] = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    loc_place: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    loc_km: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    @classmethod
    def build(cls, tree: cKDTree, lat: NDArray[np.float64], lon: NDArray[np.float64],
              day: NDArray[np.int64], known: NDArray[np.int64], max_km: float) -> DatedPairs:
        order = np.argsort(day, kind="stable")
        lat, lon = lat[order], lon[order]
        if len(order) == 0:
            empty = np.zeros(0, dtype=np.int32)
            return cls(day[order], known[order], order, np.zeros(1, dtype=np.int64), empty, empty,
                       np.zeros(0, dtype=np.float32))
        # Events share coordinates (a town's centroid, a village's point): the tree is asked once
        # per distinct location and each point takes its location's pairs, in the same order a
        # query of its own would give (an equal query point gives an equal answer).
        coords = np.column_stack([lat, lon])
        where, location = np.unique(coords, axis=0, return_inverse=True)
        location = location.reshape(-1)
        xyz = unit_xyz(where[:, 0], where[:, 1])
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
        loc_sizes = np.concatenate(counts)
        loc_bounds = np.concatenate([[0], np.cumsum(loc_sizes)]).tolist()
        loc_place, loc_km = np.concatenate(places), np.concatenate(distances)
        sizes = loc_sizes[location]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        pair_point = np.repeat(np.arange(len(order), dtype=np.int32), sizes)
        spans = [(loc_bounds[g], loc_bounds[g + 1]) for g in location.tolist()]
        return cls(day[order], known[order], order, offsets, pair_point,
                   np.concatenate([loc_place[a:b] for a, b in spans]),
                   np.concatenate([loc_km[a:b] for a, b in spans]),
                   location.astype(np.int64), np.asarray(loc_bounds, dtype=np.int64), loc_place, loc_km)

    def points(self, as_of: int, days: int | None) -> NDArray[np.int64]:
        """Points dated in (as_of - days, as_of] and known at as_of (``window``, by point)."""
        lo = 0 if days is None else int(np.searchsorted(self.day, as_of - days, side="right"))
        hi = int(np.searchsorted(self.day, as_of, side="right"))
        rows = np.arange(lo, hi, dtype=np.int64)
        return rows[self.known[rows] <= as_of]

    def location_pairs(self, locations: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int32],
                                                                    NDArray[np.float32]]:
        """The pairs of ``locations`` (distinct, sorted): each pair's location, place and km."""
        starts, ends = self.loc_offsets[locations], self.loc_offsets[locations + 1]
        sizes = ends - starts
        rows = (np.repeat(starts - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
                + np.arange(int(sizes.sum()), dtype=np.int64))
        return np.repeat(locations, sizes), self.loc_place[rows], self.loc_km[rows]

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


@dataclass
class PlacePairs:
    """The pairs of a few places, grouped by place (pair order kept within each place).

    Explaining a forecast asks per place ("the latest violence within 25 km of this place");
    scanning every pair for each of hundreds of places costs a pass over tens of millions of
    pairs each time. One pass picks the places' pairs; each question then reads its own few.
    """

    source: DatedPairs
    places: NDArray[np.int64]          # the places indexed, sorted
    starts: NDArray[np.int64]          # rows of places[i] are rows[starts[i]:starts[i + 1]]
    rows: NDArray[np.int64]            # pair indices into ``source``

    @classmethod
    def of(cls, source: DatedPairs, places: NDArray[np.int64], n_places: int) -> PlacePairs:
        wanted = np.zeros(max(n_places, int(places.max(initial=-1)) + 1), dtype=bool)
        wanted[places] = True
        rows = np.flatnonzero(wanted[source.pair_place])
        rows = rows[np.argsort(source.pair_place[rows], kind="stable")]
        chosen = np.unique(places)
        starts = np.searchsorted(source.pair_place[rows], np.r_[chosen, np.iinfo(np.int64).max])
        return cls(source, chosen, starts.astype(np.int64), rows)

    def __contains__(self, place: int) -> bool:
        i = int(np.searchsorted(self.places, place))
        return i < len(self.places) and int(self.places[i]) == place

    def window(self, place: int, as_of: int, days: int | None) -> NDArray[np.int64]:
        """The place's pairs whose point is dated in (as_of - days, as_of] and known by as_of
        (``DatedPairs.window`` for one place), in pair order."""
        i = int(np.searchsorted(self.places, place))
        if i >= len(self.places) or int(self.places[i]) != place:
            raise KeyError(f"place {place} is not indexed")
        rows = self.rows[self.starts[i]:self.starts[i + 1]]
        point = self.source.pair_point[rows]
        day = self.source.day[point]
        keep = (day <= as_of) & (self.source.known[point] <= as_of)
        if days is not None:
            keep &= day > as_of - days
        return rows[keep]
