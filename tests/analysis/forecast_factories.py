"""Small hand-made forecast inputs: a few places and events at known distances."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from tocsin.analysis.inputs import ForecastInputs
from tocsin.analysis.siege import TAKEOVERS_SCHEMA

KM_PER_DEGREE_LAT = 111.195  # haversine with EARTH_RADIUS_KM, along a meridian

PLACE_SCHEMA = pa.schema([
    ("place_id", pa.string()), ("name", pa.string()), ("name_ar", pa.string()),
    ("place_class", pa.string()), ("latitude", pa.float64()), ("longitude", pa.float64()),
    ("radius_km", pa.float64()), ("population", pa.int64()), ("households", pa.int64()),
    ("admin1_pcode", pa.string()), ("admin2_pcode", pa.string()), ("hiu_status", pa.string())])
EVENT_SCHEMA = pa.schema([
    ("event_uid", pa.string()), ("date_start", pa.date32()), ("date_end", pa.date32()),
    ("published_at", pa.timestamp("us", tz="UTC")), ("category", pa.string()),
    ("civilian_targeting", pa.bool_()), ("fatalities", pa.int32()), ("civilian_deaths", pa.int32()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("location_precision", pa.string()),
    ("linked_place_id", pa.string()), ("admin2_pcode", pa.string()), ("actor1", pa.string()),
    ("actor2", pa.string()), ("admin1_pcode", pa.string())])
BURNING_SCHEMA = pa.schema([
    ("place_id", pa.string()), ("latitude", pa.float64()), ("longitude", pa.float64()),
    ("first_detection", pa.timestamp("us", tz="UTC")), ("confidence", pa.string())])
STAGE_SCHEMA = pa.schema([("place_id", pa.string()), ("date", pa.date32()), ("stage_rank", pa.int16())])


def north_of(lat: float, km: float) -> float:
    return lat + km / KM_PER_DEGREE_LAT


def place(place_id: str, lat: float, lon: float, place_class: str = "town", **extra: Any) -> dict[str, Any]:
    row = {"place_id": place_id, "name": place_id, "name_ar": None, "place_class": place_class,
           "latitude": lat, "longitude": lon, "radius_km": 4.0, "population": None, "households": None,
           "admin1_pcode": "SD02", "admin2_pcode": "SD02001", "hiu_status": None}
    row.update(extra)
    return row


def event(uid: str, day: date, lat: float, lon: float, category: str = "attack_on_civilians",
          deaths: int = 3, precision: str = "exact", **extra: Any) -> dict[str, Any]:
    row = {"event_uid": uid, "date_start": day, "date_end": day, "published_at": None,
           "category": category, "civilian_targeting": category == "attack_on_civilians",
           "fatalities": deaths, "civilian_deaths": deaths if category == "attack_on_civilians" else 0,
           "latitude": lat, "longitude": lon, "location_precision": precision,
           "linked_place_id": None, "admin2_pcode": "SD02001", "actor1": None, "actor2": None,
           "admin1_pcode": None}
    row.update(extra)
    return row


def burning(day: date, lat: float, lon: float, confidence: str = "high",
            place_id: str | None = None) -> dict[str, Any]:
    return {"place_id": place_id, "latitude": lat, "longitude": lon,
            "first_detection": datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
            "confidence": confidence}


def inputs(places: list[dict[str, Any]], events: list[dict[str, Any]],
           burnings: list[dict[str, Any]] | None = None,
           stages: list[dict[str, Any]] | None = None,
           takeovers: list[dict[str, Any]] | None = None) -> ForecastInputs:
    return ForecastInputs(
        places=pa.Table.from_pylist(places, schema=PLACE_SCHEMA),
        events=pa.Table.from_pylist(events, schema=EVENT_SCHEMA),
        displacement=pa.table({"admin2_pcode": pa.array([], pa.string()), "idps": pa.array([], pa.float64()),
                               "period_end": pa.array([], pa.date32())}),
        prices=pa.table({"market": pa.array([], pa.string()), "latitude": pa.array([], pa.float64()),
                         "longitude": pa.array([], pa.float64()), "commodity": pa.array([], pa.string()),
                         "price_type": pa.array([], pa.string()), "unit": pa.array([], pa.string()),
                         "date": pa.array([], pa.date32()), "price": pa.array([], pa.float64())}),
        aggregates=pa.table({"admin2_pcode": pa.array([], pa.string()),
                             "month_start": pa.array([], pa.date32()),
                             "events": pa.array([], pa.int32()), "fatalities": pa.array([], pa.int32())}),
        burnings=None if burnings is None else pa.Table.from_pylist(burnings, schema=BURNING_SCHEMA),
        stages=None if stages is None else pa.Table.from_pylist(stages, schema=STAGE_SCHEMA),
        takeovers=None if takeovers is None else pa.Table.from_pylist(takeovers, schema=TAKEOVERS_SCHEMA),
    )


def days_before(day: date, n: int) -> date:
    return day - timedelta(days=n)


def column(table: pa.Table, name: str, place_id: str) -> float:
    ids = table.column("place_id").to_pylist()
    return float(np.asarray(table.column(name))[ids.index(place_id)])
