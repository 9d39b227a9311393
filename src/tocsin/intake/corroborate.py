"""Suggestions of corroboration for a report: lake events, burnings and other reports near it
in time and place. Tocsin only suggests; an analyst decides (verification is set by a person)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from tocsin.intake.store import IntakeStore, Viewer
from tocsin.lake import Lake
from tocsin.spatial import haversine_km
from tocsin.workspace import Workspace

RADIUS_KM = 25.0
DAYS = 3


def _near(rows: list[dict[str, Any]], lat: float, lon: float, km: float) -> list[dict[str, Any]]:
    if not rows:
        return []
    distances = haversine_km(
        lat,
        lon,
        np.array([r["latitude"] for r in rows], dtype=float),
        np.array([r["longitude"] for r in rows], dtype=float),
    )
    found = []
    for row, distance in zip(rows, distances, strict=True):
        if distance <= km:
            found.append({**row, "km": round(float(distance), 1)})
    return sorted(found, key=lambda r: r["km"])


def suggestions(
    workspace: Workspace,
    store: IntakeStore,
    report: dict[str, Any],
    viewer: Viewer,
    km: float = RADIUS_KM,
    days: int = DAYS,
) -> list[dict[str, Any]]:
    lat, lon, day = report.get("lat"), report.get("lon"), report.get("occurred_on")
    if lat is None or lon is None or day is None:
        return []
    since, until = day - dt.timedelta(days=days), day + dt.timedelta(days=days)
    found: list[dict[str, Any]] = []
    lake = Lake(workspace.lake_dir)
    if workspace.exists():
        con = lake.connect()
        events = con.execute(
            "SELECT event_uid, date_start, category, location_name, latitude, longitude, notes "
            "FROM events WHERE date_end >= ? AND date_start <= ? AND latitude IS NOT NULL "
            "AND location_precision IN ('exact', 'near')",
            [since, until],
        ).fetchall()
        rows = [
            {
                "kind": "event",
                "id": e[0],
                "day": e[1],
                "category": e[2],
                "name": e[3],
                "latitude": e[4],
                "longitude": e[5],
                "about": (e[6] or "")[:200],
            }
            for e in events
        ]
        found += _near(rows, lat, lon, km)
        if lake.derived_path("burnings") is not None:
            # A burning period overlapping the report's days (tocsin.analysis.burnings schema).
            burns = con.execute(
                "SELECT burning_id, CAST(first_detection AS DATE), place_name, latitude, longitude, "
                "detections, confidence FROM burnings WHERE CAST(last_detection AS DATE) >= ? "
                "AND CAST(first_detection AS DATE) <= ?", [since, until]).fetchall()
            rows = [{"kind": "burning", "id": b[0], "day": b[1], "category": "looting_destruction",
                     "name": b[2], "latitude": b[3], "longitude": b[4],
                     "about": f"{b[5]} fire detections ({b[6]} confidence)"} for b in burns]
            found += _near(rows, lat, lon, km)
    others = [
        {
            "kind": "report",
            "id": str(r["id"]),
            "day": r["occurred_on"],
            "category": ", ".join(r["categories"]),
            "name": r["place_name"],
            "latitude": r["lat"],
            "longitude": r["lon"],
            "about": ", ".join(r["signs"]),
        }
        for r in store.visible(viewer)
        if r["id"] != report["id"]
        and r["lat"] is not None
        and r["occurred_on"] is not None
        and since <= r["occurred_on"] <= until
    ]
    found += _near(others, lat, lon, km)
    shared = set(report.get("categories") or [])
    for row in found:
        row["same_category"] = bool(shared & set(str(row["category"]).split(", ")))
    return sorted(found, key=lambda r: (not r["same_category"], r["km"]))
