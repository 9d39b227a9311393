"""Rolling-origin backtest: every model forecasts every place at monthly origins, as of each
origin, and is scored on what happened in the next H days.

Models are refitted every ``retrain_months`` (default 12) on the rows of earlier origins whose
label windows had closed by the refit date, so no training label looks past the origin it is used
for. Origins whose own window is not closed in the data (the last H days) are not scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from tocsin.analysis.evaluation.metrics import TOP_N, ScoreAccumulator
from tocsin.analysis.features import FeatureBuilder, FeatureParams
from tocsin.analysis.inputs import ForecastInputs
from tocsin.analysis.models import BoostedParams, Model, TrainingSet, TreeCache, all_models
from tocsin.analysis.timeaxis import from_day, month_starts, to_day
from tocsin.analysis.training import NEGATIVES_PER_ORIGIN, TrainingStore
from tocsin.i18n import Said

HORIZONS = (7, 30, 90, 180, 365)


class BacktestError(ValueError):
    """The backtest cannot run with these dates or this data."""


@dataclass(frozen=True)
class BacktestParams:
    start: date = date(2005, 1, 1)
    end: date = date(2023, 12, 1)
    horizons: tuple[int, ...] = HORIZONS
    train_start: date | None = None        # default: January of the year after the first event
    retrain_months: int = 12
    negatives_per_origin: int = NEGATIVES_PER_ORIGIN
    training_years: int = 10               # rolling window of training origins
    features: FeatureParams = field(default_factory=FeatureParams)
    boosted: BoostedParams = field(default_factory=BoostedParams)
    # The peers' units scored too (analysis/units.py): levels, and the leads in months.
    unit_levels: tuple[str, ...] = ()
    unit_leads: tuple[int, ...] = (1, 3, 6)


@dataclass
class BacktestResult:
    params: BacktestParams
    scores: dict[int, dict[str, ScoreAccumulator]]
    origins: dict[int, int]                  # horizon -> origins scored
    data_end: date
    units: list[dict[str, object]] = field(default_factory=list)   # unit-level scores

    def table(self) -> pa.Table:
        rows = []
        for h, by_model in self.scores.items():
            reference = by_model["base_rate"].brier()
            for name, acc in by_model.items():
                row = {"horizon_days": h, "model": name, "origins": self.origins[h],
                       "place_windows": acc.count,
                       "events": acc.events, "average_precision": acc.average_precision(),
                       "auroc": acc.auroc(), "brier": acc.brier(),
                       "brier_skill": acc.brier_skill(reference)}
                for n in TOP_N:
                    row[f"recall_top{n}"] = acc.recall(n)
                rows.append(row)
        return pa.Table.from_pylist(rows)

    def calibration(self) -> pa.Table:
        rows = [{"horizon_days": h, "model": name, **row} for h, by_model in self.scores.items()
                for name, acc in by_model.items() for row in acc.calibration_table()]
        return pa.Table.from_pylist(rows)


def run_backtest(inputs: ForecastInputs, params: BacktestParams | None = None,
                 progress: Callable[[date, int, int], None] | None = None,
                 builder: FeatureBuilder | None = None) -> BacktestResult:
    """``builder``: features computed elsewhere for every origin (engine/features.py's tiles,
    on Spark); by default a ``FeatureBuilder`` here."""
    params = params or BacktestParams()
    if params.start > params.end:
        raise BacktestError(Said("forecast.start_after_end", start=params.start, end=params.end))
    builder = builder or FeatureBuilder(inputs, params.features)
    data_end = builder.data_end
    first_event = builder.first_day
    if first_event is None:
        raise BacktestError(Said("forecast.no_located_events"))
    train_start = params.train_start or date(from_day(first_event).year + 1, 1, 1)
    if train_start >= params.start:
        raise BacktestError(Said("forecast.training_start", train_start=train_start, start=params.start))
    origins = month_starts(train_start, params.end)
    scored = [o for o in origins if o >= params.start]
    if not scored or to_day(scored[0]) + min(params.horizons) > data_end:
        raise BacktestError(Said("forecast.no_origin", start=params.start, data_end=from_day(data_end)))
    ranking_horizon = params.boosted.ranking_horizon_days
    stored = tuple(sorted(set(params.horizons) | {ranking_horizon}))
    lag = params.features.event_lag_days + max((d for _, d in params.features.source_lags), default=0)
    store = TrainingStore(stored, params.negatives_per_origin, lag)
    scores = {h: {} for h in params.horizons}
    counts = dict.fromkeys(params.horizons, 0)
    models: dict[int, list[Model]] = {}
    trees = TreeCache()
    fitted_at: dict[int, date] = {}
    ranking_rows: tuple[int, TrainingSet] | None = None
    for step, origin in enumerate(origins):
        day = to_day(origin)
        features = builder.at(day)
        labels = {h: builder.labels(day, h) for h in stored if day + h <= data_end}
        if origin >= params.start:
            for h, outcome in labels.items():
                if h not in params.horizons:
                    continue
                if h not in models or _months_between(fitted_at[h], origin) >= params.retrain_months:
                    models[h] = all_models(h, params.boosted, trees)
                    window = params.training_years * 365
                    data = store.training_set(h, day, window)
                    if h != ranking_horizon:
                        # The same ranking rows serve every horizon refitted on this day (a
                        # copy of the largest training set per horizon was a tenth of the time).
                        if ranking_rows is None or ranking_rows[0] != day:
                            ranking_rows = (day, store.training_set(ranking_horizon, day, window))
                        data.ranking = ranking_rows[1]
                    for model in models[h]:
                        model.fit(data, builder.names)
                    fitted_at[h] = origin
                for model in models[h]:
                    scores[h].setdefault(model.name, ScoreAccumulator()).add(model.predict(features), outcome)
                counts[h] += 1
        store.add(day, features, labels, builder.active(features))
        if progress:
            progress(origin, step + 1, len(origins))
    units: list[dict[str, object]] = []
    if params.unit_levels:
        from tocsin.analysis.units import unit_backtest

        units = unit_backtest(inputs, params.unit_levels, params.start, params.end, params.unit_leads,
                              dict(params.features.source_lags), params.training_years)
    return BacktestResult(params, {h: s for h, s in scores.items() if s},
                          {h: c for h, c in counts.items() if c}, from_day(data_end), units)


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month
