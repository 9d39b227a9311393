"""The forecast features tiled: split by space (tiles with a halo as wide as the furthest any
feature looks) and by time window (origins in windows, each window's tiles given only the rows
its origins can see), each tile running the single-machine ``FeatureBuilder`` unchanged.

What goes where:

- **Places** are the tiles' home rows: each place in the one tile its point falls in.
- **Point inputs** (precisely located events, burnings) go to every tile within the halo of
  them. The halo is the largest ring (violence rings, attack rings, burning rings, the siege
  neighbour distance, the RSF sides, the largest settlement radius), so a place on a tile's edge
  sees every event its rings hold.
- **Everything else is broadcast** whole to every tile: events without a precise point (they
  count by admin2, or by the place they are linked to), events linked to a place further than
  the halo, DTM rounds, market prices (a place's market may be 250 km off; prices are small),
  event aggregates, siege stages and the places they stand at (a neighbour's stage reaches 50 km).
  These are area-level tables: small next to the point inputs.

The builder's per-place sums run over each place's events in the same order as on one machine
(rows carry their original position and are put back in it), so the features are bit for bit
the whole path's: ``TiledFeatures.digest()`` compares them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tocsin.analysis.features import LONG_AGO_DAYS, PRECISE, FeatureBuilder, FeatureParams, feature_names
from tocsin.analysis.inputs import ForecastInputs
from tocsin.analysis.timeaxis import NEVER, day_array, to_day
from tocsin.engine.partition import Tiling
from tocsin.i18n import Said
from tocsin.spatial import haversine_km

ROW = "_row"          # a point input's position in its table: the order sums are taken in
DAY = "_day"          # the origin a feature row is for (days since 1970-01-01)
TILE_DEG = 3.0        # 333 km tiles: a 100 km halo copies an event to about 1.6 tiles
WINDOW_DAYS = 366     # origins per time window: a year of monthly origins (what one window holds)
HALO_INPUTS = ("events", "burnings")


class FeatureTilingError(ValueError):
    """The inputs cannot be tiled as asked (a place without a point, a halo wider than a tile)."""


def halo_km(params: FeatureParams, places: pa.Table) -> float:
    """The furthest any feature looks from a place: every ring, the neighbour and sides
    distances, the largest settlement radius (exact hits), plus 1 km for rounding."""
    radius = pc.max(places.column("radius_km")).as_py() if places.num_rows else None
    reach = [*params.rings_km, *params.attack_rings_km, *params.burning_rings_km,
             params.stage_neighbour_km, float(radius or 1.0)]
    if params.actor_features:
        reach.append(params.sides_km)
    return float(max(reach)) + 1.0


@dataclass
class TiledFeatures:
    """Feature matrices and labels for chosen origins, computed tile by tile; answers ``at``,
    ``labels`` and ``active`` like a ``FeatureBuilder`` does for those origins, so the backtest
    and the forecast's training can take it in the builder's place.

    One time window is computed (and held) at a time, when an origin of it is first asked for:
    the backtest walks its origins in order, so memory holds a window's features, never the
    whole run's."""

    params: FeatureParams
    names: list[str]
    place_ids: list[str]
    first_day: int | None
    data_end: int
    horizons: tuple[int, ...]
    windows: list[list[int]]
    compute: Callable[[list[int]], pa.Table]   # a window's origins -> its rows, in order
    _loaded: int = -1
    _table: pa.Table | None = None

    @property
    def n(self) -> int:
        return len(self.place_ids)

    @property
    def days(self) -> list[int]:
        return [d for window in self.windows for d in window]

    def _block(self, day: date | int) -> pa.Table:
        d = to_day(day) if isinstance(day, date) else int(day)
        for i, window in enumerate(self.windows):
            if d in window:
                if i != self._loaded:
                    self._table, self._loaded = None, -1   # let the last window go first
                    self._table, self._loaded = self.compute(window), i
                assert self._table is not None
                return self._table.slice(window.index(d) * self.n, self.n)
        raise KeyError(f"features were not computed for day {d}")

    def at(self, day: date | int) -> NDArray[np.float32]:
        block = self._block(day)
        return np.column_stack([block.column(name).to_numpy() for name in self.names]
                               ).astype(np.float32, copy=False)

    def labels(self, day: date | int, horizon_days: int) -> NDArray[np.bool_]:
        return self._block(day).column(f"label_{horizon_days}").to_numpy(zero_copy_only=False)

    def active(self, matrix: NDArray[np.float32]) -> NDArray[np.bool_]:
        return FeatureBuilder.active(self, matrix)  # type: ignore[arg-type]  # reads names, params

    def digest(self) -> str:
        """SHA-256 of every origin's matrix and labels, in place order: equal digests, equal
        features."""
        h = hashlib.sha256()
        for d in self.days:
            h.update(np.int64(d).tobytes())
            h.update(np.ascontiguousarray(self.at(d)).tobytes())
            for horizon in self.horizons:
                h.update(np.packbits(self.labels(d, horizon)).tobytes())
        return h.hexdigest()


