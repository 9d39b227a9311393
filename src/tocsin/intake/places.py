"""Where a report happened: a point, a place from the form's list, or a name in any spelling,
matched against the workspace's gazetteer (loaded once per sync, not once per submission)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tocsin.lake import Lake
from tocsin.places.search import PlaceIndex
from tocsin.spatial import cell_size_for_km, grid_cell, haversine_km
from tocsin.workspace import Workspace

# Sudan's extent (since 2011) with a small margin; a point outside it is a typing or GPS error
# for a Sudan monitoring form, and is set aside for an analyst rather than mapped.
SUDAN_BOUNDS = (8.6, 21.7, 22.3, 38.7)  # south, west, north, east
NEAREST_PLACE_KM = 15.0


@dataclass(frozen=True)
class Located:
    place_id: str | None
    place_name: str | None
    lat: float | None
    lon: float | None
    how: str | None  # point, list, name
    problem: str | None = None


def in_sudan(lat: float, lon: float) -> bool:
    south, west, north, east = SUDAN_BOUNDS
    return south <= lat <= north and west <= lon <= east


# Loaded gazetteers by their derived file (named uniquely per build, so a name is a content):
# the web app and a test run meet the same gazetteer many times.
_LOADED: dict[str, tuple[Any, ...]] = {}
_INDEXES: dict[str, PlaceIndex] = {}


def _load(path: Any) -> tuple[Any, ...]:
    key = path.name
    if key not in _LOADED:
        import duckdb

        con = duckdb.connect()
        rows = con.execute(
            "SELECT place_id, name, name_ar, latitude, longitude, importance FROM read_parquet(?)",
            [str(path)],
        ).fetchall()
        con.close()
        places = {
            r[0]: {
                "place_id": r[0],
                "name": r[1],
                "name_ar": r[2],
                "latitude": r[3],
                "longitude": r[4],
                "importance": r[5],
            }
            for r in rows
        }
        ids = list(places)
        lat = np.array([places[i]["latitude"] for i in ids], dtype=float)
        lon = np.array([places[i]["longitude"] for i in ids], dtype=float)
        cell = cell_size_for_km(NEAREST_PLACE_KM)
        rows_, cols = grid_cell(lat, lon, cell)
        buckets: dict[tuple[int, int], list[int]] = {}
        for index, bucket in enumerate(zip(rows_.tolist(), cols.tolist(), strict=True)):
            buckets.setdefault(bucket, []).append(index)
        if len(_LOADED) > 4:
            _LOADED.clear()
        _LOADED[key] = (places, np.array(ids, dtype=object), lat, lon, cell, buckets)
    return _LOADED[key]


class PlaceResolver:
    def __init__(self, workspace: Workspace) -> None:
        self.places: dict[str, dict[str, Any]] = {}
        self._index: PlaceIndex | None = None
        self._names_path: Any = None
        lake = Lake(workspace.lake_dir)
        self.lake = lake
        gazetteer = lake.derived_path("gazetteer") if workspace.exists() else None
        if gazetteer is None:
            return
        # Grid buckets built once: a sync asks for thousands of points against the same places.
        self.places, self._ids, self._lat, self._lon, self._cell, self._buckets = _load(gazetteer)
        self._names_path = lake.derived_path("place_names")

    @property
    def index(self) -> PlaceIndex | None:
        """The name index, built on the first name to match (GPS reports never need it)."""
        if self._index is None and self._names_path is not None:
            key = self._names_path.name
            if key not in _INDEXES:
                import duckdb

                con = duckdb.connect()
                names = con.read_parquet(str(self._names_path)).to_arrow_table()
                con.close()
                if len(_INDEXES) > 4:
                    _INDEXES.clear()
                _INDEXES[key] = PlaceIndex(names, {k: v["importance"] or 0.0 for k, v in self.places.items()})
            self._index = _INDEXES[key]
        return self._index

    def nearest(self, lat: float, lon: float) -> dict[str, Any] | None:
        if not self.places:
            return None
        row, col = (int(v[0]) for v in grid_cell([lat], [lon], self._cell))
        near = [
            i for dr in (-1, 0, 1) for dc in (-1, 0, 1) for i in self._buckets.get((row + dr, col + dc), [])
        ]
        if not near:
            return None
        distances = haversine_km(lat, lon, self._lat[near], self._lon[near])
        best = int(np.argmin(distances))
        return self.places[self._ids[near[best]]] if distances[best] <= NEAREST_PLACE_KM else None

    def by_name(self, name: str) -> tuple[dict[str, Any] | None, str | None]:
        index = self.index
        if index is None:
            return None, f"place name {name!r}: the workspace has no gazetteer to match it against"
        matches = index.find(name, 3)
        if not matches:
            return None, f"unknown place name {name!r}: no place in the gazetteer by that name (any spelling)"
        best = matches[0]
        if (
            len(matches) > 1
            and matches[1].score == best.score
            and self.places[matches[1].place_id]["name"] != self.places[best.place_id]["name"]
        ):
            names = ", ".join(f"{self.places[m.place_id]['name']} ({m.place_id})" for m in matches)
            return None, f"place name {name!r} is ambiguous: {names}"
        return self.places[best.place_id], None

    def locate(self, point: tuple[float, float] | None, listed: str | None, name: str | None) -> Located:
        """The best location the answers give; a problem says what was set aside and why."""
        problems = []
        if point is not None:
            lat, lon = point
            if in_sudan(lat, lon):
                place = self.nearest(lat, lon)
                return Located(place and place["place_id"], place and place["name"], lat, lon, "point")
            problems.append(f"the point {lat:.5f} {lon:.5f} is outside Sudan: not mapped")
        if listed and listed != "not_listed":
            place = self.places.get(listed)
            if place is not None:
                return Located(
                    place["place_id"],
                    place["name"],
                    place["latitude"],
                    place["longitude"],
                    "list",
                    "; ".join(problems) or None,
                )
            problems.append(f"the listed place {listed!r} is not in this workspace's gazetteer")
        if name and name.strip():
            place, problem = self.by_name(name.strip())
            if place is not None:
                return Located(
                    place["place_id"],
                    place["name"],
                    place["latitude"],
                    place["longitude"],
                    "name",
                    "; ".join(problems) or None,
                )
            problems.append(problem or "")
        if not problems:
            problems.append("no location given (no point, listed place or place name)")
        return Located(
            None, name.strip() if name and name.strip() else None, None, None, None, "; ".join(problems)
        )
