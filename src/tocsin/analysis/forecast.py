"""Forecasts for every place as of a date: fit on the past, score today, explain each one.

``forecast(inputs, as_of, horizon)`` fits the gradient-boosted model on monthly origins whose
outcome window closed by ``as_of`` (never later), scores every place with the features as of
``as_of``, and gives each place its probability, exposed population and its top reasons in words
(LightGBM SHAP contributions). Pure: tables in, a table out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa

from tocsin.analysis.features import FeatureBuilder, FeatureParams
from tocsin.analysis.inputs import ForecastInputs
from tocsin.analysis.models import BoostedParams, GradientBoostedModel, SingleFeatureLogistic
from tocsin.analysis.reasons import Explainer, Places, where_violence
from tocsin.analysis.timeaxis import from_day, month_starts, to_day
from tocsin.analysis.training import NEGATIVES_PER_ORIGIN, TrainingStore
from tocsin.i18n import Said

HORIZONS = (7, 30, 90, 180, 365)
# Reasons take a few milliseconds a place: written for the places anyone reads.
EXPLAIN_TOP = 500
# Households to people, for camps that count households only (IOM DTM's usual ratio).
PEOPLE_PER_HOUSEHOLD = 5

FORECAST_SCHEMA = pa.schema([
    ("rank", pa.int32()), ("place_id", pa.string()), ("name", pa.string()), ("name_ar", pa.string()),
    ("place_class", pa.string()), ("admin1_pcode", pa.string()), ("admin2_pcode", pa.string()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("as_of", pa.date32()),
    ("horizon_days", pa.int32()), ("probability", pa.float64()), ("history_probability", pa.float64()),
    ("exposed_population", pa.int64()), ("model", pa.string()), ("reasons", pa.list_(pa.string())),
    ("nearest_violence", pa.string()), ("reasons_ar", pa.list_(pa.string())),
    ("nearest_violence_ar", pa.string()),
    # The last day the event data reaches; when the forecast date lies past it, the features were
    # computed as of that day (see stamp_data_end), never as if the gap had been calm.
    ("data_through", pa.date32()),
])


class ForecastError(ValueError):
    """No forecast can be made from these inputs at this date."""


@dataclass(frozen=True)
class ForecastParams:
    training_years: int = 10
    negatives_per_origin: int = NEGATIVES_PER_ORIGIN
    reasons: int = 3
    features: FeatureParams = field(default_factory=FeatureParams)
    boosted: BoostedParams = field(default_factory=BoostedParams)


@dataclass
class FittedForecaster:
    builder: FeatureBuilder
    model: GradientBoostedModel
    history: SingleFeatureLogistic
    horizon_days: int
    training_origins: int
    training_events: int


def fit_forecaster(builder: FeatureBuilder, as_of: date, horizon_days: int,
                   params: ForecastParams | None = None) -> FittedForecaster:
    """Fit on monthly origins whose outcome window (plus publication lag) closed by ``as_of``."""
    params = params or ForecastParams()
    cutoff = to_day(as_of)
    lag = params.features.event_lag_days + max((d for _, d in params.features.source_lags), default=0)
    if builder.first_day is None:
        raise ForecastError(Said("forecast.no_located_events"))
    start = from_day(max(cutoff - params.training_years * 365, builder.first_day))
    origins = [o for o in month_starts(start, as_of) if to_day(o) + horizon_days + lag <= cutoff]
    if len(origins) < 12:
        raise ForecastError(Said("forecast.needs_a_year", horizon=horizon_days, as_of=as_of,
                                 months=len(origins)))
    ranking_horizon = params.boosted.ranking_horizon_days
    horizons = tuple(sorted({horizon_days, ranking_horizon}))
    store = TrainingStore(horizons, params.negatives_per_origin, lag)
    for origin in origins:
        matrix = builder.at(origin)
        day = to_day(origin)
        store.add(day, matrix, {h: builder.labels(origin, h) for h in horizons if day + h + lag <= cutoff},
                  builder.active(matrix))
    data = store.training_set(horizon_days, cutoff)
    if horizon_days != ranking_horizon:
        data.ranking = store.training_set(ranking_horizon, cutoff)
    if not data.outcome.any():
        raise ForecastError(Said("forecast.nothing_to_learn", months=len(origins), as_of=as_of))
    model = GradientBoostedModel(params.boosted)
    model.fit(data, builder.names)
    history = SingleFeatureLogistic("history_decay", "attack_history_10km")
    history.fit(data, builder.names)
    return FittedForecaster(builder, model, history, horizon_days, len(origins), int(data.outcome.sum()))


def score_places(fitted: FittedForecaster, places: pa.Table, as_of: date, top: int | None = None,
                 reasons: int = 3, explain: int | None = EXPLAIN_TOP, dated: bool = False
                 ) -> pa.Table:
    """Every place (or the ``top`` most at risk), ranked, with reasons in words for the first
    ``explain`` (all when None; the rest get none: nobody reads reasons at rank 40,000).
    ``dated``: ``as_of`` is the data's end, not the day asked (see ``stamp_data_end``): the
    reasons name events by date, not as "N days ago"."""
    builder = fitted.builder
    matrix = builder.at(as_of)
    probability = fitted.model.predict(matrix)
    history = fitted.history.predict(matrix)
    order = np.lexsort((np.asarray(builder.place_ids, dtype=object).astype(str), -probability))
    chosen = order[:top] if top else order
    explained = chosen[:explain] if explain is not None else chosen
    contributions = fitted.model.contributions(matrix[explained])
    # Built column by column (43,000 places a day: a dict per row cost a second); the reasons
    # in words only for the ``explained`` places, the rest get none.
    names, names_ar = places.column("name").to_pylist(), places.column("name_ar").to_pylist()
    explainer = Explainer(builder, Places(names, names_ar, builder.static["place_rank"]),
                          to_day(as_of), explained, dated=dated)
    n = len(chosen)
    reasons_en: list[list[str]] = [[] for _ in range(n)]
    reasons_ar: list[list[str]] = [[] for _ in range(n)]
    nearest_en, nearest_ar = [""] * n, [""] * n
    for rank, i in enumerate(explained.tolist()):
        near = explainer.nearest(i, 30)
        phrases = explainer.reasons(i, matrix[i], contributions[rank], reasons)
        where = explainer.event(i, near) if near is not None else where_violence(near)
        reasons_en[rank], reasons_ar[rank] = [en for en, _ in phrases], [ar for _, ar in phrases]
        nearest_en[rank], nearest_ar[rank] = where[0], where[1]
    take = pa.array(chosen, pa.int64())
    picked = places.take(take)
    population = picked.column("population").to_pylist()
    households = picked.column("households").to_pylist()
    columns = {
        "rank": pa.array(np.arange(1, n + 1, dtype=np.int32)),
        **{k: picked.column(k) for k in ("place_id", "name", "name_ar", "place_class", "admin1_pcode",
                                         "admin2_pcode", "latitude", "longitude")},
        "as_of": pa.array([as_of] * n, pa.date32()),
        "horizon_days": pa.array(np.full(n, fitted.horizon_days, dtype=np.int32)),
        "probability": pa.array(np.asarray(probability, dtype=np.float64)[chosen]),
        "history_probability": pa.array(np.asarray(history, dtype=np.float64)[chosen]),
        "exposed_population": pa.array([_exposed(p, h) for p, h in zip(population, households,
                                                                       strict=True)], pa.int64()),
        "model": pa.array([fitted.model.name] * n, pa.string()),
        "reasons": pa.array(reasons_en, pa.list_(pa.string())),
        "nearest_violence": pa.array(nearest_en, pa.string()),
        "reasons_ar": pa.array(reasons_ar, pa.list_(pa.string())),
        "nearest_violence_ar": pa.array(nearest_ar, pa.string()),
        "data_through": pa.nulls(n, pa.date32()),
    }
    return pa.Table.from_pydict({f.name: _typed(columns[f.name], f.type) for f in FORECAST_SCHEMA},
                                schema=FORECAST_SCHEMA)


def _typed(column: pa.Array | pa.ChunkedArray, kind: pa.DataType) -> pa.Array | pa.ChunkedArray:
    return column if column.type == kind else column.cast(kind)


def _exposed(population: int | None, households: int | None) -> int | None:
    if population:
        return int(population)
    if households:
        return int(households) * PEOPLE_PER_HOUSEHOLD
    return None


def forecast(inputs: ForecastInputs, as_of: date, horizon_days: int = 30, top: int | None = None,
             params: ForecastParams | None = None) -> pa.Table:
    """Ranked forecasts for every place as of ``as_of`` (see module docstring)."""
    params = params or ForecastParams()
    if horizon_days <= 0:
        raise ForecastError(Said("forecast.horizon_positive", horizon=horizon_days))
    builder = FeatureBuilder(inputs, params.features)
    fitted = fit_forecaster(builder, as_of, horizon_days, params)
    return score_places(fitted, inputs.places, as_of, top, params.reasons)


def stamp_data_end(table: pa.Table, asked: date, through: date | None, judged: date) -> pa.Table:
    """Forecast rows made as of ``judged`` (the data's last day, when ``asked`` lies beyond it)
    restamped for the day asked, saying where the data ends: "no violence in the last 30 days"
    would otherwise describe the gap after the data as calm. Every reason that counts a window
    or states an absence says so, in English and in Arabic (events are already dated: see
    ``score_places``)."""
    if judged == asked:  # nothing to restamp but the data's end: column by column
        n = table.num_rows
        table = table.set_column(table.schema.get_field_index("as_of"), "as_of",
                                 pa.array([asked] * n, pa.date32()))
        return table.set_column(table.schema.get_field_index("data_through"), "data_through",
                                pa.array([through] * n, pa.date32()))
    note = f" (in the event data, which ends {through})"
    note_ar = f" (في بيانات الأحداث التي تنتهي في {through})"

    def noted(en: str | None, ar: str | None) -> tuple[str | None, str | None]:
        if en is None or not (en.startswith("no ") or " in the last " in en):
            return en, ar
        return en + note, (ar + note_ar) if ar else ar

    rows = table.to_pylist()
    for row in rows:
        row["as_of"] = asked
        row["data_through"] = through
        row["nearest_violence"], row["nearest_violence_ar"] = noted(row["nearest_violence"],
                                                                    row["nearest_violence_ar"])
        english, arabic = row["reasons"] or [], row["reasons_ar"] or []
        pairs = [noted(en, arabic[i] if i < len(arabic) else None) for i, en in enumerate(english)]
        row["reasons"] = [en for en, _ in pairs]
        if len(arabic) == len(english):
            row["reasons_ar"] = [ar for _, ar in pairs]
    return pa.Table.from_pylist(rows, schema=FORECAST_SCHEMA)


def latest_date(inputs: ForecastInputs) -> date:
    """The last day the event data covers: the default forecast date."""
    builder_free = inputs.events.column("date_end").to_pylist()
    days = [d for d in builder_free if d is not None]
    if not days:
        raise ForecastError(Said("forecast.no_dated_events"))
    return max(days)


def finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))
