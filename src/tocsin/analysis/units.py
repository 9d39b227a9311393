"""Forecasts at the peers' units: PRIO-GRID cell x month (ViEWS), country x month (ViEWS) and
admin1 / admin2 x month (ACLED CAST), from the same events the place forecasts use.

A unit-month's outcomes are counted from the events table:

- ``deaths``: deaths in state-based violence (UCDP type 1; for other sources, battles and
  remote violence), ViEWS' ``sb`` target; ``onset`` is 25 or more of them, ViEWS' ``main_dich``;
- ``battles``, ``erv`` (explosions / remote violence) and ``vac`` (violence against civilians,
  sexual violence, abduction) events, and their ``total``: CAST's targets.

A cell is a 0.5-degree PRIO-GRID cell (numbered as PRIO does: 1 at the south-west corner, 720 a
row); an event is in the cell of its point when the point is precise (exact or near), in the
admin1 and admin2 of its event link, and in the country always. Models of their own (LightGBM,
Poisson for counts and binary for onset) learn, per level and lead time, from the unit's own
past months, its neighbours' and the country's: what ViEWS' and CAST's own models use. As of a
publication day P, lead 1 is the month that starts at P, lead k the (k-1)th month after; a
month's count uses only events known (dated + publication lag) before P.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from tocsin.analysis.features import _floats, _strings
from tocsin.analysis.inputs import ForecastInputs
from tocsin.analysis.publication import event_known_days
from tocsin.analysis.timeaxis import NEVER, day_array, to_day

LEVELS = ("priogrid-month", "country-month", "admin1-month", "admin2-month")
# What each level forecasts: the peers' targets.
TARGETS = {"priogrid-month": ("deaths",), "country-month": ("deaths",),
           "admin1-month": ("total", "battles", "erv", "vac"), "admin2-month": ("total",)}
ONSET_DEATHS = 25
VAC = ("attack_on_civilians", "sexual_violence", "abduction")
GRID_DEG = 0.5
HISTORY_MONTHS = 120
QUIET_SAMPLE = 0.1


def pg_id(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.int64]:
    """PRIO-GRID cell ids (1 = the cell at -90, -180; 720 cells a row)."""
    row = np.floor((np.asarray(lat) + 90) / GRID_DEG).astype(np.int64)
    column = np.floor((np.asarray(lon) + 180) / GRID_DEG).astype(np.int64)
    return row * 720 + column + 1


def pg_centre(cell: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    cell = np.asarray(cell, dtype=np.int64) - 1
    return (cell // 720) * GRID_DEG - 90 + GRID_DEG / 2, (cell % 720) * GRID_DEG - 180 + GRID_DEG / 2


def month_index(day: NDArray[np.int64] | int) -> NDArray[np.int64]:
    """Months since January 1970 of a day number."""
    d = np.asarray(day, dtype="datetime64[D]")
    return d.astype("datetime64[M]").astype(np.int64)


def month_start(index: int) -> date:
    return np.datetime64(int(index), "M").astype("datetime64[D]").astype(date)


@dataclass(frozen=True)
class UnitParams:
    leads: tuple[int, ...] = (1, 3, 6, 12)
    training_years: int = 10
    trees: int = 40
    leaves: int = 7
    learning_rate: float = 0.1
    threads: int = 1
    seed: int = 7


@dataclass
class UnitPanel:
    """Monthly counts per unit of one level, rebuilt as of any day from dated, known events."""

    level: str
    units: list[str]
    neighbours: NDArray[np.int64] | None        # grid: (n, 9) indices of the 3x3 block, -1 none
    event_unit: NDArray[np.int64]               # per event: its unit (-1: not in this level)
    event_month: NDArray[np.int64]
    event_known: NDArray[np.int64]
    event_values: dict[str, NDArray[np.float64]]
    first_month: int
    last_month: int

    @property
    def n(self) -> int:
        return len(self.units)

    def counts(self, as_of: int | None, target: str) -> NDArray[np.float64]:
        """(units x months) counts from events known before day ``as_of`` (all when None)."""
        months = self.last_month - self.first_month + 1
        keep = self.event_unit >= 0
        if as_of is not None:
            keep &= self.event_known < as_of
        flat = self.event_unit[keep] * months + (self.event_month[keep] - self.first_month)
        return np.bincount(flat, weights=self.event_values[target][keep],
                           minlength=self.n * months).reshape(self.n, months)

    def month_counts(self, as_of: int, target: str, index: int) -> NDArray[np.float64]:
        """Per unit: the count of month ``index`` from events known before day ``as_of`` (one
        column of ``counts``, without building the others)."""
        keep = (self.event_unit >= 0) & (self.event_known < as_of) & (self.event_month == index)
        return np.bincount(self.event_unit[keep], weights=self.event_values[target][keep],
                           minlength=self.n)

    def month_of(self, index: int) -> int:
        """Column of a month index in ``counts``."""
        return index - self.first_month


def _event_tables(inputs: ForecastInputs) -> dict[str, NDArray[np.generic]]:
    events = inputs.events
    day = day_array(events.column("date_end"))
    category = _strings(events.column("category"))
    source_category = _strings(events.column("source_category")) if "source_category" in \
        events.column_names else np.full(events.num_rows, "", dtype=object)
    source = _strings(events.column("source")) if "source" in events.column_names else \
        np.full(events.num_rows, "", dtype=object)
    deaths = _floats(events.column("fatalities"), 0.0)
    ucdp = np.char.startswith(source.astype(str), "ucdp")
    state_based = np.where(ucdp, source_category == "state-based",
                           np.isin(category, ("battle", "remote_violence")))
    battles = (category == "battle").astype(float)
    erv = (category == "remote_violence").astype(float)
    vac = np.isin(category, VAC).astype(float)
    return {"day": day, "deaths": np.where(state_based, deaths, 0.0), "battles": battles, "erv": erv,
            "vac": vac, "total": battles + erv + vac}


def build_panel(inputs: ForecastInputs, level: str, units: list[str] | None = None,
                lags: dict[str, int] | None = None, event_lag_days: int = 0) -> UnitPanel:
    """Index the events of ``level``. ``units`` fixes the unit list (e.g. a peer's cells);
    by default: every cell holding a gazetteer place, every admin area of one, the country."""
    if level not in LEVELS:
        raise ValueError(f"unknown unit level {level!r}; expected one of {', '.join(LEVELS)}")
    e = _event_tables(inputs)
    events = inputs.events
    day = e["day"]
    known = event_known_days(events, lags or {}, event_lag_days)
    dated = day < NEVER
    places = inputs.places
    neighbours = None
    if level == "priogrid-month":
        lat, lon = _floats(events.column("latitude")), _floats(events.column("longitude"))
        precise = np.isin(_strings(events.column("location_precision")), ("exact", "near"))
        cells = np.where(precise & np.isfinite(lat) & np.isfinite(lon),
                         pg_id(np.nan_to_num(lat), np.nan_to_num(lon)), -1)
        if units is None:
            own = pg_id(_floats(places.column("latitude")), _floats(places.column("longitude")))
            units = [str(c) for c in sorted(set(own.tolist()))]
        vocab = {int(u): i for i, u in enumerate(units)}
        unit = np.fromiter((vocab.get(int(c), -1) for c in cells), dtype=np.int64, count=len(cells))
        ids = np.asarray([int(u) for u in units], dtype=np.int64)
        offsets = [dr * 720 + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
        neighbours = np.asarray([[vocab.get(int(c) + o, -1) for o in offsets] for c in ids],
                                dtype=np.int64).reshape(len(ids), 9)
    elif level == "country-month":
        units = units or ["SDN"]
        unit = np.zeros(events.num_rows, dtype=np.int64)
    else:
        column = "admin1_pcode" if level == "admin1-month" else "admin2_pcode"
        codes = _strings(events.column(column)) if column in events.column_names else \
            np.full(events.num_rows, "", dtype=object)
        if level == "admin1-month" and "admin2_pcode" in events.column_names:
            a2 = _strings(events.column("admin2_pcode"))
            codes = np.where(codes == "", np.asarray([c[:4] for c in a2], dtype=object), codes)
        if units is None:
            units = sorted(set(_strings(places.column(column)).tolist()) - {""})
        vocab = {u: i for i, u in enumerate(units)}
        unit = np.fromiter((vocab.get(c, -1) for c in codes), dtype=np.int64, count=len(codes))
    unit = np.where(dated, unit, -1)
    month = np.where(dated, month_index(np.where(dated, day, 0)), 0)
    first = int(month[dated].min()) if dated.any() else 0
    last = int(month[dated].max()) if dated.any() else 0
    return UnitPanel(level, list(units), neighbours, unit, month, known,
                     {k: np.asarray(v, dtype=np.float64) for k, v in e.items() if k != "day"},
                     first, last)


def unit_features(panel: UnitPanel, counts: NDArray[np.float64], origin_month: int,
                  country: NDArray[np.float64]) -> NDArray[np.float32]:
    """Per unit, from the months before ``origin_month``: last month, the last 3 and 12 months,
    months since the last event and since the last month of 25+ deaths, a decayed history, the
    3x3 block of neighbours (grid) and the country's last 3 months."""
    col = panel.month_of(origin_month)
    n = panel.n
    if col <= 0:
        return np.zeros((n, 10), dtype=np.float32)
    past = counts[:, max(col - HISTORY_MONTHS, 0):col]
    ages = np.arange(past.shape[1], 0, -1)                       # 1 = the month just before the origin
    last = past[:, -1]
    last3 = past[:, -3:].sum(axis=1)
    last12 = past[:, -12:].sum(axis=1)
    any_event = past > 0
    since = np.where(any_event.any(axis=1), 1 + np.argmax(any_event[:, ::-1], axis=1),
                     HISTORY_MONTHS + 1)
    big = past >= ONSET_DEATHS
    since_big = np.where(big.any(axis=1), 1 + np.argmax(big[:, ::-1], axis=1), HISTORY_MONTHS + 1)
    decayed = (past * np.exp2(-ages / 12.0)).sum(axis=1)
    if panel.neighbours is not None:
        recent = past[:, -3:].sum(axis=1)
        padded = np.r_[recent, 0.0]
        block = padded[panel.neighbours].sum(axis=1) - recent
        block12 = np.r_[last12, 0.0][panel.neighbours].sum(axis=1) - last12
    else:
        block = block12 = np.zeros(n)
    c = country[max(col - 3, 0):col].sum()
    matrix = np.column_stack([np.log1p(last), np.log1p(last3), np.log1p(last12), since, since_big,
                              np.log1p(decayed), np.log1p(block), np.log1p(block12),
                              np.full(n, np.log1p(c)), np.full(n, float(origin_month % 12))])
    return matrix.astype(np.float32)


UNIT_FEATURES = ["log_last_month", "log_last_3_months", "log_last_12_months", "months_since_event",
                 "months_since_25_deaths", "log_decayed_history", "log_neighbours_3_months",
                 "log_neighbours_12_months", "log_country_3_months", "calendar_month"]


@dataclass
class UnitModel:
    """LightGBM per lead: least squares on log(1 + count), the scale ViEWS and CAST are scored
    on (MSLE; a Poisson mean was worse there: the log of a mean overstates a typical month),
    and binary for onset (25+ deaths)."""

    target: str
    lead: int
    params: UnitParams = field(default_factory=UnitParams)

    def __post_init__(self) -> None:
        self.count = None
        self.onset = None
        self.mean = 0.0
        self.rate = 0.0

    def _train(self, x: NDArray[np.float32], y: NDArray[np.float64], objective: str,  # type: ignore[no-untyped-def]
               weight: NDArray[np.float64] | None = None):
        from tocsin.analysis.lgbm import lightgbm as _lightgbm

        lightgbm = _lightgbm()

        p = self.params
        data = lightgbm.Dataset(x, label=y, weight=weight, feature_name=UNIT_FEATURES,
                                params={"max_bin": 63})
        return lightgbm.train({"objective": objective, "num_leaves": p.leaves,
                               "learning_rate": p.learning_rate, "min_child_samples": 10,
                               "lambda_l2": 1.0, "num_threads": p.threads, "seed": p.seed,
                               "deterministic": True, "verbose": -1, "max_bin": 63},
                              data, num_boost_round=p.trees)

    def fit(self, x: NDArray[np.float32], y: NDArray[np.float64],
            weight: NDArray[np.float64] | None = None) -> None:
        w = np.ones(len(y)) if weight is None else weight
        total = float(w.sum())
        self.mean = float((w * np.log1p(y)).sum() / total) if len(y) else 0.0
        self.count = self._train(x, np.log1p(y), "regression", w) if len(y) >= 20 and y.sum() > 0 \
            else None
        if self.target == "deaths":
            onset = (y >= ONSET_DEATHS).astype(float)
            self.rate = float((w * onset).sum() / total) if len(onset) else 0.0
            self.onset = self._train(x, onset, "binary", w) if onset.sum() >= 3 and \
                onset.sum() < len(onset) else None

    def predict(self, x: NDArray[np.float32]) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
        log = np.full(len(x), self.mean) if self.count is None else \
            np.asarray(self.count.predict(x, num_threads=self.params.threads))
        count = np.expm1(np.maximum(log, 0.0))
        if self.target != "deaths":
            return count, None
        onset = np.full(len(x), self.rate) if self.onset is None else \
            np.asarray(self.onset.predict(x, num_threads=self.params.threads))
        return count, onset


class UnitForecaster:
    """Fits and scores one level's models as of any day, never looking past it."""

    def __init__(self, panel: UnitPanel, params: UnitParams | None = None) -> None:
        self.panel = panel
        self.params = params or UnitParams()
        self._features: dict[tuple[int, int, str], NDArray[np.float32]] = {}

    def matrix(self, as_of: int, target: str) -> NDArray[np.float32]:
        """Features as of day ``as_of`` (origin month = its month), computed once per day: a
        refit reads the same ten years of origins again (the counts behind them are rebuilt
        only on a miss; they were a tenth of the unit backtest)."""
        key = (as_of, 0, target)
        if key not in self._features:
            counts = self.panel.counts(as_of, target)
            origin = int(month_index(as_of))
            self._features[key] = unit_features(self.panel, counts, origin, counts.sum(axis=0))
        return self._features[key]

    def features(self, as_of: int, target: str) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
        """Features as of day ``as_of`` and the counts known by then (units x months)."""
        return self.matrix(as_of, target), self.panel.counts(as_of, target)

    def fit(self, as_of: int, target: str, lead: int) -> UnitModel:
        """Train on monthly origins whose lead month had ended, and was known, by ``as_of``."""
        origin = int(month_index(as_of))
        full = self.panel.counts(as_of, target)
        xs, ys = [], []
        for o in range(max(origin - self.params.training_years * 12, self.panel.first_month + 12),
                       origin):
            target_month = o + lead - 1
            if target_month >= origin:          # not over (or not known) by as_of
                continue
            day = to_day(month_start(o))
            xs.append(self.matrix(day, target))
            ys.append(full[:, self.panel.month_of(target_month)])
        model = UnitModel(target, lead, self.params)
        if xs:
            x, y = np.concatenate(xs), np.concatenate(ys)
            # Most cell-months are quiet with quiet neighbours and stay so: a tenth of them, each
            # weighing ten, teach the trees the same and take a fifth of the time.
            quiet = (x[:, 2] == 0) & (x[:, 7] == 0) & (y == 0)
            rng = np.random.default_rng(self.params.seed)
            keep = ~quiet | (rng.random(len(y)) < QUIET_SAMPLE)
            weight = np.where(quiet, 1 / QUIET_SAMPLE, 1.0)
            model.fit(x[keep], y[keep], weight[keep])
        return model

    def outcomes(self, target: str) -> NDArray[np.float64]:
        return self.panel.counts(None, target)


def unit_forecast(inputs: ForecastInputs, level: str, as_of: date, leads: tuple[int, ...] = (1,),
                  params: UnitParams | None = None, units: list[str] | None = None,
                  lags: dict[str, int] | None = None) -> pa.Table:
    """Expected counts (and the onset probability for deaths) per unit, target and lead, as of
    ``as_of`` (a month start: the publication day)."""
    panel = build_panel(inputs, level, units, lags)
    forecaster = UnitForecaster(panel, params)
    day = to_day(as_of)
    rows = []
    for target in TARGETS[level]:
        x = forecaster.matrix(day, target)
        for lead in leads:
            model = forecaster.fit(day, target, lead)
            count, onset = model.predict(x)
            month = month_start(int(month_index(day)) + lead - 1)
            for i, unit in enumerate(panel.units):
                rows.append({"level": level, "unit_id": unit, "target": target, "as_of": as_of,
                             "lead_months": lead, "month_start": month,
                             "expected": float(count[i]),
                             "probability": None if onset is None else float(onset[i])})
    return pa.Table.from_pylist(rows)




def unit_backtest(inputs: ForecastInputs, levels: tuple[str, ...], start: date, end: date,
                  leads: tuple[int, ...] = (1, 3, 6), lags: dict[str, int] | None = None,
                  training_years: int = 10, retrain_months: int = 12,
                  params: UnitParams | None = None) -> list[dict[str, object]]:
    """Monthly origins from ``start`` to ``end``: each level's model, refitted every
    ``retrain_months``, against the last month's count (persistence) and zero, on every month
    whose outcome the data covers. One row per level, target, lead and model."""
    from tocsin.analysis.evaluation.peers import Contender, score_side_by_side

    params = params or UnitParams(training_years=training_years)
    rows: list[dict[str, object]] = []
    for level in levels:
        panel = build_panel(inputs, level, None, lags)
        forecaster = UnitForecaster(panel, params)
        first = int(month_index(to_day(start)))
        last = min(int(month_index(to_day(end))), panel.last_month)
        for target in TARGETS[level]:
            observed_all = forecaster.outcomes(target)
            for lead in leads:
                model: UnitModel | None = None
                fitted = -10**9
                parts: dict[str, list[NDArray[np.float64]]] = {k: [] for k in
                                                               ("y", "e", "p", "last", "month")}
                for origin in range(first, last - lead + 2):
                    day = to_day(month_start(origin))
                    if model is None or origin - fitted >= retrain_months:
                        model, fitted = forecaster.fit(day, target, lead), origin
                    expected, probability = model.predict(forecaster.matrix(day, target))
                    col = panel.month_of(origin)
                    parts["y"].append(observed_all[:, col + lead - 1])
                    parts["e"].append(expected)
                    parts["p"].append(probability if probability is not None else expected * np.nan)
                    # Last month's count as known on the day: persistence.
                    parts["last"].append(panel.month_counts(day, target, origin - 1) if col > 0
                                         else np.zeros(panel.n))
                    parts["month"].append(np.full(panel.n, origin + lead - 1))
                if not parts["y"] or not any(part.any() for part in parts["y"]):
                    continue                     # no such event in the data (UCDP has no ERV)
                y, e, prob, last_count, month = (np.concatenate(parts[k]) for k in
                                                 ("y", "e", "p", "last", "month"))
                threshold = ONSET_DEATHS if target == "deaths" else 1.0
                onset = target == "deaths"
                contenders = [Contender("tocsin", e, prob if onset else None),
                              Contender("last_month", last_count,
                                        (last_count >= threshold).astype(float) if onset else None),
                              Contender("zero", np.zeros(len(y)), np.zeros(len(y)) if onset else None)]
                for row in score_side_by_side(y, month, contenders, threshold, reps=100):
                    rows.append({"level": level, "target": target, "lead_months": lead, **row})
    return rows
