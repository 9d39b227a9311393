"""Dated points near places, indexed once so that any date's window is a contiguous slice.

A backtest asks the same question at hundreds of dates: "how many events within 25 km of each
place in the 90 days before D?". The (point, place) pairs within the largest ring are found once
(a k-d tree on the unit sphere), ordered by the point's date; a date window is then a slice, and
each ring a ``bincount`` over it. No per-place Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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

    ``day`` is when the point happened (days since 1970-01-01), ``known`` when it became known.
    Pairs are kept by distinct location (events share coordinates: a town's centroid, a
    village's point): point ``i`` stands at ``location[i]``, whose pairs are ``loc_place`` /
    ``loc_km`` at ``loc_offsets[g]:loc_offsets[g + 1]``. A day's counts per ring are counts per
    location spread over its pairs, far fewer than one pair per point. The pairs of each point
    (``offsets``, ``pair_point``, ``pair_place``, ``pair_km``: pairs of point ``i`` are
    ``offsets[i]:offsets[i + 1]``) are laid out on first use only.
    """

    day: NDArray[np.int64]
    known: NDArray[np.int64]
    order: NDArray[np.int64]          # original row of each sorted point
    location: NDArray[np.int64]
    loc_offsets: NDArray[np.int64]
    loc_place: NDArray[np.int32]
    loc_km: NDArray[np.float32]

    @classmethod
    def build(cls, tree: cKDTree, lat: NDArray[np.float64], lon: NDArray[np.float64],
              day: NDArray[np.int64], known: NDArray[np.int64], max_km: float) -> DatedPairs:
        order = np.argsort(day, kind="stable")
        lat, lon = lat[order], lon[order]
        if len(order) == 0:
            return cls(day[order], known[order], order, np.zeros(0, dtype=np.int64),
                       np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32),
                       np.zeros(0, dtype=np.float32))
        # The tree is asked once per distinct location; an equal query point gives an equal
        # answer, so each point's pairs are the ones a query of its own would give.
        where, location = np.unique(np.column_stack([lat, lon]), axis=0, return_inverse=True)
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
        loc_offsets = np.concatenate([[0], np.cumsum(np.concatenate(counts))]).astype(np.int64)
        return cls(day[order], known[order], order, location.reshape(-1).astype(np.int64),
                   loc_offsets, np.concatenate(places), np.concatenate(distances))

    @cached_property
    def _per_point(self) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int32],
                                  NDArray[np.float32]]:
        sizes = np.diff(self.loc_offsets)[self.location]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        pair_point = np.repeat(np.arange(len(self.day), dtype=np.int32), sizes)
        bounds = self.loc_offsets.tolist()
        spans = [(bounds[g], bounds[g + 1]) for g in self.location.tolist()]
        if not spans:
            return offsets, pair_point, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        return (offsets, pair_point, np.concatenate([self.loc_place[a:b] for a, b in spans]),
                np.concatenate([self.loc_km[a:b] for a, b in spans]))

    @property
    def offsets(self) -> NDArray[np.int64]:
        return self._per_point[0]

    @property
    def pair_point(self) -> NDArray[np.int32]:
        return self._per_point[1]

    @property
    def pair_place(self) -> NDArray[np.int32]:
        return self._per_point[2]

    @property
    def pair_km(self) -> NDArray[np.float32]:
        return self._per_point[3]

    def points(self, as_of: int, days: int | None) -> NDArray[np.int64]:
        """Points dated in (as_of - days, as_of] and known at as_of (``window``, by point)."""
        lo = 0 if days is None else int(np.searchsorted(self.day, as_of - days, side="right"))
        hi = int(np.searchsorted(self.day, as_of, side="right"))
        rows = np.arange(lo, hi, dtype=np.int64)
        return rows[self.known[rows] <= as_of]

    def location_pairs(self, locations: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int32],
                                                                    NDArray[np.float32]]:
        """The pairs of ``locations`` (distinct, sorted): each pair's location, place and km."""
        rows = _ranges(self.loc_offsets[locations], self.loc_offsets[locations + 1])
        sizes = self.loc_offsets[locations + 1] - self.loc_offsets[locations]
        return np.repeat(locations, sizes), self.loc_place[rows], self.loc_km[rows]

    def window(self, as_of: int, days: int | None) -> tuple[slice, NDArray[np.bool_]]:
        """Pairs of points dated in (as_of - days, as_of] (all history when days is None) and
        the mask of those already known at as_of."""
        lo = 0 if days is None else int(np.searchsorted(self.day, as_of - days, side="right"))
        hi = int(np.searchsorted(self.day, as_of, side="right"))
        pairs = slice(int(self.offsets[lo]), int(self.offsets[hi]))
        return pairs, self.pair_known[pairs] <= as_of

    @property
    def pair_known(self) -> NDArray[np.int64]:
        """When each pair's point became known, per pair (built once: gathering it per window
        was a tenth of a date's features)."""
        if getattr(self, "_pair_known", None) is None:
            self._pair_known = self.known[self.pair_point]
        return self._pair_known

    def future(self, as_of: int, days: int) -> slice:
        """Pairs of points dated in (as_of, as_of + days]: what a label looks at."""
        lo = int(np.searchsorted(self.day, as_of, side="right"))
        hi = int(np.searchsorted(self.day, as_of + days, side="right"))
        return slice(int(self.offsets[lo]), int(self.offsets[hi]))


