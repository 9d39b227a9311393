"""Linking events to places and admin areas, as precisely as the source allows and no more.

- exact (UCDP where_prec 1, ACLED geo_precision 1): the nearest place whose settlement radius
  holds the point.
- near (UCDP 2, ACLED 2: "near" a known place, up to ~25 km): the nearest town, city or camp
  within 25 km, marked as near.
- admin2 / admin1 (UCDP 3 / 4, ACLED 3): the area only. Their coordinates are area centroids;
  the town nearest a centroid did not necessarily see the event.
- region, country, unknown: no place, no area below the country.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tocsin.places.gazetteer import admin_codes
from tocsin.spatial import nearest_within

NEAR_RADIUS_KM = 25.0
NEAR_CLASSES = {"city", "town", "camp", "idp_site"}

EVENT_LINKS_SCHEMA = pa.schema([
    ("event_uid", pa.string()), ("place_id", pa.string()), ("link_level", pa.string()),
    ("distance_km", pa.float64()), ("admin1_pcode", pa.string()), ("admin2_pcode", pa.string()),
])


def link_events(events: pa.Table, gazetteer: pa.Table, admin2: pa.Table | None) -> pa.Table:
    """events (event_uid, latitude, longitude, location_precision) -> event_links."""
    n = events.num_rows
    uid = events.column("event_uid").to_pylist()
    lat = np.asarray(events.column("latitude").to_numpy(zero_copy_only=False), dtype=float)
    lon = np.asarray(events.column("longitude").to_numpy(zero_copy_only=False), dtype=float)
    precision = events.column("location_precision").to_pylist()
    place_ids = gazetteer.column("place_id").to_pylist()
    p_lat = gazetteer.column("latitude").to_numpy()
    p_lon = gazetteer.column("longitude").to_numpy()
    radius = gazetteer.column("radius_km").to_numpy()
    named = np.array([bool(names) for names in gazetteer.column("names").to_pylist()], dtype=bool)
    classes = gazetteer.column("place_class").to_pylist()
    big = named & np.array([c in NEAR_CLASSES for c in classes], dtype=bool)

    place: list[str | None] = [None] * n
    level: list[str] = [p or "unknown" for p in precision]
    distance = np.full(n, np.nan)
    for wanted, candidates, reach in (("exact", named, radius[named]),
                                      ("near", big, NEAR_RADIUS_KM)):
        rows = np.array([i for i in range(n) if precision[i] == wanted], dtype=np.int64)
        if len(rows) == 0:
            continue
        targets = np.flatnonzero(candidates)
        hit, km = nearest_within(lat[rows], lon[rows], p_lat[targets], p_lon[targets], reach)
        for row, h, d in zip(rows.tolist(), hit.tolist(), km.tolist(), strict=True):
            if h >= 0:
                place[row], distance[row] = place_ids[int(targets[h])], d
    admin1, admin2_codes = admin_codes(admin2, lat, lon)
    for i, p in enumerate(precision):
        if p in ("region", "country", "unknown", None):
            admin1[i] = admin2_codes[i] = None
        elif p == "admin1":
            admin2_codes[i] = None
    return pa.table({"event_uid": uid, "place_id": place, "link_level": level,
                     "distance_km": distance, "admin1_pcode": admin1,
                     "admin2_pcode": admin2_codes}, schema=EVENT_LINKS_SCHEMA)
