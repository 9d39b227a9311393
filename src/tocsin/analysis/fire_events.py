"""Fire events: the detections in and round settlements that form one front, described where a
listed burning is part of them (docs/methods/burnings.md, "Fire events").

Detections are nodes of a graph by their ~2 km cell and day; neighbouring cells on the same or
the next day are linked, and so are the burnings of one sweep. Only the components that hold a
listed burning are described, so only those are built: the graph is grown from the listed
burnings' nodes outwards (``reached_nodes``), and only the detections of the nodes reached are
read back. The points come as a ``PointSource`` read twice, a batch at a time (first their
nodes, then the points of the nodes reached), so that a tiled run whose points sit in files on
disk never holds them all (docs/methods/scale.md). The answer is the same in any order and any
batching of the points.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from tocsin.analysis.burnings import BurningParams

MINUTES_PER_DAY = 1440
POINT_COLUMNS = ("lat", "lon", "minute", "frp", "night", "place")
# Node keys: 2 km cell row and column, and the day, packed into one int64 (row << 41 | col << 18 | day).
ROW_SHIFT, COL_SHIFT, DAY_BITS = 41, 18, (1 << 18) - 1


def _identity(table: pa.Table) -> pa.Table:
    return table


@dataclass(frozen=True)
class PointSource:
    """The detections fire events are made of (POINTS_SCHEMA), readable more than once.
    ``prepare`` is applied to the rows kept for description only (a tiled run renumbers their
    places there, not on every point)."""

    batches: Callable[[], Iterable[pa.Table]]
    prepare: Callable[[pa.Table], pa.Table] = _identity

    @staticmethod
    def of(table: pa.Table) -> PointSource:
        return PointSource(lambda: [table])


def node_keys(lat: np.ndarray, lon: np.ndarray, minute: np.ndarray, cell_deg: float) -> np.ndarray:
    row = np.floor(lat / cell_deg).astype(np.int64) + (1 << 21)
    col = np.floor(lon / cell_deg).astype(np.int64) + (1 << 21)
    return (row << ROW_SHIFT) | (col << COL_SHIFT) | ((minute.astype(np.int64) // MINUTES_PER_DAY) & DAY_BITS)


def _points_nodes(table: pa.Table, cell_deg: float) -> np.ndarray:
    return node_keys(*(table.column(c).to_numpy(zero_copy_only=False) for c in ("lat", "lon", "minute")),
                     cell_deg)


def _link_offsets(days: int, both_ways: bool) -> list[int]:
    """Key offsets to the linked nodes: the neighbouring cells (and the same cell) on the same
    day and up to ``days`` later; ``both_ways`` adds the earlier days and the cells behind."""
    offsets = []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            for dd in range(-days if both_ways else 0, days + 1):
                if (dr, dc, dd) == (0, 0, 0) or (not both_ways and dd == 0 and (dr, dc) < (0, 0)):
                    continue
                offsets.append((dr << ROW_SHIFT) + (dc << COL_SHIFT) + dd)
    return offsets


def _lookup(nodes: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(which targets are nodes, their positions in the sorted ``nodes``)."""
    at = np.minimum(np.searchsorted(nodes, targets), len(nodes) - 1)
    found = nodes[at] == targets
    return found, at[found]


def reached_nodes(nodes: np.ndarray, seeds: np.ndarray, days: int) -> np.ndarray:
    """Which of the sorted ``nodes`` are linked, through any chain, to a node of ``seeds``
    (positions): the whole components that hold a seed, grown breadth first."""
    reached = np.zeros(len(nodes), dtype=bool)
    frontier = np.unique(seeds)
    reached[frontier] = True
    offsets = _link_offsets(days, both_ways=True)
    while len(frontier):
        keys = nodes[frontier]
        found = np.unique(np.concatenate([_lookup(nodes, keys + off)[1] for off in offsets]))
        frontier = found[~reached[found]]
        reached[frontier] = True
    return reached


def _components(nodes: np.ndarray, sweeps: Iterable[list[int]], days: int) -> np.ndarray:
    """The connected components of the sorted ``nodes`` (links to the next cells and days, and
    each sweep's nodes, as positions); numbered in the order of their first node."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    src: list[np.ndarray] = [np.arange(len(nodes))]
    dst: list[np.ndarray] = [np.arange(len(nodes))]
    for off in _link_offsets(days, both_ways=False):
        found, at = _lookup(nodes, nodes + off)
        src.append(np.flatnonzero(found))
        dst.append(at)
    for members in sweeps:
        src.append(np.full(len(members), members[0]))
        dst.append(np.asarray(members))
    a, b = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(len(nodes), len(nodes)))
    return connected_components(graph, directed=False)[1]


def _places_inside(shapes: np.ndarray, pl: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The gazetteer's places inside each shape (rows of ``pl``), for every shape at once: one
    tree of the places' points, queried with all the shapes (a loop over thousands of events,
    each cutting its latitude band out of the gazetteer, cost most of their description)."""
    import shapely

    tree = shapely.STRtree(shapely.points(pl["longitude"], pl["latitude"]))
    shape_of, place = tree.query(shapes, predicate="contains")
    order = np.lexsort((place, shape_of))
    shape_of, place = shape_of[order], place[order]
    bounds = np.searchsorted(shape_of, np.arange(len(shapes) + 1))
    return [place[bounds[i]:bounds[i + 1]] for i in range(len(shapes))]