def _ranges(starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.int64]:
    """The concatenation of ``range(s, e)`` for each pair, without a Python loop."""
    sizes = ends - starts
    return (np.repeat(starts - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
            + np.arange(int(sizes.sum()), dtype=np.int64)).astype(np.int64)


@dataclass
class PlacePairs:
    """The points near a few places, grouped by place, in point order within each place.

    Explaining a forecast asks per place ("the latest violence within 25 km of this place");
    scanning every pair for each of hundreds of places costs a pass over tens of millions of
    pairs each time. The places' pairs are picked once, from the location pairs; each question
    then reads its own few. (A place has at most one pair with a point, so point order is the
    order of ``DatedPairs``' pairs.)
    """

    source: DatedPairs
    places: NDArray[np.int64]          # the places indexed, sorted
    starts: NDArray[np.int64]          # rows of places[i] are starts[i]:starts[i + 1]
    point: NDArray[np.int64]           # per row: the point
    km: NDArray[np.float32]            # per row: its distance to the place

    @classmethod
    def of(cls, source: DatedPairs, places: NDArray[np.int64], n_places: int) -> PlacePairs:
        chosen = np.unique(np.asarray(places, dtype=np.int64))
        wanted = np.zeros(max(n_places, int(chosen.max(initial=-1)) + 1), dtype=bool)
        wanted[chosen] = True
        hit = np.flatnonzero(wanted[source.loc_place])               # location pairs of the places
        loc = np.searchsorted(source.loc_offsets, hit, side="right") - 1
        # The points standing at each location, in point order.
        by_loc = np.argsort(source.location, kind="stable")
        first = np.searchsorted(source.location[by_loc], np.arange(len(source.loc_offsets)))
        lo, hi = first[loc], first[loc + 1]
        point = by_loc[_ranges(lo, hi)]
        place = np.repeat(source.loc_place[hit], hi - lo).astype(np.int64)
        km = np.repeat(source.loc_km[hit], hi - lo)
        order = np.lexsort((point, place))
        point, place, km = point[order], place[order], km[order]
        starts = np.searchsorted(place, np.r_[chosen, np.iinfo(np.int64).max])
        return cls(source, chosen, starts.astype(np.int64), point, km)

    def __contains__(self, place: int) -> bool:
        i = int(np.searchsorted(self.places, place))
        return i < len(self.places) and int(self.places[i]) == place

    def window(self, place: int, as_of: int, days: int | None) -> tuple[NDArray[np.int64],
                                                                        NDArray[np.float32]]:
        """The points near the place dated in (as_of - days, as_of] and known by as_of
        (``DatedPairs.window`` for one place), in point order, and their distances."""
        i = int(np.searchsorted(self.places, place))
        if i >= len(self.places) or int(self.places[i]) != place:
            raise KeyError(f"place {place} is not indexed")
        point, km = self.point[self.starts[i]:self.starts[i + 1]], self.km[self.starts[i]:self.starts[i + 1]]
        day = self.source.day[point]
        keep = (day <= as_of) & (self.source.known[point] <= as_of)
        if days is not None:
            keep &= day > as_of - days
        return point[keep], km[keep]
