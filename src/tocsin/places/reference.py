"""The reference places (reference_places.yaml): camps and towns the shared sources lack or
misclass, each with its sources, added to the gazetteer as records of their own source."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

REFERENCE_SOURCE = "tocsin-reference"
REQUIRED = ("id", "name", "place_class", "latitude", "longitude", "sources")


class ReferencePlacesError(ValueError):
    """The reference list is malformed; the message names the entry and the key."""


def parse_reference(data: Any, where: str = "reference_places.yaml") -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("places"), list):
        raise ReferencePlacesError(f"{where}: expected a mapping with a 'places' list")
    rows = []
    for n, entry in enumerate(data["places"], start=1):
        if not isinstance(entry, dict):
            raise ReferencePlacesError(f"{where}: entry {n} is not a mapping")
        for key in REQUIRED:
            if entry.get(key) in (None, "", []):
                raise ReferencePlacesError(f"{where}: entry {n} ({entry.get('id', '?')}) lacks '{key}'")
        unknown = set(entry) - {*REQUIRED, "name_ar", "aliases", "population"}
        if unknown:
            raise ReferencePlacesError(f"{where}: entry {entry['id']}: unknown key(s) {sorted(unknown)}")
        rows.append({
            "source": REFERENCE_SOURCE, "source_id": str(entry["id"]), "name": entry["name"],
            "name_en": entry["name"], "name_ar": entry.get("name_ar"),
            "alt_names": [str(a) for a in entry.get("aliases") or []],
            "place_class": entry["place_class"], "latitude": float(entry["latitude"]),
            "longitude": float(entry["longitude"]), "population": entry.get("population"),
            "households": None, "status": None, "status_year": None,
            "attributes": {"sources": list(entry["sources"])},
        })
    return rows


@cache
def _cached() -> tuple[dict[str, Any], ...]:
    text = resources.files("tocsin.places").joinpath("reference_places.yaml").read_text("utf-8")
    return tuple(parse_reference(yaml.safe_load(text)))


def reference_records() -> list[dict[str, Any]]:
    return [dict(r) for r in _cached()]