def _geometry_texts(shapes: np.ndarray) -> list[str]:
    """Each shape as GeoJSON text, as ``json.dumps(shapely.geometry.mapping(shape))`` writes it;
    the coordinates of all the polygons taken out in one call (building the mappings one shape
    at a time cost more than the shapes themselves)."""
    import shapely
    import shapely.geometry

    coords, owner = shapely.get_coordinates(shapes, return_index=True)
    bounds = np.searchsorted(owner, np.arange(len(shapes) + 1))
    plain = (shapely.get_type_id(shapes) == shapely.GeometryType.POLYGON) & (
        shapely.get_num_interior_rings(shapes) == 0)
    texts = []
    for i, shape in enumerate(shapes):
        if plain[i]:
            ring = coords[bounds[i]:bounds[i + 1]].tolist()
            texts.append(json.dumps({"type": "Polygon", "coordinates": [ring]}))
        else:  # holes or several parts (not made by a buffer of a hull): the general way
            texts.append(json.dumps(shapely.geometry.mapping(shape)))
    return texts


def fire_events(points: PointSource, f: dict[str, np.ndarray], first_lat: np.ndarray,
                first_lon: np.ndarray, keep: np.ndarray, burnings: pa.Table, sweep_ids: np.ndarray,
                pl: dict[str, np.ndarray], p: BurningParams) -> tuple[pa.Table, list[str | None]]:
    """Fire events: detections in and round settlements linked when they lie in neighbouring
    ~2 km cells on the same or the next day (one front), and burnings of one sweep linked
    too; each event with a listed burning is described with its extent and places. Returns
    the events and, per listed burning (``keep``), its event's id."""
    from tocsin.analysis.burnings import FIRE_EVENTS_SCHEMA

    if len(keep) == 0:
        return FIRE_EVENTS_SCHEMA.empty_table(), []
    # 1. The nodes of every point, a batch at a time.
    node_sets = [np.unique(_points_nodes(batch, p.fire_event_deg)) for batch in points.batches()
                 if batch.num_rows]
    if not node_sets:
        return FIRE_EVENTS_SCHEMA.empty_table(), [None] * len(keep)
    nodes = np.unique(np.concatenate(node_sets))
    del node_sets
    # A period's node: its first detection's (the first in value order of its first minute).
    period_first_node = np.searchsorted(nodes, node_keys(first_lat, first_lon, f["first"], p.fire_event_deg))
    # 2. Only the components of listed burnings: grown from their nodes, then numbered.
    reached = reached_nodes(nodes, period_first_node[keep], p.fire_event_days)
    sub = np.flatnonzero(reached)
    position_in_sub = np.cumsum(reached) - 1
    by_sweep: dict[str, list[int]] = {}
    for i in keep.tolist():
        if sweep_ids[i]:
            by_sweep.setdefault(str(sweep_ids[i]), []).append(int(position_in_sub[period_first_node[i]]))
    component = _components(nodes[sub], by_sweep.values(), p.fire_event_days)
    # 3. The points of the nodes reached, in the order of their values (sums of FRP the same
    # whatever order they came in).
    kept = []
    for batch in points.batches():
        if batch.num_rows:
            at = np.searchsorted(nodes, _points_nodes(batch, p.fire_event_deg))
            kept.append(batch.filter(pa.array(reached[at])))
    table = points.prepare(pa.concat_tables(kept).combine_chunks())
    pt = {name: table.column(name).to_numpy(zero_copy_only=False) for name in POINT_COLUMNS}
    order = np.lexsort((pt["frp"], pt["night"], pt["place"], pt["lon"], pt["lat"], pt["minute"]))
    pt = {k: v[order] for k, v in pt.items()}
    label = component[position_in_sub[np.searchsorted(nodes, node_keys(pt["lat"], pt["lon"],
                                                                       pt["minute"], p.fire_event_deg))]]
    period_label = component[position_in_sub[period_first_node[keep]]]
    return _describe(pt, label, period_label, keep, burnings, sweep_ids, pl)