class Precomputed:
    """A ``FeatureBuilder`` whose ``at`` and ``labels`` come from ``TiledFeatures`` for the
    origins it holds (the Spark path's training and scoring days); everything else (reasons,
    nearest violence) from the builder itself."""

    def __init__(self, builder: FeatureBuilder, tiled: TiledFeatures) -> None:
        self._builder, self._tiled = builder, tiled
        self._days = set(tiled.days)

    def __getattr__(self, name: str) -> object:
        return getattr(self._builder, name)

    def at(self, day: date | int) -> NDArray[np.float32]:
        d = to_day(day) if isinstance(day, date) else int(day)
        return self._tiled.at(d) if d in self._days else self._builder.at(d)

    def labels(self, day: date | int, horizon_days: int) -> NDArray[np.bool_]:
        d = to_day(day) if isinstance(day, date) else int(day)
        if d in self._days and horizon_days in self._tiled.horizons:
            return self._tiled.labels(d, horizon_days)
        return self._builder.labels(d, horizon_days)


def output_schema(params: FeatureParams, horizons: Sequence[int]) -> pa.Schema:
    return pa.schema([(DAY, pa.int32()), ("place_id", pa.string()),
                      *[(n, pa.float32()) for n in feature_names(params)],
                      *[(f"label_{h}", pa.bool_()) for h in horizons]])


def tile_features(homes: pa.Table, inputs: dict[str, pa.Table], broadcast: ForecastInputs,
                  days: Sequence[int], horizons: Sequence[int], params: FeatureParams) -> pa.Table:
    """One tile: the builder on the tile's places (plus the places outside it that its rows
    name: ``linked_places``), its point inputs with halo and the broadcast tables; rows for the
    tile's own places only."""
    # Spark hands columns back in its own types (timestamps in microseconds, ...): the
    # single machine's types again, so the builder sees the same values.
    homes = homes.select(broadcast.places.schema.names).cast(broadcast.places.schema)
    events = _in_order(inputs.get("events"), broadcast.events)
    burnings = _in_order(inputs.get("burnings"), broadcast.burnings)
    places = homes
    linked = linked_places(broadcast.places, homes, [burnings, broadcast.takeovers, broadcast.stages])
    if linked.num_rows:
        places = pa.concat_tables([homes, linked.cast(homes.schema)])
    builder = FeatureBuilder(replace(broadcast, places=places, events=events, burnings=burnings), params)
    own = homes.num_rows
    columns: dict[str, list[pa.Array]] = {name: [] for name in output_schema(params, horizons).names}
    for d in days:
        matrix = builder.at(d)[:own]
        columns[DAY].append(pa.array(np.full(own, d, dtype=np.int32)))
        columns["place_id"].append(homes.column("place_id").combine_chunks())
        for i, name in enumerate(builder.names):
            columns[name].append(pa.array(matrix[:, i]))
        for h in horizons:
            columns[f"label_{h}"].append(pa.array(builder.labels(d, h)[:own]))
    schema = output_schema(params, horizons)
    return pa.table({name: pa.chunked_array(parts, schema.field(name).type)
                     for name, parts in columns.items()}, schema=schema)


def linked_places(gazetteer: pa.Table, homes: pa.Table, tables: Sequence[pa.Table | None]) -> pa.Table:
    """The places outside the tile that the tile's rows name by ``place_id`` (a burning's own
    place, a takeover's or a siege stage's place), in gazetteer order: the builder must know
    them, or a burning of a place across the edge would count as a loose point on the tile's
    places within their radius of it (a hit the single machine gives to its own place only),
    and a takeover or stage across the edge would be dropped instead of reaching its
    neighbours. Their own feature rows are not kept."""
    named = [t.column("place_id") for t in tables if t is not None and t.num_rows
             and "place_id" in t.column_names]
    if not named:
        return gazetteer.slice(0, 0)
    ids = pc.unique(pa.chunked_array([c.cast(pa.string()) for c in named]).combine_chunks())
    ids = pc.filter(ids, pc.invert(pc.is_in(ids, value_set=homes.column("place_id"))))
    return gazetteer.filter(pc.is_in(gazetteer.column("place_id"), value_set=ids))


def _in_order(halo: pa.Table | None, rest: pa.Table | None) -> pa.Table | None:
    """The tile's copies of a point input back in their original order, then the broadcast
    rows: each place's sums then run in the single-machine order."""
    if rest is None or halo is None:
        return rest
    if halo.num_rows:
        halo = halo.sort_by(ROW)
    return pa.concat_tables([halo.select(rest.schema.names).cast(rest.schema), rest])


