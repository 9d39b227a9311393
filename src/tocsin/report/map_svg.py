"""The brief's map as SVG, drawn from the workspace's own boundaries and points (no tiles).

An equirectangular projection scaled by the cosine of the middle latitude: at Sudan's latitudes
it keeps shapes true enough for a situation map, and needs no projection library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

WIDTH = 640
MARGIN = 12
MAX_LABELS = 14
MAX_WIDTH_MM, MAX_HEIGHT_MM = 182, 200  # the whole A4 text width: the map has its own page
LABEL_HEIGHT = 12.0  # px of the SVG's width, at the label's font size
CHAR_WIDTH = 6.8
# Boundary detail: coarser than the screen's pixel is wasted bytes in every brief.
SIMPLIFY_DEGREES = 0.01
KM_PER_DEGREE = 111.32
# Colours by rank (analysis/siege.py's order): a stage added there gets the next colour.
STAGE_PALETTE = ("#8c8c8c", "#f2c14e", "#f08a24", "#d9531e", "#9b59b6", "#b3121f", "#5c0a12",
                 "#000000", "#000000")


def stage_colour(stage: str) -> str:
    from tocsin.analysis.siege import STAGE_RANK

    return STAGE_PALETTE[min(STAGE_RANK.get(stage, 0), len(STAGE_PALETTE) - 1)]


class Projection:
    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        west, south, east, north = bounds
        self.west, self.north = west, north
        self.kx = math.cos(math.radians((south + north) / 2))
        span_x = max((east - west) * self.kx, 1e-6)
        self.scale = (WIDTH - 2 * MARGIN) / span_x
        self.height = round((north - south) * self.scale + 2 * MARGIN)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (MARGIN + (lon - self.west) * self.kx * self.scale,
                MARGIN + (self.north - lat) * self.scale)


def _bounds(geometries: list[BaseGeometry], points: Iterable[tuple[float, float]]
            ) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for g in geometries:
        west, south, east, north = g.bounds
        xs += [west, east]
        ys += [south, north]
    for lon, lat in points:
        xs.append(lon)
        ys.append(lat)
    if not xs:  # nothing to draw: Sudan's extent
        return 21.8, 8.7, 38.6, 22.2
    pad = 0.05 * max(max(xs) - min(xs), max(ys) - min(ys), 0.5)
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def _path(geometry: BaseGeometry, project: Projection) -> str:
    parts = []
    polygons = getattr(geometry, "geoms", [geometry])
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = [project(x, y) for x, y in ring.coords]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in coords) + "Z")
    return "".join(parts)


def _scale_km(project: Projection) -> tuple[int, float]:
    """A round distance about a fifth of the map's width, and its length in px."""
    km_per_px = KM_PER_DEGREE / project.scale
    target = km_per_px * WIDTH / 5
    km = next((k for k in (500, 250, 200, 100, 50, 25, 10, 5) if k <= target), 5)
    return km, km / km_per_px


def place_labels(candidates: list[tuple[float, float, str]], obstacles: list[tuple[float, float]],
                 width: float, height: float, limit: int = MAX_LABELS
                 ) -> list[tuple[float, float, str]]:
    """Top-left corners for labels placed without overlap: each label, in priority order, takes
    the first of eight positions around its point that overlaps no placed label, no other
    marked point and stays inside the map; a label with no free position is left out."""
    boxes: list[tuple[float, float, float, float]] = []
    placed: list[tuple[float, float, str]] = []
    gap = 5.0
    for x, y, text in candidates:
        if len(placed) == limit:
            break
        w, h = CHAR_WIDTH * len(text) + 4, LABEL_HEIGHT
        for dx, dy in ((gap, -h / 2), (-gap - w, -h / 2), (gap, -h - 1), (-gap - w, -h - 1),
                       (gap, 1), (-gap - w, 1), (-w / 2, -h - gap), (-w / 2, gap)):
            box = (x + dx, y + dy, x + dx + w, y + dy + h)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                continue
            if any(box[0] < b[2] + 3 and b[0] < box[2] + 3 and box[1] < b[3] + 1 and b[1] < box[3] + 1
                   for b in boxes):
                continue
            if any(box[0] - 2 < ox < box[2] + 2 and box[1] - 2 < oy < box[3] + 2
                   for ox, oy in obstacles if (ox, oy) != (x, y)):
                continue
            boxes.append(box)
            placed.append((box[0], box[1], text))
            break
    return placed


@dataclass(frozen=True)
class MapDrawing:
    """The map's SVG, the same in every language (its words are HTML laid over it)."""

    svg: str
    project: Projection


def _scale_bar_at(project: Projection) -> tuple[float, float]:
    return MARGIN + 6, project.height - MARGIN - 6


def _north_at() -> tuple[float, float]:
    return WIDTH - MARGIN - 14, MARGIN + 26


