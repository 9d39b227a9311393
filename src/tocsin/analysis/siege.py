"""The siege tracker: a daily stage for every town, city and camp, and the evidence behind it.

Stages, in order (docs/methods/siege.md): calm, threatened, encircled, cut_off,
outcome_unrecorded, under_assault, overrun, fallen. The rules are data (``siege_rules.yaml``):
each signal stage has signals with windows and thresholds; a place's stage on a day is the
highest stage one of whose signals holds that day. Two stages are memory, not signals: a town
that was overrun (or whose fall an analyst recorded) stays *fallen*, with the day it fell and who
took it, until a recorded return or another change of control; a town that was under assault
reads *outcome_unrecorded* for ``memory.outcome_unrecorded_days`` after the fighting stops,
never calm, unless a return is recorded.

Pure: Arrow tables in, an Arrow table out; no I/O, no clock. Every input row counts from the day
it was known (events from their last possible day, prices and DTM rounds after a publication lag),
so a stage on day D uses nothing that was published after D.

The computation is a place x day matrix per signal: each input row becomes an *item* (place, day
known, value), items are summed per place and day, and a trailing window over the cumulative sum
gives every place's every day at once. Evidence is looked up only for the rows that need it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from numpy.typing import NDArray

from tocsin.i18n import Said
from tocsin.spatial import cell_size_for_km, grid_cell, haversine_km

# The one definition of the stages and their order; everything else reads them from here.
STAGES = ("calm", "threatened", "encircled", "cut_off", "outcome_unrecorded", "under_assault",
          "overrun", "fallen")
STAGE_RANK = {name: rank for rank, name in enumerate(STAGES)}
# Stages that signals put a place in (the rules file's `stages`); the others are memory.
SIGNAL_STAGES = ("threatened", "encircled", "cut_off", "under_assault", "overrun")
MEMORY_STAGES = ("outcome_unrecorded", "fallen")
# Control changes (records DB `control_changes`, or the events): what each kind does.
CONTROL_KINDS = ("fell", "returned")


@dataclass(frozen=True)
class Param:
    """One parameter of a signal kind: its type(s), its default (None: absent unless given),
    and for text the values allowed."""

    types: tuple[type, ...]
    default: Any = None
    choices: tuple[str, ...] = ()
    about: str = ""


_NUM = (int, float)
_CATS = Param((list, str), "armed", about="event categories, or 'armed' for armed_categories")
_EVENTS = {"categories": _CATS, "min_events": Param(_NUM, 1, about="items in the window"),
           "min_fatalities": Param(_NUM, about="fatalities summed over the window"),
           "after_battle_days": Param((int,), about="holds only where a battle was linked to "
                                      "the place within this many days before")}
# Every signal kind, with its parameters, types and defaults (besides kind and window_days).
# A rules file naming a key its kind does not have is refused with that key named.
SIGNAL_KINDS: dict[str, dict[str, Param]] = {
    "ring_events": {"categories": _CATS, "min_events": Param(_NUM, 1),
                    "include_inside": Param((bool,), False, about="count the town's own events")},
    "ring_sectors": {"categories": _CATS, "sectors": Param((int,), 8),
                     "min_sectors": Param((int,), 3)},
    "inside_events": dict(_EVENTS),
    "linked_events": dict(_EVENTS),
    "price_spike": {"baseline_days": Param((int,), 180), "min_baseline": Param((int,), 3),
                    "min_ratio": Param(_NUM, 1.5), "min_commodities": Param((int,), 1),
                    "known_after_days": Param((int,), 0)},
    "outage": {"baseline_days": Param((int,), 7), "max_ratio": Param(_NUM, 0.5),
               "min_sources": Param((int,), 1)},
    "displacement": {"direction": Param((str,), "inflow", ("inflow", "outflow")),
                     "min_increase_pct": Param(_NUM, 50), "min_increase": Param(_NUM, 0),
                     "min_decrease_pct": Param(_NUM, 50), "min_decrease": Param(_NUM, 0),
                     "known_after_days": Param((int,), 0)},
    "burnings": {"min_score": Param(_NUM, 0), "min_detections": Param(_NUM, 0),
                 "min_events": Param(_NUM, 1)},
}
SIGNAL_COMMON = ("kind", "window_days")
MEMORY_PARAMS: dict[str, Param] = {
    "outcome_unrecorded_days": Param((int,), 90, about="days after the last assault"),
    "remember_falls_days": Param((int,), 365, about="how long a fall seen only in the events "
                                 "is remembered (a recorded fall: until the next record)"),
}
EXACT_OR_NEAR = ("exact", "near")
MAX_EVIDENCE_PER_SIGNAL = 12  # the most recent rows per signal; the count says how many in all
EPOCH = dt.date(1970, 1, 1)

EVIDENCE_TYPE = pa.struct([("signal", pa.string()), ("kind", pa.string()), ("ref", pa.string()),
                           ("date", pa.date32()), ("detail", pa.string())])
STAGES_SCHEMA = pa.schema([
    ("place_id", pa.string()), ("name", pa.string()), ("place_class", pa.string()),
    ("date", pa.date32()), ("stage", pa.string()), ("stage_rank", pa.int16()),
    ("signals", pa.list_(pa.string())), ("reasons", pa.string()),
    ("population", pa.int64()), ("idps_in_locality", pa.int64()), ("exposed", pa.int64()),
    ("evidence", pa.list_(EVIDENCE_TYPE)),
    ("fell_on", pa.date32()), ("held_by", pa.string()),
])
CONTROL_SCHEMA = pa.schema([("record_id", pa.string()), ("place_id", pa.string()),
                            ("date", pa.date32()), ("kind", pa.string()), ("actor", pa.string()),
                            ("source_url", pa.string()), ("note", pa.string())])


class SiegeRulesError(ValueError):
    """The rules file is not usable; the message names the key at fault."""


# -- rules ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Signal:
    name: str
    stage: str
    kind: str
    window_days: int
    params: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.params:
            return self.params[key]
        spec = SIGNAL_KINDS.get(self.kind, {}).get(key)
        return spec.default if spec is not None and spec.default is not None else default


@dataclass(frozen=True)
class Stage:
    name: str
    rank: int
    signals: tuple[Signal, ...]
    requires: tuple[str, int] | None  # (stage, within_days)


@dataclass(frozen=True)
class SiegeRules:
    place_classes: tuple[str, ...]
    ring_km: float
    market_km: float
    armed_categories: tuple[str, ...]
    stages: tuple[Stage, ...]  # by rank, threatened first
    source: str = "built-in"
    memory: dict[str, int] = field(default_factory=lambda: {k: p.default for k, p in
                                                            MEMORY_PARAMS.items()})
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def signals(self) -> list[Signal]:
        return [s for stage in self.stages for s in stage.signals]

    def lookback_days(self) -> int:
        """How far before the first day inputs can still matter."""
        windows = [s.window_days + int(s.get("baseline_days", 0)) for s in self.signals]
        within = [st.requires[1] for st in self.stages if st.requires]
        signals = max(windows, default=0) + max(within, default=0) + 1
        # Memory: an assault this long ago still keeps a town from reading calm, and a fall
        # seen in the events is looked for this far back.
        return signals + max(self.memory["outcome_unrecorded_days"],
                             self.memory["remember_falls_days"])


def _need(data: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise SiegeRulesError(Said("rules.missing_key", where=where, key=key))
    value = data[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in kinds):
        raise SiegeRulesError(Said("rules.must_be", where=where, key=key, kind=_kind_name(kind),
                                   value=value))
    return value


def _kind_name(kind: type | tuple[type, ...]) -> Said | str:
    """What a key must hold, in words a language can tell ("a whole number or a number")."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    named: list[Said | str] = [Said(f"rules.kind_{k.__name__}") if k in (int, float, str, list, dict)
                               else k.__name__ for k in kinds]
    said = named[0]
    for other in named[1:]:
        said = Said("rules.either", first=said, second=other)
    return said


