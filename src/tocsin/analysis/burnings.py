"""Burning settlements from satellite fire detections (NASA FIRMS). Method: docs/methods/burnings.md.

Pure: Arrow tables in, an Arrow table out, no I/O, no clock. ``detect_burnings`` takes whole
tables; ``BurningDetector`` takes the same detections in batches of any order and size, so that a
year of Sudan never has to sit in memory at once (the command streams the lake through it).

In outline, for each detection batch:
1. history: which ~500 m spots burn week after week (kilns, flares, dumps: persistent heat
   sources), and how many detections each 0.5-degree region sees per calendar month (the
   seasonal background);
2. matching: detections inside a settlement's radius are kept with their place; those in the
   ring around it are only counted per (place, day).
At the end, each place's detections are split into burning periods (a gap of more than
``max_gap_hours`` starts a new one) and each period is scored against its background, its ring,
armed events nearby in the days before, and sweeps (several settlements burning along a line
within days).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tocsin.analysis.settlement_index import SettlementIndex
from tocsin.places.gazetteer import SETTLEMENT_RADIUS_KM
from tocsin.schema.tables import TABLES
from tocsin.spatial import haversine_km

MINUTES_PER_DAY = 1440
# Categories of schema/taxonomy.yaml that mean armed men were there.
ARMED_CATEGORIES = ("battle", "attack_on_civilians", "remote_violence", "sexual_violence",
                    "looting_destruction", "abduction", "siege_related", "territory_change")
# A point that is only placed within an admin area says nothing about which village burned.
PRECISE_LOCATIONS = ("exact", "near")
# FIRMS archive fire_type: 1 volcano, 2 other static land source, 3 offshore (0 is vegetation).
STATIC_FIRE_TYPES = (1, 2, 3)
# Detections per km2 per day by calendar month (Jan..Dec), used where the workspace's own
# history is short. A dry-season peak (Nov-Mar) and a near-empty rainy season (Jul-Sep), the
# shape of the Sahel's fire regime; the level is set so that the November value is close to
# what the VIIRS week of 31 Oct - 8 Nov 2025 over Darfur and Kordofan shows (see the method).
REGIONAL_BASE_RATE = (2.0e-3, 2.0e-3, 1.6e-3, 1.0e-3, 5e-4, 2e-4,
                      1e-4, 1e-4, 2e-4, 6e-4, 1.4e-3, 2.0e-3)
SPOT_MARGIN_KM = 1.0
CONFIDENCE_CLASSES = (("high", 0.8), ("medium", 0.5), ("low", 0.0))


@dataclass(frozen=True)
class BurningParams:
    """Every threshold of the method; docs/methods/burnings.md says why each is what it is."""

    ring_km: float = 3.0  # the band around a settlement compared with its inside
    max_gap_hours: float = 48.0  # a longer quiet spell at a place starts a new burning period
    spot_deg: float = 0.005  # a persistent heat source's cell (~550 m, about a VIIRS pixel's jitter)
    persistent_min_weeks: int = 5  # distinct weeks with detections at one spot ...
    persistent_min_span_days: int = 42  # ... spread over at least this long
    region_deg: float = 0.5  # the cell of the seasonal background (~55 km)
    prior_days: float = 7.0  # how many days of history the regional base rate weighs
    base_rate: tuple[float, ...] = REGIONAL_BASE_RATE
    drop_low_confidence: bool = True  # VIIRS 'l' / MODIS < 30: sun glint, hot bare ground
    event_radius_km: float = 25.0
    event_lead_days: int = 7  # armed events this many days before the first detection count
    sweep_link_km: float = 30.0  # two burnings this close in space ...
    sweep_link_days: int = 4  # ... and in time are links of one sweep
    sweep_min_places: int = 3
    sweep_line_km: float = 4.0  # how far from the line a settlement of a sweep may lie
    sweep_seed_score: float = 0.5  # burnings weaker than this do not make sweeps
    min_detections: int = 2
    min_score: float = 0.1  # weaker candidates are not listed
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


# Logistic weights over features scaled to about 0..1 (see ``_score``). Signs and rough sizes
# come from what each feature means; the bias, excess and count weights were then chosen among a
# few variants on generated scenarios (seeds 4-6; the tests use seeds 1-3). Users measure them
# on their own verified cases with `tocsin eval burnings`.
DEFAULT_WEIGHTS = {"bias": -5.5, "excess": 4.0, "contained": 1.5, "count": 0.5, "frp": 0.5,
                   "day_and_night": 0.6, "events": 1.5, "sweep": 1.5, "steady": -4.0}

BURNINGS_SCHEMA = pa.schema([
    ("burning_id", pa.string()), ("place_id", pa.string()), ("place_name", pa.string()),
    ("place_class", pa.string()), ("latitude", pa.float64()), ("longitude", pa.float64()),
    ("admin1_pcode", pa.string()), ("admin2_pcode", pa.string()),
    ("first_detection", pa.timestamp("us", tz="UTC")), ("last_detection", pa.timestamp("us", tz="UTC")),
    ("detections", pa.int32()), ("night_detections", pa.int32()), ("frp_total", pa.float64()),
    ("score", pa.float64()), ("confidence", pa.string()), ("reasons", pa.string()),
    ("detection_ids", pa.list_(pa.string())), ("sweep_id", pa.string()),
    ("radius_km", pa.float64()), ("expected_detections", pa.float64()),
    ("background_expected", pa.float64()),
    ("ring_detections", pa.int32()), ("excess_z", pa.float64()), ("armed_events_before", pa.int32()),
    ("persistent_excluded", pa.int32()), ("history_days", pa.int32()),
])


def detect_burnings(detections: pa.Table, places: pa.Table, events: pa.Table | None = None,
                    params: BurningParams | None = None) -> pa.Table:
    """fire_detections rows, gazetteer places, events -> one row per (place, burning period).

    detections need latitude, longitude, acq_date, acq_time, frp, daynight, satellite (and use
    confidence and fire_type when present); places need place_id, name, place_class, latitude,
    longitude (radius_km, admin1_pcode, admin2_pcode when present); events need date_start,
    latitude, longitude, category, location_precision.
    """
    detector = BurningDetector(places, events, params or BurningParams())
    for batch in detections.to_batches(max_chunksize=1_000_000):
        detector.add(batch)
    return detector.result()


@dataclass
class _Partial:
    """What one batch adds, computed without touching the detector (see ``prepare``)."""

    spot_weeks: NDArray[np.int64] | None = None
    region_from: int = 0
    region_n: np.ndarray | None = None
    region_frp: np.ndarray | None = None
    days: np.ndarray | None = None
    hits: dict[str, np.ndarray] | None = None
    ring: NDArray[np.int64] | None = None


@dataclass
class _Hits:
    """Detections inside a settlement: what a burning period is built from."""

    place: list[NDArray[np.int32]] = field(default_factory=list)
    minute: list[NDArray[np.int64]] = field(default_factory=list)
    frp: list[NDArray[np.float64]] = field(default_factory=list)
    night: list[NDArray[np.bool_]] = field(default_factory=list)
    spot: list[NDArray[np.int64]] = field(default_factory=list)
    lat: list[NDArray[np.float64]] = field(default_factory=list)
    lon: list[NDArray[np.float64]] = field(default_factory=list)
    acq_date: list[NDArray[np.int32]] = field(default_factory=list)
    acq_time: list[NDArray[np.int16]] = field(default_factory=list)
    satellite: list[NDArray[np.int16]] = field(default_factory=list)

    def joined(self) -> dict[str, np.ndarray]:
        return {name: (np.concatenate(parts) if parts else np.zeros(0))
                for name, parts in self.__dict__.items()}


class BurningDetector:
    """Feed it detection batches (``learn`` for history, ``scan`` for the period to report on;
    often the same batches), then call ``result``. Batches may come in any order."""

    def __init__(self, places: pa.Table, events: pa.Table | None, params: BurningParams) -> None:
        self.params = params
        self.places = _place_arrays(places)
        self.index = SettlementIndex(self.places["latitude"], self.places["longitude"],
                                     self.places["radius_km"] + params.ring_km)
        self.events = _event_arrays(events)
        self.satellites: dict[str, int] = {}
        # history
        self._spot_weeks: list[NDArray[np.int64]] = []
        self._spot_weeks_rows = 0
        # Background: detections and FRP per (region, calendar month), dense over the globe.
        self._region_rows = math.ceil(180 / params.region_deg)
        self._region_cols = math.ceil(360 / params.region_deg)
        if self._region_rows * self._region_cols * 12 > 20_000_000:
            raise ValueError(f"region_deg {params.region_deg} is too fine (0.25 degrees or more)")
        self._region_counts = np.zeros(self._region_rows * self._region_cols * 12)
        self._region_frp = np.zeros(self._region_rows * self._region_cols * 12)
        self._days: set[int] = set()
        # matches
        self._hits = _Hits()
        self._ring: list[NDArray[np.int64]] = []

    # -- reading a batch ------------------------------------------------------------------
    def _columns(self, batch: pa.RecordBatch | pa.Table) -> dict[str, np.ndarray]:
        names = set(batch.schema.names)
        missing = {"latitude", "longitude", "acq_date", "acq_time", "frp", "daynight",
                   "satellite"} - names
        if missing:
            raise ValueError(f"fire detections lack the columns {', '.join(sorted(missing))}")
        keep = np.ones(batch.num_rows, dtype=bool)
        if self.params.drop_low_confidence and "confidence" in names:
            keep &= ~_as_bool(pc.equal(batch.column("confidence"), "low"))
        if "fire_type" in names:
            keep &= ~_as_bool(pc.is_in(batch.column("fire_type"),
                                        value_set=pa.array(STATIC_FIRE_TYPES, pa.int16())))
        lat = _floats(batch.column("latitude"))
        lon = _floats(batch.column("longitude"))
        keep &= np.isfinite(lat) & np.isfinite(lon)
        day = batch.column("acq_date").cast(pa.int32()).to_numpy(zero_copy_only=False)
        hhmm = batch.column("acq_time").cast(pa.int16()).to_numpy(zero_copy_only=False)
        d = {"lat": lat, "lon": lon, "acq_date": day, "acq_time": hhmm,
             "frp": np.nan_to_num(_floats(batch.column("frp"))),
             "night": _as_bool(pc.equal(batch.column("daynight"), "N")),
             "satellite": self._satellite_codes(batch.column("satellite"))}
        if not keep.all():
            rows = np.flatnonzero(keep)
            d = {k: v[rows] for k, v in d.items()}
        d["minute"] = (d["acq_date"].astype(np.int64) * MINUTES_PER_DAY
                       + (d["acq_time"] // 100) * 60 + d["acq_time"] % 100)
        return d

    def _satellite_codes(self, column: pa.Array | pa.ChunkedArray) -> NDArray[np.int16]:
        """Satellite names as small integers (a file is usually one satellite)."""
        distinct = pc.unique(column).to_pylist()
        if len(distinct) == 1:
            code = self.satellites.setdefault(str(distinct[0]), len(self.satellites))
            return np.full(len(column), code, dtype=np.int16)
        encoded = pc.dictionary_encode(column)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        codes = np.array([self.satellites.setdefault(str(s), len(self.satellites))
                          for s in encoded.dictionary.to_pylist()] or [0], dtype=np.int16)
        return codes[encoded.indices.to_numpy(zero_copy_only=False)]

    def _spots(self, lat: np.ndarray, lon: np.ndarray) -> NDArray[np.int64]:
        return _cell_key(lat, lon, self.params.spot_deg)

    def _region_month(self, lat: np.ndarray, lon: np.ndarray, day: np.ndarray) -> NDArray[np.int64]:
        """Index of (0.5-degree region, calendar month) in the dense background arrays."""
        size = self.params.region_deg
        row = np.clip(((np.asarray(lat) + 90) * (1 / size)).astype(np.int64), 0, self._region_rows - 1)
        col = np.clip(((np.asarray(lon) + 180) * (1 / size)).astype(np.int64), 0, self._region_cols - 1)
        return (row * self._region_cols + col) * 12 + _months(day)

    # -- feeding batches ------------------------------------------------------------------
    def add(self, batch: pa.RecordBatch | pa.Table, report_from: int | None = None) -> None:
        """``learn`` and ``scan`` in one go (the batch is read and matched once); only detections
        from day ``report_from`` (days since 1970-01-01) on are scanned, when given."""
        self.absorb(self.prepare(batch, report_from=report_from))

    def learn(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Add a batch to the history: persistent heat sources and the seasonal background."""
        self.absorb(self.prepare(batch, scan=False))

    def scan(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Match a batch of the period reported on to settlements."""
        self.absorb(self.prepare(batch, learn=False))

    def prepare(self, batch: pa.RecordBatch | pa.Table, learn: bool = True, scan: bool = True,
                report_from: int | None = None) -> _Partial:
        """All the work on one batch, touching no state: safe to run in several threads at once
        (NumPy and Arrow release the GIL). ``absorb`` then adds the result, in one thread."""
        d = self._columns(batch)
        point, place, km = self.index.candidates(d["lat"], d["lon"])
        part = _Partial()
        if learn:
            # Persistence is only ever asked of spots in a settlement or next to one (a spot and
            # its 8 neighbours reach ~0.8 km): only those spots are remembered.
            near = np.zeros(len(d["lat"]), dtype=bool)
            near[point[km <= self.places["radius_km"][place] + SPOT_MARGIN_KM]] = True
            week = d["acq_date"][near].astype(np.int64) // 7
            part.spot_weeks = _unique((self._spots(d["lat"][near], d["lon"][near]) << 13) | week)
            region = self._region_month(d["lat"], d["lon"], d["acq_date"])
            if len(region):
                part.region_from = int(region.min())
                part.region_n = np.bincount(region - part.region_from)
                part.region_frp = np.bincount(region - part.region_from, weights=d["frp"])
            part.days = _unique(d["acq_date"])
        if scan:
            if report_from is not None:
                wanted = d["acq_date"][point] >= report_from
                point, place, km = point[wanted], place[wanted], km[wanted]
            radius = self.places["radius_km"][place]
            inside = km <= radius
            # A detection inside several settlements belongs to the one it lies most centrally
            # in (distance over radius): a hamlet mapped inside a city does not take its fire.
            ip, iplace, ikm = point[inside], place[inside], (km / radius)[inside]
            order = np.lexsort((ikm, ip))
            ip, iplace = ip[order], iplace[order]
            first = np.concatenate([[True], ip[1:] != ip[:-1]]) if len(ip) else np.zeros(0, bool)
            ip, iplace = ip[first], iplace[first]
            part.hits = {name: d[name][ip] for name in
                         ("minute", "frp", "night", "lat", "lon", "acq_date", "acq_time", "satellite")}
            part.hits["place"] = iplace.astype(np.int32)
            part.hits["spot"] = self._spots(part.hits["lat"], part.hits["lon"])
            # The ring: detections round a settlement (not in it), counted per place and day.
            ring = ~inside
            part.ring = (place[ring].astype(np.int64) << 24) | d["acq_date"][point[ring]].astype(np.int64)
        return part

    def absorb(self, part: _Partial) -> None:
        """Add a prepared batch to the history and the matches."""
        if part.spot_weeks is not None:
            self._spot_weeks.append(part.spot_weeks)
            self._spot_weeks_rows += len(part.spot_weeks)
            if len(self._spot_weeks) > 1 and self._spot_weeks_rows > 4_000_000:
                self._spot_weeks = [_unique(np.concatenate(self._spot_weeks))]  # bounded memory
                self._spot_weeks_rows = len(self._spot_weeks[0])
        if part.region_n is not None and part.region_frp is not None:
            at = slice(part.region_from, part.region_from + len(part.region_n))
            self._region_counts[at] += part.region_n
            self._region_frp[at] += part.region_frp
        if part.days is not None:
            self._days.update(part.days.tolist())
        if part.hits is not None:
            for name, values in part.hits.items():
                getattr(self._hits, name).append(values)
        if part.ring is not None and len(part.ring):
            self._ring.append(part.ring)

    # -- the result -----------------------------------------------------------------------
    def persistent_spots(self) -> NDArray[np.int64]:
        """Spots with detections in many distinct weeks over a long span, sorted."""
        if not self._spot_weeks:
            return np.zeros(0, np.int64)
        keys = np.sort(_unique(np.concatenate(self._spot_weeks)))
        spot, week = keys >> 13, keys & 0x1FFF
        first = np.flatnonzero(np.concatenate([[True], spot[1:] != spot[:-1]]))
        counts = np.diff(np.append(first, len(spot)))
        spots = spot[first]
        span_days = (week[first + counts - 1] - week[first]) * 7
        keep = (counts >= self.params.persistent_min_weeks) & (
            span_days >= self.params.persistent_min_span_days)
        return spots[keep]

    def result(self) -> pa.Table:
        p = self.params
        hits = self._hits.joined()
        if len(hits["place"]) == 0:
            return BURNINGS_SCHEMA.empty_table()
        # A heat source's pixel wanders by a few hundred metres between overpasses: a detection
        # in a spot next to a persistent one is that source too.
        known = self.persistent_spots()
        spot = hits["spot"].astype(np.int64)
        persistent = np.zeros(len(spot), dtype=bool)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                persistent |= _member(spot + (dr << 21) + dc, known)
        excluded_by_place = np.bincount(hits["place"][persistent].astype(np.int64),
                                        minlength=len(self.places["place_id"]))
        hits = {k: v[~persistent] for k, v in hits.items()}
        periods = _split_periods(hits["place"].astype(np.int64), hits["minute"].astype(np.int64),
                                 p.max_gap_hours * 60)
        order, starts, stops = periods
        hits = {k: v[order] for k, v in hits.items()}
        counts = stops - starts
        big = counts >= p.min_detections
        starts, stops, counts = starts[big], stops[big], counts[big]
        if len(starts) == 0:
            return BURNINGS_SCHEMA.empty_table()
        f = self._features(hits, starts, stops, counts, excluded_by_place)
        score = _score(f, p.weights, sweep=np.zeros(len(starts)))
        sweep_ids = self._sweeps(f, score)
        score = _score(f, p.weights, sweep=(sweep_ids != "").astype(float))
        keep = np.flatnonzero(score >= p.min_score)
        return self._table(hits, starts, stops, f, score, sweep_ids, keep)

    def _features(self, hits: dict[str, np.ndarray], starts: np.ndarray, stops: np.ndarray,
                  counts: np.ndarray, excluded_by_place: np.ndarray) -> dict[str, np.ndarray]:
        p = self.params
        place = hits["place"][starts].astype(np.int64)
        first_min, last_min = hits["minute"][starts], hits["minute"][stops - 1]
        first_day, last_day = first_min // MINUTES_PER_DAY, last_min // MINUTES_PER_DAY
        days = (last_day - first_day + 1).astype(float)
        rows = _expand(starts, stops)
        period_of = np.repeat(np.arange(len(starts)), counts)
        night = np.bincount(period_of, weights=hits["night"][rows].astype(float), minlength=len(starts))
        frp = np.bincount(period_of, weights=hits["frp"][rows], minlength=len(starts))
        # The busiest day: village burnings are bursts, kilns and flares a steady trickle.
        day_key = period_of.astype(np.int64) * 1_000_000 + (
            hits["minute"][rows] // MINUTES_PER_DAY - np.repeat(first_day, counts))
        day_keys, day_counts = np.unique(day_key, return_counts=True)
        busiest = np.zeros(len(starts))
        np.maximum.at(busiest, day_keys // 1_000_000, day_counts)

        radius = self.places["radius_km"][place]
        area_in = math.pi * radius**2
        area_ring = math.pi * ((radius + p.ring_km) ** 2 - radius**2)
        ring = self._ring_counts(place, first_day - 1, last_day + 1)
        # Seasonal background of the region, the period's own detections left out.
        lat, lon = self.places["latitude"][place], self.places["longitude"][place]
        rkey = self._region_month(lat, lon, first_day.astype(np.int32))
        region_n, region_frp = self._region_counts[rkey], self._region_frp[rkey]
        own_n = np.minimum(counts, region_n)
        region_area = _cell_area_km2(lat, p.region_deg)
        month = _months(first_day.astype(np.int32))
        observed = self._observed_days_by_month()[month]
        base = np.asarray(p.base_rate, dtype=float)[month]
        density = ((region_n - own_n) + p.prior_days * base * region_area) / (
            region_area * (observed + p.prior_days))
        seasonal = density * area_in * days
        local = (ring + 0.5) / area_ring * area_in  # the ring's density, now
        expected = np.maximum(seasonal, local)
        mean_frp = np.where(region_n > own_n, (region_frp - np.minimum(frp, region_frp))
                            / np.maximum(region_n - own_n, 1), 10.0)
        contained = np.log10((counts / area_in) / ((ring + 1) / area_ring))
        events = self._events_before(lat, lon, first_day, last_day)
        return {
            "place": place, "first": first_min, "last": last_min, "days": days, "count": counts,
            "night": night, "frp": frp, "busiest": busiest, "ring": ring, "seasonal": seasonal,
            "expected": expected, "z": _poisson_z(counts, expected), "contained": contained,
            "frp_ratio": frp / np.maximum(expected * mean_frp, 1e-6), "events": events,
            "excluded": excluded_by_place[place], "observed": observed, "lat": lat, "lon": lon,
            "history": np.full(len(place), float(len(self._days))),
        }

    def _observed_days_by_month(self) -> np.ndarray:
        days = np.array(sorted(self._days), dtype=np.int32)
        return np.bincount(_months(days), minlength=12).astype(float) if len(days) else np.zeros(12)

    def _ring_counts(self, place: np.ndarray, day_from: np.ndarray, day_to: np.ndarray) -> np.ndarray:
        if not self._ring:
            return np.zeros(len(place))
        keys = np.sort(np.concatenate(self._ring))
        lo = np.searchsorted(keys, (place << 24) | day_from, side="left")
        hi = np.searchsorted(keys, (place << 24) | day_to, side="right")
        return (hi - lo).astype(float)

    def _events_before(self, lat: np.ndarray, lon: np.ndarray, first_day: np.ndarray,
                       last_day: np.ndarray) -> np.ndarray:
        ev = self.events
        out = np.zeros(len(lat))
        if len(ev["day"]) == 0:
            return out
        lo = np.searchsorted(ev["day"], first_day - self.params.event_lead_days, side="left")
        hi = np.searchsorted(ev["day"], last_day, side="right")
        for i in np.flatnonzero(hi > lo):
            sl = slice(lo[i], hi[i])
            km = haversine_km(lat[i], lon[i], ev["lat"][sl], ev["lon"][sl])
            out[i] = float(np.count_nonzero(km <= self.params.event_radius_km))
        return out

    def _sweeps(self, f: dict[str, np.ndarray], score: np.ndarray) -> np.ndarray:
        """Burnings of several places, linked by nearness in space and time, lying along a line."""
        p = self.params
        ids = np.full(len(score), "", dtype=object)
        seeds = np.flatnonzero(score >= p.sweep_seed_score)
        if len(seeds) < p.sweep_min_places:
            return ids
        day = f["first"][seeds] // MINUTES_PER_DAY
        order = np.argsort(day, kind="stable")
        seeds, day = seeds[order], day[order]
        parent = list(range(len(seeds)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        lat, lon = f["lat"][seeds], f["lon"][seeds]
        for i in range(len(seeds)):
            j_end = np.searchsorted(day, day[i] + p.sweep_link_days, side="right")
            if j_end <= i + 1:
                continue
            km = haversine_km(lat[i], lon[i], lat[i + 1:j_end], lon[i + 1:j_end])
            for j in (np.flatnonzero(km <= p.sweep_link_km) + i + 1).tolist():
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        groups: dict[int, list[int]] = {}
        for i in range(len(seeds)):
            groups.setdefault(find(i), []).append(i)
        for members in groups.values():
            line = _best_line(lat[members], lon[members], f["place"][seeds[members]],
                              p.sweep_line_km, p.sweep_min_places)
            if not line:
                continue
            rows = seeds[np.asarray(members)[line]]
            digest = hashlib.sha1(",".join(sorted(
                f"{int(f['place'][r])}:{int(f['first'][r])}" for r in rows)).encode()).hexdigest()
            ids[rows] = f"sweep-{digest[:10]}"
        return ids

    def _table(self, hits: dict[str, np.ndarray], starts: np.ndarray, stops: np.ndarray,
               f: dict[str, np.ndarray], score: np.ndarray, sweep_ids: np.ndarray,
               keep: np.ndarray) -> pa.Table:
        pl = self.places
        place = f["place"][keep]
        ids = _detection_ids(hits, _expand(starts[keep], stops[keep]), self.satellites)
        offsets = np.concatenate([[0], np.cumsum(stops[keep] - starts[keep])]).astype(np.int32)
        sweep_sizes: dict[str, int] = {}
        for s in sweep_ids[keep].tolist():
            if s:
                sweep_sizes[s] = sweep_sizes.get(s, 0) + 1
        reasons = [_reasons(f, i, pl, self.params, sweep_ids[i], sweep_sizes)
                   for i in keep.tolist()]
        place_ids = [pl["place_id"][i] for i in place.tolist()]
        first = f["first"][keep]
        return pa.table({
            "burning_id": [f"burn-{hashlib.sha1(f'{pid}|{m}'.encode()).hexdigest()[:12]}"
                           for pid, m in zip(place_ids, first.tolist(), strict=True)],
            "place_id": place_ids,
            "place_name": [pl["name"][i] for i in place.tolist()],
            "place_class": [pl["place_class"][i] for i in place.tolist()],
            "latitude": f["lat"][keep], "longitude": f["lon"][keep],
            "admin1_pcode": [pl["admin1_pcode"][i] for i in place.tolist()],
            "admin2_pcode": [pl["admin2_pcode"][i] for i in place.tolist()],
            "first_detection": (first * 60_000_000).astype("datetime64[us]"),
            "last_detection": (f["last"][keep] * 60_000_000).astype("datetime64[us]"),
            "detections": f["count"][keep].astype(np.int32),
            "night_detections": f["night"][keep].astype(np.int32),
            "frp_total": np.round(f["frp"][keep], 2),
            "score": np.round(score[keep], 4),
            "confidence": [_confidence(s) for s in score[keep].tolist()],
            "reasons": reasons,
            "detection_ids": pa.ListArray.from_arrays(pa.array(offsets), ids),
            "sweep_id": [s or None for s in sweep_ids[keep].tolist()],
            "radius_km": pl["radius_km"][place],
            "expected_detections": np.round(f["expected"][keep], 4),
            "background_expected": np.round(f["seasonal"][keep], 4),
            "ring_detections": f["ring"][keep].astype(np.int32),
            "excess_z": np.round(f["z"][keep], 2),
            "armed_events_before": f["events"][keep].astype(np.int32),
            "persistent_excluded": f["excluded"][keep].astype(np.int32),
            "history_days": f["history"][keep].astype(np.int32),
        }, schema=BURNINGS_SCHEMA).sort_by([("score", "descending"), ("first_detection", "ascending"),
                                            ("place_id", "ascending")])


# -- scoring ----------------------------------------------------------------------------------
def _score(f: dict[str, np.ndarray], w: dict[str, float], sweep: np.ndarray) -> np.ndarray:
    """Each feature scaled to about 0..1, then a logistic combination."""
    steady = (f["days"] >= 4) & (f["busiest"] <= 2)
    logit = (w["bias"]
             + w["excess"] * np.clip(f["z"] / 6, 0, 1.5)
             # Two or three detections with nothing around them say little about containment.
             + w["contained"] * np.clip(f["contained"] / 1.5, -1, 1)
             * np.clip((f["count"] - 1) / 4, 0, 1)
             + w["count"] * np.clip(np.log2(np.maximum(f["count"], 1)) / 4, 0, 1)
             + w["frp"] * np.clip(np.log10(np.maximum(f["frp_ratio"], 1e-6)) / 2, 0, 1)
             + w["day_and_night"] * ((f["night"] > 0) & (f["night"] < f["count"]))
             + w["events"] * np.minimum(f["events"], 3) / 3
             + w["sweep"] * sweep
             + w["steady"] * steady)
    return 1 / (1 + np.exp(-logit))


def _confidence(score: float) -> str:
    return next(name for name, floor in CONFIDENCE_CLASSES if score >= floor)


def _poisson_z(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Signed root of the Poisson deviance: a z-score that stays honest for small counts."""
    n = observed.astype(float)
    mu = np.maximum(expected, 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n > 0, n * np.log(n / mu), 0.0) - (n - mu)
    return np.sign(n - mu) * np.sqrt(np.maximum(2 * term, 0))


def _reasons(f: dict[str, np.ndarray], i: int, pl: dict[str, np.ndarray], p: BurningParams,
             sweep_id: str, sweep_sizes: dict[str, int]) -> str:
    place = int(f["place"][i])
    radius = float(pl["radius_km"][place])
    n, night = int(f["count"][i]), int(f["night"][i])
    days = int(f["days"][i])
    kind = str(pl["place_class"][place] or "place").replace("_", " ")
    parts = [f"{_plural(n, 'detection')} ({night} at night) within {radius:g} km of the "
             f"{kind} over {_plural(days, 'day')}, "
             f"FRP {f['frp'][i]:.0f} MW"]
    expected = float(f["expected"][i])
    ratio = n / max(expected, 1e-9)
    parts.append(f"{expected:.2g} expected from the season's background and the fire around it"
                 + (f" ({ratio:.0f}x)" if ratio >= 2 else ""))
    ring = int(f["ring"][i])
    density_ratio = 10 ** float(f["contained"][i])
    if f["contained"][i] >= 1 and ring == 0:
        parts.append(f"fire confined to the settlement (none in the {p.ring_km:g} km around it)")
    elif f["contained"][i] >= 1:
        parts.append(f"fire {density_ratio:.0f}x denser in the settlement than in the "
                     f"{p.ring_km:g} km around it ({_plural(ring, 'detection')} there)")
    elif f["contained"][i] < 0.5:
        parts.append(f"fire also all around it ({_plural(ring, 'detection')} in the {p.ring_km:g} km "
                     "around it): likely a bush or field fire reaching the settlement")
    if 0 < night < n:
        parts.append("burning by day and by night")
    if f["events"][i] > 0:
        parts.append(f"{int(f['events'][i])} armed event(s) within {p.event_radius_km:g} km in the "
                     f"{p.event_lead_days} days before or during")
    if sweep_id:
        parts.append(f"part of sweep {sweep_id} ({sweep_sizes.get(sweep_id, 0)} settlements "
                     f"burning along a line within days)")
    if f["days"][i] >= 4 and f["busiest"][i] <= 2:
        parts.append("a steady trickle of detections, like a kiln or flare")
    if f["excluded"][i] > 0:
        parts.append(f"{int(f['excluded'][i])} detections at a persistent heat source here "
                     "left out")
    if f["history"][i] < p.persistent_min_span_days:
        parts.append(f"only {int(f['history'][i])} days of fire history: persistent heat sources "
                     "cannot be ruled out yet")
    return "; ".join(parts)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# -- helpers ----------------------------------------------------------------------------------
def _expand(starts: np.ndarray, stops: np.ndarray) -> NDArray[np.int64]:
    """The row indices of the ranges [start, stop), concatenated."""
    counts = (stops - starts).astype(np.int64)
    total = int(counts.sum())
    return np.repeat(starts - np.cumsum(counts) + counts, counts).astype(np.int64) + np.arange(total)


def _split_periods(place: np.ndarray, minute: np.ndarray, max_gap_minutes: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order by (place, time); a new period starts at a new place or after a long gap."""
    order = np.lexsort((minute, place))
    pl, mi = place[order], minute[order]
    new = np.ones(len(pl), dtype=bool)
    new[1:] = (pl[1:] != pl[:-1]) | (mi[1:] - mi[:-1] > max_gap_minutes)
    starts = np.flatnonzero(new)
    stops = np.append(starts[1:], len(pl))
    return order, starts, stops


def _best_line(lat: np.ndarray, lon: np.ndarray, place: np.ndarray, width_km: float,
               min_places: int, limit: int = 40) -> list[int]:
    """The largest set of members within ``width_km`` of a line through two of them, when it
    holds at least ``min_places`` distinct places and is longer than it is wide; else []."""
    n = min(len(lat), limit)
    if n < min_places:
        return []
    y = (lat[:n] - lat[:n].mean()) * 111.32
    x = (lon[:n] - lon[:n].mean()) * 111.32 * np.cos(np.radians(lat[:n].mean()))
    best: list[int] = []
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[j] - x[i], y[j] - y[i]
            length = math.hypot(dx, dy)
            if length < 2 * width_km:
                continue
            across = np.abs((x - x[i]) * dy - (y - y[i]) * dx) / length
            members = np.flatnonzero(across <= width_km).tolist()
            if len(members) > len(best) and len({int(place[m]) for m in members}) >= min_places:
                best = members
    return best


def _cell_key(lat: np.ndarray, lon: np.ndarray, size: float) -> NDArray[np.int64]:
    row = np.floor(np.asarray(lat) / size).astype(np.int64) + (1 << 20)
    col = np.floor(np.asarray(lon) / size).astype(np.int64) + (1 << 20)
    return (row << 21) | col


def _cell_area_km2(lat: np.ndarray, size: float) -> np.ndarray:
    return (size * 111.32) ** 2 * np.cos(np.radians(lat))


def _months(day: np.ndarray) -> NDArray[np.int64]:
    """Calendar month 0..11 of days since 1970-01-01 (a table look-up, not a date per row)."""
    day = np.asarray(day).astype(np.int64)
    inside = (day >= 0) & (day < len(_MONTH_OF_DAY))
    if inside.all():
        return _MONTH_OF_DAY[day]
    months = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    return months.astype(np.int64)


_MONTH_OF_DAY = (np.arange(0, 60_000).astype("datetime64[D]").astype("datetime64[M]")
                 .astype(np.int64) % 12)  # 1970 to 2134


def _unique(values: np.ndarray) -> np.ndarray:
    """Distinct values, unordered (Arrow's hash table: several times NumPy's sort-based unique)."""
    return pa.array(values).unique().to_numpy(zero_copy_only=False)


def _member(values: np.ndarray, sorted_set: np.ndarray) -> NDArray[np.bool_]:
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


def _floats(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def _as_bool(column: pa.Array | pa.ChunkedArray) -> NDArray[np.bool_]:
    return np.asarray(column.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _detection_ids(hits: dict[str, np.ndarray], rows: np.ndarray, satellites: dict[str, int]) -> pa.Array:
    """fire_detections source_id of the given hits, by the lake's own SQL expression for it, so
    that an id here is the id in the lake."""
    names = np.array(list(satellites) or [""], dtype=object)
    subset = pa.table({
        "satellite": pa.array(names[hits["satellite"][rows].astype(np.int64)], pa.string()),
        "acq_date": pa.array(hits["acq_date"][rows].astype(np.int32), pa.int32()).cast(pa.date32()),
        "acq_time": pa.array(hits["acq_time"][rows].astype(np.int16), pa.int16()),
        "latitude": pa.array(hits["lat"][rows], pa.float64()),
        "longitude": pa.array(hits["lon"][rows], pa.float64()),
    })
    expression = TABLES["fire_detections"].computed["source_id"]
    con = duckdb.connect()
    try:
        con.register("subset", subset)
        return con.sql(f"SELECT {expression} AS id FROM subset").to_arrow_table().column(
            "id").combine_chunks()
    finally:
        con.close()


def _place_arrays(places: pa.Table) -> dict[str, np.ndarray]:
    missing = {"place_id", "place_class", "latitude", "longitude"} - set(places.column_names)
    if missing:
        raise ValueError(f"places lack the columns {', '.join(sorted(missing))}")
    ok = np.asarray(pc.and_(pc.is_valid(places.column("latitude")),
                            pc.is_valid(places.column("longitude"))).to_numpy(zero_copy_only=False))
    places = places.filter(pa.array(ok))
    classes = places.column("place_class").to_pylist()

    def text(name: str) -> np.ndarray:
        values = places.column(name).to_pylist() if name in places.column_names else [None] * len(classes)
        return np.array(values, dtype=object)

    if "radius_km" in places.column_names:
        radius = _floats(places.column("radius_km"))
        fallback = np.array([SETTLEMENT_RADIUS_KM.get(c or "", 1.0) for c in classes])
        radius = np.where(np.isfinite(radius) & (radius > 0), radius, fallback)
    else:
        radius = np.array([SETTLEMENT_RADIUS_KM.get(c or "", 1.0) for c in classes])
    return {"place_id": text("place_id"), "name": text("name"), "place_class": text("place_class"),
            "admin1_pcode": text("admin1_pcode"), "admin2_pcode": text("admin2_pcode"),
            "latitude": _floats(places.column("latitude")),
            "longitude": _floats(places.column("longitude")), "radius_km": radius}


def _event_arrays(events: pa.Table | None) -> dict[str, np.ndarray]:
    empty = {"day": np.zeros(0, np.int64), "lat": np.zeros(0), "lon": np.zeros(0)}
    if events is None or events.num_rows == 0:
        return empty
    armed = pc.and_(pc.is_in(events.column("category"), value_set=pa.array(ARMED_CATEGORIES)),
                    pc.is_in(events.column("location_precision"),
                             value_set=pa.array(PRECISE_LOCATIONS)))
    events = events.filter(pc.fill_null(armed, False))
    events = events.filter(pc.and_(pc.is_valid(events.column("latitude")),
                                   pc.is_valid(events.column("date_start"))))
    day = events.column("date_start").cast(pa.date32()).cast(pa.int32()).to_numpy(
        zero_copy_only=False).astype(np.int64)
    order = np.argsort(day, kind="stable")
    return {"day": day[order], "lat": _floats(events.column("latitude"))[order],
            "lon": _floats(events.column("longitude"))[order]}