def route(table: pa.Table, places: pa.Table, link: str, halo: float,
          usable: NDArray[np.bool_]) -> tuple[pa.Table, pa.Table]:
    """(rows that travel by their point, rows broadcast to every tile). A row travels by its
    point when it is ``usable`` and, if linked to a place, lies within ``halo`` km of it."""
    lat = np.asarray(pc.fill_null(table.column("latitude").cast(pa.float64()), np.nan), dtype=float)
    lon = np.asarray(pc.fill_null(table.column("longitude").cast(pa.float64()), np.nan), dtype=float)
    by_point = usable & np.isfinite(lat) & np.isfinite(lon)
    if link in table.column_names:
        at = pc.index_in(table.column(link), value_set=places.column("place_id"))
        linked = np.asarray(pc.is_valid(at))
        where = np.asarray(pc.fill_null(at, 0), dtype=np.int64)
        p_lat = places.column("latitude").to_numpy()[where]
        p_lon = places.column("longitude").to_numpy()[where]
        far = linked & ~(haversine_km(lat, lon, p_lat, p_lon) <= halo - 1.0)
        by_point &= ~far
    numbered = table.append_column(ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))
    return numbered.filter(pa.array(by_point)), table.filter(pa.array(~by_point))


def _windows(days: Sequence[int], window_days: int) -> list[list[int]]:
    ordered = sorted(set(int(d) for d in days))
    if not ordered:
        return []
    groups: dict[int, list[int]] = {}
    for d in ordered:
        groups.setdefault((d - ordered[0]) // window_days, []).append(d)
    return list(groups.values())


def _dated(table: pa.Table | None, column: str, lo: int, hi: int) -> pa.Table | None:
    """Rows dated in (lo, hi]: what a window's origins can see, looking back and ahead."""
    if table is None:
        return None
    day = day_array(table.column(column))
    return table.filter(pa.array((day > lo) & (day <= hi) & (day < NEVER)))


def tiled_features(inputs: ForecastInputs, days: Iterable[date | int], horizons: Sequence[int] = (),
                   params: FeatureParams | None = None, spark: object | None = None,
                   tile_deg: float = TILE_DEG, window_days: int = WINDOW_DAYS,
                   halo: float | None = None) -> TiledFeatures:
    """Features (and labels for ``horizons``) of every place at ``days``, tile by tile: on
    Spark when ``spark`` is a session, else one tile after another here. ``halo`` (km) is
    ``halo_km``'s unless given (tests narrow it to show what it is for)."""
    from tocsin.engine.local import run_tiled_local

    params = params or FeatureParams()
    horizons = tuple(sorted(set(horizons)))
    wanted = [to_day(d) if isinstance(d, date) else int(d) for d in days]
    places = inputs.places
    if places.num_rows and pc.any(pc.or_(pc.is_null(places.column("latitude")),
                                         pc.is_null(places.column("longitude")))).as_py():
        raise FeatureTilingError("places without a point cannot be tiled: every gazetteer place "
                                 "needs a latitude and longitude")
    halo = halo_km(params, places) if halo is None else halo
    try:
        tiling = Tiling(tile_deg, halo)
        if places.num_rows:   # the halo in longitude at the places' worst latitude
            worst = np.abs(places.column("latitude").to_numpy()).max()
            tiling.halo_tiles(np.array([worst]), np.array([90.0 + tile_deg / 2]))  # mid-tile
    except ValueError as exc:
        raise FeatureTilingError(str(exc)) from exc
    precision = np.asarray(pc.fill_null(inputs.events.column("location_precision"), ""), dtype=object)
    point_events, other_events = route(inputs.events, places, "linked_place_id", halo,
                                       np.isin(precision, PRECISE))
    burnings = inputs.burnings
    if burnings is None:
        point_burnings, other_burnings = None, None
    else:
        point_burnings, other_burnings = route(burnings, places, "place_id", halo,
                                               np.ones(burnings.num_rows, dtype=bool))
    lookback = max(LONG_AGO_DAYS, params.history_window_days, *params.windows_days)
    ahead = max(horizons, default=0)
    schema = output_schema(params, horizons)

    def compute(window: list[int]) -> pa.Table:
        lo, hi = window[0] - lookback, window[-1] + ahead
        shared = replace(inputs, events=_dated(other_events, "date_end", lo, hi),
                         burnings=_dated(other_burnings, "first_detection", lo, hi))
        halo_inputs = {"events": _dated(point_events, "date_end", lo, hi)}
        if point_burnings is not None:
            halo_inputs["burnings"] = _dated(point_burnings, "first_detection", lo, hi)

        def fn(homes: pa.Table, tile_inputs: dict[str, pa.Table]) -> pa.Table:
            return tile_features(homes, tile_inputs, shared, window, horizons, params)

        if spark is None:
            rows = run_tiled_local(fn, places, halo_inputs, tiling, schema)
        else:
            from tocsin.engine.spark import run_tiled

            rows = run_tiled(spark, fn, places, halo_inputs, tiling, schema)  # type: ignore[arg-type]
        return in_place_order(rows, places, window)

    first_day, data_end = event_span(inputs, params)
    return TiledFeatures(params, feature_names(params), places.column("place_id").to_pylist(), first_day,
                         data_end, horizons, _windows(wanted, window_days), compute)


def in_place_order(rows: pa.Table, places: pa.Table, window: list[int]) -> pa.Table:
    """A window's rows in the single machine's order (origin, then gazetteer order), checked
    complete: every place at every origin exactly once."""
    index = pc.index_in(rows.column("place_id"), value_set=places.column("place_id"))
    rows = rows.append_column("_place", index).sort_by([(DAY, "ascending"), ("_place", "ascending")])
    n = places.num_rows
    if rows.num_rows != n * len(window):
        raise FeatureTilingError(f"the tiles gave {rows.num_rows:,} feature rows, not "
                                 f"{n:,} places x {len(window)} origins")
    day = rows.column(DAY).to_numpy()
    place = rows.column("_place").to_numpy()
    if n and not (np.array_equal(day, np.repeat(window, n))
                  and np.array_equal(place, np.tile(np.arange(n), len(window)))):
        raise FeatureTilingError("the tiles did not give every place once at every origin")
    return rows


def event_span(inputs: ForecastInputs, params: FeatureParams) -> tuple[int | None, int]:
    """The builder's ``first_day`` and ``data_end`` (whole-data facts, not a tile's), from the
    builder itself on no places."""
    builder = FeatureBuilder(replace(inputs, places=inputs.places.slice(0, 0), stages=None), params)
    return builder.first_day, builder.data_end


def whole_features(inputs: ForecastInputs, days: Iterable[date | int], horizons: Sequence[int] = (),
                   params: FeatureParams | None = None) -> TiledFeatures:
    """The same answer from one builder over everything: the reference the tiles must equal."""
    params = params or FeatureParams()
    horizons = tuple(sorted(set(horizons)))
    wanted = sorted({to_day(d) if isinstance(d, date) else int(d) for d in days})
    points = {"events": _numbered(inputs.events)}
    if inputs.burnings is not None:
        points["burnings"] = _numbered(inputs.burnings)
    nothing = replace(inputs, events=inputs.events.slice(0, 0),
                      burnings=None if inputs.burnings is None else inputs.burnings.slice(0, 0))
    first_day, data_end = event_span(inputs, params)
    return TiledFeatures(params, feature_names(params), inputs.places.column("place_id").to_pylist(),
                         first_day, data_end, horizons, [wanted], lambda window: in_place_order(
                             tile_features(inputs.places, points, nothing, window, horizons, params),
                             inputs.places, window))


def _numbered(table: pa.Table) -> pa.Table:
    return table.append_column(ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))