def parse_rules(data: Any, source: str = "rules") -> SiegeRules:
    """Check and load a rules mapping; every problem names the key at fault."""
    if not isinstance(data, dict):
        raise SiegeRulesError(Said("rules.top_mapping", where=source))
    number = (int, float)
    classes = tuple(_need(data, "place_classes", source, list))
    armed = tuple(_need(data, "armed_categories", source, list))
    stages_data = _need(data, "stages", source, dict)
    unknown_top = set(data) - {"version", "place_classes", "ring_km", "market_km",
                               "armed_categories", "stages", "memory"}
    if unknown_top:
        raise SiegeRulesError(Said("rules.unknown_keys", where=source, keys=sorted(unknown_top)))
    unknown = set(stages_data) - set(SIGNAL_STAGES)
    if unknown:
        raise SiegeRulesError(Said("rules.unknown_stages", where=source, stages=sorted(unknown),
                                   signal_stages=", ".join(SIGNAL_STAGES),
                                   memory_stages=", ".join(MEMORY_STAGES)))
    stages = []
    seen: dict[str, str] = {}  # signal name -> its stage: evidence names the signal
    for name in SIGNAL_STAGES:
        if name not in stages_data:
            raise SiegeRulesError(Said("rules.stage_missing", where=source, stage=name))
        spec = stages_data[name]
        where = f"{source}: stages.{name}"
        if not isinstance(spec, dict):
            raise SiegeRulesError(Said("rules.mapping", where=where))
        extra = set(spec) - {"rank", "requires", "signals"}
        if extra:
            raise SiegeRulesError(Said("rules.unknown_keys", where=where, keys=sorted(extra)))
        rank = _need(spec, "rank", where, int)
        if rank != STAGE_RANK[name]:
            raise SiegeRulesError(Said("rules.rank", where=where, rank=STAGE_RANK[name], found=rank))
        requires = None
        if "requires" in spec:
            req = _need(spec, "requires", where, dict)
            stage = _need(req, "stage", f"{where}.requires", str)
            if stage not in SIGNAL_STAGES or STAGE_RANK[stage] >= rank:
                raise SiegeRulesError(Said("rules.requires_lower", where=f"{where}.requires", stage=name,
                                           found=stage))
            requires = (stage, int(_need(req, "within_days", f"{where}.requires", int)))
        signals = []
        for signal_name, sig in _need(spec, "signals", where, dict).items():
            swhere = f"{where}.signals.{signal_name}"
            if signal_name in seen:
                raise SiegeRulesError(Said("rules.name_used", where=swhere, stage=seen[signal_name]))
            seen[signal_name] = name
            if not isinstance(sig, dict):
                raise SiegeRulesError(Said("rules.mapping", where=swhere))
            kind = _need(sig, "kind", swhere, str)
            if kind not in SIGNAL_KINDS:
                raise SiegeRulesError(Said("rules.unknown_kind", where=swhere, kind=kind,
                                           kinds=", ".join(sorted(SIGNAL_KINDS))))
            window = _need(sig, "window_days", swhere, int)
            if window < 1:
                raise SiegeRulesError(Said("rules.window", where=swhere, found=window))
            _check_params(sig, kind, swhere)
            if kind in ("ring_events", "ring_sectors", "inside_events", "linked_events"):
                cats = _need(sig, "categories", swhere, (list, str))
                if isinstance(cats, str) and cats != "armed":
                    raise SiegeRulesError(Said("rules.categories", where=swhere))
            signals.append(Signal(signal_name, name, kind, window, dict(sig)))
        if not signals:
            raise SiegeRulesError(Said("rules.no_signals", where=where))
        stages.append(Stage(name, rank, tuple(signals), requires))
    memory = _memory(data.get("memory", {}), f"{source}: memory")
    return SiegeRules(classes, float(_need(data, "ring_km", source, number)),
                      float(_need(data, "market_km", source, number)), armed, tuple(stages),
                      source, memory, data)


def _check_params(sig: dict[str, Any], kind: str, where: str) -> None:
    """Every key of a signal is one its kind declares, of the declared type: a misspelled
    threshold (min_fatalites) would otherwise silently turn the rule into "one event"."""
    spec = SIGNAL_KINDS[kind]
    for key, value in sig.items():
        if key in SIGNAL_COMMON:
            continue
        if key not in spec:
            known = ", ".join(sorted(spec))
            raise SiegeRulesError(Said("rules.unknown_param", where=where, key=key, kind=kind,
                                       known=known))
        param = spec[key]
        _need(sig, key, where, param.types)
        if param.choices and value not in param.choices:
            raise SiegeRulesError(Said("rules.choice", where=where, key=key,
                                       choices=", ".join(param.choices), value=value))
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise SiegeRulesError(Said("rules.negative", where=where, key=key))


def _memory(data: Any, where: str) -> dict[str, int]:
    if not isinstance(data, dict):
        raise SiegeRulesError(Said("rules.mapping", where=where))
    unknown = set(data) - set(MEMORY_PARAMS)
    if unknown:
        raise SiegeRulesError(Said("rules.unknown_memory_keys", where=where, keys=sorted(unknown),
                                   known=", ".join(MEMORY_PARAMS)))
    out = {}
    for key, param in MEMORY_PARAMS.items():
        value = _need(data, key, where, param.types) if key in data else param.default
        if value < 0:
            raise SiegeRulesError(Said("rules.negative", where=where, key=key))
        out[key] = int(value)
    return out


@cache
def default_rules() -> SiegeRules:
    text = resources.files("tocsin.analysis").joinpath("siege_rules.yaml").read_text("utf-8")
    return parse_rules(yaml.safe_load(text), "siege_rules.yaml")


def load_rules(path: Path | None = None) -> SiegeRules:
    """The rules in ``path`` (YAML), or the built-in ones."""
    if path is None:
        return default_rules()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SiegeRulesError(Said("rules.cannot_read", where=str(path), why=exc.strerror)) from exc
    except yaml.YAMLError as exc:
        raise SiegeRulesError(Said("rules.not_yaml", where=str(path), why=str(exc))) from exc
    return parse_rules(data, str(path))


# -- items: input rows placed on (place, day) ----------------------------------------------------
class Lazy(Sequence[str]):
    """Item descriptions made on demand: text for every (place, event) pair costs more than the
    stages themselves, and only the evidence shown needs it."""

    def __init__(self, n: int, make: Callable[[int], str]) -> None:
        self.n, self.make = n, make
        self.made: dict[int, str] = {}  # one event is evidence for every day of its window

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, j: int) -> str:  # type: ignore[override]
        text = self.made.get(j)
        if text is None:
            text = self.made[j] = self.make(j)
        return text


@dataclass
class Items:
    """What one signal counts: one entry per (place, day known) with a value, and the row
    behind it for the evidence."""

    place: np.ndarray
    day: np.ndarray
    value: np.ndarray
    kind: str
    refs: Sequence[str]  # item j's source row id, and its one-line description, built only
    details: Sequence[str]  # for the evidence that is shown (see Lazy)
    ref_days: np.ndarray  # the row's own date (what the evidence shows)
    sector: np.ndarray | None = None
    actors: Sequence[str | None] | None = None  # who did it (events), for who took a town

    @classmethod
    def empty(cls, kind: str) -> Items:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, np.zeros(0), kind, [], [], z)



def _days(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Dates or timestamps as whole days since 1970 (-1 << 40 for NULL)."""
    if pa.types.is_timestamp(column.type):
        column = pc.cast(pc.floor_temporal(column, unit="day"), pa.timestamp("s", tz="UTC"))
        secs = pc.cast(column, pa.int64()).to_numpy(zero_copy_only=False)
        return np.where(np.isnan(secs.astype(float)), -(1 << 40), secs // 86400).astype(np.int64)
    values = pc.cast(pc.cast(column, pa.date32()), pa.int32()).to_numpy(zero_copy_only=False)
    return np.nan_to_num(values.astype(float), nan=-(1 << 40)).astype(np.int64)


def _floats(table: pa.Table, name: str, default: float = 0.0) -> np.ndarray:
    if name not in table.column_names:
        return np.full(table.num_rows, default)
    return np.nan_to_num(table.column(name).to_numpy(zero_copy_only=False).astype(float), nan=default)


def _actors(events: pa.Table, name: str) -> list[str | None]:
    from tocsin.schema.actors import canonical

    names = _strings(events, name)
    mapped = {a: canonical(a) for a in set(names)}
    return [mapped[a] for a in names]


def _strings(table: pa.Table, name: str) -> list[str | None]:
    return table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows


def _day(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def _bearing_deg(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Initial bearing from points 1 to points 2, degrees clockwise from north."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    x = np.sin(dl) * np.cos(p2)
    y = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return (np.degrees(np.arctan2(x, y)) + 360.0) % 360.0


COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def pairs_within(p_lat: np.ndarray, p_lon: np.ndarray, e_lat: np.ndarray, e_lon: np.ndarray,
                 km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (place, event) pair closer than ``km``: grid hashing with a sorted-key equi-join
    over the 3x3 neighbourhood, then haversine. Returns place index, event index, distance."""
    if len(p_lat) == 0 or len(e_lat) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0)
    # Cells at least ``km`` wide at the highest latitude present (longitude degrees shrink
    # towards the poles); Sudan alone needs cell_size_for_km's 25 degrees.
    top = min(89.0, max(25.0, float(np.nanmax(np.abs(np.concatenate([p_lat, e_lat])))) + 0.5))
    size = max(cell_size_for_km(km), km / (111.32 * float(np.cos(np.radians(top)))))
    pr, pcol = grid_cell(p_lat, p_lon, size)
    er, ecol = grid_cell(e_lat, e_lon, size)
    width = np.int64(1 << 31)
    p_key = pr * width + pcol
    order = np.argsort(p_key, kind="stable")
    sorted_keys = p_key[order]
    places, events = [], []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            key = (er + dr) * width + (ecol + dc)
            lo = np.searchsorted(sorted_keys, key, "left")
            hi = np.searchsorted(sorted_keys, key, "right")
            counts = hi - lo
            if counts.sum() == 0:
                continue
            ev = np.repeat(np.arange(len(e_lat)), counts)
            starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
            places.append(order[starts + np.arange(counts.sum())])
            events.append(ev)
    if not places:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0)
    place_idx, event_idx = np.concatenate(places), np.concatenate(events)
    dist = haversine_km(p_lat[place_idx], p_lon[place_idx], e_lat[event_idx], e_lon[event_idx])
    near = dist <= km
    return place_idx[near], event_idx[near], dist[near]


