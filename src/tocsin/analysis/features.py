"""Features of every place as of a date, from what was known by that date only.

``FeatureBuilder(inputs)`` indexes the inputs once (dated point-place pairs, admin series); then
``builder.at(day)`` gives the feature matrix for all places at that day in a fraction of a second,
which is what lets a backtest run hundreds of origins. ``build_features(inputs, as_of)`` is the
one-date form as an Arrow table. Nothing dated after ``as_of``, or known only after it, can reach
the output: every source row carries a ``known`` day and every window masks on it.

Method and feature list: docs/methods/forecast.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from tocsin.analysis.inputs import ForecastInputs
from tocsin.analysis.proximity import DatedPairs, PlacePairs, chord_for_km, km_for_chord, place_tree, unit_xyz
from tocsin.analysis.publication import event_known_days
from tocsin.analysis.targets import Hits, TargetSpec, atrocity_mask, point_hits
from tocsin.analysis.timeaxis import NEVER, day_array, to_day
from tocsin.places.gazetteer import CLASS_RANK
from tocsin.schema.actors import canonical

VIOLENT = ("battle", "attack_on_civilians", "remote_violence", "sexual_violence",
           "looting_destruction", "abduction")
PRECISE = ("exact", "near")
FAR_KM = 150.0          # "nothing within the largest ring"
LONG_AGO_DAYS = 7300    # "never, as far as the data goes" for days-since features
NEAREST_TIE_KM = 0.5    # as near as the nearest, for the reader (a town's events share one point)


# From the siege tracker's falls and assaults (analysis/siege.py: takeovers).
TAKEOVER_FEATURES = ["assault_nearest_km_30d", "assaults_100km_90d", "fall_nearest_km_365d",
                     "rsf_fall_days_since_300km", "takeover_pressure"]


COUNTRY_FEATURES = ["country_violent_events_30d", "country_violence_surge"]


@dataclass(frozen=True)
class FeatureParams:
    rings_km: tuple[int, ...] = (10, 25, 50, 100)
    windows_days: tuple[int, ...] = (30, 90, 365)
    attack_rings_km: tuple[int, ...] = (10, 50)
    burning_rings_km: tuple[int, ...] = (10, 25, 50)
    burning_windows_days: tuple[int, ...] = (30, 90)
    history_half_life_days: float = 365.0
    history_window_days: int = 3650
    event_lag_days: int = 0          # days between an event's date_end and its publication
    # Per-source publication lags, e.g. (("ucdp-ged", 365),): see analysis/publication.py.
    source_lags: tuple[tuple[str, int], ...] = ()
    # The RSF's own violence near the place, and on how many sides violence is (an encirclement).
    # Off by default: in the Sudan backtest they lowered average precision (model card).
    actor_features: bool = False
    sides_km: float = 50.0
    sides_days: int = 21
    # Falls and assaults the siege tracker saw (inputs.takeovers): how near, how recent, by whom.
    takeover_features: bool = False
    # How violent the whole country is now, against its past year: a war starting or ending
    # moves every place's odds, which local counts alone cannot tell the trees.
    country_features: bool = False
    # Violence weighted by a kernel in distance and time instead of hard rings and windows:
    # exp(-km / scale) x 2^(-age / half-life), for each (scale km, half-life days).
    decay_features: bool = False
    decay_kernels: tuple[tuple[int, int], ...] = ((10, 14), (25, 30), (50, 90))
    takeover_km: float = 300.0
    takeover_decay_km: float = 50.0
    takeover_half_life_days: float = 30.0
    slow_source_lag_days: int = 30   # DTM rounds and WFP prices are published after their period
    stage_neighbour_km: float = 50.0
    market_max_km: float = 250.0
    target: TargetSpec = field(default_factory=TargetSpec)


def feature_names(params: FeatureParams) -> list[str]:
    names = []
    for w in params.windows_days:
        for r in params.rings_km:
            names += [f"violent_events_{r}km_{w}d", f"deaths_{r}km_{w}d"]
    for w in params.windows_days[1:]:
        for r in params.attack_rings_km:
            names.append(f"attacks_{r}km_{w}d")
    names += ["attack_history_10km", "attack_history_50km", "days_since_attack_10km",
              "days_since_violence_25km", "nearest_violence_km_30d", "nearest_violence_km_365d",
              "front_approach_km", "attacks_here_7d", "attacks_here_30d", "attacks_here_90d",
              "admin2_events_90d", "admin2_deaths_365d"]
    if params.actor_features:
        names += ["rsf_violence_50km_30d", "rsf_violence_100km_90d",
                  f"violence_sides_{params.sides_km:.0f}km_{params.sides_days}d"]
    if params.takeover_features:
        names += TAKEOVER_FEATURES
    if params.country_features:
        names += COUNTRY_FEATURES
    if params.decay_features:
        names += [f"violence_decay_{km}km_{days}d" for km, days in params.decay_kernels]
    for w in params.burning_windows_days:
        for r in params.burning_rings_km:
            names.append(f"burnings_{r}km_{w}d")
    names += ["siege_stage", "neighbour_siege_stage", "idps_admin2", "idps_change",
              "price_anomaly", "market_km", "place_rank", "population", "displaced_households",
              "hiu_destroyed", "hiu_damaged"]
    return names


def is_rsf(actor: str) -> bool:
    """The Rapid Support Forces under the names the sources give them, and the Janjaweed they
    were formed from in 2013 (UCDP names the RSF only from 2023)."""
    low = (canonical(actor) or "").lower()   # SFA, UCDP's name for the RSF coalition, too
    return "rsf" in low.replace(":", " ").split() or "rapid support" in low or "janjaweed" in low


def octant(bearing: NDArray[np.float64]) -> NDArray[np.int64]:
    """Compass sector 0 (north) .. 7 (north-west) of bearings in degrees."""
    return (np.round(np.asarray(bearing) / 45).astype(np.int64)) % 8


def bearings(lat1: NDArray[np.float64], lon1: NDArray[np.float64], lat2: NDArray[np.float64],
             lon2: NDArray[np.float64]) -> NDArray[np.float64]:
    """Vectorised ``bearing_deg``."""
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    x = np.sin(dl) * np.cos(p2)
    y = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.degrees(np.arctan2(x, y)) % 360


def _floats(column: pa.ChunkedArray, fill: float = np.nan) -> NDArray[np.float64]:
    return np.asarray(pc.fill_null(pc.cast(column, pa.float64()), fill).to_numpy(zero_copy_only=False),
                      dtype=np.float64)


def _strings(column: pa.ChunkedArray) -> NDArray[np.object_]:
    return np.asarray(pc.fill_null(column, "").to_numpy(zero_copy_only=False), dtype=object)


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north."""
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    x = np.sin(dl) * np.cos(p2)
    y = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return float(np.degrees(np.arctan2(x, y)) % 360)