def _describe(pt: dict[str, np.ndarray], label: np.ndarray, period_label: np.ndarray, keep: np.ndarray,
              burnings: pa.Table, sweep_ids: np.ndarray,
              pl: dict[str, np.ndarray]) -> tuple[pa.Table, list[str | None]]:
    """One row per component (every one holds a listed burning): its extent (a VIIRS pixel
    round the hull of its detections), its places and its burnings."""
    import shapely

    from tocsin.analysis.burnings import CONFIDENCE_CLASSES, FIRE_EVENTS_SCHEMA, _confidence

    lat, lon, minute = pt["lat"], pt["lon"], pt["minute"].astype(np.int64)
    is_hit = pt["place"] >= 0
    frp_all, night_all = pt["frp"], pt["night"].astype(bool)
    n_events = int(label.max()) + 1
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(n_events + 1))
    hulls = shapely.convex_hull(shapely.multipoints(np.column_stack([lon[order], lat[order]]),
                                                    indices=label[order]))
    shapes = shapely.buffer(hulls, 0.004, quad_segs=4)  # a VIIRS pixel round the hull
    centres = shapely.centroid(shapes)
    centre_x, centre_y = shapely.get_x(centres).tolist(), shapely.get_y(centres).tolist()
    areas = shapely.area(shapes)
    inside_of = _places_inside(shapes, pl)
    geometries = _geometry_texts(shapes)
    # Per event, over its points (contiguous in ``order``; every event has some).
    starts = bounds[:-1]
    first_minute = np.minimum.reduceat(minute[order], starts).tolist()
    last_minute = np.maximum.reduceat(minute[order], starts).tolist()
    detections = np.diff(bounds).tolist()
    in_settlement = np.add.reduceat(is_hit[order].astype(np.int64), starts).tolist()
    at_night = np.add.reduceat(night_all[order].astype(np.int64), starts).tolist()
    b_ids = burnings.column("burning_id").to_pylist()
    b_score = burnings.column("score").to_numpy()
    rows_by_label: dict[int, list[int]] = {}
    for out_row, lab in enumerate(period_label.tolist()):
        rows_by_label.setdefault(int(lab), []).append(out_row)
    records = []
    event_of_row: list[str | None] = [None] * len(keep)
    for lab in range(n_events):
        members = order[bounds[lab]:bounds[lab + 1]]
        out_rows = rows_by_label[lab]
        ids = sorted(b_ids[r] for r in out_rows)
        event_id = "fire-" + hashlib.sha1(",".join(ids).encode()).hexdigest()[:12]
        for r in out_rows:
            event_of_row[r] = event_id
        inside = inside_of[lab]
        burned_places = [int(x) for x in np.unique(pt["place"][members[is_hit[members]]])]
        # In the order of their ids: the same whatever order the gazetteer's rows are in.
        place_rows = sorted(set(burned_places) | set(inside.tolist()),
                            key=lambda r: (str(pl["place_id"][r] or ""), r))
        best = float(b_score[out_rows].max())
        records.append({
            "fire_event_id": event_id,
            "kind": "settlement burning" if best >= CONFIDENCE_CLASSES[1][1]
            else "fire at or round settlements",
            "first_detection": first_minute[lab] * 60_000_000,
            "last_detection": last_minute[lab] * 60_000_000,
            "detections": detections[lab], "settlement_detections": in_settlement[lab],
            "night_detections": at_night[lab],
            "frp_total": round(float(frp_all[members].sum()), 2),
            "latitude": round(centre_y[lab], 5), "longitude": round(centre_x[lab], 5),
            "area_km2": round(float(areas[lab]) * 111.32**2 * math.cos(math.radians(centre_y[lab])),
                              2),
            "max_score": round(best, 4), "confidence": _confidence(best),
            "burning_ids": ids,
            "place_ids": [pl["place_id"][r] for r in place_rows],
            "place_names": [pl["name"][r] for r in place_rows],
            "sweep_ids": sorted({str(sweep_ids[keep[r]]) for r in out_rows if sweep_ids[keep[r]]}),
            "geometry": geometries[lab],
        })
    table = pa.Table.from_pylist(records, schema=pa.schema([
        fld if fld.name not in ("first_detection", "last_detection") else pa.field(fld.name, pa.int64())
        for fld in FIRE_EVENTS_SCHEMA]))
    for name in ("first_detection", "last_detection"):
        table = table.set_column(table.schema.get_field_index(name), name,
                                 table.column(name).cast(pa.timestamp("us", tz="UTC")))
    return table.cast(FIRE_EVENTS_SCHEMA).sort_by(
        [("max_score", "descending"), ("first_detection", "ascending")]), event_of_row
