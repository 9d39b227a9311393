"""Small hand-made fire worlds for the burnings tests."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa

KM = 1 / 111.32
START = date(2024, 3, 1)


def places(*rows: tuple[str, str, float, float]) -> pa.Table:
    return pa.table({"place_id": [r[0] for r in rows], "name": [r[0].title() for r in rows],
                     "place_class": [r[1] for r in rows], "latitude": [r[2] for r in rows],
                     "longitude": [r[3] for r in rows]})


def fires(points: list[tuple[float, float, int, int]], frp: float = 8.0) -> pa.Table:
    """(lat, lon, day offset from START, HHMM) -> FIRMS-like detections."""
    return pa.table({
        "latitude": [p[0] for p in points], "longitude": [p[1] for p in points],
        "acq_date": pa.array([START + timedelta(days=p[2]) for p in points], pa.date32()),
        "acq_time": pa.array([p[3] for p in points], pa.int16()),
        "satellite": ["N"] * len(points), "confidence": ["nominal"] * len(points),
        "frp": [frp] * len(points),
        "daynight": ["N" if p[3] >= 2000 or p[3] < 400 else "D" for p in points],
    })


def burning(lat: float, lon: float, day: int, n: int, rng: np.random.Generator,
            radius_km: float = 1.2) -> list[tuple[float, float, int, int]]:
    """A settlement on fire: detections spread over it, by day and by night."""
    r = radius_km * np.sqrt(rng.random(n))
    a = rng.uniform(0, 2 * np.pi, n)
    return [(round(lat + r[i] * np.cos(a[i]) * KM, 5), round(lon + r[i] * np.sin(a[i]) * KM, 5),
             day, 1130 if i % 2 else 2330) for i in range(n)]