# -- the inputs, indexed ------------------------------------------------------------------------
@dataclass
class _Places:
    ids: list[str]
    names: list[str]
    classes: list[str]
    lat: np.ndarray
    lon: np.ndarray
    radius: np.ndarray
    population: np.ndarray  # -1 unknown
    admin1: list[str | None]
    admin2: list[str | None]
    index: dict[str, int]
    # Every gazetteer place id (tracked or not) -> the tracked places it counts for: itself
    # when tracked, and its tracked ancestors (places/hierarchy.py: a camp or a neighbourhood
    # counts for its town).
    counts_for: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, places: pa.Table, classes: Iterable[str],
           only: Iterable[str] | None = None) -> _Places:
        wanted = pa.array(list(classes), pa.string())
        table = places.filter(pc.is_in(places.column("place_class"), value_set=wanted))
        if only is not None:
            table = table.filter(pc.is_in(table.column("place_id"),
                                          value_set=pa.array(list(only), pa.string())))
        table = table.filter(pc.and_(pc.is_valid(table.column("latitude")),
                                     pc.is_valid(table.column("longitude"))))
        # An unnamed point is no place anyone can be warned about or send help to.
        table = table.filter(pc.greater(pc.utf8_length(pc.fill_null(table.column("name"), "")), 0))
        ids = table.column("place_id").to_pylist()
        pop = table.column("population").to_numpy(zero_copy_only=False) if \
            "population" in table.column_names else np.full(len(ids), np.nan)
        index = {pid: i for i, pid in enumerate(ids)}
        return cls(ids, [n or "" for n in _strings(table, "name")],
                   table.column("place_class").to_pylist(), _floats(table, "latitude"),
                   _floats(table, "longitude"), _floats(table, "radius_km", 4.0),
                   np.nan_to_num(pop.astype(float), nan=-1).astype(np.int64),
                   _strings(table, "admin1_pcode"), _strings(table, "admin2_pcode"),
                   index, _counts_for(places, index))

    def targets(self, place_id: str | None) -> list[int]:
        if not place_id:
            return []
        found = self.counts_for.get(place_id)
        if found is not None:
            return found
        i = self.index.get(place_id)
        return [] if i is None else [i]


    def principal_of_locality(self) -> np.ndarray:
        """True for the one place per locality (admin2) that holds its displaced: the most
        populous, then the biggest class, then the first by id."""
        best: dict[str, tuple[tuple[int, int, str], int]] = {}
        rank = {"city": 3, "town": 2, "camp": 1, "idp_site": 1}
        for i, code in enumerate(self.admin2):
            if code:
                key = (int(self.population[i]), rank.get(self.classes[i], 0), self.ids[i])
                if code not in best or key > best[code][0]:
                    best[code] = (key, i)
        flags = np.zeros(len(self.ids), dtype=bool)
        flags[[i for _, i in best.values()]] = True
        return flags


def _counts_for(places: pa.Table, index: dict[str, int]) -> dict[str, list[int]]:
    """Place id -> tracked places its events count for (itself and its tracked ancestors)."""
    if "parent_id" not in places.column_names:
        return {}
    parent = {c: p for c, p in zip(places.column("place_id").to_pylist(),
                                   places.column("parent_id").to_pylist(), strict=True) if p}
    out: dict[str, list[int]] = {}
    for pid in parent:
        chain, at = [pid], pid
        while at in parent and parent[at] not in chain:
            at = parent[at]
            chain.append(at)
        out[pid] = [index[c] for c in chain if c in index]
    return out


def _categories(signal: Signal, rules: SiegeRules) -> set[str]:
    cats = signal.get("categories", "armed")
    return set(rules.armed_categories) if cats == "armed" else set(cats)


