"""Small hand-made inputs for the siege tests: places, events, prices, displacement, burnings."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pyarrow as pa

from tocsin.analysis.siege import siege_stages

TOWN = {"place_id": "p-town", "name": "Kabkabiya", "place_class": "town", "latitude": 13.0,
        "longitude": 25.0, "radius_km": 4.0, "population": 50_000, "admin1_pcode": "SD01",
        "admin2_pcode": "SD01001"}
CITY = {"place_id": "p-city", "name": "Far City", "place_class": "city", "latitude": 15.0,
        "longitude": 30.0, "radius_km": 8.0, "population": 300_000, "admin1_pcode": "SD09",
        "admin2_pcode": "SD09001"}
VILLAGE = {"place_id": "p-village", "name": "Small", "place_class": "village", "latitude": 13.05,
           "longitude": 25.05, "radius_km": 1.5, "population": None, "admin1_pcode": "SD01",
           "admin2_pcode": "SD01001"}
PLACES_SCHEMA = pa.schema([("place_id", pa.string()), ("name", pa.string()),
                           ("place_class", pa.string()), ("latitude", pa.float64()),
                           ("longitude", pa.float64()), ("radius_km", pa.float64()),
                           ("population", pa.int64()), ("admin1_pcode", pa.string()),
                           ("admin2_pcode", pa.string())])
EVENTS_SCHEMA = pa.schema([
    ("event_uid", pa.string()), ("date_start", pa.date32()), ("date_end", pa.date32()),
    ("category", pa.string()), ("fatalities", pa.int32()), ("latitude", pa.float64()),
    ("longitude", pa.float64()), ("location_precision", pa.string()),
    ("location_name", pa.string()), ("actor1", pa.string()), ("actor2", pa.string()),
    ("place_id", pa.string()), ("link_level", pa.string())])


def places(*rows: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist(list(rows or (TOWN, CITY, VILLAGE)), schema=PLACES_SCHEMA)


def offset(place: dict[str, Any], km: float, bearing_deg: float) -> tuple[float, float]:
    """A point ``km`` from the place on a bearing (flat-earth, fine for tens of km)."""
    lat = place["latitude"] + km * math.cos(math.radians(bearing_deg)) / 111.32
    lon = place["longitude"] + km * math.sin(math.radians(bearing_deg)) / (
        111.32 * math.cos(math.radians(place["latitude"])))
    return lat, lon


_counter = iter(range(1, 10**9))


def event(day: dt.date, category: str = "battle", *, at: dict[str, Any] = TOWN, km: float = 0.0,
          bearing: float = 0.0, precision: str = "exact", fatalities: int = 0,
          linked: str | None = "auto", end: dt.date | None = None) -> dict[str, Any]:
    """An event ``km`` from a place; linked to it (exact) when inside its radius, unless told."""
    lat, lon = offset(at, km, bearing)
    if linked == "auto":
        linked = at["place_id"] if km <= at["radius_km"] and precision in ("exact", "near") else None
    level = precision if linked else ("exact" if precision == "exact" else precision)
    return {"event_uid": f"test:{next(_counter)}", "date_start": day, "date_end": end or day,
            "category": category, "fatalities": fatalities, "latitude": lat, "longitude": lon,
            "location_precision": precision, "location_name": at["name"], "actor1": "RSF",
            "actor2": "SAF", "place_id": linked, "link_level": level}


def events(*rows: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=EVENTS_SCHEMA)


def stage_on(table: pa.Table, place_id: str, day: dt.date) -> str:
    for row in table.to_pylist():
        if row["place_id"] == place_id and row["date"] == day:
            return row["stage"]
    raise AssertionError(f"no row for {place_id} on {day}")


def run(evs: list[dict[str, Any]], start: dt.date, end: dt.date, **kwargs: Any) -> pa.Table:
    return siege_stages(kwargs.pop("places", None) or places(), events(*evs), start, end, **kwargs)


PRICES_SCHEMA = pa.schema([("date", pa.date32()), ("market", pa.string()), ("market_id", pa.string()),
                           ("latitude", pa.float64()), ("longitude", pa.float64()),
                           ("commodity", pa.string()), ("unit", pa.string()),
                           ("price_type", pa.string()), ("currency", pa.string()),
                           ("price_flag", pa.string()), ("price", pa.float64())])


def prices(rows: list[tuple[dt.date, str, float]], market: dict[str, Any] = TOWN) -> pa.Table:
    return pa.Table.from_pylist(
        [{"date": d, "market": market["name"], "market_id": "m1", "latitude": market["latitude"],
          "longitude": market["longitude"], "commodity": c, "unit": "KG", "price_type": "Retail",
          "currency": "SDG", "price_flag": "actual", "price": p} for d, c, p in rows],
        schema=PRICES_SCHEMA)


DISPLACEMENT_SCHEMA = pa.schema([("admin_level", pa.int16()), ("admin2_pcode", pa.string()),
                                 ("idps", pa.int64()), ("operation", pa.string()),
                                 ("assessment_type", pa.string()), ("period_end", pa.date32()),
                                 ("source_id", pa.string())])


def displacement(rows: list[tuple[dt.date, int]], admin2: str = "SD01001") -> pa.Table:
    return pa.Table.from_pylist(
        [{"admin_level": 2, "admin2_pcode": admin2, "idps": n, "operation": "Armed Clashes",
          "assessment_type": "BA", "period_end": d, "source_id": f"dtm:{d}"} for d, n in rows],
        schema=DISPLACEMENT_SCHEMA)


BURNINGS_SCHEMA = pa.schema([
    ("place_id", pa.string()), ("place_name", pa.string()), ("latitude", pa.float64()),
    ("longitude", pa.float64()), ("first_detection", pa.timestamp("us", tz="UTC")),
    ("last_detection", pa.timestamp("us", tz="UTC")), ("detections", pa.int32()),
    ("frp_total", pa.float64()), ("score", pa.float64()), ("confidence", pa.string()),
    ("reasons", pa.string()), ("detection_ids", pa.list_(pa.string())), ("sweep_id", pa.string())])


def burnings(rows: list[tuple[dt.date, dt.date, int, float]], place: dict[str, Any] = TOWN) -> pa.Table:
    def ts(d: dt.date, hour: int) -> dt.datetime:
        return dt.datetime(d.year, d.month, d.day, hour, tzinfo=dt.UTC)

    return pa.Table.from_pylist(
        [{"place_id": place["place_id"], "place_name": place["name"], "latitude": place["latitude"],
          "longitude": place["longitude"], "first_detection": ts(first, 1),
          "last_detection": ts(last, 23), "detections": n, "frp_total": 10.0 * n, "score": score,
          "confidence": "high", "reasons": "cluster of fires inside the settlement",
          "detection_ids": [f"d{i}" for i in range(n)], "sweep_id": "s1"}
         for first, last, n, score in rows], schema=BURNINGS_SCHEMA)


CONNECTIVITY_SCHEMA = pa.schema([("region_code", pa.string()), ("region_name", pa.string()),
                                 ("datasource", pa.string()), ("time", pa.timestamp("us", tz="UTC")),
                                 ("value", pa.float64()), ("admin1_pcode", pa.string())])


def connectivity(rows: list[tuple[dt.date, str, float]], admin1: str = "SD01") -> pa.Table:
    out = []
    for d, source, value in rows:
        for hour in (0, 6, 12, 18):
            out.append({"region_code": "4211", "region_name": "North Darfur", "datasource": source,
                        "time": dt.datetime(d.year, d.month, d.day, hour, tzinfo=dt.UTC),
                        "value": value, "admin1_pcode": admin1})
    return pa.Table.from_pylist(out, schema=CONNECTIVITY_SCHEMA)
