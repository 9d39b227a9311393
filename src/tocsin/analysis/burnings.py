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
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tocsin.analysis.settlement_index import SettlementIndex
from tocsin.places.gazetteer import SETTLEMENT_RADIUS_KM
from tocsin.schema.tables import TABLES
from tocsin.spatial import EARTH_RADIUS_KM, haversine_km

if TYPE_CHECKING:
    from tocsin.analysis.fire_events import PointSource

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
CONFIDENCE_CLASSES = (("high", 0.8), ("medium", 0.5), ("low", 0.0))


PARAMS_FILE = Path(__file__).with_name("burnings_params.json")
# The features of a burning period, each scaled to about 0..1 (see ``feature_matrix``); the
# score is a logistic combination of them with the weights of the params file.
FEATURES = ("excess", "night_excess", "contained", "alone", "night_alone", "core", "field_ring", "count",
            "single", "frp", "night", "overpasses", "day_and_night", "events", "sweep", "steady",
            "recurrent")
# What each feature means, for the ranking reasons ("ranked here for: ...").
FEATURE_WORDS = {
    "excess": "more detections than the season's background and the fire around",
    "night_excess": "more night detections than the season's night background",
    "contained": "fire denser inside than around",
    "alone": "no fire in the ring around it",
    "night_alone": "night detections with no night fire around it",
    "core": "detections in the settlement's core, not its edge",
    "field_ring": "fire in the fields around it in the days around",
    "count": "many detections",
    "single": "a single detection",
    "frp": "radiative power above the expected",
    "night": "night detections",
    "overpasses": "seen over several overpasses",
    "day_and_night": "burning by day and by night",
    "events": "armed events nearby before",
    "sweep": "part of a sweep",
    "steady": "a steady trickle like a kiln or flare",
    "recurrent": "the same spot burning in the weeks around, like a kiln or flare",
}


def load_params_file(path: Path | None = None) -> dict[str, Any]:
    """The fitted weights and their provenance (``tocsin eval fit-burnings`` writes the file)."""
    source = path or PARAMS_FILE
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{source}: not a burnings params file ({exc})") from None
    weights = data.get("weights") if isinstance(data, dict) else None
    if not isinstance(weights, dict):
        raise ValueError(f"{source}: no 'weights' object")
    unknown = set(weights) - set(FEATURES) - {"bias"}
    if unknown:
        raise ValueError(f"{source}: unknown weights {', '.join(sorted(unknown))} "
                         f"(expected bias and {', '.join(FEATURES)})")
    for name, value in weights.items():
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{source}: weight {name!r} is {value!r}, expected a number")
    return data


def _default_weights() -> dict[str, float]:
    weights = {name: 0.0 for name in ("bias", *FEATURES)}
    weights.update({k: float(v) for k, v in load_params_file()["weights"].items()})
    return weights


@dataclass(frozen=True)
class BurningParams:
    """Every threshold of the method; docs/methods/burnings.md says why each is what it is."""

    ring_km: float = 3.0  # the band around a settlement compared with its inside
    max_gap_hours: float = 48.0  # a longer quiet (observed) spell starts a new burning period
    observed_deg: float = 1.0  # a day with no detection at all in this block was not seen (cloud)
    max_cloud_days: int = 3  # at most this many unseen days are bridged in one quiet spell
    spot_deg: float = 0.005  # a persistent heat source's cell (~550 m, about a VIIRS pixel's jitter)
    persistent_min_weeks: int = 5  # distinct weeks with detections at one spot ...
    persistent_min_span_days: int = 42  # ... spread over at least this long
    persistent_km: float = 0.45  # detections this close to a persistent source are that source
    recurrent_days: int = 28  # a spot burning on other days this close is a young kiln or flare
    region_deg: float = 0.5  # the cell of the seasonal background (~55 km)
    prior_days: float = 7.0  # how many days of history the regional base rate weighs
    base_rate: tuple[float, ...] = REGIONAL_BASE_RATE
    night_share_prior: float = 0.15  # share of the base rate seen at the night overpass
    drop_low_confidence: bool = True  # VIIRS 'l' / MODIS < 30: sun glint, hot bare ground
    core_share: float = 0.5  # the built-up core: this share of the settlement's radius
    wide_ring_days: int = 3  # field fire in the ring this many days either side counts
    event_radius_km: float = 25.0
    event_lead_days: int = 7  # armed events this many days before the first detection count
    sweep_link_km: float = 30.0  # two burnings this close in space ...
    sweep_link_days: int = 4  # ... and in time are links of one sweep
    sweep_min_places: int = 3
    sweep_line_km: float = 4.0  # how far from the line a settlement of a sweep may lie
    sweep_seed_score: float = 0.25  # burnings weaker than this do not make sweeps
    fire_event_deg: float = 0.02  # detections in neighbouring ~2 km cells ...
    fire_event_days: int = 1  # ... on the same or next day are one fire event
    min_detections: int = 1
    min_score: float = 0.02  # weaker candidates are not listed (the rest are ranked leads)
    weights: dict[str, float] = field(default_factory=_default_weights)

    def halo_km(self, max_radius_km: float = max(SETTLEMENT_RADIUS_KM.values())) -> float:
        """How far beyond a tile's edge detections, places and events must be read for the
        candidates of the tile's own places to be exact (``analysis/burnings_tiled``): a
        detection in a place's disc or ring (``reach``) is told from a persistent source by
        the detections in the spots round it (two spots' diagonal on), and whether those are
        near a settlement at all takes another ``reach``; armed events count within
        ``event_radius_km``. What reaches further (sweeps, fire events, the background, the
        days seen) is taken whole, not per tile."""
        reach = max_radius_km + self.ring_km
        spots = 2 * math.sqrt(2) * self.spot_deg * 111.32
        return max(self.event_radius_km, 2 * reach + spots)


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
    # method 2
    ("rank", pa.int32()), ("ranked_by", pa.string()), ("fire_event_id", pa.string()),
    ("overpasses", pa.int32()), ("core_detections", pa.int32()),
    ("ring_detections_wide", pa.int32()), ("unobserved_days", pa.int32()),
    ("features", pa.struct([(name, pa.float64()) for name in FEATURES])),
])