class _Events:
    """Events with their links, as arrays; ring pairs are computed once for all signals."""

    def __init__(self, events: pa.Table, places: _Places, rules: SiegeRules) -> None:
        self.n = events.num_rows
        day_col = "date_end" if "date_end" in events.column_names else "date_start"
        self.day = _days(events.column(day_col)) if self.n else np.zeros(0, dtype=np.int64)
        self.date = _days(events.column("date_start")) if self.n else self.day
        self.category = np.array(_strings(events, "category"), dtype=object)
        self.fatalities = _floats(events, "fatalities")
        self.lat, self.lon = _floats(events, "latitude", np.nan), _floats(events, "longitude", np.nan)
        precision = np.array(_strings(events, "location_precision"), dtype=object)
        level = np.array(_strings(events, "link_level"), dtype=object)
        self.uid = _strings(events, "event_uid")
        # One actor under one name (schema/actors.yaml), also for events ingested before it
        # named them: a town taken by "SFA" is held by the RSF.
        self.actor1 = _actors(events, "actor1")
        # An event linked to a place counts there and at the tracked places above it (a camp's
        # or a neighbourhood's events count for its town): one link row per (event, place).
        link_event, link_place = [], []
        for e, pid in enumerate(_strings(events, "place_id")):
            for target in places.targets(pid):
                link_event.append(e)
                link_place.append(target)
        self.link_event = np.array(link_event, dtype=np.int64)
        self.link_place = np.array(link_place, dtype=np.int64)
        link_level = level[self.link_event] if len(link_event) else np.zeros(0, dtype=object)
        self.link_exact = link_level == "exact"
        self.link_near = np.isin(link_level, EXACT_OR_NEAR)
        self.where = _strings(events, "location_name")
        self.actors = [" v ".join(a for a in pair if a) for pair in
                       zip(self.actor1, _actors(events, "actor2"), strict=True)]
        placeable = np.isin(precision, EXACT_OR_NEAR) & ~np.isnan(self.lat) & ~np.isnan(self.lon)
        rows = np.flatnonzero(placeable)
        p, e, d = pairs_within(places.lat, places.lon, self.lat[rows], self.lon[rows], rules.ring_km)
        self.pair_place, self.pair_event, self.pair_km = p, rows[e], d
        self.pair_bearing = _bearing_deg(places.lat[p], places.lon[p], self.lat[rows[e]],
                                         self.lon[rows[e]]) if len(p) else np.zeros(0)
        width = np.int64(1 << 32)
        inside_keys = self.link_place[self.link_exact] * width + self.link_event[self.link_exact]
        self.pair_inside = np.isin(p * width + self.pair_event, inside_keys)
        self.pair_outside_town = d > places.radius[p]

    def detail(self, event: int, km: float | None = None, bearing: float | None = None) -> str:
        text = f"{self.category[event]}"
        if self.where[event]:
            text += f" at {self.where[event]}"
        if km is not None:
            text += f", {km:.0f} km {COMPASS[int(((bearing or 0) + 22.5) // 45) % 8]}"
        if self.fatalities[event]:
            text += f", {int(self.fatalities[event])} killed"
        if self.actors[event]:
            text += f" ({self.actors[event]})"
        return text

    def ring_items(self, cats: set[str], inside_too: bool, outside_town: bool,
                   sectors: int = 0) -> Items:
        keep = np.isin(self.category[self.pair_event], list(cats))
        if not inside_too:
            keep &= ~self.pair_inside
        if outside_town:
            keep &= self.pair_outside_town
        idx = np.flatnonzero(keep)
        ev = self.pair_event[idx]
        sector = None
        if sectors:
            sector = (self.pair_bearing[idx] // (360.0 / sectors)).astype(np.int64) % sectors
        km, bearing = self.pair_km[idx], self.pair_bearing[idx]
        return Items(self.pair_place[idx], self.day[ev], np.ones(len(idx)), "event",
                     Lazy(len(ev), lambda j: self.uid[ev[j]]),
                     Lazy(len(ev), lambda j: self.detail(int(ev[j]), float(km[j]), float(bearing[j]))),
                     self.date[ev], sector, Lazy(len(ev), lambda j: self.actor1[ev[j]] or ""))

    def linked_items(self, cats: set[str], exact_only: bool, value: str) -> Items:
        level = self.link_exact if exact_only else self.link_near
        keep = level & np.isin(self.category[self.link_event], list(cats)) if len(level) else level
        rows = np.flatnonzero(keep)
        ev, place = self.link_event[rows], self.link_place[rows]
        values = self.fatalities[ev] if value == "fatalities" else np.ones(len(ev))
        return Items(place, self.day[ev], values, "event", Lazy(len(ev), lambda j: self.uid[ev[j]]),
                     Lazy(len(ev), lambda j: self.detail(int(ev[j]))), self.date[ev], None,
                     Lazy(len(ev), lambda j: self.actor1[ev[j]] or ""))


def _price_items(prices: pa.Table | None, places: _Places, rules: SiegeRules, sig: Signal,
                 span: tuple[int, int] | None = None) -> Items:
    """A market spikes on a day when at least ``min_commodities`` of its series stand at
    ``min_ratio`` times their own median over the ``baseline_days`` before."""
    if prices is None or prices.num_rows == 0:
        return Items.empty("price")
    flag = prices.column("price_flag")
    prices = prices.filter(pc.or_(pc.is_null(flag), pc.equal(flag, "actual")))
    if span is not None:  # only prices that can count in the days asked for, and their baselines
        lag, baseline = int(sig.get("known_after_days", 0)), int(sig.get("baseline_days", 180))
        days = _days(prices.column("date"))
        prices = prices.filter(pa.array((days >= span[0] - lag - baseline) & (days <= span[1])))
    day = _days(prices.column("date"))
    price = _floats(prices, "price", np.nan)
    keys = list(zip(*(_strings(prices, c) for c in ("market_id", "commodity", "unit", "price_type",
                                                     "currency")), strict=True))
    markets = _strings(prices, "market")
    m_lat, m_lon = _floats(prices, "latitude", np.nan), _floats(prices, "longitude", np.nan)
    numbered: dict[tuple, int] = {}  # each series, numbered in the order first seen
    series = np.fromiter((numbered.setdefault(key, len(numbered)) for key in keys), np.int64,
                         count=len(keys))
    baseline_days, min_baseline = int(sig.get("baseline_days", 180)), int(sig.get("min_baseline", 3))
    min_ratio = float(sig.get("min_ratio", 1.5))
    spikes: dict[tuple[str, int], list[str]] = {}  # (market_id, day) -> what spiked
    where: dict[str, tuple[float, float, str]] = {}
    for r, median in _spikes(series, day, price, baseline_days, min_baseline, min_ratio):
        key, v = keys[r], price[r]
        spikes.setdefault((key[0], int(day[r])), []).append(
            f"{key[1]} {v:g} {key[4] or ''} per {key[2] or 'unit'} = {v / median:.1f}x "
            f"its {baseline_days}-day median {median:g}")
        where[key[0]] = (float(m_lat[r]), float(m_lon[r]), markets[r] or key[0])
    lag = int(sig.get("known_after_days", 0))
    need = int(sig.get("min_commodities", 1))
    found = [(m, d, what) for (m, d), what in spikes.items() if len(what) >= need]
    if not found:
        return Items.empty("price")
    market_ids = sorted({m for m, _, _ in found})
    mk_lat = np.array([where[m][0] for m in market_ids])
    mk_lon = np.array([where[m][1] for m in market_ids])
    ok = ~np.isnan(mk_lat) & ~np.isnan(mk_lon)
    p, m, km = pairs_within(places.lat, places.lon, mk_lat[ok], mk_lon[ok], rules.market_km)
    served: dict[str, list[tuple[int, float]]] = {}
    ok_ids = [market_ids[i] for i in np.flatnonzero(ok)]
    for place, market, dist in zip(p.tolist(), m.tolist(), km.tolist(), strict=True):
        served.setdefault(ok_ids[market], []).append((place, dist))
    out_place, out_day, refs, details, ref_days = [], [], [], [], []
    for market_id, d, what in found:
        for place, dist in served.get(market_id, []):
            out_place.append(place)
            out_day.append(d + lag)
            ref_days.append(d)
            refs.append(f"wfp:{market_id}:{_day(d)}")
            details.append(f"{where[market_id][2]} market ({dist:.0f} km): " + "; ".join(sorted(what)))
    return Items(np.array(out_place, dtype=np.int64), np.array(out_day, dtype=np.int64),
                 np.ones(len(out_place)), "price", refs, details, np.array(ref_days, dtype=np.int64))


def _spikes(series: np.ndarray, day: np.ndarray, price: np.ndarray, baseline_days: int,
            min_baseline: int, min_ratio: float) -> list[tuple[int, float]]:
    """The rows whose price stands at ``min_ratio`` times the median of its own series' prices
    (positive ones) of the ``baseline_days`` before its day, given ``min_baseline`` of them:
    (row, that median), by series (in number order), then day, then row. All rows at once: a
    window is a slice of the rows sorted so, its median the middle of that slice sorted
    (the mean of the middle two, as ``np.median`` takes it, for an even count)."""
    if len(day) == 0:
        return []
    order = np.lexsort((np.arange(len(day)), day, series))
    first = int(day.min())
    width = int(day.max()) - first + 1
    key = series[order] * width + (day[order] - first)
    start = series[order] * width   # a window never reaches into the series before
    d = day[order] - first
    lo = np.searchsorted(key, start + np.maximum(d - baseline_days, 0), "left")
    hi = np.searchsorted(key, start + d, "left")
    sizes = hi - lo
    window = lo[:, None] + np.arange(max(int(sizes.max()), 1))
    inside = window < hi[:, None]
    values = price[order][np.minimum(window, len(order) - 1)]
    values = np.where(inside & (values > 0), values, np.nan)   # NaN prices fail > 0 too
    values.sort(axis=1)   # NaN last
    count = (~np.isnan(values)).sum(axis=1)
    rows = np.arange(len(order))
    upper = values[rows, np.maximum(count // 2, 0).clip(max=values.shape[1] - 1)]
    lower = values[rows, np.maximum(count // 2 - 1, 0)]
    median = np.where(count % 2 == 1, upper, (lower + upper) / 2)
    v = price[order]
    with np.errstate(invalid="ignore"):
        spiked = (count >= max(min_baseline, 1)) & ~np.isnan(v) & (v >= min_ratio * median)
    return [(int(order[i]), float(median[i])) for i in np.flatnonzero(spiked)]


def _outage_items(connectivity: pa.Table | None, places: _Places, sig: Signal) -> Items:
    """A state is cut off from the internet on a day when at least ``min_sources`` of its
    signals (BGP, active probing, telescope) fall to ``max_ratio`` of their median over the
    ``baseline_days`` before."""
    if connectivity is None or connectivity.num_rows == 0:
        return Items.empty("connectivity")
    day = _days(connectivity.column("time"))
    value = _floats(connectivity, "value", np.nan)
    regions = _strings(connectivity, "admin1_pcode")
    sources = _strings(connectivity, "datasource")
    names = _strings(connectivity, "region_name" if "region_name" in connectivity.column_names
                     else "entity_name")
    daily: dict[tuple[str, str], dict[int, list[float]]] = {}
    label: dict[str, str] = {}
    for r, s, d, v, n in zip(regions, sources, day.tolist(), value.tolist(), names, strict=True):
        if r is None or np.isnan(v):
            continue
        daily.setdefault((r, s or ""), {}).setdefault(d, []).append(v)
        label[r] = n or r
    baseline_days = int(sig.get("baseline_days", 7))
    max_ratio = float(sig.get("max_ratio", 0.5))
    down: dict[tuple[str, int], list[str]] = {}
    for (region, source), by_day in daily.items():
        days = sorted(by_day)
        means = np.array([np.mean(by_day[d]) for d in days])
        arr = np.array(days)
        for j, d in enumerate(days):
            lo = np.searchsorted(arr, d - baseline_days, "left")
            base = means[lo:j]
            if len(base) < min(3, baseline_days):
                continue
            median = float(np.median(base))
            if median > 0 and means[j] <= max_ratio * median:
                down.setdefault((region, d), []).append(
                    f"{source} {means[j]:g} = {means[j] / median:.0%} of its {baseline_days}-day "
                    f"median {median:g}")
    need = int(sig.get("min_sources", 1))
    by_region: dict[str, list[int]] = {}
    for i, code in enumerate(places.admin1):
        if code:
            by_region.setdefault(code, []).append(i)
    out_place, out_day, refs, details = [], [], [], []
    for (region, d), what in down.items():
        if len(what) < need:
            continue
        for place in by_region.get(region, []):
            out_place.append(place)
            out_day.append(d)
            refs.append(f"connectivity:{region}:{_day(d)}")
            details.append(f"internet outage in {label[region]}: " + "; ".join(sorted(what)))
    days_arr = np.array(out_day, dtype=np.int64)
    return Items(np.array(out_place, dtype=np.int64), days_arr, np.ones(len(out_place)),
                 "connectivity", refs, details, days_arr)


# The last displacement table's series (``_displacement_series``), by the table itself: a
# workspace's siege inputs are read once and judged again and again (the alerts scan and the
# board of one update; every place page the web app serves), and a table never changes.
_SERIES_OF: dict[int, tuple[weakref.ref[pa.Table], list[tuple[str, list[tuple[int, int, str]]]]]] = {}


def _displacement_series(displacement: pa.Table | None) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Locality (admin2) IDP figures as series per (locality, operation, assessment type):
    (period_end day, idps, row id) in order. Callers must not change them."""
    if displacement is None or displacement.num_rows == 0:
        return []
    known = _SERIES_OF.get(id(displacement))
    if known is not None and known[0]() is displacement:
        return known[1]
    found = _read_displacement_series(displacement)
    _SERIES_OF.clear()
    _SERIES_OF[id(displacement)] = (weakref.ref(displacement), found)
    return found


def _read_displacement_series(displacement: pa.Table) -> list[tuple[str, list[tuple[int, int, str]]]]:
    table = displacement.filter(pc.equal(displacement.column("admin_level"), 2))
    ends = _days(table.column("period_end"))
    idps = _floats(table, "idps", np.nan)
    ids = _strings(table, "source_id")
    series: dict[tuple, list[tuple[int, int, str]]] = {}
    for code, op, at, d, n, sid in zip(_strings(table, "admin2_pcode"), _strings(table, "operation"),
                                        _strings(table, "assessment_type"), ends.tolist(),
                                        idps.tolist(), ids, strict=True):
        if code and not np.isnan(n):
            series.setdefault((code, op, at), []).append((d, int(n), sid or f"{code}:{_day(d)}"))
    return [(key[0], sorted(rows)) for key, rows in series.items()]


def _displacement_items(series: list[tuple[str, list[tuple[int, int, str]]]], places: _Places,
                        sig: Signal) -> Items:
    by_admin2: dict[str, list[int]] = {}
    for i, code in enumerate(places.admin2):
        if code:
            by_admin2.setdefault(code, []).append(i)
    outflow = sig.get("direction") == "outflow"
    if outflow:  # a fall counts as a positive change
        pct, least = float(sig.get("min_decrease_pct")), float(sig.get("min_decrease"))
    else:
        pct, least = float(sig.get("min_increase_pct")), float(sig.get("min_increase"))
    lag = int(sig.get("known_after_days", 0))
    out_place, out_day, refs, details, ref_days = [], [], [], [], []
    for code, rows in series:  # one series per (locality, operation, assessment type)
        targets = by_admin2.get(code)
        if not targets:
            continue
        for (_, before, _), (d, now, sid) in itertools.pairwise(rows):
            change = before - now if outflow else now - before
            if change >= least and before > 0 and change * 100.0 / before >= pct:
                for place in targets:
                    out_place.append(place)
                    out_day.append(d + lag)
                    ref_days.append(d)
                    refs.append(f"iom-dtm:{sid}")
                    details.append(f"IDPs in locality {code}: {before:,} -> {now:,} "
                                   f"({(now - before) * 100.0 / before:+.0f}%)")
    return Items(np.array(out_place, dtype=np.int64), np.array(out_day, dtype=np.int64),
                 np.ones(len(out_place)), "displacement", refs, details,
                 np.array(ref_days, dtype=np.int64))


def _burning_items(burnings: pa.Table | None, places: _Places, sig: Signal) -> Items:
    if burnings is None or burnings.num_rows == 0:
        return Items.empty("burning")
    score = _floats(burnings, "score")
    detections = _floats(burnings, "detections")
    keep = (score >= float(sig.get("min_score", 0))) & (detections >= float(sig.get("min_detections", 0)))
    place = np.array([places.index.get(p, -1) if p else -1 for p in _strings(burnings, "place_id")])
    keep &= place >= 0
    idx = np.flatnonzero(keep)
    last = _days(burnings.column("last_detection"))  # known once its last detection was seen
    first = _days(burnings.column("first_detection"))
    ids = _strings(burnings, "sweep_id")
    conf = _strings(burnings, "confidence")
    reasons = _strings(burnings, "reasons")
    return Items(place[idx], last[idx], np.ones(len(idx)), "burning",
                 [f"burning:{ids[i] or ''}:{places.ids[place[i]]}:{_day(first[i])}" for i in idx],
                 [f"{int(detections[i])} fire detections, score {score[i]:.2f} ({conf[i] or '?'})"
                  + (f": {reasons[i]}" if reasons[i] else "") for i in idx], first[idx])


# -- the computation ------------------------------------------------------------------------------
def _window_sum(daily: np.ndarray, window: int) -> np.ndarray:
    """Trailing sums over ``window`` days (today included) along the day axis."""
    cum = np.zeros((daily.shape[0], daily.shape[1] + 1), dtype=np.float64)
    np.cumsum(daily, axis=1, out=cum[:, 1:])
    lagged = np.zeros_like(cum[:, 1:])
    if window < daily.shape[1]:
        lagged[:, window:] = cum[:, 1:-window]
    return cum[:, 1:] - lagged


def _daily(items: Items, shape: tuple[int, int], origin: int, values: np.ndarray | None = None) -> np.ndarray:
    grid = np.zeros(shape, dtype=np.float64)
    col = items.day - origin
    ok = (col >= 0) & (col < shape[1])
    np.add.at(grid, (items.place[ok], col[ok]), items.value[ok] if values is None else values[ok])
    return grid


def _holds(items: Items, sig: Signal, shape: tuple[int, int], origin: int) -> np.ndarray:
    if sig.kind == "ring_sectors":
        sectors = int(sig.get("sectors", 8))
        seen = np.zeros(shape, dtype=np.int16)
        for s in range(sectors):
            keep = items.sector == s
            part = Items(items.place[keep], items.day[keep], items.value[keep], items.kind, [], [],
                         items.ref_days[keep])
            seen += _window_sum(_daily(part, shape, origin), sig.window_days) > 0
        return seen >= int(sig.get("min_sectors", 3))
    total = _window_sum(_daily(items, shape, origin), sig.window_days)
    holds = total >= float(sig.get("min_events", 1)) - 1e-9
    if "min_fatalities" in sig.params:
        holds = total >= float(sig.get("min_fatalities")) - 1e-9
        holds &= total > 0
    return holds


def _items_for(sig: Signal, events: _Events, inputs: dict[str, pa.Table | None], places: _Places,
               rules: SiegeRules, displacement: list, span: tuple[int, int] | None = None) -> Items:
    kind = sig.kind
    if kind in ("ring_events", "ring_sectors"):
        return events.ring_items(_categories(sig, rules), inside_too=bool(sig.get("include_inside")),
                                 outside_town=kind == "ring_sectors",
                                 sectors=int(sig.get("sectors", 8)) if kind == "ring_sectors" else 0)
    if kind in ("inside_events", "linked_events"):
        value = "fatalities" if "min_fatalities" in sig.params else "count"
        return events.linked_items(_categories(sig, rules), kind == "inside_events", value)
    if kind == "price_spike":
        return _price_items(inputs.get("prices"), places, rules, sig, span)
    if kind == "outage":
        return _outage_items(inputs.get("connectivity"), places, sig)
    if kind == "displacement":
        return _displacement_items(displacement, places, sig)
    return _burning_items(inputs.get("burnings"), places, sig)


def siege_stages(places: pa.Table, events: pa.Table, start: dt.date, end: dt.date, *,
                 prices: pa.Table | None = None, displacement: pa.Table | None = None,
                 connectivity: pa.Table | None = None, burnings: pa.Table | None = None,
                 control: pa.Table | None = None, rules: SiegeRules | None = None,
                 evidence: bool | Literal["changes"] = True,
                 place_ids: Iterable[str] | None = None) -> pa.Table:
    """The stage of every place of the rules' classes on every day from ``start`` to ``end``.

    - places: the gazetteer (place_id, name, place_class, latitude, longitude, radius_km,
      population, admin1_pcode, admin2_pcode, and parent_id: events on a sub-place count for
      its town)
    - events: events joined with their event_links (event_uid, date_start, date_end, category,
      fatalities, latitude, longitude, location_precision, location_name, actor1, actor2,
      place_id, link_level)
    - prices (lake ``prices``), displacement (lake ``displacement``), connectivity (lake
      ``connectivity`` with admin1_pcode resolved), burnings (derived ``burnings``): optional.
    - control: sourced changes of control (CONTROL_SCHEMA; the records DB's control_changes):
      "fell" on a day to an actor, or "returned"; optional.

    Returns STAGES_SCHEMA rows, one per place and day; ``evidence`` False leaves the evidence
    lists empty (much cheaper when only the stages are wanted); "changes" fills them only on
    the rows ``stage_changes`` keeps (a place's stage differs from the day before; its first
    day past calm counts) and on the last day: all that a stage history or an escalation scan
    reads, for a fraction of the rows. ``place_ids`` tracks only those places (their
    sub-places' events still count for them).
    """
    rules = rules or default_rules()
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    where = _Places.of(places, rules.place_classes, place_ids)
    origin = (start - EPOCH).days - rules.lookback_days()
    last = (end - EPOCH).days
    shape = (len(where.ids), last - origin + 1)
    first_col = (start - EPOCH).days - origin
    inputs = {"prices": prices, "connectivity": connectivity, "burnings": burnings}
    evs = _Events(events, where, rules)
    series = _displacement_series(displacement)

    raw: dict[str, np.ndarray] = {}  # stage -> its own signals hold (before `requires`)
    signal_holds: dict[str, np.ndarray] = {}
    signal_items: dict[str, Items] = {}
    battles: dict[int, np.ndarray] = {}
    for stage in rules.stages:
        any_holds = np.zeros(shape, dtype=bool)
        for sig in stage.signals:
            items = _items_for(sig, evs, inputs, where, rules, series, (origin, last))
            holds = _holds(items, sig, shape, origin)
            after = sig.get("after_battle_days")
            if after is not None:  # only after a battle linked to the place (or with it)
                if after not in battles:
                    fights = evs.linked_items({"battle"}, False, "count")
                    battles[after] = _window_sum(_daily(fights, shape, origin), int(after) + 1) > 0
                holds &= battles[after]
            signal_holds[sig.name], signal_items[sig.name] = holds, items
            any_holds |= holds
        raw[stage.name] = any_holds
    rank = np.zeros(shape, dtype=np.int16)
    for stage in rules.stages:
        holds = raw[stage.name]
        if stage.requires:
            needed, within = stage.requires
            holds = holds & (_window_sum(raw[needed].astype(np.float64), within) > 0)
        rank = np.where(holds, np.int16(stage.rank), rank)
    memory = _remember(rank, where, control, signal_items, rules, origin)

    rank = memory.rank[:, first_col:]
    n_places, n_days = rank.shape
    day_numbers = np.arange(origin + first_col, last + 1)
    idps = _idps_as_of(series, where, day_numbers, rules)
    flat_rank = rank.ravel()
    active = [(sig, signal_holds[sig.name][:, first_col:].ravel()) for sig in rules.signals]
    fell_flat = memory.fell_on[:, first_col:].ravel()
    held_flat = memory.held_by[:, first_col:].ravel()
    why_flat = memory.why[:, first_col:].ravel()
    wanted = _changes_and_last(rank) if evidence == "changes" else None
    evidence_lists = _evidence(flat_rank, active, signal_items, n_days, day_numbers, wanted) \
        if evidence else None
    signals_col, reasons = _signal_names(rules, flat_rank, active)
    _memory_rows(flat_rank, fell_flat, held_flat, why_flat, memory.facts, reasons, evidence_lists,
                 wanted)
    population = np.repeat(where.population, n_days)
    idps_flat = idps.ravel()
    # The displaced of a locality are counted once, at its principal place (see the method).
    principal = np.repeat(where.principal_of_locality(), n_days)
    exposed = np.where(population > 0, population, 0) + np.where(principal & (idps_flat > 0), idps_flat, 0)
    stage_names = np.array(STAGES, dtype=object)[flat_rank]
    is_fallen = flat_rank == STAGE_RANK["fallen"]
    columns = {
        "place_id": pa.array(np.repeat(np.array(where.ids, dtype=object), n_days), pa.string()),
        "name": pa.array(np.repeat(np.array(where.names, dtype=object), n_days), pa.string()),
        "place_class": pa.array(np.repeat(np.array(where.classes, dtype=object), n_days), pa.string()),
        "date": pa.array(np.tile(day_numbers, n_places).astype(np.int32), pa.int32()).cast(pa.date32()),
        "stage": pa.array(stage_names, pa.string()),
        "stage_rank": pa.array(flat_rank, pa.int16()),
        "signals": signals_col,
        "reasons": pa.array(reasons, pa.string()),
        "population": pa.array(population, pa.int64(), mask=population < 0),
        "idps_in_locality": pa.array(idps_flat, pa.int64(), mask=idps_flat < 0),
        "exposed": pa.array(exposed, pa.int64()),
        "evidence": _evidence_column(evidence_lists or {}, len(flat_rank)),
        "fell_on": pa.array(np.where(is_fallen, fell_flat, 0).astype(np.int32), pa.int32(),
                            mask=~is_fallen).cast(pa.date32()),
        "held_by": pa.array(np.where(is_fallen, held_flat, None), pa.string()),
    }
    return pa.table(columns, schema=STAGES_SCHEMA)


# -- memory: who holds a town, and what is not known -----------------------------------------------
@dataclass
class _Memory:
    rank: np.ndarray     # the stages with memory applied
    fell_on: np.ndarray  # day number the present fall began (where fallen)
    held_by: np.ndarray  # object: who took it (where fallen)
    why: np.ndarray      # int: index into facts (-1 none): the fall's or the last assault's fact
    facts: list[dict[str, Any]]  # evidence of the memory: a control record or an event


def _control_rows(control: pa.Table | None, places: _Places) -> list[tuple[int, int, str, dict[str, Any]]]:
    """(place index, day, kind, evidence) for every recorded change of control, at the place
    and the tracked places above it."""
    if control is None or control.num_rows == 0:
        return []
    out = []
    days = _days(control.column("date"))
    for row, day in zip(control.to_pylist(), days.tolist(), strict=True):
        kind = row.get("kind")
        if kind not in CONTROL_KINDS:
            raise ValueError(f"control change {row.get('record_id')}: kind must be one of "
                             f"{', '.join(CONTROL_KINDS)}, found {kind!r}")
        actor = row.get("actor") or ""
        what = f"fell to {actor}" if kind == "fell" else "returned (recorded)"
        detail = f"{what}, recorded from {row.get('source_url') or 'no source'}"
        if row.get("note"):
            detail += f": {row['note']}"
        fact = {"signal": "control_recorded", "kind": "control",
                "ref": f"records:control_changes:{row.get('record_id')}", "date": _day(day),
                "detail": detail, "actor": actor}
        for target in places.targets(row.get("place_id")):
            out.append((target, day, kind, fact))
    return out


def _remember(rank: np.ndarray, places: _Places, control: pa.Table | None,
              items: dict[str, Items], rules: SiegeRules, origin: int) -> _Memory:
    """Apply the memory stages along each place's days.

    fallen: from the first day of each run of overrun days (the events' fall: who took it is
    the actor of its largest item; remembered for ``remember_falls_days``), or from a recorded
    fall's day, until a recorded return or another fall. While the overrun signals hold after
    an events' fall the stage reads overrun.
    outcome_unrecorded: for ``outcome_unrecorded_days`` after a day under assault or overrun,
    where neither a fall nor a recorded return says what happened."""
    n, m = rank.shape
    r_over, r_fallen = STAGE_RANK["overrun"], STAGE_RANK["fallen"]
    r_assault, r_unrec = STAGE_RANK["under_assault"], STAGE_RANK["outcome_unrecorded"]
    facts: list[dict[str, Any]] = []
    # code: 2 fall, 1 return; fact: index into facts
    code = np.zeros((n, m), dtype=np.int8)
    fact_at = np.full((n, m), -1, dtype=np.int64)
    recorded = np.zeros((n, m), dtype=bool)
    over = rank == r_over
    starts = over & ~np.concatenate([np.zeros((n, 1), dtype=bool), over[:, :-1]], axis=1)
    overrun_signals = [s for st in rules.stages if st.name == "overrun" for s in st.signals]
    # Every change, per place in day order: (column, order, kind, fact, recorded). A recorded
    # change on a day wins over the events' (order 0 after 1: applied last).
    changes: dict[int, list[tuple[int, int, str, dict[str, Any], bool]]] = {}
    for p, c in zip(*np.nonzero(starts), strict=True):
        fact = _fall_fact(int(p), int(c) + origin, overrun_signals, items)
        changes.setdefault(int(p), []).append((int(c), 0, "fell", fact, False))
    for p, day, kind, fact in _control_rows(control, places):
        if day - origin >= m:
            continue  # recorded after the last day asked for
        changes.setdefault(p, []).append((max(day - origin, 0), 1, kind, fact, True))
    remember = rules.memory["remember_falls_days"]
    for p, rows in changes.items():
        holder: str | None = None
        since, since_recorded = 0, False
        for c, _, kind, fact, is_record in sorted(rows, key=lambda r: (r[0], r[1])):
            actor = fact.get("actor") or None
            if holder is not None and not since_recorded and c - since > remember:
                holder = None  # an events' fall no longer remembered
            if kind == "fell" and not is_record and holder is not None and actor in (None, holder):
                continue  # the same side taking it again: the fall goes on from its first day
            holder = actor if kind == "fell" else None
            since, since_recorded = c, is_record
            facts.append(fact)
            code[p, c] = 2 if kind == "fell" else 1
            fact_at[p, c] = len(facts) - 1
            recorded[p, c] = is_record
    cols = np.broadcast_to(np.arange(m), (n, m))
    last_change = np.maximum.accumulate(np.where(code > 0, cols, -1), axis=1)
    safe = np.clip(last_change, 0, None)
    state = np.where(last_change >= 0, np.take_along_axis(code, safe, axis=1), 0)
    state_fact = np.where(last_change >= 0, np.take_along_axis(fact_at, safe, axis=1), -1)
    state_recorded = np.where(last_change >= 0, np.take_along_axis(recorded, safe, axis=1), False)
    # A fall seen only in the events is remembered for remember_falls_days (so that a day's
    # stage never depends on how far back the computation started); a recorded one until the
    # next record.
    fallen = (state == 2) & (state_recorded
                             | (cols - last_change <= rules.memory["remember_falls_days"]))
    out = rank.copy()
    # An events' fall reads overrun while its signals hold; a recorded one reads fallen at once.
    out[fallen & ~(over & ~state_recorded)] = r_fallen
    fell_on = np.where(fallen, np.array([f["date"].toordinal() - EPOCH.toordinal()
                                         for f in facts] + [0], dtype=np.int64)[state_fact], 0)
    held_by = np.full((n, m), None, dtype=object)
    if fallen.any():
        actors = np.array([f.get("actor") or None for f in facts] + [None], dtype=object)
        held_by[fallen] = actors[state_fact[fallen]]
    # outcome_unrecorded: after an assault, not calm until the memory runs out or a return.
    assault = rank >= r_assault
    never = -(1 << 30)
    last_assault = np.maximum.accumulate(np.where(assault, cols, never), axis=1)
    returned = np.maximum.accumulate(np.where(code == 1, cols, never), axis=1)
    unrec = (~fallen & (out < r_unrec) & (last_assault > never)
             & (cols - last_assault <= rules.memory["outcome_unrecorded_days"])
             & (returned < last_assault))
    out[unrec] = r_unrec
    why = np.where(out == r_fallen, state_fact, -1)
    if unrec.any():
        base = len(facts)
        rows, cs = np.nonzero(unrec)
        at = last_assault[rows, cs]
        keys: dict[tuple[int, int], int] = {}
        for r, a in zip(rows.tolist(), at.tolist(), strict=True):
            if (r, a) not in keys:
                keys[(r, a)] = base + len(keys)
                facts.append({"signal": "outcome_unrecorded", "kind": "memory", "ref": "",
                              "date": _day(a + origin),
                              "detail": f"last under assault on {_day(a + origin)}; nothing since "
                                        "says who holds the town or that people returned"})
        why[rows, cs] = [keys[(r, a)] for r, a in zip(rows.tolist(), at.tolist(), strict=True)]
    return _Memory(out, fell_on, held_by, why, facts)


def _fall_fact(place: int, day: int, signals: list[Signal], items: dict[str, Items]) -> dict[str, Any]:
    """The evidence of a fall the events show: the largest overrun item of the place known in
    its signal's window up to ``day``; its actor is who took the town."""
    best: tuple[float, Signal, Items, int] | None = None
    for sig in signals:
        its = items.get(sig.name)
        if its is None or len(its.place) == 0:
            continue
        hit = np.flatnonzero((its.place == place) & (its.day <= day) & (its.day > day - sig.window_days))
        for j in hit.tolist():
            if best is None or its.value[j] > best[0]:
                best = (float(its.value[j]), sig, its, j)
    if best is None:
        return {"signal": "overrun", "kind": "event", "ref": "", "date": _day(day),
                "detail": "overrun", "actor": None}
    _, sig, its, j = best
    actor = its.actors[j] if its.actors is not None else None
    return {"signal": sig.name, "kind": its.kind, "ref": its.refs[j], "date": _day(int(its.ref_days[j])),
            "detail": f"overrun: {its.details[j]}", "actor": actor or None}


def _changes_and_last(rank: np.ndarray) -> NDArray[np.bool_]:
    """Flat mask of the (place, day) rows whose stage differs from the day before (calm before
    the first day, as ``stage_changes`` reads a table), and of every place's last day."""
    previous = np.zeros_like(rank)
    previous[:, 1:] = rank[:, :-1]
    wanted = rank != previous
    wanted[:, -1] = True
    return wanted.ravel()


def _memory_rows(flat_rank: np.ndarray, fell_on: np.ndarray, held_by: np.ndarray,
                 why: np.ndarray, facts: list[dict[str, Any]], reasons: list[str | None],
                 evidence: dict[int, list[dict[str, Any]]] | None,
                 wanted: NDArray[np.bool_] | None = None) -> None:
    """Reasons and evidence for the rows whose stage is memory (fallen, outcome_unrecorded);
    evidence only on the ``wanted`` rows, when given (``_changes_and_last``)."""
    keys = ("signal", "kind", "ref", "date", "detail")
    for r in np.flatnonzero(why >= 0).tolist():
        fact = facts[int(why[r])]
        stage = STAGES[flat_rank[r]]
        if stage == "fallen":
            who = held_by[r] or "an actor the evidence does not name"
            reasons[r] = f"fallen: taken by {who} on {_day(int(fell_on[r]))} ({fact['detail']})"
        else:
            reasons[r] = f"{stage}: {fact['detail']}"
        if evidence is not None and (wanted is None or wanted[r]):
            evidence.setdefault(r, []).insert(0, {k: fact[k] for k in keys})


def _idps_as_of(series: list[tuple[str, list[tuple[int, int, str]]]], places: _Places,
                days: np.ndarray, rules: SiegeRules) -> np.ndarray:
    """IDPs counted in each place's locality in the latest DTM round known by each day
    (-1 where none): the largest figure among the operations reporting that latest day."""
    lag = max((int(s.get("known_after_days", 0)) for s in rules.signals if s.kind == "displacement"),
              default=0)
    latest: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    merged: dict[str, dict[int, int]] = {}
    for code, rows in series:
        by_day = merged.setdefault(code, {})
        for d, n, _ in rows:
            by_day[d + lag] = max(by_day.get(d + lag, 0), n)
    for code, by_day in merged.items():
        known = np.array(sorted(by_day), dtype=np.int64)
        latest[code] = (known, np.array([by_day[d] for d in known.tolist()], dtype=np.int64))
    out = np.full((len(places.ids), len(days)), -1, dtype=np.int64)
    for i, code in enumerate(places.admin2):
        if code in latest:
            known, values = latest[code]
            pos = np.searchsorted(known, days, "right") - 1
            out[i] = np.where(pos >= 0, values[np.clip(pos, 0, None)], -1)
    return out


def _signal_names(rules: SiegeRules, flat_rank: np.ndarray,
                  active: list[tuple[Signal, np.ndarray]]) -> tuple[pa.Array, list[str | None]]:
    """Every signal that holds on each row (a list, in the rules' order), and a one-line reason
    for rows past calm. Rows share a few combinations of signals: each combination's list and
    each (stage, combination)'s reason is made once, then taken for every row."""
    if len(active) < 63:   # each row's signals as the bits of one number
        bits = np.zeros(len(flat_rank), dtype=np.int64)
        for i, (_, holds) in enumerate(active):
            bits |= holds.astype(np.int64) << i
        codes, combo_of = np.unique(bits, return_inverse=True)
        combos = [[bool(c >> i & 1) for i in range(len(active))] for c in codes.tolist()]
    else:
        table, combo_of = np.unique(np.column_stack([h for _, h in active]), axis=0,
                                    return_inverse=True)
        combos = table.tolist()
    combo_of = combo_of.reshape(-1)
    lists = [[sig.name for (sig, _), on in zip(active, combo, strict=True) if on] for combo in combos]
    names = pa.array(lists, pa.list_(pa.string())).take(pa.array(combo_of, pa.int64()))
    reasons: list[str | None] = [None] * len(flat_rank)
    rows = np.flatnonzero(flat_rank > 0)
    if len(rows):
        pairs, pair_of = np.unique(flat_rank[rows].astype(np.int64) * len(combos) + combo_of[rows],
                                   return_inverse=True)
        said = np.array([f"{STAGES[p // len(combos)]}: "
                         + ", ".join(n.replace("_", " ") for n in lists[p % len(combos)])
                         for p in pairs.tolist()], dtype=object)
        everyone = np.full(len(flat_rank), None, dtype=object)
        everyone[rows] = said[pair_of.reshape(-1)]
        reasons = everyone.tolist()
    return names, reasons


def _evidence(flat_rank: np.ndarray, active: list[tuple[Signal, np.ndarray]],
              items: dict[str, Items], n_days: int, day_numbers: np.ndarray,
              wanted: NDArray[np.bool_] | None = None) -> dict[int, list[dict[str, Any]]]:
    """For each row past calm (of the ``wanted`` rows, when given), the rows behind the signals
    of the stage that put it there (the most recent ``MAX_EVIDENCE_PER_SIGNAL`` per signal),
    found by a sorted-key search; by row, rows without any left out."""
    out: dict[int, list[dict[str, Any]]] = {}
    for sig, holds in active:
        rank = STAGE_RANK[sig.stage]
        at_stage = holds & (flat_rank == rank)
        rows = np.flatnonzero(at_stage if wanted is None else at_stage & wanted)
        its = items[sig.name]
        if len(rows) == 0 or len(its.place) == 0:
            continue
        width = np.int64(1 << 32)
        key = its.place * width + its.day
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        place = rows // n_days
        day = day_numbers[rows % n_days]
        lo = np.searchsorted(sorted_key, place * width + (day - sig.window_days + 1), "left")
        hi = np.searchsorted(sorted_key, place * width + day, "right")
        for r, a, b in zip(rows.tolist(), lo.tolist(), hi.tolist(), strict=True):
            for j in order[max(a, b - MAX_EVIDENCE_PER_SIGNAL):b][::-1].tolist():
                out.setdefault(r, []).append({"signal": sig.name, "kind": its.kind, "ref": its.refs[j],
                                              "date": _day(its.ref_days[j]), "detail": its.details[j]})
    return out


def _evidence_column(evidence: dict[int, list[dict[str, Any]]], rows: int) -> pa.ListArray:
    """The evidence lists of ``rows`` rows, from those of the rows that have any."""
    counts = np.zeros(rows, dtype=np.int32)
    having = sorted(evidence)
    counts[having] = [len(evidence[r]) for r in having]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    values = [item for r in having for item in evidence[r]]
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, EVIDENCE_TYPE))


# -- helpers for commands and the forecast ----------------------------------------------------------
def stage_changes(stages: pa.Table) -> pa.Table:
    """The rows where a place's stage differs from its previous day's (first day included when
    past calm), in place and date order: a stage history."""
    table = stages.sort_by([("place_id", "ascending"), ("date", "ascending")])
    place = table.column("place_id").to_numpy(zero_copy_only=False)
    rank = table.column("stage_rank").to_numpy()
    if table.num_rows == 0:
        return table.append_column("previous_rank", pa.array([], pa.int16()))
    same_place = np.concatenate([[False], place[1:] == place[:-1]])
    previous = np.concatenate([[0], rank[:-1]]).astype(np.int16)
    previous = np.where(same_place, previous, 0).astype(np.int16)
    changed = rank != previous
    return table.filter(pa.array(changed)).append_column(
        "previous_rank", pa.array(previous[changed], pa.int16()))


def escalations(stages: pa.Table, quiet_days: int = 14) -> pa.Table:
    """Days on which a place's stage rose above every stage it had in the ``quiet_days``
    before (a place that flickers between two stages escalates once, not every other day).
    Days within ``quiet_days`` of the first day in ``stages`` are judged on what is there:
    callers pass a history that starts ``quiet_days`` before the days they want."""
    changes = stage_changes(stages)
    up = pc.greater(changes.column("stage_rank"), changes.column("previous_rank"))
    rises = changes.filter(up)
    if rises.num_rows == 0 or quiet_days <= 0:
        return rises
    table = stages.sort_by([("place_id", "ascending"), ("date", "ascending")])
    place = table.column("place_id").to_numpy(zero_copy_only=False)
    day = _days(table.column("date"))
    rank = table.column("stage_rank").to_numpy().astype(np.int64)
    starts = {p: i for i, p in reversed(list(enumerate(place.tolist())))}
    keep = []
    for p, d, r in zip(rises.column("place_id").to_pylist(), _days(rises.column("date")).tolist(),
                       rises.column("stage_rank").to_pylist(), strict=True):
        first = starts[p]
        # Rows of this place are consecutive and daily: index by day offset.
        at = first + (d - int(day[first]))
        before = rank[max(first, at - quiet_days):at]
        keep.append(bool(len(before) == 0 or r > before.max()))
    return rises.filter(pa.array(keep))


TAKEOVERS_SCHEMA = pa.schema([("place_id", pa.string()), ("date", pa.date32()), ("kind", pa.string()),
                              ("actor", pa.string())])


def takeovers(history: pa.Table) -> pa.Table:
    """Falls and assaults from a stage history (``stage_changes`` rows, or every day's stages,
    with ``fell_on`` and ``held_by``): one row per place and day on which its stage rose to
    overrun or fallen (kind ``fell``, the actor who took it where a fallen row names one) or to
    under assault (kind ``assault``, from below it; the actor is not the stage's to say).

    Each row is dated on the day the stage said so, which used only what was known that day: a
    fall's day is the first day of its overrun (``fell_on``), whose holder is the actor of the
    largest overrun item known by then (``_fall_fact``)."""
    table = history.sort_by([("place_id", "ascending"), ("date", "ascending")])
    if table.num_rows == 0:
        return TAKEOVERS_SCHEMA.empty_table()
    place = np.asarray(table.column("place_id").to_numpy(zero_copy_only=False), dtype=object)
    day = _days(table.column("date"))
    rank = table.column("stage_rank").to_numpy().astype(np.int64)
    has_fall = "fell_on" in table.column_names
    fell = _days(table.column("fell_on")) if has_fall else np.full(len(day), -1)
    fell_valid = (pc.is_valid(table.column("fell_on")).to_numpy(zero_copy_only=False) if has_fall
                  else np.zeros(len(day), dtype=bool))
    held = (np.asarray(table.column("held_by").to_numpy(zero_copy_only=False), dtype=object)
            if "held_by" in table.column_names else np.full(len(day), None, dtype=object))
    same = np.r_[False, place[1:] == place[:-1]]
    before = np.where(same, np.r_[0, rank[:-1]], 0)
    r_assault, r_over = STAGE_RANK["under_assault"], STAGE_RANK["overrun"]
    # Who took each place on which day, from its fallen rows.
    holders = {(p, int(f)): h for p, f, h, v in zip(place.tolist(), fell.tolist(), held.tolist(),
                                                    fell_valid.tolist(), strict=True) if v and h}
    rows: dict[tuple[str, int, str], str | None] = {}
    for i in np.flatnonzero((rank >= r_over) & (before < r_over)).tolist():
        start = int(fell[i]) if fell_valid[i] else int(day[i])
        rows.setdefault((place[i], start, "fell"), holders.get((place[i], start)))
    for i in np.flatnonzero((rank == r_assault) & (before < r_assault)).tolist():
        rows.setdefault((place[i], int(day[i]), "assault"), None)
    ordered = sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2]))
    return pa.table({"place_id": [k[0] for k, _ in ordered],
                     "date": pa.array([EPOCH + dt.timedelta(days=k[1]) for k, _ in ordered], pa.date32()),
                     "kind": [k[2] for k, _ in ordered], "actor": [a for _, a in ordered]},
                    schema=TAKEOVERS_SCHEMA)