def draw_map(layers: dict[str, Any], siege: list[dict[str, Any]] | None = None,
             risk: dict[str, Any] | None = None) -> MapDrawing:
    """The whole country as SVG: admin1 and admin2 boundaries, violent events sized by deaths,
    burnings, towns past calm coloured by siege stage, the places most at risk ringed, a scale
    bar, a north arrow. Drawn once for the day's briefs in both languages."""
    areas = [(a["admin_level"], shapely.from_wkb(a["geometry_wkb"]).simplify(SIMPLIFY_DEGREES))
             for a in layers.get("areas", []) if a["geometry_wkb"]]
    events = layers.get("events", [])
    burnings = layers.get("burnings", [])
    siege = siege or []
    at_risk = [p for p in (risk or {}).get("places", []) if p.get("longitude") is not None]
    points = [(e["longitude"], e["latitude"]) for e in [*events, *burnings, *siege, *at_risk]
              if e.get("longitude") is not None]
    geometries = [g for _, g in areas]
    project = Projection(_bounds(geometries, [] if geometries else points))
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {project.height}" '
           f'width="100%" role="img" class="map">',
           f'<rect width="{WIDTH}" height="{project.height}" fill="#f7f5f0"/>']
    for level, width, colour in ((2, 0.4, "#b9b4a8"), (1, 1.2, "#6d675c"), (0, 1.6, "#3d3a33")):
        for area_level, geometry in areas:
            if area_level == level and not geometry.is_empty:
                fill = "#ece8df" if level in (1, 2) else "none"
                svg.append(f'<path d="{_path(geometry, project)}" fill="{fill}" '
                           f'stroke="{colour}" stroke-width="{width}"/>')
    for event in sorted(events, key=lambda e: -e["deaths"]):
        x, y = project(event["longitude"], event["latitude"])
        radius = 2 + 1.5 * math.sqrt(event["deaths"])
        svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{min(radius, 18):.1f}" '
                   'fill="#c0392b" fill-opacity="0.45" stroke="#7b1d13" stroke-width="0.5"/>')
    for burning in burnings:
        x, y = project(burning["longitude"], burning["latitude"])
        svg.append(f'<path d="M{x:.1f},{y - 6:.1f}L{x + 5:.1f},{y + 4:.1f}L{x - 5:.1f},{y + 4:.1f}Z" '
                   'fill="#f39c12" stroke="#8a4b00" stroke-width="0.6"/>')
    for place in at_risk:
        x, y = project(place["longitude"], place["latitude"])
        svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" stroke="#1d4e89" '
                   'stroke-width="1.6"/>')
    for town in siege:
        if town.get("longitude") is None:
            continue
        x, y = project(town["longitude"], town["latitude"])
        svg.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
                   f'fill="{stage_colour(town["stage"])}" stroke="#222" stroke-width="0.6"/>')
    # Scale bar (bottom left) and north arrow (top right), drawn; their words are HTML (render_map).
    _, length = _scale_km(project)
    bx, by = _scale_bar_at(project)
    svg.append(f'<path d="M{bx:.1f},{by - 4:.1f}V{by:.1f}H{bx + length:.1f}V{by - 4:.1f}" fill="none" '
               'stroke="#222" stroke-width="1.4"/>')
    nx, ny = _north_at()
    svg.append(f'<path d="M{nx:.1f},{ny - 22:.1f}L{nx + 7:.1f},{ny:.1f}L{nx:.1f},{ny - 6:.1f}'
               f'L{nx - 7:.1f},{ny:.1f}Z" fill="#222"/>')
    svg.append("</svg>")
    return MapDrawing("\n".join(svg), project)


def render_map(layers: dict[str, Any], siege: list[dict[str, Any]] | None = None,
               words: Any = None, risk: dict[str, Any] | None = None,
               drawing: MapDrawing | None = None) -> str:
    """The map in a frame: ``draw_map``'s SVG (``drawing``, when drawn already for these layers),
    with labels placed without overlap and the scale's and north arrow's words in ``words``'s
    language."""
    drawing = drawing or draw_map(layers, siege, risk)
    project = drawing.project
    siege = siege or []
    at_risk = [p for p in (risk or {}).get("places", []) if p.get("longitude") is not None]
    km, _ = _scale_km(project)
    bx, by = _scale_bar_at(project)
    nx, ny = _north_at()
    name = words.place if words is not None else (lambda r: r.get("name") or "")
    # Labels are HTML laid over the SVG, not SVG text: PDF renderers shape and order Arabic
    # correctly only in HTML text. Priority: towns past calm (worst first), places at risk,
    # then the places most hit.
    seen: set[str] = set()
    candidates: list[tuple[float, float, str]] = []
    for row in [*siege, *at_risk, *layers.get("labels", [])]:
        if row.get("longitude") is None or row.get("place_id") in seen or not (
                row.get("name") or row.get("place") or row.get("name_ar")):
            continue   # an unnamed point gets no label: the annex says where it is
        seen.add(row.get("place_id") or "")
        x, y = project(row["longitude"], row["latitude"])
        candidates.append((x, y, name(row)))
    obstacles = [(x, y) for x, y, _ in candidates]
    html = [f'<span class="map-label" style="left:{100 * x / WIDTH:.2f}%;'
            f'top:{100 * y / project.height:.2f}%">{escape(text)}</span>'
            for x, y, text in place_labels(candidates, obstacles, WIDTH, project.height)]
    s = words.s if words is not None else {"map_scale_km": "{km} km", "map_north": "N"}
    scale_text = s["map_scale_km"].format(km=words.n(km) if words is not None else km)
    html.append(f'<span class="map-note" style="left:{100 * bx / WIDTH:.2f}%;'
                f'top:{100 * (by - 20) / project.height:.2f}%">{escape(scale_text)}</span>')
    html.append(f'<span class="map-note" style="left:{100 * (nx - 5) / WIDTH:.2f}%;'
                f'top:{100 * (ny + 1) / project.height:.2f}%">{escape(s["map_north"])}</span>')
    width_mm = min(MAX_WIDTH_MM, MAX_HEIGHT_MM * WIDTH / project.height)
    return (f'<div class="map-frame" style="width:{width_mm:.0f}mm">' + drawing.svg
            + "".join(html) + "</div>")
