"""Which settlements a point lies in or near, for millions of points at a time.

Each settlement's disc (its radius plus a surrounding ring) is rasterised once onto a fine grid;
a point then finds its candidate settlements with one array look-up of its cell, and only those
candidates get a haversine distance. Most fire detections lie in fields and bush, far from any
settlement, and cost a floor and an index. (``tocsin.spatial.nearest_within`` does the same
job point by point, for thousands of events; this is its vectorised form for satellite data.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tocsin.spatial import EARTH_RADIUS_KM

KM_PER_DEG_LAT = 111.32
# Above this many cells the raster is kept sparse (sorted keys) instead of dense.
DENSE_CELL_LIMIT = 40_000_000


def local_km(lat: NDArray[np.float64], lon: NDArray[np.float64], p_lat: NDArray[np.float64],
             p_lon: NDArray[np.float64], cos_p: NDArray[np.float64], sin_p: NDArray[np.float64]
             ) -> NDArray[np.float64]:
    """Distance in km over the few km between a point and a place: the equirectangular formula at
    the mid latitude (its cosine from the place's by a first-order step), within a millionth of
    the haversine distance at settlement scales and several times cheaper (no trigonometry per
    pair)."""
    d_lat = np.radians(lat - p_lat)
    d_lon = np.radians(lon - p_lon)
    cos_mid = cos_p - sin_p * (d_lat / 2)
    return EARTH_RADIUS_KM * np.sqrt(d_lat * d_lat + (cos_mid * d_lon) ** 2)


class SettlementIndex:
    """Settlement discs on a grid of ``cell_deg`` degrees. ``reach_km`` per place is how far
    from its centre a point still counts as near it (settlement radius + ring)."""

    def __init__(self, lat: NDArray[np.float64], lon: NDArray[np.float64],
                 reach_km: NDArray[np.float64], cell_deg: float = 0.01,
                 inner_km: NDArray[np.float64] | None = None) -> None:
        self.lat, self.lon, self.reach = lat, lon, reach_km
        self.cell = cell_deg
        # With ``inner_km`` (a settlement's own radius inside its reach), the (cell, place)
        # pairs whose whole cell lies beyond the inner radius and within reach are marked: a
        # point there is in the place's ring, whatever its exact distance, which is then not
        # computed (``candidates`` gives inf). About a third of the pairs, for a 3 km ring.
        self.ring_only: NDArray[np.bool_] | None = None
        self.cos_lat, self.sin_lat = np.cos(np.radians(lat)), np.sin(np.radians(lat))
        n = len(lat)
        if n == 0:
            self.row0 = self.col0 = self.rows = self.cols = 0
            self.keys = np.zeros(0, np.int64)
            self.indptr = np.zeros(1, np.int64)
            self.members = np.zeros(0, np.int32)
            self.dense = True
            return
        dlat = reach_km / KM_PER_DEG_LAT
        dlon = reach_km / (KM_PER_DEG_LAT * np.maximum(np.cos(np.radians(np.abs(lat) + dlat)), 0.01))
        r_lo = np.floor((lat - dlat) / cell_deg).astype(np.int64)
        r_hi = np.floor((lat + dlat) / cell_deg).astype(np.int64)
        c_lo = np.floor((lon - dlon) / cell_deg).astype(np.int64)
        c_hi = np.floor((lon + dlon) / cell_deg).astype(np.int64)
        self.row0, self.col0 = int(r_lo.min()), int(c_lo.min())
        self.rows = int(r_hi.max()) - self.row0 + 1
        self.cols = int(c_hi.max()) - self.col0 + 1
        # Every (cell, place) pair of each place's bounding box of cells, in cell order. Which
        # of two places sharing a cell comes first does not matter: ties are decided by the
        # caller (the burnings detector, by place id).
        heights, widths = r_hi - r_lo + 1, c_hi - c_lo + 1
        base = (r_lo - self.row0) * self.cols + (c_lo - self.col0)
        if inner_km is None or self.rows * self.cols >= 2**31:
            key, owner = self._pairs(base, heights, widths, 0, n)
            order = np.argsort(key.astype(np.int32) if self.rows * self.cols < 2**31 else key)
            key, self.members = key[order], owner[order]
            if inner_km is not None:  # a grid too large to pack its cell numbers: none marked
                self.ring_only = np.zeros(len(key), bool)
        else:
            key, self.members, self.ring_only = self._ring_pairs(
                base, r_lo, c_lo, heights, widths, reach_km, inner_km)
        self.dense = self.rows * self.cols <= DENSE_CELL_LIMIT
        slot_type = np.int32 if len(key) < 2**31 else np.int64  # half the look-up's memory
        if self.dense:
            counts = np.bincount(key, minlength=self.rows * self.cols)
            self.indptr = np.concatenate([[0], np.cumsum(counts)]).astype(slot_type)
            self.keys = np.zeros(0, np.int64)
        else:
            self.keys, first = np.unique(key, return_index=True)
            self.indptr = np.concatenate([first, [len(key)]]).astype(slot_type)

    def _pairs(self, base: NDArray[np.int64], heights: NDArray[np.int64], widths: NDArray[np.int64],
               a: int, b: int) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
        """(cell, place) of every cell of the boxes of places a..b, place by place."""
        sizes = heights[a:b] * widths[a:b]
        owner = np.repeat(np.arange(a, b, dtype=np.int32), sizes)
        offset = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        width = np.repeat(widths[a:b], sizes)
        key = np.repeat(base[a:b], sizes) + (offset // width) * self.cols + offset % width
        return key, owner

    def _ring_pairs(self, base: NDArray[np.int64], r_lo: NDArray[np.int64], c_lo: NDArray[np.int64],
                    heights: NDArray[np.int64], widths: NDArray[np.int64],
                    reach_km: NDArray[np.float64], inner_km: NDArray[np.float64]
                    ) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.bool_]]:
        """The pairs in cell order without those whose cell lies wholly beyond reach, and which
        of them lie wholly in the ring: a lower and an upper bound of ``local_km`` from the
        place to any point of the cell (its nearest and farthest edge, at the smallest and the
        largest cosine the formula can take there), widened again for rounding. Computed for
        the places of one box shape at a time, as (place, row) x (place, column) arrays (no
        gather per pair), then one sort of packed (cell, ring, place) words: NumPy's SIMD sort
        of 64-bit integers, several times an argsort and its gathers. Places sharing a cell
        come in place order; the detector decides ties by place id anyway."""
        cell = self.cell
        shape = heights * (int(widths.max()) + 1) + widths
        by_shape = np.argsort(shape, kind="stable")
        starts = np.flatnonzero(np.concatenate([[True], np.diff(shape[by_shape]) != 0]))
        words: list[NDArray[np.int64]] = []
        for first, stop in zip(starts.tolist(), [*starts[1:].tolist(), len(shape)], strict=True):
            h, w = int(heights[by_shape[first]]), int(widths[by_shape[first]])
            step = max(1, (1 << 18) // (h * w))  # a few MB of temporaries at a time
            for a in range(first, stop, step):
                g = by_shape[a:min(a + step, stop)]
                lat, lon = self.lat[g][:, None], self.lon[g][:, None]
                south = (r_lo[g][:, None] + np.arange(h)) * cell
                west = (c_lo[g][:, None] + np.arange(w)) * cell
                near_lat = np.radians(np.abs(lat - np.clip(lat, south, south + cell)))[:, :, None]
                far_lat = np.radians(np.maximum(np.abs(south + cell - lat), np.abs(lat - south)))
                near_lon = np.radians(np.abs(lon - np.clip(lon, west, west + cell)))[:, None, :]
                far_lon = np.radians(np.maximum(np.abs(west + cell - lon), np.abs(lon - west)))[:, None, :]
                swing = np.abs(self.sin_lat[g])[:, None] * far_lat / 2
                cos_p = self.cos_lat[g][:, None]
                cos_low = np.maximum(cos_p - swing, 0)[:, :, None]
                cos_high = (cos_p + swing)[:, :, None]
                far_lat = far_lat[:, :, None]
                lo = EARTH_RADIUS_KM * np.sqrt(near_lat**2 + (cos_low * near_lon) ** 2) * (1 - 1e-6)
                hi = EARTH_RADIUS_KM * np.sqrt(far_lat**2 + (cos_high * far_lon) ** 2) * (1 + 1e-6)
                reach = reach_km[g][:, None, None]
                keep = lo <= reach
                ring = (lo > inner_km[g][:, None, None]) & (hi < reach)
                key = base[g][:, None, None] + (np.arange(h) * self.cols)[:, None] + np.arange(w)
                words.append(((key << 32) | (ring.astype(np.int64) << 31) | g[:, None, None])[keep])
        packed = np.sort(np.concatenate(words))
        return packed >> 32, (packed & 0x7FFFFFFF).astype(np.int32), ((packed >> 31) & 1).astype(bool)

    def _cells(self, lat: NDArray[np.float64], lon: NDArray[np.float64]
               ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """(point index, first slot, slot count) of the points whose cell holds any place."""
        # Offsets from the grid's corner: truncation is floor for the non-negative ones, and the
        # negative ones are outside anyway.
        y = (lat - self.row0 * self.cell) * (1 / self.cell)
        x = (lon - self.col0 * self.cell) * (1 / self.cell)
        points = np.flatnonzero((y >= 0) & (y < self.rows) & (x >= 0) & (x < self.cols))
        key = y[points].astype(np.int64) * self.cols + x[points].astype(np.int64)
        if self.dense:
            start, stop = self.indptr[key], self.indptr[key + 1]
        else:
            at = np.searchsorted(self.keys, key)
            at_ok = np.minimum(at, len(self.keys) - 1)
            found = self.keys[at_ok] == key
            start = np.where(found, self.indptr[at_ok], 0)
            stop = np.where(found, self.indptr[at_ok + 1], 0)
        hit = stop > start
        return points[hit], start[hit], (stop - start)[hit]

    def _km(self, lat: NDArray[np.float64], lon: NDArray[np.float64], place: NDArray[np.int32]
            ) -> NDArray[np.float64]:
        """``local_km`` from each point to its place. Each of the place's values gathered from
        its own array: a third faster than one gather of rows holding them all (each array,
        a few hundred kB, stays in cache)."""
        return local_km(lat, lon, self.lat[place], self.lon[place], self.cos_lat[place],
                        self.sin_lat[place])

    def candidates(self, lat: NDArray[np.float64], lon: NDArray[np.float64]
                   ) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.float64]]:
        """(point index, place index, distance km) for every point within a place's reach,
        grouped by point in point order; the distance is inf for a pair the index knows to be
        beyond the place's inner radius (see ``inner_km``)."""
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0))
        if len(self.members) == 0 or len(lat) == 0:
            return empty
        points, start, counts = self._cells(lat, lon)
        if len(points) == 0:
            return empty
        point = np.repeat(points, counts)
        slot = np.repeat(start - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        place = self.members[slot]
        if self.ring_only is None:
            km = self._km(lat[point], lon[point], place)
            near = np.flatnonzero(km <= self.reach[place])
            return point[near], place[near], km[near]
        # Distances only where the cell does not settle it: a ring-only pair is near at inf.
        ring = self.ring_only[slot]
        exact = np.flatnonzero(~ring)
        at, of = point[exact], place[exact]
        km_exact = self._km(lat[at], lon[at], of)
        within = km_exact <= self.reach[of]
        km = np.full(len(slot), np.inf)
        km[exact] = km_exact
        ring[exact[within]] = True  # now: near
        near = np.flatnonzero(ring)
        return point[near], place[near], km[near]