def _query(table: pa.Table, sql: str) -> pa.Table:
    """``sql`` over ``table`` (named ``t``) on a private in-memory DuckDB connection: DuckDB's
    shared default connection may hold another caller's unfinished result."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("t", table)
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def _codes(values: NDArray[np.object_], vocabulary: dict[str, int]) -> NDArray[np.int64]:
    return np.fromiter((vocabulary.get(v, -1) for v in values), dtype=np.int64, count=len(values))


class FeatureBuilder:
    """Indexes the inputs once; ``at(day)`` computes every place's features as of that day."""

    def __init__(self, inputs: ForecastInputs, params: FeatureParams | None = None) -> None:
        self.params = params or FeatureParams()
        self.names = feature_names(self.params)
        p = self.params
        places = inputs.places
        self.place_ids = places.column("place_id").to_pylist()
        self.n = len(self.place_ids)
        index = {pid: i for i, pid in enumerate(self.place_ids)}
        self.lat, self.lon = _floats(places.column("latitude")), _floats(places.column("longitude"))
        self.radius = _floats(places.column("radius_km"), 1.0)
        self.tree = place_tree(self.lat, self.lon)
        self.static = self._static(places)
        admin2 = _strings(places.column("admin2_pcode"))
        self.admin2_vocab = {code: i for i, code in enumerate(sorted(set(admin2) - {""}))}
        self.place_admin2 = _codes(admin2, self.admin2_vocab)

        # Events: precise ones by distance, admin2-level ones by area.
        events = inputs.events
        day = day_array(events.column("date_end"))
        known = event_known_days(events, dict(p.source_lags), p.event_lag_days)
        category = _strings(events.column("category"))
        precision = _strings(events.column("location_precision"))
        lat, lon = _floats(events.column("latitude")), _floats(events.column("longitude"))
        has_point = np.isin(precision, PRECISE) & np.isfinite(lat) & np.isfinite(lon) & (day < NEVER)
        violent = np.isin(category, VIOLENT)
        atrocity = atrocity_mask(events, p.target)
        deaths = _floats(events.column("fatalities"), 0.0)
        sel = has_point & (violent | atrocity)
        self.violence = DatedPairs.build(self.tree, lat[sel], lon[sel], day[sel], known[sel],
                                         float(max(p.rings_km)))
        self.violence_deaths = deaths[sel][self.violence.order].astype(np.float32)
        self.violence_lat = lat[sel][self.violence.order]
        self.violence_lon = lon[sel][self.violence.order]
        self.violence_category = category[sel][self.violence.order]
        actors = [_strings(events.column(c)) if c in events.column_names else
                  np.full(events.num_rows, "", dtype=object) for c in ("actor1", "actor2")]
        self.violence_actors = [a[sel][self.violence.order] for a in actors]
        rsf = np.zeros(events.num_rows, dtype=bool)
        for a in actors:
            rsf |= np.fromiter((is_rsf(x) for x in a), dtype=bool, count=len(a))
        self.violence_rsf = rsf[sel][self.violence.order]
        sel_attack = has_point & atrocity
        self.attacks = DatedPairs.build(self.tree, lat[sel_attack], lon[sel_attack], day[sel_attack],
                                        known[sel_attack], float(max(p.attack_rings_km)))
        self.hits = self._hits(events, index, day, known, precision, atrocity, has_point, inputs.burnings)
        self.data_end = int(day[day < NEVER].max()) if (day < NEVER).any() else 0

        area_level = (precision == "admin2") & (violent | atrocity)
        a2 = _codes(_strings(events.column("admin2_pcode")), self.admin2_vocab)
        keep = area_level & (a2 >= 0) & (day < NEVER)
        agg = inputs.aggregates
        agg_a2 = _codes(_strings(agg.column("admin2_pcode")), self.admin2_vocab)
        agg_known = day_array(agg.column("month_start")) + 31 + p.event_lag_days
        agg_keep = agg_a2 >= 0
        self.area_day = np.concatenate([day[keep], agg_known[agg_keep] - 1])
        self.area_known = np.concatenate([known[keep], agg_known[agg_keep]])
        self.area_index = np.concatenate([a2[keep], agg_a2[agg_keep]])
        self.area_events = np.concatenate([np.ones(int(keep.sum())),
                                           _floats(agg.column("events"), 0.0)[agg_keep]])
        self.area_deaths = np.concatenate([deaths[keep], _floats(agg.column("fatalities"), 0.0)[agg_keep]])

        self._takeovers(inputs.takeovers, index)
        self.burnings = self._burnings(inputs.burnings)
        self._displacement(inputs.displacement)
        self._prices(inputs.prices)
        self._stages(inputs.stages, index)

    # -- indexing ---------------------------------------------------------------------------
    def _static(self, places: pa.Table) -> dict[str, NDArray[np.float64]]:
        classes = _strings(places.column("place_class"))
        population = _floats(places.column("population"))
        households = _floats(places.column("households"), 0.0)
        hiu = _strings(places.column("hiu_status"))
        camp = np.isin(classes, ("camp", "idp_site"))
        self.population = population
        return {"place_rank": np.fromiter((CLASS_RANK.get(c, 0) for c in classes), dtype=float,
                                          count=len(classes)),
                "population": np.log1p(population),
                "displaced_households": np.where(camp, households, 0.0),
                "hiu_destroyed": (hiu == "DESTROYED").astype(float),
                "hiu_damaged": (hiu == "DAMAGED").astype(float)}

    def _hits(self, events: pa.Table, index: dict[str, int], day: NDArray[np.int64],
              known: NDArray[np.int64], precision: NDArray[np.object_], atrocity: NDArray[np.bool_],
              has_point: NDArray[np.bool_], burnings: pa.Table | None) -> Hits:
        p = self.params
        exact = has_point & atrocity & (precision == "exact")
        pairs = DatedPairs.build(self.tree, _floats(events.column("latitude"))[exact],
                                 _floats(events.column("longitude"))[exact], day[exact], known[exact],
                                 float(self.radius.max(initial=1.0)))
        parts = [point_hits(pairs, self.radius, np.ones(len(pairs.day), dtype=bool))]
        linked = _codes(_strings(events.column("linked_place_id")), index)
        near = atrocity & (precision == "near") & (linked >= 0) & (day < NEVER)
        parts.append((day[near], known[near], linked[near]))
        if burnings is not None and burnings.num_rows:
            conf = _strings(burnings.column("confidence"))
            b_day = day_array(burnings.column("first_detection"))
            grade = np.isin(conf, p.target.burning_confidences) & (b_day < NEVER)
            b_place = _codes(_strings(burnings.column("place_id")), index)
            on_place = grade & (b_place >= 0)
            parts.append((b_day[on_place], b_day[on_place] + 1, b_place[on_place]))
            loose = grade & (b_place < 0)
            bp = DatedPairs.build(self.tree, _floats(burnings.column("latitude"))[loose],
                                  _floats(burnings.column("longitude"))[loose], b_day[loose],
                                  b_day[loose] + 1, float(self.radius.max(initial=1.0)))
            parts.append(point_hits(bp, self.radius, np.ones(len(bp.day), dtype=bool)))
        return Hits.combine(parts)

    def _takeovers(self, takeovers: pa.Table | None, index: dict[str, int]) -> None:
        """Falls and assaults at gazetteer places, paired with the places within
        ``takeover_km``: each is known on its day (the stage used only what was known then)."""
        self.takeover: DatedPairs | None = None
        if takeovers is None or takeovers.num_rows == 0:
            return
        at = _codes(_strings(takeovers.column("place_id")), index)
        day = day_array(takeovers.column("date"))
        keep = (at >= 0) & (day < NEVER)
        at, day = at[keep], day[keep]
        self.takeover = DatedPairs.build(self.tree, self.lat[at], self.lon[at], day,
                                         day + self.params.event_lag_days, self.params.takeover_km)
        order = self.takeover.order
        self.takeover_place = at[order]
        self.takeover_fell = (_strings(takeovers.column("kind"))[keep] == "fell")[order]
        self.takeover_actor = _strings(takeovers.column("actor"))[keep][order]
        self.takeover_rsf = np.fromiter((is_rsf(a) for a in self.takeover_actor), dtype=bool,
                                        count=len(self.takeover_actor))

    def _country_features(self, d: int, cols: dict[str, NDArray[np.float64]]) -> None:
        """Every precisely located violent event known in the data (the country), in the last
        30 days, and that against its monthly rate over the 11 months before (log ratio, with a
        pseudo-event each side)."""
        v = self.violence
        known = v.known <= d
        recent = int(np.count_nonzero(known & (v.day > d - 30) & (v.day <= d)))
        before = int(np.count_nonzero(known & (v.day > d - 365) & (v.day <= d - 30)))
        cols["country_violent_events_30d"] = np.full(self.n, float(recent))
        surge = np.log((recent + 1) / (before * 30 / 335 + 1))
        cols["country_violence_surge"] = np.full(self.n, float(surge))

    def _takeover_features(self, d: int, cols: dict[str, NDArray[np.float64]]) -> None:
        p, n = self.params, self.n
        t = self.takeover
        if t is None:
            for name in TAKEOVER_FEATURES:
                cols[name] = np.full(n, LONG_AGO_DAYS if name.startswith("rsf_fall_days") else
                                     FAR_KM if "nearest" in name else 0.0)
            return
        pairs, known = t.window(d, 365)
        place, km, point = t.pair_place[pairs], t.pair_km[pairs], t.pair_point[pairs]
        # A place's own takeover is the violence at it, which other features count.
        other = known & (self.takeover_place[point] != place)
        age = d - t.day[point]
        fell = self.takeover_fell[point]
        cols["assault_nearest_km_30d"] = self._nearest(place, km, other & (age < 30) & (km <= 150))
        m = other & (age < 90) & (km <= 100)
        cols["assaults_100km_90d"] = np.bincount(place[m], minlength=n).astype(float)
        cols["fall_nearest_km_365d"] = self._nearest(place, km, other & fell & (km <= 150))
        decay = np.exp(-km / p.takeover_decay_km) * np.exp2(-age / p.takeover_half_life_days)
        cols["takeover_pressure"] = np.bincount(place[other], weights=decay[other], minlength=n)
        pairs, known = t.window(d, LONG_AGO_DAYS)
        place, point = t.pair_place[pairs], t.pair_point[pairs]
        m = known & self.takeover_rsf[point] & (self.takeover_place[point] != place)
        last = np.full(n, d - LONG_AGO_DAYS, dtype=np.int64)
        np.maximum.at(last, place[m], t.day[point[m]])
        cols["rsf_fall_days_since_300km"] = (d - last).astype(float)

    def nearest_takeover(self, as_of: int, place: int, days: int, fell: bool, rsf: bool = False,
                         km: float | None = None) -> tuple[float, float, int, int] | None:
        """(km, bearing from the place, days ago, takeover row) of the nearest fall (``fell``)
        or assault-or-fall at another place known in the last ``days``, or None: for reasons."""
        t = self.takeover
        if t is None:
            return None
        pairs, known = t.window(as_of, days)
        point = t.pair_point[pairs]
        m = known & (t.pair_place[pairs] == place) & (self.takeover_place[point] != place)
        if fell:
            m &= self.takeover_fell[point]
        if rsf:
            m &= self.takeover_rsf[point]
        if km is not None:
            m &= t.pair_km[pairs] <= km
        rows = np.flatnonzero(m)
        if not len(rows):
            return None
        best = rows[np.argmin(t.pair_km[pairs][rows])]
        e = int(point[best])
        at = int(self.takeover_place[e])
        return (float(t.pair_km[pairs][best]), bearing_deg(self.lat[place], self.lon[place],
                                                           self.lat[at], self.lon[at]),
                as_of - int(t.day[e]), e)

    def _burnings(self, burnings: pa.Table | None) -> DatedPairs | None:
        if burnings is None or burnings.num_rows == 0:
            return None
        conf = _strings(burnings.column("confidence"))
        day = day_array(burnings.column("first_detection"))
        keep = np.isin(conf, self.params.target.burning_confidences) & (day < NEVER)
        return DatedPairs.build(self.tree, _floats(burnings.column("latitude"))[keep],
                                _floats(burnings.column("longitude"))[keep], day[keep], day[keep] + 1,
                                float(max(self.params.burning_rings_km)))

    def _displacement(self, displacement: pa.Table) -> None:
        """Per admin2 and reporting date: the largest count published for it."""
        rounds = _query(displacement, "SELECT admin2_pcode, period_end, max(idps) AS idps FROM t "
                                      "GROUP BY ALL ORDER BY admin2_pcode, period_end")
        self.dtm_area = _codes(_strings(rounds.column("admin2_pcode")), self.admin2_vocab)
        self.dtm_known = day_array(rounds.column("period_end")) + self.params.slow_source_lag_days
        self.dtm_idps = _floats(rounds.column("idps"), 0.0)
        # Sort by area then known day so "latest known per area" is the last row of a run.
        order = np.lexsort((self.dtm_known, self.dtm_area))
        self.dtm_area, self.dtm_known, self.dtm_idps = (a[order] for a in
                                                        (self.dtm_area, self.dtm_known, self.dtm_idps))

    def _prices(self, prices: pa.Table) -> None:
        """Each market's price anomaly per date: log price minus the median log price of the
        same commodity, type and unit over the 12 months before (at least 6 of them), then the
        median over the market's commodities."""
        anomalies = _query(
            prices,
            "WITH series AS (SELECT market, commodity, price_type, unit, date, "
            "  ln(median(price)) AS lp FROM t GROUP BY ALL), "
            "scored AS (SELECT market, date, lp - median(lp) OVER w AS anomaly, count(*) OVER w AS n "
            "  FROM series WINDOW w AS (PARTITION BY market, commodity, price_type, unit ORDER BY date "
            "  RANGE BETWEEN INTERVAL 366 DAYS PRECEDING AND INTERVAL 1 DAY PRECEDING)) "
            "SELECT market, date, median(anomaly) AS anomaly FROM scored WHERE n >= 6 "
            "GROUP BY ALL ORDER BY market, date")
        name = "any_value(market_name)" if "market_name" in prices.column_names else "market"
        markets = _query(prices, f"SELECT market, median(latitude) AS lat, median(longitude) AS lon, "
                                 f"{name} AS name FROM t GROUP BY market ORDER BY market")
        vocab = {m: i for i, m in enumerate(markets.column("market").to_pylist())}
        self.market_names = markets.column("name").to_pylist()
        series = _query(prices, "SELECT market, commodity, price_type, unit, date, median(price) AS price "
                                "FROM t GROUP BY ALL ORDER BY market, commodity, price_type, unit, date")
        self.series_market = _codes(_strings(series.column("market")), vocab)
        self.series_key = _strings(series.column("commodity"))
        self.series_group = np.unique(np.asarray([f"{m}|{c}|{t}|{u}" for m, c, t, u in zip(
            *(series.column(k).to_pylist() for k in ("market", "commodity", "price_type", "unit")),
            strict=True)], dtype=object), return_inverse=True)[1]
        self.series_day = day_array(series.column("date"))
        self.series_price = _floats(series.column("price"))
        self.price_market = _codes(_strings(anomalies.column("market")), vocab)
        self.price_known = day_array(anomalies.column("date")) + self.params.slow_source_lag_days
        self.price_value = _floats(anomalies.column("anomaly"))
        order = np.lexsort((self.price_known, self.price_market))
        self.price_market, self.price_known, self.price_value = (
            a[order] for a in (self.price_market, self.price_known, self.price_value))
        self.n_markets = len(vocab)
        self.place_market = np.full(self.n, -1, dtype=np.int64)
        self.market_km = np.full(self.n, np.nan)
        if self.n_markets:
            from scipy.spatial import cKDTree

            m_tree = cKDTree(unit_xyz(_floats(markets.column("lat")), _floats(markets.column("lon"))))
            chord, nearest = m_tree.query(self.tree.data, distance_upper_bound=chord_for_km(
                self.params.market_max_km))
            found = np.isfinite(chord)
            self.place_market[found] = nearest[found]
            self.market_km[found] = km_for_chord(chord[found])

    def _stages(self, stages: pa.Table | None, index: dict[str, int]) -> None:
        self.stage_place = np.zeros(0, dtype=np.int64)
        if stages is None or stages.num_rows == 0:
            return
        place = _codes(_strings(stages.column("place_id")), index)
        day = day_array(stages.column("date"))
        rank = _floats(stages.column("stage_rank"), 0.0)
        keep = (place >= 0) & (day < NEVER)
        order = np.lexsort((day[keep], place[keep]))
        self.stage_place, self.stage_day, self.stage_rank = (a[keep][order] for a in (place, day, rank))

    # -- as of a day ------------------------------------------------------------------------
    @staticmethod
    def _latest_per_group(group: NDArray[np.int64], known: NDArray[np.int64],
                          as_of: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Rows sorted by (group, known): the index of each group's latest row known at as_of,
        and of the one before it (-1 when none)."""
        rows = np.flatnonzero(known <= as_of)
        if len(rows) == 0:
            return rows, rows
        g = group[rows]
        last = np.r_[g[1:] != g[:-1], True]
        latest = rows[last]
        before = np.r_[-1, rows[:-1]][last]
        same = np.r_[False, g[:-1] == g[1:]][last]
        return latest, np.where(same, before, -1)

    def at(self, as_of: date | int) -> NDArray[np.float32]:
        """The feature matrix (places x ``self.names``) as of the end of day ``as_of``."""
        d = to_day(as_of) if isinstance(as_of, date) else int(as_of)
        p, n = self.params, self.n
        cols: dict[str, NDArray[np.float64]] = {}

        # Violence by location (events share coordinates): counts per location of the points
        # in each window, spread over the location's pairs. The same sums as one pair per point
        # (counts and deaths are whole numbers), read from far fewer pairs.
        v = self.violence
        n_loc = len(v.loc_offsets) - 1
        pts = v.points(d, max(p.windows_days))
        age, loc, deaths = d - v.day[pts], v.location[pts], self.violence_deaths[pts]
        lp_loc, lp_place, lp_km = v.location_pairs(np.unique(loc))
        rings = {r: lp_km <= r for r in set(p.rings_km) | {50, 100}}

        def spread(weights: NDArray[np.float64], r: int) -> NDArray[np.float64]:
            m = rings[r]
            return np.bincount(lp_place[m], weights=weights[lp_loc[m]], minlength=n)

        def nearest(chosen: NDArray[np.bool_]) -> NDArray[np.float64]:
            has = np.zeros(n_loc, dtype=bool)
            has[loc[chosen]] = True
            return self._nearest(lp_place, lp_km, has[lp_loc])

        for w in p.windows_days:
            in_w = age < w
            events = np.bincount(loc[in_w], minlength=n_loc).astype(np.float64)
            dead = np.bincount(loc[in_w], weights=deaths[in_w], minlength=n_loc)
            for r in p.rings_km:
                cols[f"violent_events_{r}km_{w}d"] = spread(events, r)
                cols[f"deaths_{r}km_{w}d"] = spread(dead, r)
        if p.decay_features:
            # exp(-km / scale) x 2^(-age / half-life): the time part summed per location, then
            # spread over the location's pairs with the distance part.
            for scale, half_life in p.decay_kernels:
                by_loc = np.bincount(loc, weights=np.exp2(-age / half_life), minlength=n_loc)
                cols[f"violence_decay_{scale}km_{half_life}d"] = np.bincount(
                    lp_place, weights=by_loc[lp_loc] * np.exp(-lp_km / scale), minlength=n)
        cols["nearest_violence_km_30d"] = nearest(age < 30)
        cols["nearest_violence_km_365d"] = nearest(np.ones(len(pts), dtype=bool))
        cols["front_approach_km"] = nearest(age >= 30) - cols["nearest_violence_km_30d"]
        if p.actor_features:
            rsf = self.violence_rsf[pts]
            for name, r, w in (("rsf_violence_50km_30d", 50, 30), ("rsf_violence_100km_90d", 100, 90)):
                chosen = rsf & (age < w)
                cols[name] = spread(np.bincount(loc[chosen], minlength=n_loc).astype(np.float64), r)
            cols[f"violence_sides_{p.sides_km:.0f}km_{p.sides_days}d"] = self.sides(d)
        pts = v.points(d, LONG_AGO_DAYS)
        latest = np.full(n_loc, d - LONG_AGO_DAYS, dtype=np.int64)
        np.maximum.at(latest, v.location[pts], v.day[pts])
        lp_loc, lp_place, lp_km = v.location_pairs(np.unique(v.location[pts]))
        m = lp_km <= 25
        last = np.full(n, d - LONG_AGO_DAYS, dtype=np.int64)
        np.maximum.at(last, lp_place[m], latest[lp_loc[m]])
        cols["days_since_violence_25km"] = (d - last).astype(float)

        a = self.attacks
        pairs, known = a.window(d, p.history_window_days)
        place, km = a.pair_place[pairs], a.pair_km[pairs]
        age = d - a.day[a.pair_point[pairs]]
        attacks, _ = self._ring_windows(place, km, age, known, np.ones(len(age), dtype=np.float32),
                                        p.attack_rings_km, p.windows_days[1:])
        for j, w in enumerate(p.windows_days[1:]):
            for i, r in enumerate(p.attack_rings_km):
                cols[f"attacks_{r}km_{w}d"] = attacks[j, i]
        decay = np.exp2(-age / p.history_half_life_days)
        for r in (10, 50):
            m = known & (km <= r)
            cols[f"attack_history_{r}km"] = np.bincount(place[m], weights=decay[m], minlength=n)
        m = known & (km <= 10)
        last = np.full(n, d - LONG_AGO_DAYS, dtype=np.int64)
        np.maximum.at(last, place[m], d - age[m])
        cols["days_since_attack_10km"] = np.minimum(d - last, LONG_AGO_DAYS).astype(float)
        for h in (7, 30, 90):
            cols[f"attacks_here_{h}d"] = self.hits.recent_counts(d, h, n)

        self._area_features(d, cols)
        if p.takeover_features:
            self._takeover_features(d, cols)
        if p.country_features:
            self._country_features(d, cols)
        self._burning_features(d, cols)
        self._stage_features(d, cols)
        self._slow_features(d, cols)
        cols.update(self.static)
        matrix = np.empty((n, len(self.names)), dtype=np.float32)
        for i, name in enumerate(self.names):
            matrix[:, i] = cols[name]
        return matrix

    def _ring_windows(self, place: NDArray[np.int32], km: NDArray[np.float32], age: NDArray[np.int64],
                      known: NDArray[np.bool_], weights: NDArray[np.float32], rings: tuple[int, ...],
                      windows: tuple[int, ...]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Counts and weight sums per window, ring and place (windows x rings x places), each
        window and ring holding the smaller ones: every pair is put in its smallest ring and
        window once and the rest is a cumulative sum over whole rows of places (one bincount
        instead of one per window and ring)."""
        n, nw, nr = self.n, len(windows), len(rings)
        ring = np.searchsorted(np.asarray(rings, dtype=np.float64), km, side="left")
        window = np.searchsorted(np.asarray(windows), age, side="right")
        m = known & (ring < nr) & (window < nw)
        key = (window[m] * nr + ring[m]) * n + place[m]
        shape = (nw, nr, n)
        counts = np.bincount(key, minlength=n * nw * nr).reshape(shape).astype(np.float64)
        sums = np.bincount(key, weights=weights[m], minlength=n * nw * nr).reshape(shape)
        for table in (counts, sums):
            for j in range(1, nw):
                table[j] += table[j - 1]
            for i in range(1, nr):
                table[:, i] += table[:, i - 1]
        return counts, sums

    def sides(self, d: int, km: float | None = None, days: int | None = None) -> NDArray[np.float64]:
        """Per place: on how many of the 8 compass sectors violence was known within ``km`` in
        the last ``days`` days (1 km from the place or nearer counts on no side)."""
        km = km or self.params.sides_km
        days = days or self.params.sides_days
        v = self.violence
        pairs, known = v.window(d, days)
        place, dist, point = v.pair_place[pairs], v.pair_km[pairs], v.pair_point[pairs]
        m = known & (dist <= km) & (dist >= 1)
        sector = octant(bearings(self.lat[place[m]], self.lon[place[m]], self.violence_lat[point[m]],
                                 self.violence_lon[point[m]]))
        mask = np.zeros(self.n, dtype=np.uint8)
        np.bitwise_or.at(mask, place[m], np.left_shift(1, sector).astype(np.uint8))
        return np.unpackbits(mask[:, None], axis=1).sum(axis=1).astype(float)

    def _nearest(self, place: NDArray[np.int32], km: NDArray[np.float32],
                 mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        out = np.full(self.n, FAR_KM)
        np.minimum.at(out, place[mask], km[mask].astype(float))
        return out

    def _area_features(self, d: int, cols: dict[str, NDArray[np.float64]]) -> None:
        n_areas = len(self.admin2_vocab)
        known = self.area_known <= d
        has = self.place_admin2 >= 0
        for name, days, weights in (("admin2_events_90d", 90, self.area_events),
                                    ("admin2_deaths_365d", 365, self.area_deaths)):
            m = known & (self.area_day > d - days)
            per_area = np.bincount(self.area_index[m], weights=weights[m], minlength=n_areas)
            cols[name] = np.where(has, per_area[np.maximum(self.place_admin2, 0)], 0.0) if n_areas \
                else np.zeros(self.n)

    def _burning_features(self, d: int, cols: dict[str, NDArray[np.float64]]) -> None:
        p = self.params
        b = self.burnings
        for w in p.burning_windows_days:
            for r in p.burning_rings_km:
                if b is None:
                    cols[f"burnings_{r}km_{w}d"] = np.zeros(self.n)
                    continue
                pairs, known = b.window(d, w)
                m = known & (b.pair_km[pairs] <= r)
                cols[f"burnings_{r}km_{w}d"] = np.bincount(b.pair_place[pairs][m], minlength=self.n)

    def _stage_features(self, d: int, cols: dict[str, NDArray[np.float64]]) -> None:
        stage = np.zeros(self.n)
        neighbours = np.zeros(self.n)
        if len(self.stage_place):
            latest, _ = self._latest_per_group(self.stage_place, self.stage_day, d)
            stage[self.stage_place[latest]] = self.stage_rank[latest]
            active = np.flatnonzero(stage > 0)
            if len(active):
                near = self.tree.query_ball_point(self.tree.data[active],
                                                  chord_for_km(self.params.stage_neighbour_km))
                for place, found in zip(active.tolist(), near, strict=True):
                    others = np.asarray([f for f in found if f != place], dtype=np.int64)
                    if len(others):
                        np.maximum.at(neighbours, others, stage[place])
        cols["siege_stage"] = stage
        cols["neighbour_siege_stage"] = neighbours

    def _slow_features(self, d: int, cols: dict[str, NDArray[np.float64]]) -> None:
        n_areas = len(self.admin2_vocab)
        idps = np.full(max(n_areas, 1), np.nan)
        change = np.full(max(n_areas, 1), np.nan)
        valid = self.dtm_area >= 0
        latest, before = self._latest_per_group(np.where(valid, self.dtm_area, -1), self.dtm_known, d)
        latest_ok = self.dtm_area[latest] >= 0
        latest, before = latest[latest_ok], before[latest_ok]
        idps[self.dtm_area[latest]] = np.log1p(self.dtm_idps[latest])
        has_before = before >= 0
        change[self.dtm_area[latest[has_before]]] = (np.log1p(self.dtm_idps[latest[has_before]])
                                                     - np.log1p(self.dtm_idps[before[has_before]]))
        has = self.place_admin2 >= 0
        where = np.maximum(self.place_admin2, 0)
        cols["idps_admin2"] = np.where(has, idps[where], np.nan)
        cols["idps_change"] = np.where(has, change[where], np.nan)

        anomaly = np.full(max(self.n_markets, 1), np.nan)
        latest, _ = self._latest_per_group(self.price_market, self.price_known, d)
        fresh = self.price_known[latest] > d - 120   # a price older than four months says little
        anomaly[self.price_market[latest[fresh]]] = self.price_value[latest[fresh]]
        has = self.place_market >= 0
        cols["price_anomaly"] = np.where(has, anomaly[np.maximum(self.place_market, 0)], np.nan)
        cols["market_km"] = self.market_km

    def price_driver(self, as_of: int, place: int) -> tuple[str, float, str, float] | None:
        """At the place's nearest market: the commodity whose latest price known by ``as_of``
        (at most four months old) stands highest against its median of the six months before,
        as (commodity, ratio, market, km); None when no price rose."""
        market = int(self.place_market[place])
        if market < 0:
            return None
        lag = self.params.slow_source_lag_days
        rows = np.flatnonzero((self.series_market == market) & (self.series_day + lag <= as_of))
        best: tuple[str, float, str, float] | None = None
        for group in np.unique(self.series_group[rows]).tolist():
            g = rows[self.series_group[rows] == group]
            last = g[-1]
            if self.series_day[last] + lag <= as_of - 120:
                continue
            before = g[(self.series_day[g] < self.series_day[last])
                       & (self.series_day[g] >= self.series_day[last] - 183)]
            if len(before) < 3:
                continue
            ratio = float(self.series_price[last] / np.median(self.series_price[before]))
            if ratio > 1.05 and (best is None or ratio > best[1]):
                best = (str(self.series_key[last]), ratio, str(self.market_names[market]),
                        float(self.market_km[place]))
        return best

    def nearest_violence(self, as_of: date | int, places: NDArray[np.int64],
                         days: int = 30) -> list[tuple[float, float, int, int] | None]:
        """For each place: (km, bearing in degrees from the place, days ago, event row in the
        sorted violence arrays) of the nearest violent event known in the last ``days`` days
        within 100 km, or None. For reasons: the direction a front comes from is read, not
        modelled."""
        d = to_day(as_of) if isinstance(as_of, date) else int(as_of)
        index = self.place_pairs(places)
        return [self.nearest_in(index, int(p), d, days) for p in places.tolist()]

    def place_pairs(self, places: NDArray[np.int64]) -> PlacePairs:
        """The violence pairs of ``places``, grouped by place: one pass over all pairs, then each
        per-place question (nearest, latest, who) reads only its place's few."""
        return PlacePairs.of(self.violence, np.asarray(places, dtype=np.int64), self.n)

    def nearest_in(self, index: PlacePairs, place: int, d: int,
                   days: int) -> tuple[float, float, int, int] | None:
        """``nearest_violence`` of one indexed place: of the points within ``NEAREST_TIE_KM`` of
        the smallest distance, the latest (events geocoded to a town share its point: the
        reader wants the last fighting there, not the first of the window)."""
        point, km = index.window(place, d, days)
        if not len(point):
            return None
        tied = np.flatnonzero(km <= km.min() + NEAREST_TIE_KM)
        best = int(tied[np.argmax(self.violence.day[point[tied]])])
        e = int(point[best])
        return (float(km[best]), bearing_deg(self.lat[place], self.lon[place], self.violence_lat[e],
                                             self.violence_lon[e]), d - int(self.violence.day[e]), e)

    @property
    def first_day(self) -> int | None:
        """The day of the first precisely located violent event: no history before it."""
        days = [int(x.day[0]) for x in (self.violence, self.attacks) if len(x.day)]
        return min(days) if days else None

    def active(self, matrix: NDArray[np.float32]) -> NDArray[np.bool_]:
        """Places with violence within 100 km in the past year, or an attack history within 50
        km: the stratum where forecasts are hard (see training.py)."""
        recent = matrix[:, self.names.index(f"violent_events_{max(self.params.rings_km)}km_"
                                            f"{max(self.params.windows_days)}d")]
        history = matrix[:, self.names.index("attack_history_50km")]
        return (recent > 0) | (history > 0.05)

    # -- labels -----------------------------------------------------------------------------
    def labels(self, as_of: date | int, horizon_days: int) -> NDArray[np.bool_]:
        d = to_day(as_of) if isinstance(as_of, date) else int(as_of)
        return self.hits.labels(d, horizon_days, self.n)


def build_features(inputs: ForecastInputs, as_of: date, params: FeatureParams | None = None) -> pa.Table:
    """Every place's features as of ``as_of``: place_id plus one column per feature."""
    builder = FeatureBuilder(inputs, params)
    matrix = builder.at(as_of)
    columns = {"place_id": pa.array(builder.place_ids, pa.string())}
    for i, name in enumerate(builder.names):
        columns[name] = pa.array(matrix[:, i])
    return pa.table(columns)
