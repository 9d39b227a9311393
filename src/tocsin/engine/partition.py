"""Cutting the world into tiles with halos, so that a spatially local analysis gives the same
answer run tile by tile as run whole.

A *home* row (a settlement, a place) belongs to exactly one tile: the one its point falls in. An
*input* row (a fire detection, an event) is copied to every tile whose box lies within
``halo_km`` of it, so every home row sees every input within ``halo_km`` of itself, whichever
tile it is in and however near the tile's edge. ``halo_km`` must be at least the furthest any
analysis looks (settlement radius + ring, the event radius); tiles are aligned to a multiple of
any grid the analysis aggregates on (the 0.5-degree seasonal background), so such a cell never
straddles two tiles.

Pure NumPy and Arrow: the local engine and the Spark engine (one ``mapInArrow`` pass) call the
same functions to tag rows with tiles.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

KM_PER_DEG_LAT = 111.32
TILE_COLUMN = "_tile"
# Tile keys: row * COLS + col, rows and cols counted from the south-west corner of the globe.
COLS = 1 << 20


@dataclass(frozen=True)
class Tiling:
    tile_deg: float
    halo_km: float

    def __post_init__(self) -> None:
        if not 0 < self.tile_deg <= 90:
            raise ValueError(f"tile_deg must be in (0, 90], not {self.tile_deg}")
        if self.halo_km < 0:
            raise ValueError(f"halo_km must not be negative, not {self.halo_km}")
        # A halo wider than a tile would copy a row to more than its 3x3 neighbourhood; the
        # copies would still be right, but tiles that small defeat the point of tiling.
        if self.halo_deg_lat(0.0) >= self.tile_deg:
            raise ValueError(f"a halo of {self.halo_km} km is wider than a {self.tile_deg}-degree "
                             "tile: use larger tiles")

    def halo_deg_lat(self, lat: float | NDArray[np.float64]) -> float:
        return self.halo_km / KM_PER_DEG_LAT

    def home_tiles(self, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.int64]:
        row, col = self._row_col(lat, lon)
        return row * COLS + col

    def halo_tiles(self, lat: NDArray[np.float64], lon: NDArray[np.float64]
                   ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(row index, tile) for every tile within ``halo_km`` of each point: its own tile and,
        near an edge or a corner, up to three neighbours."""
        dlat = self.halo_km / KM_PER_DEG_LAT
        # Longitude degrees shrink towards the poles: size the halo for the point's worst latitude.
        cos = np.maximum(np.cos(np.radians(np.minimum(np.abs(lat) + dlat, 89.9))), 1e-3)
        dlon = self.halo_km / (KM_PER_DEG_LAT * cos)
        r_lo, c_lo = self._row_col(lat - dlat, lon - dlon)
        r_hi, c_hi = self._row_col(lat + dlat, lon + dlon)
        if np.any(r_hi - r_lo > 1) or np.any(c_hi - c_lo > 1):
            raise ValueError(f"a halo of {self.halo_km} km spans more than two "
                             f"{self.tile_deg}-degree tiles at latitude {float(np.abs(lat).max()):.1f}: "
                             "use larger tiles")
        index = np.arange(len(lat), dtype=np.int64)
        rows, tiles = [], []
        for r, c in ((r_lo, c_lo), (r_lo, c_hi), (r_hi, c_lo), (r_hi, c_hi)):
            rows.append(index)
            tiles.append(r * COLS + c)
        row_idx = np.concatenate(rows)
        tile = np.concatenate(tiles)
        # Drop the repeats (a point away from every edge names its own tile four times).
        order = np.lexsort((tile, row_idx))
        row_idx, tile = row_idx[order], tile[order]
        first = np.ones(len(tile), dtype=bool)
        first[1:] = (row_idx[1:] != row_idx[:-1]) | (tile[1:] != tile[:-1])
        return row_idx[first], tile[first]

    def _row_col(self, lat: NDArray[np.float64], lon: NDArray[np.float64]
                 ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        row = np.floor((np.asarray(lat, float) + 90.0) / self.tile_deg).astype(np.int64)
        # Longitude wraps: a tile on the antimeridian's east side is also its west neighbour.
        ncols = math.ceil(360.0 / self.tile_deg)
        col = np.floor((np.asarray(lon, float) + 180.0) / self.tile_deg).astype(np.int64) % ncols
        return row, col


def _points(table: pa.Table | pa.RecordBatch, lat: str, lon: str
            ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return (pc.fill_null(table.column(lat).cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False),
            pc.fill_null(table.column(lon).cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False))


def tag_home(table: pa.Table | pa.RecordBatch, tiling: Tiling, lat: str = "latitude",
             lon: str = "longitude") -> pa.Table | pa.RecordBatch:
    """The rows with their home tile; rows without a point are dropped (they belong nowhere)."""
    la, lo = _points(table, lat, lon)
    ok = np.isfinite(la) & np.isfinite(lo)
    rows = table.filter(pa.array(ok)) if not ok.all() else table
    tiles = tiling.home_tiles(la[ok], lo[ok])
    return rows.append_column(TILE_COLUMN, pa.array(tiles, pa.int64()))


def tag_halo(table: pa.Table | pa.RecordBatch, tiling: Tiling, lat: str = "latitude",
             lon: str = "longitude") -> pa.Table | pa.RecordBatch:
    """Each row once per tile within the halo of it (rows without a point are dropped)."""
    la, lo = _points(table, lat, lon)
    ok = np.flatnonzero(np.isfinite(la) & np.isfinite(lo))
    row_idx, tiles = tiling.halo_tiles(la[ok], lo[ok])
    copied = table.take(pa.array(ok[row_idx]))
    return copied.append_column(TILE_COLUMN, pa.array(tiles, pa.int64()))


@dataclass
class Tile:
    key: int
    homes: pa.Table
    inputs: dict[str, pa.Table]


def split(homes: pa.Table, inputs: dict[str, pa.Table], tiling: Tiling) -> Iterator[Tile]:
    """Every tile that has at least one home row, with its homes and its inputs (halo
    included), in tile order. The local engine's loop; Spark does the same with a group-by."""
    tagged_homes = tag_home(homes, tiling)
    tagged = {name: tag_halo(t, tiling) for name, t in inputs.items()}
    home_tiles = np.unique(tagged_homes.column(TILE_COLUMN).to_numpy())
    sorted_inputs = {}
    for name, t in tagged.items():
        t = t.sort_by(TILE_COLUMN)
        keys = t.column(TILE_COLUMN).to_numpy()
        sorted_inputs[name] = (t.drop_columns([TILE_COLUMN]), keys)
    home_keys = tagged_homes.column(TILE_COLUMN).to_numpy()
    home_order = np.argsort(home_keys, kind="stable")
    home_sorted = tagged_homes.take(pa.array(home_order)).drop_columns([TILE_COLUMN])
    home_keys = home_keys[home_order]
    for key in home_tiles.tolist():
        lo, hi = np.searchsorted(home_keys, key), np.searchsorted(home_keys, key, side="right")
        parts = {}
        for name, (t, keys) in sorted_inputs.items():
            a, b = np.searchsorted(keys, key), np.searchsorted(keys, key, side="right")
            parts[name] = t.slice(a, b - a)
        yield Tile(int(key), home_sorted.slice(lo, hi - lo), parts)