# -- the commands' Spark paths ---------------------------------------------------------------
def forecast_builder(builder: FeatureBuilder, inputs: ForecastInputs, as_of: date, horizon_days: int,
                     spark: object) -> Precomputed:
    """`tocsin --engine spark forecast`: the features of every monthly origin the fit may train
    on (a superset: the whole training window) and of ``as_of`` itself, on Spark; the model is
    fitted and the reasons written here from them."""
    from tocsin.analysis.forecast import ForecastParams
    from tocsin.analysis.timeaxis import from_day, month_starts

    params = ForecastParams()
    start = from_day(to_day(as_of) - params.training_years * 365)
    days = [*month_starts(start, as_of), as_of]
    horizons = (horizon_days, params.boosted.ranking_horizon_days)
    return Precomputed(builder, tiled_features(inputs, days, horizons, builder.params, spark=spark))


def backtest_features(inputs: ForecastInputs, params: object, spark: object | None) -> TiledFeatures:
    """`tocsin --engine spark backtest`: every monthly origin from the first event (a superset
    of the backtest's origins) to the end, with the labels of every horizon it scores."""
    from tocsin.analysis.backtest import BacktestParams
    from tocsin.analysis.timeaxis import from_day, month_starts

    assert isinstance(params, BacktestParams)
    first_day, _ = event_span(inputs, params.features)
    if first_day is None:
        from tocsin.analysis.backtest import BacktestError

        raise BacktestError(Said("forecast.no_located_events"))
    start = params.train_start or from_day(first_day)
    horizons = (*params.horizons, params.boosted.ranking_horizon_days)
    return tiled_features(inputs, month_starts(start, params.end), horizons, params.features, spark=spark)