FIRE_EVENTS_SCHEMA = pa.schema([
    ("fire_event_id", pa.string()), ("kind", pa.string()),
    ("first_detection", pa.timestamp("us", tz="UTC")), ("last_detection", pa.timestamp("us", tz="UTC")),
    ("detections", pa.int32()), ("settlement_detections", pa.int32()),
    ("night_detections", pa.int32()), ("frp_total", pa.float64()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("area_km2", pa.float64()),
    ("max_score", pa.float64()), ("confidence", pa.string()),
    ("burning_ids", pa.list_(pa.string())), ("place_ids", pa.list_(pa.string())),
    ("place_names", pa.list_(pa.string())), ("sweep_ids", pa.list_(pa.string())),
    ("geometry", pa.string()),  # GeoJSON Polygon: the hull of its detections, a pixel wider
])

# A candidate period's measurements (``BurningDetector._features``), what the score, the reasons
# and the table are made from: whole numbers, then the rest.
PERIOD_INTS = ("place", "first", "last", "count", "excluded", "unobserved")
PERIOD_FIELDS = (*PERIOD_INTS, "days", "night", "frp", "busiest", "ring", "ring_wide", "ring_night",
                 "recurrent", "seasonal", "seasonal_night", "core", "overpasses", "expected", "z",
                 "z_night", "contained", "frp_ratio", "events", "observed", "lat", "lon", "history")
PERIODS_SCHEMA = pa.schema(
    [(name, pa.int64() if name in PERIOD_INTS else pa.float64()) for name in PERIOD_FIELDS]
    + [("place_id", pa.string()), ("first_lat", pa.float64()), ("first_lon", pa.float64()),
       ("detection_ids", pa.list_(pa.string()))])
# The detections fire events are made of: place -1 for one in a ring only.
POINTS_SCHEMA = pa.schema([("lat", pa.float64()), ("lon", pa.float64()), ("minute", pa.int64()),
                           ("frp", pa.float64()), ("night", pa.bool_()), ("place", pa.int64()),
                           ("place_id", pa.string())])


@dataclass
class BurningsResult:
    burnings: pa.Table  # one row per (place, burning period): BURNINGS_SCHEMA
    fire_events: pa.Table  # one row per fire event with a listed burning: FIRE_EVENTS_SCHEMA


@dataclass(frozen=True)
class BurningContext:
    """What the detector takes from all detections, not from those near a place: the days
    anything was seen, the (1-degree block, day) pairs seen (clouds), and the seasonal
    background, sparse: detections and FRP (in kW, so that sums are exact in any order) per
    (0.5-degree region, calendar month, day or night) key. A tiled run computes it once over
    the whole area and gives it to every tile, so a tile's answer is the whole answer."""

    days: NDArray[np.int64]  # sorted
    observed: NDArray[np.int64]  # sorted (block << 20 | day) keys
    region_keys: NDArray[np.int64]  # sorted
    region_n: NDArray[np.int64]
    region_frp_kw: NDArray[np.int64]

    @staticmethod
    def merge(parts: list[BurningContext]) -> BurningContext:
        """The context of the union of the parts' detections."""
        keys = np.concatenate([p.region_keys for p in parts]) if parts else np.zeros(0, np.int64)
        # Sums per distinct key by one stable sort and integer run sums (exact, in any order).
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.flatnonzero(_firsts(keys))
        distinct = keys[first]
        n = kw = np.zeros(0, np.int64)
        if len(keys):
            n = np.add.reduceat(np.concatenate([p.region_n for p in parts]).astype(np.int64)[order], first)
            kw = np.add.reduceat(np.concatenate([p.region_frp_kw for p in parts]).astype(np.int64)[order],
                                 first)
        return BurningContext(
            days=_unique(np.concatenate([p.days for p in parts])) if parts else np.zeros(0, np.int64),
            observed=(_unique(np.concatenate([p.observed for p in parts])) if parts
                      else np.zeros(0, np.int64)),
            region_keys=distinct.astype(np.int64), region_n=n, region_frp_kw=kw)

    def region(self, keys: np.ndarray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(detections, FRP in MW) at each background key (0 where none was seen)."""
        if len(self.region_keys) == 0:
            return np.zeros(len(keys)), np.zeros(len(keys))
        at = np.minimum(np.searchsorted(self.region_keys, keys), len(self.region_keys) - 1)
        found = self.region_keys[at] == keys
        return (np.where(found, self.region_n[at], 0).astype(float),
                np.where(found, self.region_frp_kw[at], 0) / 1000.0)

    def to_table(self) -> pa.Table:
        """One row per array (IPC-friendly, for shipping between processes)."""
        return pa.table({name: [pa.array(getattr(self, name), pa.int64())] for name in
                         ("days", "observed", "region_keys", "region_n", "region_frp_kw")},
                        schema=pa.schema([(name, pa.list_(pa.int64())) for name in
                                          ("days", "observed", "region_keys", "region_n",
                                           "region_frp_kw")]))

    @staticmethod
    def from_table(table: pa.Table) -> BurningContext:
        return BurningContext.merge([BurningContext(**{
            name: np.asarray(table.column(name)[i].values.to_numpy(zero_copy_only=False), np.int64)
            for name in table.column_names}) for i in range(table.num_rows)])


def detect_burnings(detections: pa.Table, places: pa.Table, events: pa.Table | None = None,
                    params: BurningParams | None = None) -> pa.Table:
    """fire_detections rows, gazetteer places, events -> one row per (place, burning period).

    detections need latitude, longitude, acq_date, acq_time, frp, daynight, satellite (and use
    confidence and fire_type when present); places need place_id, name, place_class, latitude,
    longitude (radius_km, admin1_pcode, admin2_pcode when present); events need date_start,
    latitude, longitude, category, location_precision.
    """
    return detect_fires(detections, places, events, params).burnings


def detect_fires(detections: pa.Table, places: pa.Table, events: pa.Table | None = None,
                 params: BurningParams | None = None) -> BurningsResult:
    """Like ``detect_burnings``, with the fire events (clusters across places) as well."""
    detector = BurningDetector(places, events, params or BurningParams())
    for batch in detections.to_batches(max_chunksize=1_000_000):
        detector.add(batch)
    return detector.outcome()


@dataclass
class _Partial:
    """What one batch adds, computed without touching the detector (see ``prepare``)."""

    spot_weeks: NDArray[np.int64] | None = None
    spot_days: NDArray[np.int64] | None = None
    background: BurningContext | None = None  # this batch's share of the context
    hits: dict[str, np.ndarray] | None = None
    ring_points: dict[str, np.ndarray] | None = None
    ring: NDArray[np.int64] | None = None
    ring_point: NDArray[np.int64] | None = None  # the ring pair's row in ring_points


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
    rel: list[NDArray[np.float32]] = field(default_factory=list)  # distance over the radius

    def joined(self) -> dict[str, np.ndarray]:
        return {name: (np.concatenate(parts) if parts else np.zeros(0))
                for name, parts in self.__dict__.items()}


@dataclass(frozen=True)
class _Sources:
    """Persistent heat sources (``BurningDetector._sources``): their spots, the spots round
    them and their centres, in radians."""

    known: pa.Array  # spots, sorted
    around: pa.Array  # the nine spots round each: only a detection in one can be marked
    rc_lat: NDArray[np.float64]
    rc_lon: NDArray[np.float64]
    cos_c: NDArray[np.float64]
    km: float  # persistent_km

    def near(self, lat: np.ndarray, lon: np.ndarray, spot: np.ndarray) -> NDArray[np.bool_]:
        """Detections within ``km`` of a source's centre. Each detection's answer is its own:
        any subset of detections gets the same marks asked alone."""
        out = np.zeros(len(lat), dtype=bool)
        if len(self.known) == 0 or len(lat) == 0:
            return out
        # One look-up finds the detections that can be marked; the rest is done for them alone.
        candidates = np.flatnonzero(pc.is_in(pa.array(spot, pa.int64()), value_set=self.around)
                                    .to_numpy(zero_copy_only=False))
        if len(candidates) == 0:
            return out
        lat, lon, spot = lat[candidates], lon[candidates], spot[candidates]
        at_own = pc.index_in(pa.array(spot), value_set=self.known).to_numpy(zero_copy_only=False)
        own = ~np.isnan(at_own)
        # haversine_km's arithmetic, each side's radians and cosine taken once (the same values,
        # so the same distances) rather than in each of the nine passes.
        r_lat, r_lon = np.radians(lat), np.radians(lon)
        cos_lat = np.cos(r_lat)
        rc_lat, rc_lon, cos_c = self.rc_lat, self.rc_lon, self.cos_c
        marked = np.zeros(len(candidates), dtype=bool)
        limit = (self.km / EARTH_RADIUS_KM) ** 2  # in squared radians
        for dr, dc in ((0, 0), *((r, c) for r in (-1, 0, 1) for c in (-1, 0, 1) if (r, c) != (0, 0))):
            rows = np.flatnonzero(~marked)
            if len(rows) == 0:
                break
            if (dr, dc) == (0, 0):
                rows = rows[own[rows]]
                src = at_own[rows].astype(np.int64)
            else:
                found = pc.index_in(pa.array(spot[rows] + (dr << 21) + dc),
                                    value_set=self.known).to_numpy(zero_copy_only=False)
                hit = ~np.isnan(found)
                rows, src = rows[hit], found[hit].astype(np.int64)
            # At a few hundred metres the haversine is its small-angle form to about 1e-8 (sin x
            # and arcsin x are x within x**2 / 6): that decides every pair but those within a
            # millionth of the threshold, which get the exact formula, so the marks are the same.
            d_lat = rc_lat[src] - r_lat[rows]
            d_lon = rc_lon[src] - r_lon[rows]
            cos_both = cos_lat[rows] * cos_c[src]
            flat = d_lat * d_lat + cos_both * (d_lon * d_lon)
            near = flat <= limit * (1 - 1e-6)
            close = np.flatnonzero(~near & (flat <= limit * (1 + 1e-6)))
            if len(close):
                a = (np.sin(d_lat[close] / 2) ** 2 + cos_both[close] * np.sin(d_lon[close] / 2) ** 2)
                km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
                near[close] = km <= self.km
            marked[rows[near]] = True
        out[candidates[marked]] = True
        return out


class _RingPoints:
    """The ring detections kept by ``prepare``, each field joined when first asked for, and
    whether each is at a persistent source, tested only for those asked about."""

    def __init__(self, parts: dict[str, list[np.ndarray]]) -> None:
        self._parts = parts
        self._joined: dict[str, np.ndarray] = {}
        self._tested: NDArray[np.bool_] | None = None
        self._marks: NDArray[np.bool_] | None = None

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._joined:
            parts = self._parts[name]
            self._joined[name] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return self._joined[name]

    def __len__(self) -> int:
        return len(self["lat"])

    def persistent(self, rows: np.ndarray, sources: _Sources) -> NDArray[np.bool_]:
        """Whether each ring point of ``rows`` is at one of the ``sources`` (always the same)."""
        if self._tested is None or self._marks is None:
            self._tested, self._marks = np.zeros(len(self), bool), np.zeros(len(self), bool)
        todo = np.zeros(len(self), bool)
        todo[rows] = True
        todo = np.flatnonzero(todo & ~self._tested)
        if len(todo):
            self._marks[todo] = sources.near(self["lat"][todo], self["lon"][todo],
                                                  self["spot"][todo])
        self._tested[todo] = True
        return self._marks[rows]


RING_POINT_FIELDS = ("lat", "lon", "spot", "minute", "night", "frp", "disc_place", "owner")


class BurningDetector:
    """Feed it detection batches (``learn`` for history, ``scan`` for the period to report on;
    often the same batches), then call ``outcome`` (or ``result`` for the burnings alone).
    Batches may come in any order.

    A tile of a tiled run (``analysis/burnings_tiled``) gives the places of its halo as
    ``places``, its own as ``homes`` (place ids), and the ``context`` of the whole area; its
    ``candidates`` are then exactly the whole run's for its own places."""

    def __init__(self, places: pa.Table, events: pa.Table | None, params: BurningParams,
                 context: BurningContext | None = None, homes: pa.Array | None = None) -> None:
        self.params = params
        self.places = _place_arrays(places)
        self.index = SettlementIndex(self.places["latitude"], self.places["longitude"],
                                     self.places["radius_km"] + params.ring_km,
                                     inner_km=self.places["radius_km"])
        self.events = _event_arrays(events)
        self.given_context = context
        self._context: BurningContext | None = None  # cached by context()
        # Ties (a point as central in two co-located places; which place a ring point's fire
        # event is reported by) go to the smaller place id, whatever the order of the table.
        ids = pa.array(self.places["place_id"], pa.string())
        self.id_rank = np.asarray(pc.rank(ids, sort_keys="ascending", tiebreaker="first")
                                  .to_numpy(zero_copy_only=False), np.int64) - 1
        self.by_rank = np.argsort(self.id_rank)  # place index of each rank
        self.home = (np.ones(len(ids), bool) if homes is None else
                     _as_bool(pc.is_in(ids, value_set=pa.array(homes, pa.string()))))
        self.satellites: dict[str, int] = {}
        # history
        self._spot_weeks: list[NDArray[np.int64]] = []
        self._spot_weeks_rows = 0
        self._sorted_spot_weeks: NDArray[np.int64] | None = None  # cached by _spot_week_keys
        self._spot_days: list[NDArray[np.int64]] = []
        self._spot_days_rows = 0
        self._sorted_spot_days: NDArray[np.int64] | None = None  # cached by _spot_day_keys
        self._persistent: NDArray[np.int64] | None = None  # cached by persistent_spots
        # Background keys: (region, calendar month, day or night), regions counted over the
        # globe; only the keys seen are kept (BurningContext), not a dense grid.
        self._region_rows = math.ceil(180 / params.region_deg)
        self._region_cols = math.ceil(360 / params.region_deg)
        self._background: list[BurningContext] = []
        # matches
        self._hits = _Hits()
        self._ring: list[NDArray[np.int64]] = []
        self._ring_point: list[NDArray[np.int64]] = []
        self._ring_points: dict[str, list[np.ndarray]] = {k: [] for k in RING_POINT_FIELDS}
        self._ring_points_rows = 0

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

    def _region_month(self, lat: np.ndarray, lon: np.ndarray, day: np.ndarray,
                      night: np.ndarray | bool = False) -> NDArray[np.int64]:
        """Key of (0.5-degree region, calendar month, night) in the background."""
        size = self.params.region_deg
        row = np.clip(((np.asarray(lat) + 90) * (1 / size)).astype(np.int64), 0, self._region_rows - 1)
        col = np.clip(((np.asarray(lon) + 180) * (1 / size)).astype(np.int64), 0, self._region_cols - 1)
        return ((row * self._region_cols + col) * 12 + _months(day)) * 2 + np.asarray(night, np.int64)

    def _observed_keys(self, lat: np.ndarray, lon: np.ndarray, day: np.ndarray) -> NDArray[np.int64]:
        """The distinct (block, day) pairs seen: the satellite saw a block that day when some
        detection lies in it. Counted over the batch's box of blocks and days (small), not by
        hashing every detection."""
        size = self.params.observed_deg
        if len(lat) == 0:
            return np.zeros(0, np.int64)
        row = np.floor(np.asarray(lat) / size).astype(np.int64)
        col = np.floor(np.asarray(lon) / size).astype(np.int64)
        day = np.asarray(day, np.int64)
        r0, c0, d0 = row.min(), col.min(), day.min()
        shape = (int(row.max() - r0 + 1), int(col.max() - c0 + 1), int(day.max() - d0 + 1))
        if shape[0] * shape[1] * shape[2] > 20_000_000:
            flat = _unique(((row + (1 << 20)) << 41) | ((col + (1 << 20)) << 20) | day)
            row = (flat >> 41) - (1 << 20)
            col = ((flat >> 20) & ((1 << 21) - 1)) - (1 << 20)
            day = flat & 0xFFFFF
        else:
            index = ((row - r0) * shape[1] + (col - c0)) * shape[2] + (day - d0)
            seen = np.flatnonzero(np.bincount(index, minlength=shape[0] * shape[1] * shape[2]))
            day = seen % shape[2] + d0
            col = (seen // shape[2]) % shape[1] + c0
            row = seen // (shape[1] * shape[2]) + r0
        return (_cell_key(row * size + size / 2, col * size + size / 2, size) << 20) | day

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
        # The candidate pairs come grouped by point, in point order (SettlementIndex).
        point, place, km = self.index.candidates(d["lat"], d["lon"])
        radius = self.places["radius_km"][place]
        inside = km <= radius
        part = _Partial()
        if learn:
            # Persistence is only ever asked of spots in a settlement or its ring: only those
            # spots are remembered.
            near = point[_firsts(point)]
            spots = self._spots(d["lat"][near], d["lon"][near])
            part.spot_weeks = _unique((spots << 13) | (d["acq_date"][near].astype(np.int64) // 7))
            # Days, only for detections inside a settlement: recurrence is asked of those.
            rows = point[inside]
            rows = rows[_firsts(rows)]
            part.spot_days = _unique((self._spots(d["lat"][rows], d["lon"][rows]) << 16)
                                     | d["acq_date"][rows].astype(np.int64))
            if self.given_context is None:
                part.background = self._background_of(d)
        if scan:
            if report_from is not None:
                wanted = d["acq_date"][point] >= report_from
                point, place, km = point[wanted], place[wanted], km[wanted]
                radius, inside = radius[wanted], inside[wanted]
            # A detection inside several settlements belongs to the one it lies most centrally
            # in (distance over radius): a hamlet mapped inside a city does not take its fire.
            ip, iplace, ikm = point[inside], place[inside], km[inside] / radius[inside]
            # Most points lie in one disc: only those in several are sorted (ip is in order).
            starts = np.flatnonzero(_firsts(ip))
            stops = np.append(starts, len(ip))[1:]  # (none when no point is inside)
            chosen = starts.copy()
            multi = np.flatnonzero(stops - starts > 1)
            if len(multi):
                rows = _expand(starts[multi], stops[multi])
                rows = rows[np.lexsort((self.id_rank[iplace[rows]], ikm[rows], ip[rows]))]
                chosen[multi] = rows[_firsts(ip[rows])]
            ip, iplace, ikm = ip[chosen], iplace[chosen], ikm[chosen]
            part.hits = {name: d[name][ip] for name in
                         ("minute", "frp", "night", "lat", "lon", "acq_date", "acq_time", "satellite")}
            part.hits["place"] = iplace.astype(np.int32)
            part.hits["spot"] = self._spots(part.hits["lat"], part.hits["lon"])
            part.hits["rel"] = ikm.astype(np.float32)
            # The ring: detections round a settlement (not in it), counted per place and day;
            # each such detection is kept once, for persistence and the fire events.
            ring = np.flatnonzero(~inside)
            ring_of = point[ring]
            ring_first = _firsts(ring_of)
            starts = np.flatnonzero(ring_first)
            rp = ring_of[starts]
            local = np.cumsum(ring_first) - 1
            disc_place = np.full(len(d["lat"]), -1, dtype=np.int64)  # whose disc it is in
            disc_place[ip] = iplace
            # Which place reports a ring detection in its fire events (a tile reports those
            # of its own places): of the places whose ring it is in, the smallest id.
            ring_place = place[ring]
            owner_rank = (np.minimum.reduceat(self.id_rank[ring_place], starts) if len(starts)
                          else np.zeros(0, np.int64))
            part.ring_points = {"lat": d["lat"][rp], "lon": d["lon"][rp],
                                "spot": self._spots(d["lat"][rp], d["lon"][rp]), "minute": d["minute"][rp],
                                "night": d["night"][rp], "frp": d["frp"][rp], "disc_place": disc_place[rp],
                                "owner": self.by_rank[owner_rank] if len(rp) else np.zeros(0, np.int64)}
            part.ring = (ring_place.astype(np.int64) << 24) | d["acq_date"][ring_of].astype(np.int64)
            part.ring_point = local.astype(np.int64)
        return part

    def _background_of(self, d: dict[str, np.ndarray]) -> BurningContext:
        """A batch's share of the context (see ``BurningContext``)."""
        region = self._region_month(d["lat"], d["lon"], d["acq_date"], d["night"])
        keys = n = kw = np.zeros(0, np.int64)
        if len(region):
            low = int(region.min())
            counts = np.bincount(region - low)
            seen = np.flatnonzero(counts)
            # FRP in kW, rounded: integer sums are the same in any order and any batching.
            kw = np.bincount(region - low, weights=np.round(d["frp"] * 1000))[seen].astype(np.int64)
            keys, n = seen.astype(np.int64) + low, counts[seen].astype(np.int64)
        observed = self._observed_keys(d["lat"], d["lon"], d["acq_date"])
        # Every detection's day is in some (block, day) pair seen: the days from those few.
        days = _unique(observed & 0xFFFFF).astype(np.int64)
        return BurningContext(days, np.sort(observed), keys, n, kw)

    def context(self) -> BurningContext:
        """The context the result is computed with: the one given, else this detector's own."""
        if self.given_context is not None:
            return self.given_context
        if self._context is None:
            self._context = BurningContext.merge(self._background)
            self._background = [self._context]  # later batches merge into it
        return self._context

    def absorb(self, part: _Partial) -> None:
        """Add a prepared batch to the history and the matches."""
        if part.spot_days is not None:
            self._sorted_spot_days = None
            self._spot_days.append(part.spot_days)
            self._spot_days_rows += len(part.spot_days)
            if len(self._spot_days) > 1 and self._spot_days_rows > 4_000_000:
                self._spot_days = [_unique(np.concatenate(self._spot_days))]  # bounded memory
                self._spot_days_rows = len(self._spot_days[0])
        if part.spot_weeks is not None:
            self._sorted_spot_weeks = None
            self._persistent = None
            self._spot_weeks.append(part.spot_weeks)
            self._spot_weeks_rows += len(part.spot_weeks)
            if len(self._spot_weeks) > 1 and self._spot_weeks_rows > 4_000_000:
                self._spot_weeks = [_unique(np.concatenate(self._spot_weeks))]  # bounded memory
                self._spot_weeks_rows = len(self._spot_weeks[0])
        if part.background is not None:
            self._context = None
            self._background.append(part.background)
        if part.hits is not None:
            for name, values in part.hits.items():
                getattr(self._hits, name).append(values)
        if part.ring_points is not None and part.ring is not None and part.ring_point is not None:
            for name, values in part.ring_points.items():
                self._ring_points[name].append(values)
            self._ring.append(part.ring)
            self._ring_point.append(part.ring_point + self._ring_points_rows)
            self._ring_points_rows += len(part.ring_points["lat"])

    # -- the result -----------------------------------------------------------------------
    def persistent_spots(self) -> NDArray[np.int64]:
        """Spots with detections in many distinct weeks over a long span, sorted."""
        if self._persistent is None:
            self._persistent = self._find_persistent()
        return self._persistent

    def _find_persistent(self) -> NDArray[np.int64]:
        keys = self._spot_week_keys()
        if len(keys) == 0:
            return np.zeros(0, np.int64)
        spot, week = keys >> 13, keys & 0x1FFF
        first = np.flatnonzero(np.concatenate([[True], spot[1:] != spot[:-1]]))
        counts = np.diff(np.append(first, len(spot)))
        spots = spot[first]
        span_days = (week[first + counts - 1] - week[first]) * 7
        keep = (counts >= self.params.persistent_min_weeks) & (
            span_days >= self.params.persistent_min_span_days)
        return spots[keep]

    def _spot_week_keys(self) -> NDArray[np.int64]:
        """Distinct (spot, week) pairs near settlements, sorted (computed once per result)."""
        if self._sorted_spot_weeks is None:
            self._sorted_spot_weeks = (_unique(np.concatenate(self._spot_weeks))
                                       if self._spot_weeks else np.zeros(0, np.int64))
        return self._sorted_spot_weeks

    def _spot_day_keys(self) -> NDArray[np.int64]:
        """Distinct (spot, day) pairs inside settlements, sorted (computed once per result)."""
        if self._sorted_spot_days is None:
            self._sorted_spot_days = (_unique(np.concatenate(self._spot_days))
                                      if self._spot_days else np.zeros(0, np.int64))
        return self._sorted_spot_days

    def _recurrence(self, spot: np.ndarray, day: np.ndarray) -> NDArray[np.float64]:
        """Days within ``recurrent_days`` either side on which a detection's spot burned, less
        the three a village burns for: a burning village burns for days, a kiln for weeks."""
        keys = self._spot_day_keys()
        w = self.params.recurrent_days
        base = spot << 16
        around = (np.searchsorted(keys, base | (day + w), side="right")
                  - np.searchsorted(keys, base | np.maximum(day - w, 0), side="left"))
        return np.maximum(around - 3, 0).astype(float)

    def _sources(self, lat: list[np.ndarray], lon: list[np.ndarray], spot: list[np.ndarray]
                 ) -> _Sources:
        """The persistent heat sources and where each sits: the mean of the detections seen in
        its spot (the cell's centre when none was), over the parts given together. Its pixel
        wanders by a few hundred metres between overpasses, so ``_Sources.near`` looks at the
        spots round a detection too, but a village beside a flare keeps the detections farther
        from it."""
        known = self.persistent_spots()
        size = self.params.spot_deg
        row = (known >> 21) - (1 << 20)
        col = (known & ((1 << 21) - 1)) - (1 << 20)
        known_set = pa.array(known, pa.int64())
        # Summed as whole nanodegrees from the spot's corner: integer sums, exact in float64,
        # so the centre is the same in any input order and any split into parts.
        n = np.zeros(len(known))
        s_lat, s_lon = np.zeros(len(known)), np.zeros(len(known))
        for p_lat, p_lon, p_spot in zip(lat, lon, spot, strict=True):
            if len(known) == 0 or len(p_spot) == 0:
                continue
            # Arrow's hash look-up: several times a sorted search at these sizes.
            at = pc.index_in(pa.array(p_spot), value_set=known_set).to_numpy(zero_copy_only=False)
            own = ~np.isnan(at)
            at = at[own].astype(np.int64)
            n += np.bincount(at, minlength=len(known))
            s_lat += np.bincount(at, weights=np.round((p_lat[own] - row[at] * size) * 1e9),
                                 minlength=len(known))
            s_lon += np.bincount(at, weights=np.round((p_lon[own] - col[at] * size) * 1e9),
                                 minlength=len(known))
        c_lat = row * size + np.where(n > 0, s_lat / 1e9 / np.maximum(n, 1), 0.5 * size)
        c_lon = col * size + np.where(n > 0, s_lon / 1e9 / np.maximum(n, 1), 0.5 * size)
        shifts = np.array([(r << 21) + c for r in (-1, 0, 1) for c in (-1, 0, 1)], np.int64)
        around = pa.array(_unique((known[:, None] - shifts[None, :]).ravel()), pa.int64())
        rc_lat = np.radians(c_lat)
        return _Sources(known_set, around, rc_lat, np.radians(c_lon), np.cos(rc_lat),
                        self.params.persistent_km)

    def result(self) -> pa.Table:
        return self.outcome().burnings

    def outcome(self) -> BurningsResult:
        """The burnings and fire events of every batch fed so far."""
        return finish_burnings(self.candidates(), self.places, self.params)

    def candidates(self) -> Candidates:
        """What is local to a place (its periods with their features and detection ids, and
        the detections fire events are made of), for the home places; ``finish_burnings``
        does what is not (sweeps, the scores, the ranking, fire events)."""
        p = self.params
        context = self.context()
        hits = self._hits.joined()
        if len(hits["place"]) == 0:
            return Candidates.empty()
        ring_points = _RingPoints(self._ring_points)
        sources = self._sources([hits["lat"], ring_points["lat"]], [hits["lon"], ring_points["lon"]],
                                [hits["spot"], ring_points["spot"]])
        persistent = sources.near(hits["lat"], hits["lon"], hits["spot"])
        excluded_by_place = np.bincount(hits["place"][persistent].astype(np.int64),
                                        minlength=len(self.places["place_id"]))
        hits = {k: v[~persistent] for k, v in hits.items()}
        self._observed_sorted = context.observed
        order, starts, stops, unobserved = self._periods(hits)
        hits = {k: v[order] for k, v in hits.items()}
        counts = stops - starts
        big = counts >= p.min_detections
        starts, stops, counts, unobserved = starts[big], stops[big], counts[big], unobserved[big]
        # A whole run that can list nothing needs no fire events (a tile's points may join
        # another tile's).
        if len(starts) == 0:
            return Candidates(Candidates.empty().periods, POINTS_SCHEMA.empty_table()
                              if self.home.all() else self._event_points(hits, ring_points, sources))
        self._field_ring(hits["place"][starts].astype(np.int64), ring_points, sources)
        f = self._features(hits, starts, stops, counts, excluded_by_place)
        f["unobserved"] = unobserved
        # Only sweeps can raise a score after this, and only of periods that can seed one.
        f["sweep"] = np.zeros(len(starts))
        unswept = _score(feature_matrix(f), p.weights)
        mine = np.flatnonzero(self.home[f["place"]]
                              & (unswept >= min(p.min_score, p.sweep_seed_score)))
        columns: dict[str, Any] = {name: f[name][mine] for name in PERIOD_FIELDS}
        columns["place_id"] = self.places["place_id"][f["place"][mine]]
        columns["first_lat"] = hits["lat"][starts[mine]]
        columns["first_lon"] = hits["lon"][starts[mine]]
        offsets = np.concatenate([[0], np.cumsum(counts[mine])]).astype(np.int32)
        ids = _detection_ids(hits, _expand(starts[mine], stops[mine]), self.satellites)
        columns["detection_ids"] = pa.ListArray.from_arrays(pa.array(offsets), ids)
        needed = len(mine) > 0 or not self.home.all()
        return Candidates(pa.table(columns, schema=PERIODS_SCHEMA), self._event_points(
            hits, ring_points, sources) if needed else POINTS_SCHEMA.empty_table())

    def _field_ring(self, places: np.ndarray, ring_points: _RingPoints, sources: _Sources) -> None:
        """The (place, day) keys of fire in the fields round the ``places`` (those with a
        period: only theirs are counted), by day and by night, sorted for ``_ring_counts``.
        Fire in the fields round a settlement is not a heat source, and not the fire of a
        separate settlement whose disc the detection lies in (a neighbour down the road
        burning). Where discs overlap (hamlets mapped a few hundred metres apart), fire across
        them is fire round each, as a bush fire through them would be."""
        ring_keys = np.concatenate(self._ring) if self._ring else np.zeros(0, np.int64)
        night_keys = ring_keys
        if len(ring_keys):
            counted = np.zeros(len(self.places["place_id"]), bool)
            counted[places] = True
            wanted = np.flatnonzero(counted[ring_keys >> 24])
            ring_keys = ring_keys[wanted]
            at = np.concatenate(self._ring_point)[wanted]
            other = ring_points["disc_place"].astype(np.int64)[at]
            field_fire = ~ring_points.persistent(at, sources)
            rows = np.flatnonzero(other >= 0)
            if len(rows):
                # Whether two places' discs are apart, once per distinct pair of places (a few
                # thousand neighbours), not once per detection (millions in a long lake).
                pl = self.places
                # (A sort of the keys and a search: NumPy's unique with its inverse argsorts.)
                pair_keys = ((ring_keys[rows] >> 24) << 32) | other[rows]
                pairs = _unique(pair_keys)
                at_pair = np.searchsorted(pairs, pair_keys)
                own, near = pairs >> 32, pairs & 0xFFFFFFFF
                apart = haversine_km(pl["latitude"][own], pl["longitude"][own],
                                     pl["latitude"][near], pl["longitude"][near]
                                     ) > pl["radius_km"][own] + pl["radius_km"][near]
                field_fire[rows[apart[at_pair]]] = False
            night_keys = ring_keys[field_fire & ring_points["night"].astype(bool)[at]]
            ring_keys = ring_keys[field_fire]
        self._ring_sorted = np.sort(ring_keys)
        self._ring_night_sorted = np.sort(night_keys)

    def _event_points(self, hits: dict[str, np.ndarray], ring_points: _RingPoints,
                      sources: _Sources) -> pa.Table:
        """The detections fire events are made of: in a settlement (its place) or in a ring
        only (place -1), persistent sources left out; those reported by the home places."""
        hit_rows = np.flatnonzero(self.home[hits["place"].astype(np.int64)])
        ring_rows = np.flatnonzero((ring_points["disc_place"] < 0)
                                   & self.home[ring_points["owner"].astype(np.int64)])
        ring_rows = ring_rows[~ring_points.persistent(ring_rows, sources)]
        ring = {k: ring_points[k][ring_rows] for k in ("lat", "lon", "minute", "frp", "night")}
        place = np.concatenate([hits["place"][hit_rows].astype(np.int64),
                                np.full(len(ring_rows), -1, np.int64)])
        ids = self.places["place_id"][place[place >= 0]]
        return pa.table({
            "lat": np.concatenate([hits["lat"][hit_rows], ring["lat"]]).astype(float),
            "lon": np.concatenate([hits["lon"][hit_rows], ring["lon"]]).astype(float),
            "minute": np.concatenate([hits["minute"][hit_rows], ring["minute"]]).astype(np.int64),
            "frp": np.concatenate([hits["frp"][hit_rows], ring["frp"]]).astype(float),
            "night": np.concatenate([hits["night"][hit_rows], ring["night"]]).astype(bool),
            "place": place,
            "place_id": pa.array(np.concatenate([ids, np.full(len(ring_rows), None, object)]),
                                 pa.string()),
        }, schema=POINTS_SCHEMA)

    def _periods(self, hits: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        """Order hits by (place, time) and split them into periods: a new place, or a quiet
        spell longer than ``max_gap_hours`` once the days nobody saw (clouds: no detection at
        all in the block that day) are taken out of it."""
        place = hits["place"].astype(np.int64)
        minute = hits["minute"].astype(np.int64)
        # Detections of one minute in the order of their values, not of the input (a tile's
        # input comes in another order): the first of a period, and its ids' order, are fixed
        # (satellite, time and place are a detection's identity in the lake).
        names = np.array(list(self.satellites) or [""], dtype=object)
        satellite = np.argsort(np.argsort(names))[hits["satellite"].astype(np.int64)]
        order = np.lexsort((satellite, hits["lon"], hits["lat"], minute, place))
        pl, mi = place[order], minute[order]
        gap = np.zeros(len(pl), dtype=np.int64)
        gap[1:] = mi[1:] - mi[:-1]
        new = np.ones(len(pl), dtype=bool)
        new[1:] = pl[1:] != pl[:-1]
        unseen = np.zeros(len(pl), dtype=np.int64)
        long = np.flatnonzero(~new & (gap > self.params.max_gap_hours * 60))
        if len(long) and len(self._observed_sorted):  # no history: nothing known of clouds
            d1, d2 = mi[long - 1] // MINUTES_PER_DAY, mi[long] // MINUTES_PER_DAY
            block = _cell_key(self.places["latitude"][pl[long]], self.places["longitude"][pl[long]],
                              self.params.observed_deg) << 20
            seen = (np.searchsorted(self._observed_sorted, block | d2, side="left")
                    - np.searchsorted(self._observed_sorted, block | (d1 + 1), side="left"))
            # Clouds hide a block for a day or a few, not for weeks: a longer blank is no data.
            unseen[long] = np.minimum(np.maximum(d2 - d1 - 1 - seen, 0), self.params.max_cloud_days)
        quiet = gap - unseen * MINUTES_PER_DAY
        new[1:] |= quiet[1:] > self.params.max_gap_hours * 60
        starts = np.flatnonzero(new)
        stops = np.append(starts[1:], len(pl))
        bridged = np.where(new, 0, unseen)
        per_period = np.add.reduceat(bridged, starts) if len(starts) else np.zeros(0, np.int64)
        return order, starts, stops, per_period

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
        core = np.bincount(period_of, weights=(hits["rel"][rows] <= p.core_share).astype(float),
                           minlength=len(starts))
        recurrent = np.zeros(len(starts))
        np.maximum.at(recurrent, period_of, self._recurrence(
            hits["spot"][rows].astype(np.int64), hits["minute"][rows] // MINUTES_PER_DAY))
        # The busiest day: village burnings are bursts, kilns and flares a steady trickle.
        day_key = period_of.astype(np.int64) * 1_000_000 + (
            hits["minute"][rows] // MINUTES_PER_DAY - np.repeat(first_day, counts))
        day_keys, day_counts = np.unique(day_key, return_counts=True)
        busiest = np.zeros(len(starts))
        np.maximum.at(busiest, day_keys // 1_000_000, day_counts)
        # Overpasses: distinct (satellite, day, day or night) in the period.
        pass_key = (period_of.astype(np.int64) << 24) | (
            (hits["minute"][rows] // MINUTES_PER_DAY - np.repeat(first_day, counts)) << 5) | (
            hits["night"][rows].astype(np.int64) << 4) | hits["satellite"][rows].astype(np.int64)
        overpasses = np.bincount(_unique(pass_key) >> 24, minlength=len(starts)).astype(float)

        radius = self.places["radius_km"][place]
        area_in = math.pi * radius**2
        area_ring = math.pi * ((radius + p.ring_km) ** 2 - radius**2)
        ring = self._ring_counts(place, first_day - 1, last_day + 1)
        ring_night = self._ring_counts(place, first_day - 1, last_day + 1, self._ring_night_sorted)
        ring_wide = self._ring_counts(place, first_day - p.wide_ring_days, last_day + p.wide_ring_days)
        # Seasonal background of the region, by day and by night, the period's own detections
        # left out.
        lat, lon = self.places["latitude"][place], self.places["longitude"][place]
        month = _months(first_day.astype(np.int32))
        context = self.context()
        observed = _days_by_month(context.days)[month]
        base = np.asarray(p.base_rate, dtype=float)[month]
        region_area = _cell_area_km2(lat, p.region_deg)
        density = {}
        mean_frp_num, mean_frp_den = np.zeros(len(place)), np.zeros(len(place))
        own = {False: counts - night, True: night}
        own_frp_total = frp
        for is_night in (False, True):
            rkey = self._region_month(lat, lon, first_day.astype(np.int32), is_night)
            region_n, region_frp = context.region(rkey)
            own_n = np.minimum(own[is_night], region_n)
            prior = base * (p.night_share_prior if is_night else 1 - p.night_share_prior)
            density[is_night] = ((region_n - own_n) + p.prior_days * prior * region_area) / (
                region_area * (observed + p.prior_days))
            mean_frp_num += region_frp
            mean_frp_den += region_n
        seasonal = (density[False] + density[True]) * area_in * days
        seasonal_night = density[True] * area_in * days
        local = (ring + 0.5) / area_ring * area_in  # the ring's density, now
        expected = np.maximum(seasonal, local)
        own_all = np.minimum(counts, mean_frp_den)
        mean_frp = np.where(mean_frp_den > own_all, (mean_frp_num - np.minimum(own_frp_total, mean_frp_num))
                            / np.maximum(mean_frp_den - own_all, 1), 10.0)
        contained = np.log10((counts / area_in) / ((ring + 1) / area_ring))
        events = self._events_before(lat, lon, first_day, last_day)
        return {
            "place": place, "first": first_min, "last": last_min, "days": days, "count": counts,
            "night": night, "frp": frp, "busiest": busiest, "ring": ring, "ring_wide": ring_wide,
            "ring_night": ring_night, "recurrent": recurrent,
            "seasonal": seasonal, "seasonal_night": seasonal_night, "core": core,
            "overpasses": overpasses,
            "expected": expected, "z": _poisson_z(counts, expected),
            "z_night": _poisson_z(night, seasonal_night), "contained": contained,
            "frp_ratio": frp / np.maximum(expected * mean_frp, 1e-6), "events": events,
            "excluded": excluded_by_place[place], "observed": observed, "lat": lat, "lon": lon,
            "history": np.full(len(place), float(len(context.days))),
        }

    def _ring_counts(self, place: np.ndarray, day_from: np.ndarray, day_to: np.ndarray,
                     keys: np.ndarray | None = None) -> np.ndarray:
        keys = self._ring_sorted if keys is None else keys
        if len(keys) == 0:
            return np.zeros(len(place))
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
        # Every (period, event of its days) pair at once, a few million pairs at a time (one
        # distance call per period cost more than the distances).
        pairs = np.cumsum(hi - lo)  # hi >= lo: a period ends on or after its lead begins
        first = 0
        while first < len(lat):
            done = pairs[first - 1] if first else 0
            stop = max(int(np.searchsorted(pairs, done + EVENT_PAIRS_AT_ONCE, side="right")), first + 1)
            period = np.repeat(np.arange(first, stop), hi[first:stop] - lo[first:stop])
            event = _expand(lo[first:stop], hi[first:stop])
            km = haversine_km(lat[period], lon[period], ev["lat"][event], ev["lon"][event])
            out[first:stop] = np.bincount(period[km <= self.params.event_radius_km] - first,
                                          minlength=stop - first)
            first = stop
        return out


@dataclass
class Candidates:
    """What is local to the places of a detector (``BurningDetector.candidates``): tiles'
    candidates concatenated are the whole area's, and ``finish_burnings`` makes the result."""

    periods: pa.Table  # PERIODS_SCHEMA: one row per period that can be listed
    points: pa.Table  # POINTS_SCHEMA: the detections fire events are made of

    @staticmethod
    def empty() -> Candidates:
        return Candidates(PERIODS_SCHEMA.empty_table(), POINTS_SCHEMA.empty_table())


def finish_burnings(candidates: Candidates, places: dict[str, np.ndarray],
                    params: BurningParams, points: PointSource | None = None) -> BurningsResult:
    """Sweeps, scores, ranks and fire events from the candidates (``place`` indexing
    ``places``, as ``_place_arrays`` gives them). The rows may come in any order. ``points``
    reads the candidates' points in batches instead (a tiled run's, from files)."""
    from tocsin.analysis.fire_events import PointSource, fire_events

    p = params
    periods = candidates.periods
    if periods.num_rows == 0:
        return BurningsResult(BURNINGS_SCHEMA.empty_table(), FIRE_EVENTS_SCHEMA.empty_table())
    periods = periods.take(pc.sort_indices(periods, [("place", "ascending"), ("first", "ascending")]))
    f = {name: periods.column(name).to_numpy() for name in PERIOD_FIELDS}
    place_ids = places["place_id"][f["place"]]
    burning_ids = np.array([f"burn-{hashlib.sha1(f'{pid}|{m}'.encode()).hexdigest()[:12]}"
                            for pid, m in zip(place_ids.tolist(), f["first"].tolist(), strict=True)],
                           dtype=object)
    w = p.weights
    f["sweep"] = np.zeros(periods.num_rows)
    sweep_ids = _sweeps(f, _score(feature_matrix(f), w), burning_ids, p)
    f["sweep"] = (sweep_ids != "").astype(float)
    x = feature_matrix(f)
    score = _score(x, w)
    keep = np.flatnonzero(score >= p.min_score)
    keep = keep[np.lexsort((f["place"][keep], f["first"][keep], -score[keep]))]
    burnings = _table(periods, f, x, score, sweep_ids, burning_ids, keep, places, p)
    events, event_of_row = fire_events(
        points or PointSource.of(candidates.points), f, periods.column("first_lat").to_numpy(),
        periods.column("first_lon").to_numpy(), keep, burnings, sweep_ids, places, p)
    burnings = burnings.set_column(burnings.schema.get_field_index("fire_event_id"),
                                   "fire_event_id", pa.array(event_of_row, pa.string()))
    return BurningsResult(burnings, events)


def _sweeps(f: dict[str, np.ndarray], score: np.ndarray, burning_ids: np.ndarray,
            p: BurningParams) -> np.ndarray:
    """Burnings of several places, linked by nearness in space and time, lying along a line;
    a sweep is named by its burnings' ids (the same in any tiling and any order)."""
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
        digest = hashlib.sha1(",".join(sorted(burning_ids[rows].tolist())).encode()).hexdigest()
        ids[rows] = f"sweep-{digest[:10]}"
    return ids


def _table(periods: pa.Table, f: dict[str, np.ndarray], x: dict[str, np.ndarray],
           score: np.ndarray, sweep_ids: np.ndarray, burning_ids: np.ndarray, keep: np.ndarray,
           pl: dict[str, np.ndarray], params: BurningParams) -> pa.Table:
    """The listed periods, ``keep`` already in rank order (score descending)."""
    place = f["place"][keep]
    sweep_sizes: dict[str, int] = {}
    for s in sweep_ids[keep].tolist():
        if s:
            sweep_sizes[s] = sweep_sizes.get(s, 0) + 1
    reasons = [_reasons(f, i, pl, params, sweep_ids[i], sweep_sizes) for i in keep.tolist()]
    ranked_by = [_ranked_by(x, i, params.weights) for i in keep.tolist()]
    place_ids = [pl["place_id"][i] for i in place.tolist()]
    first = f["first"][keep]
    features = pa.StructArray.from_arrays(
        [pa.array(np.round(x[name][keep].astype(float), 4)) for name in FEATURES], names=list(FEATURES))
    return pa.table({
        "burning_id": burning_ids[keep].tolist(),
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
        "detection_ids": periods.column("detection_ids").take(pa.array(keep)),
        "sweep_id": [s or None for s in sweep_ids[keep].tolist()],
        "radius_km": pl["radius_km"][place],
        "expected_detections": np.round(f["expected"][keep], 4),
        "background_expected": np.round(f["seasonal"][keep], 4),
        "ring_detections": f["ring"][keep].astype(np.int32),
        "excess_z": np.round(f["z"][keep], 2),
        "armed_events_before": f["events"][keep].astype(np.int32),
        "persistent_excluded": f["excluded"][keep].astype(np.int32),
        "history_days": f["history"][keep].astype(np.int32),
        "rank": np.arange(1, len(keep) + 1, dtype=np.int32),
        "ranked_by": ranked_by,
        "fire_event_id": pa.nulls(len(keep), pa.string()),
        "overpasses": f["overpasses"][keep].astype(np.int32),
        "core_detections": f["core"][keep].astype(np.int32),
        "ring_detections_wide": f["ring_wide"][keep].astype(np.int32),
        "unobserved_days": f["unobserved"][keep].astype(np.int32),
        "features": features,
    }, schema=BURNINGS_SCHEMA)


# -- scoring ----------------------------------------------------------------------------------
def feature_matrix(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each feature of a period scaled to about 0..1 (the score's inputs, and the fit's)."""
    n = np.maximum(f["count"], 1)
    return {
        "excess": np.clip(f["z"] / 6, 0, 1.5),
        "night_excess": np.clip(f["z_night"] / 4, 0, 1.5),
        # Two or three detections with nothing around them say little about containment.
        "contained": np.clip(f["contained"] / 1.5, -1, 1) * np.clip((f["count"] - 1) / 4, 0, 1),
        "alone": (f["ring"] == 0).astype(float),
        "night_alone": ((f["night"] > 0) & (f["ring_night"] == 0)).astype(float),
        "core": f["core"] / n,
        "field_ring": np.clip(np.log2(1 + f["ring_wide"]) / 5, 0, 1),
        "count": np.clip(np.log2(n) / 4, 0, 1),
        "single": (f["count"] == 1).astype(float),
        "frp": np.clip(np.log10(np.maximum(f["frp_ratio"], 1e-6)) / 2, 0, 1),
        "night": np.minimum(f["night"], 3) / 3,
        "overpasses": np.clip((f["overpasses"] - 1) / 3, 0, 1),
        "day_and_night": ((f["night"] > 0) & (f["night"] < f["count"])).astype(float),
        "events": np.minimum(f["events"], 3) / 3,
        "sweep": f["sweep"].astype(float),
        "steady": ((f["days"] >= 4) & (f["busiest"] <= 2)).astype(float),
        "recurrent": np.clip(f["recurrent"] / 6, 0, 1),
    }


def _logit(x: dict[str, np.ndarray], w: dict[str, float]) -> np.ndarray:
    total = np.full(len(next(iter(x.values()))), float(w.get("bias", 0.0)))
    for name in FEATURES:
        total = total + w.get(name, 0.0) * x[name]
    return total


def _score(x: dict[str, np.ndarray], w: dict[str, float]) -> np.ndarray:
    return 1 / (1 + np.exp(-_logit(x, w)))


def _ranked_by(x: dict[str, np.ndarray], i: int, w: dict[str, float]) -> str:
    """Why a period ranks where it does: the features that raised and lowered its score most."""
    parts = sorted(((w.get(name, 0.0) * float(x[name][i]), name) for name in FEATURES),
                   key=lambda t: -abs(t[0]))
    up = [f"{FEATURE_WORDS[n]} (+{c:.1f})" for c, n in parts if c >= 0.3][:3]
    down = [f"{FEATURE_WORDS[n]} ({c:.1f})" for c, n in parts if c <= -0.3][:3]
    return "; ".join(filter(None, ["raised by " + ", ".join(up) if up else "",
                                   "lowered by " + ", ".join(down) if down else ""]))


_RANKED_ITEM = re.compile(r"(?P<words>.+?) \((?P<value>[+-]\d+\.\d)\)(?:, |$)")


def read_ranked_by(text: str) -> dict[str, list[tuple[str, float]]]:
    """``_ranked_by``'s sentence as data: {"raised": [(feature, +2.7), ...], "lowered": [...]},
    for readers that tell it in another language. A phrase it does not know raises ValueError
    (the weights' words changed and the reader was not told)."""
    feature_of = {words: name for name, words in FEATURE_WORDS.items()}
    found: dict[str, list[tuple[str, float]]] = {"raised": [], "lowered": []}
    for part in filter(None, text.split("; ")):
        way, _, items = part.partition(" by ")
        if way not in found or not items:
            raise ValueError(f"not a ranking sentence: {part!r}")
        for match in _RANKED_ITEM.finditer(items):
            if match.group("words") not in feature_of:
                raise ValueError(f"unknown ranking feature: {match.group('words')!r}")
            found[way].append((feature_of[match.group("words")], float(match.group("value"))))
    return found


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
    if f["core"][i] > 0 and f["core"][i] >= 0.5 * n:
        parts.append(f"{int(f['core'][i])} in the settlement's core (within "
                     f"{p.core_share * radius:g} km of its centre)")
    if f["ring_wide"][i] >= 3:
        parts.append(f"{_plural(int(f['ring_wide'][i]), 'detection')} in the fields round it within "
                     f"{p.wide_ring_days} days: a harvest or clearing fire is likely nearby")
    if 0 < night < n:
        parts.append("burning by day and by night")
    elif night == n:
        parts.append("seen only at night, when field fires are rare")
    if f["overpasses"][i] > 1:
        parts.append(f"seen over {int(f['overpasses'][i])} overpasses")
    if f["unobserved"][i] > 0:
        parts.append(f"{_plural(int(f['unobserved'][i]), 'day')} without any detection in the area "
                     "(cloud) bridged, not read as the fire stopping")
    if f["events"][i] > 0:
        parts.append(f"{int(f['events'][i])} armed event(s) within {p.event_radius_km:g} km in the "
                     f"{p.event_lead_days} days before or during")
    if sweep_id:
        parts.append(f"part of sweep {sweep_id} ({sweep_sizes.get(sweep_id, 0)} settlements "
                     f"burning along a line within days)")
    if f["days"][i] >= 4 and f["busiest"][i] <= 2:
        parts.append("a steady trickle of detections, like a kiln or flare")
    if f["recurrent"][i] >= 3:
        parts.append(f"the same spot burned on {int(f['recurrent'][i]) + 3} days within "
                     f"{p.recurrent_days} days: perhaps a kiln or flare not yet seen long "
                     "enough to call persistent")
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
def _firsts(sorted_values: np.ndarray) -> NDArray[np.bool_]:
    """Where each run of equal values begins, in a sorted (or grouped) array."""
    first = np.ones(len(sorted_values), dtype=bool)
    first[1:] = sorted_values[1:] != sorted_values[:-1]
    return first


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


def _days_by_month(days: np.ndarray) -> NDArray[np.float64]:
    """How many of the days fall in each calendar month."""
    return np.bincount(_months(days), minlength=12).astype(float) if len(days) else np.zeros(12)


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
    """Distinct values, sorted. NumPy's SIMD sort of 64-bit integers and one comparison: several
    times Arrow's hash table (and NumPy 2's hashing ``np.unique``) at these sizes."""
    ordered = np.sort(np.asarray(values))
    return ordered[_firsts(ordered)] if len(ordered) else ordered


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


EVENT_PAIRS_AT_ONCE = 2_000_000  # (period, event) pairs measured at once: ~100 MB of temporaries


def _place_arrays(places: pa.Table) -> dict[str, np.ndarray]:
    missing = {"place_id", "place_class", "latitude", "longitude"} - set(places.column_names)
    if missing:
        raise ValueError(f"places lack the columns {', '.join(sorted(missing))}")
    ok = np.asarray(pc.and_(pc.is_valid(places.column("latitude")),
                            pc.is_valid(places.column("longitude"))).to_numpy(zero_copy_only=False))
    places = places.filter(pa.array(ok))
    classes = places.column("place_class").to_pylist()

    def text(name: str) -> np.ndarray:
        if name not in places.column_names:
            return np.full(len(classes), None, dtype=object)
        # Arrow's own conversion to Python strings (None where null): a fifth of to_pylist's time.
        return np.asarray(places.column(name).to_numpy(zero_copy_only=False), dtype=object)

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

