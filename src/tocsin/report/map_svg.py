"""The brief's map as SVG, drawn from the workspace's own boundaries and points (no tiles).

An equirectangular projection scaled by the cosine of the middle latitude: at Sudan's latitudes
it keeps shapes true enough for a situation map, and needs no projection library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from html import escape
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

WIDTH = 640
MARGIN = 12
MAX_LABELS = 6
LABEL_GAP = 14  # px of the SVG's width
MAX_WIDTH_MM, MAX_HEIGHT_MM = 170, 120
# Boundary detail: coarser than the screen's pixel is wasted bytes in every brief.
SIMPLIFY_DEGREES = 0.01
STAGE_COLOURS = {"threatened": "#f2c14e", "encircled": "#f08a24", "cut_off": "#d9531e",
                 "under_assault": "#b3121f", "overrun": "#5c0a12",
                 "outcome_unrecorded": "#6c3483", "fallen": "#1b0505"}


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


def render_map(layers: dict[str, Any], siege: list[dict[str, Any]] | None = None,
               label_key: str = "name") -> str:
    """An inline SVG in a frame: admin2 and admin1 boundaries, violent events sized by deaths, burnings,
    towns past calm coloured by stage, and labels for the places most hit."""
    areas = [(a["admin_level"], shapely.from_wkb(a["geometry_wkb"]).simplify(SIMPLIFY_DEGREES))
             for a in layers.get("areas", []) if a["geometry_wkb"]]
    events = layers.get("events", [])
    burnings = layers.get("burnings", [])
    siege = siege or []
    points = [(e["longitude"], e["latitude"]) for e in [*events, *burnings, *siege]
              if e.get("longitude") is not None]
    geometries = [g for _, g in areas]
    project = Projection(_bounds(geometries, [] if geometries else points))
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {project.height}" '
           f'width="100%" role="img" class="map">',
           f'<rect width="{WIDTH}" height="{project.height}" fill="#f7f5f0"/>']
    for level, width, colour in ((2, 0.4, "#b9b4a8"), (1, 1.2, "#6d675c")):
        for area_level, geometry in areas:
            if area_level == level and not geometry.is_empty:
                fill = "#ece8df" if level == 2 else "none"
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
    for town in siege:
        if town.get("longitude") is None:
            continue
        x, y = project(town["longitude"], town["latitude"])
        colour = STAGE_COLOURS.get(town["stage"], "#999")
        svg.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}" '
                   'stroke="#222" stroke-width="0.6"/>')
    svg.append("</svg>")
    # Labels are HTML laid over the SVG, not SVG text: PDF renderers shape and order Arabic
    # correctly only in HTML text.
    labels: list[str] = []
    placed: list[tuple[float, float]] = []
    for label in layers.get("labels", []):
        if label.get("longitude") is None or len(labels) == MAX_LABELS:
            continue
        x, y = project(label["longitude"], label["latitude"])
        if any(abs(x - px) < LABEL_GAP * 4 and abs(y - py) < LABEL_GAP for px, py in placed):
            continue  # a label already stands there: the more deadly place keeps it
        placed.append((x, y))
        labels.append(f'<span class="map-label" style="left:{100 * x / WIDTH:.2f}%;'
                      f'top:{100 * y / project.height:.2f}%">'
                      f'{escape(label.get(label_key) or label.get("name") or "")}</span>')
    # Tall regions (Darfur) get a narrower frame so the map fits half an A4 page.
    width_mm = min(MAX_WIDTH_MM, MAX_HEIGHT_MM * WIDTH / project.height)
    return (f'<div class="map-frame" style="width:{width_mm:.0f}mm">' + "\n".join(svg)
            + "".join(labels) + "</div>")
