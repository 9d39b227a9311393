"""Forecasting models: the baselines ViEWS and the Early Warning Project compare against, and a
calibrated gradient-boosted model that explains each forecast.

Every model is fitted on (features, outcome, weight, origin) rows from origins whose label window
closed before the forecast origin, and returns probabilities. Weights undo the sampling of
negatives (``training.py``), so probabilities refer to all places, not the sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float32]


@dataclass
class TrainingSet:
    features: Matrix
    outcome: NDArray[np.bool_]
    weight: NDArray[np.float64]
    origin: NDArray[np.int64]      # origin day of each row
    # Rows labelled at a longer horizon, for models that learn their ranking there (see
    # BoostedParams.ranking_horizon_days); calibration always uses the rows above.
    ranking: TrainingSet | None = None


class Model(Protocol):
    name: str

    def fit(self, data: TrainingSet, names: list[str]) -> None: ...

    def predict(self, features: Matrix) -> NDArray[np.float64]: ...


@dataclass
class Logistic1D:
    """A logistic curve on one variable, with scikit-learn's attribute names."""

    coef_: NDArray[np.float64]          # shape (1, 1)
    intercept_: NDArray[np.float64]     # shape (1,)

    def predict_proba(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        z = np.clip(np.asarray(x, dtype=np.float64) @ self.coef_[0] + self.intercept_[0], -40, 40)
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1 - p, p])


def _fit_logistic(x: NDArray[np.float64], outcome: NDArray[np.bool_],
                  weight: NDArray[np.float64]) -> Logistic1D:
    """A nearly unpenalised weighted logistic fit on one column, by Newton's method (the
    baselines and Platt scaling have one input: scikit-learn's L-BFGS took 0.4 s a fit, a fifth
    of the whole backtest). Weights are rescaled to mean 1 and the slope has the ridge of
    scikit-learn's C = 1e4, so the optimum is the one LogisticRegression(C=1e4) finds."""
    v = np.asarray(x, dtype=np.float64).reshape(len(outcome), -1)
    k = v.shape[1]                     # one column (baselines, Platt) or two (beta calibration)
    y = np.asarray(outcome, dtype=np.float64)
    w = weight / weight.mean()
    rate = float(np.clip((w * y).sum() / w.sum(), 1e-9, 1 - 1e-9))
    beta = np.r_[np.zeros(k), np.log(rate / (1 - rate))]        # slopes, intercept
    ridge = np.r_[np.full(k, 1.0 / 1e4), 0.0]
    design = np.column_stack([v, np.ones(len(v))])
    for _ in range(100):
        z = np.clip(design @ beta, -40, 40)
        p = 1.0 / (1.0 + np.exp(-z))
        gradient = design.T @ (w * (p - y)) + ridge * beta
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + np.diag(ridge)
        try:
            step = np.linalg.solve(hessian + np.eye(k + 1) * 1e-12, gradient)
        except np.linalg.LinAlgError:
            break
        # Halve the step until the penalised log-loss falls (Newton can overshoot when the
        # classes are nearly separable).
        loss = _penalised_loss(design, y, w, beta, ridge)
        t = 1.0
        while t > 1e-6 and _penalised_loss(design, y, w, beta - t * step, ridge) > loss:
            t /= 2
        beta = beta - t * step
        if np.max(np.abs(t * step)) < 1e-10:
            break
    return Logistic1D(beta[None, :k], np.array([beta[k]]))


def _penalised_loss(design: NDArray[np.float64], y: NDArray[np.float64], w: NDArray[np.float64],
                    beta: NDArray[np.float64], ridge: NDArray[np.float64]) -> float:
    z = design @ beta
    return float(np.sum(w * (np.logaddexp(0, z) - y * z)) + 0.5 * np.sum(ridge * beta * beta))


def _rate(outcome: NDArray[np.bool_], weight: NDArray[np.float64]) -> float:
    total = float(weight.sum())
    return float((weight * outcome).sum() / total) if total > 0 else 0.0


class ZeroModel:
    """Nothing will happen anywhere (ViEWS' no-change-from-zero baseline)."""

    name = "zero"

    def fit(self, data: TrainingSet, names: list[str]) -> None:
        pass

    def predict(self, features: Matrix) -> NDArray[np.float64]:
        return np.zeros(len(features))


class BaseRateModel:
    """Every place gets the historical share of place-windows that saw an atrocity: the
    reference of the Brier skill score."""

    name = "base_rate"

    def __init__(self) -> None:
        self.rate = 0.0

    def fit(self, data: TrainingSet, names: list[str]) -> None:
        self.rate = _rate(data.outcome, data.weight)

    def predict(self, features: Matrix) -> NDArray[np.float64]:
        return np.full(len(features), self.rate)


class PersistenceModel:
    """What happened at the place in the last H days happens again: the frequency of an
    atrocity after a window with one (and after a window without)."""

    name = "persistence"

    def __init__(self, horizon_days: int) -> None:
        self.feature = f"attacks_here_{min((7, 30, 90), key=lambda h: abs(h - horizon_days))}d"
        self.rates = (0.0, 0.0)
        self.column = -1

    def fit(self, data: TrainingSet, names: list[str]) -> None:
        self.column = names.index(self.feature)
        hot = data.features[:, self.column] > 0
        # One pseudo-event each side keeps a state never seen in training off 0 and 1.
        prior = _rate(data.outcome, data.weight)
        low, high = (float((data.weight[s] * data.outcome[s]).sum() + 0.5 * prior)
                     / float(data.weight[s].sum() + 0.5) for s in (~hot, hot))
        self.rates = (low, high)

    def predict(self, features: Matrix) -> NDArray[np.float64]:
        return np.where(features[:, self.column] > 0, self.rates[1], self.rates[0])


class SingleFeatureLogistic:
    """A logistic curve on log(1 + one history feature): conflict-history decay and spatial lag."""

    def __init__(self, name: str, feature: str) -> None:
        self.name, self.feature = name, feature
        self.column = -1
        self.model: Logistic1D | None = None
        self.rate = 0.0

    def fit(self, data: TrainingSet, names: list[str]) -> None:
        self.column = names.index(self.feature)
        self.rate = _rate(data.outcome, data.weight)
        x = np.log1p(np.maximum(data.features[:, [self.column]], 0))
        if data.outcome.all() or not data.outcome.any():
            self.model = None
            return
        self.model = _fit_logistic(x, data.outcome, data.weight)

    def predict(self, features: Matrix) -> NDArray[np.float64]:
        if self.model is None:
            return np.full(len(features), self.rate)
        x = np.log1p(np.maximum(features[:, [self.column]], 0))
        return self.model.predict_proba(x)[:, 1]


@dataclass
class BoostedParams:
    trees: int = 50
    leaves: int = 7
    learning_rate: float = 0.1
    min_child_samples: int = 20
    calibration_share: float = 0.25    # the latest share of training origins, held out for Platt
    threads: int = 1                   # on a shared 2-core machine one thread is faster
    # Every horizon's trees learn which places are at risk from the labels of this horizon;
    # only the calibration uses the horizon's own labels. 7 days has too few events to learn a
    # ranking from (about 80 in ten years); at 90 days, 30-day labels ranked better too (see
    # docs/decisions/0010-forecast-design.md).
    ranking_horizon_days: int = 30
    # "platt" (a logistic curve on the trees' margin), "beta" (Kull et al. 2017: a logistic
    # curve on ln p and ln(1 - p) of the trees' probability, which can bend at the top and the
    # bottom separately) or "isotonic" (a monotone step function): fitted on the held-out origins.
    calibration: str = "platt"
    # Onset versus continuation: a Platt curve of its own for places with violence within 25 km
    # in the past year (continuation) and for the rest (onset), on the same trees.
    onset_split: bool = False
    # Trees fitted with the sampling weights (positives balanced against all negatives) instead
    # of on the sample as it is.
    balanced_weights: bool = False
    seed: int = 7


@dataclass
class TreeCache:
    """Trees shared by the horizons of one refit: they all learn from the ranking horizon's
    rows with the same time cut, so they are the same trees; and their margin on one origin's
    features, computed once for all horizons (LightGBM's predict was half the backtest)."""

    trees: dict[tuple[object, ...], object] = field(default_factory=dict)
    margin_of: tuple[int, int, NDArray[np.float64]] | None = None   # (id(booster), id(features), margin)

    def margin(self, booster: object, features: Matrix, threads: int) -> NDArray[np.float64]:
        key = (id(booster), id(features))
        if self.margin_of is None or self.margin_of[:2] != key:
            self.margin_of = (*key, booster.predict(features, raw_score=True,  # type: ignore[attr-defined]
                                                    num_threads=threads))
        return self.margin_of[2]


@dataclass
class GradientBoostedModel:
    """LightGBM on every feature, calibrated with Platt scaling on a time-held-out slice (the
    latest training origins), so a 0.2 means "one in five such places"."""

    params: BoostedParams = field(default_factory=BoostedParams)
    name: str = "lightgbm"
    cache: TreeCache | None = None

    def __post_init__(self) -> None:
        self.booster = None
        self.platt: tuple[float, float] = (1.0, 0.0)
        self.rate = 0.0

    def fit(self, data: TrainingSet, names: list[str]) -> None:
        from tocsin.analysis.lgbm import lightgbm as _lightgbm

        lightgbm = _lightgbm()

        self.rate = _rate(data.outcome, data.weight)
        # The time cut comes from the ranking rows when there are some: then every horizon of
        # a refit has the same trees (TreeCache), and only its calibration differs.
        ranked = data.ranking if data.ranking is not None and len(data.ranking.origin) else data
        origins = np.unique(ranked.origin)
        cut = origins[int(len(origins) * (1 - self.params.calibration_share))] if len(origins) > 4 \
            else (origins[-1] + 1 if len(origins) else 0)
        fit_rows, calibrate_rows = data.origin < cut, data.origin >= cut
        if data.outcome[fit_rows].sum() < 5 or data.outcome[calibrate_rows].sum() < 2:
            fit_rows = calibrate_rows = np.ones(len(data.origin), dtype=bool)
        if not data.outcome.any():
            self.booster = None
            return
        p = self.params
        ranking = data.ranking if data.ranking is not None and data.ranking.outcome.any() else None
        if ranking is not None:
            # Trees from the ranking horizon's rows of the same (older) origins.
            older = ranking.origin < cut
            if ranking.outcome[older].sum() < 5:
                older = np.ones(len(ranking.origin), dtype=bool)
            fit_features, fit_outcome, fit_weight = (ranking.features[older], ranking.outcome[older],
                                                     ranking.weight[older])
        else:
            fit_features, fit_outcome, fit_weight = (data.features[fit_rows], data.outcome[fit_rows],
                                                     data.weight[fit_rows])
        # Fitted on the sample as it is (unweighted): the trees then resolve the active places
        # finely; the weighted Platt step below puts probabilities back on the scale of all places.
        key = (int(cut), fit_features.shape, int(fit_outcome.sum()), float(np.sum(fit_features[:, 0])),
               p.balanced_weights)
        if self.cache is not None and key in self.cache.trees:
            self.booster = self.cache.trees[key]
        else:
            # With ``balanced_weights`` the sampled negatives weigh what they stand for, and the
            # positives as much as all the negatives together (a balanced, population-shaped sample).
            weight = None
            if p.balanced_weights:
                negative = ~fit_outcome
                weight = np.where(negative, fit_weight, 0.0)
                if fit_outcome.any():
                    weight[fit_outcome] = weight.sum() / max(int(fit_outcome.sum()), 1)
                weight = weight / weight.mean()
            train = lightgbm.Dataset(fit_features, label=fit_outcome.astype(float), weight=weight,
                                     feature_name=names, free_raw_data=True, params={"max_bin": 63})
            self.booster = lightgbm.train(
                {"objective": "binary", "num_leaves": p.leaves, "learning_rate": p.learning_rate,
                 "min_child_samples": p.min_child_samples, "feature_fraction": 0.8,
                 "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "num_threads": p.threads,
                 "seed": p.seed, "deterministic": True, "verbose": -1, "max_bin": 63},
                train, num_boost_round=p.trees)
            if self.cache is not None:
                self.cache.trees = {key: self.booster}     # only the current refit's trees
        margin = self.booster.predict(data.features[calibrate_rows], raw_score=True)
        platt = _fit_logistic(margin.reshape(-1, 1), data.outcome[calibrate_rows],
                              data.weight[calibrate_rows])
        self.platt = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
        self.split: tuple[int, dict[bool, tuple[float, float]]] | None = None
        if p.onset_split and CONTINUATION in names:
            column = names.index(CONTINUATION)
            going = data.features[calibrate_rows][:, column] > 0
            curves: dict[bool, tuple[float, float]] = {}
            for side in (False, True):
                rows = going == side
                y = data.outcome[calibrate_rows][rows]
                if y.sum() >= 2 and (~y).any():
                    c = _fit_logistic(margin[rows].reshape(-1, 1), y, data.weight[calibrate_rows][rows])
                    curves[side] = (float(c.coef_[0, 0]), float(c.intercept_[0]))
                else:
                    curves[side] = self.platt
            self.split = (column, curves)
        self.here: tuple[int, float, float, float] | None = None
        if p.calibration == "platt-here" and HERE in names:
            # Platt with a second input: whether the place itself was hit in the last 30 days
            # (persistence, which pooled over origins ranks well on its own).
            column = names.index(HERE)
            x = np.column_stack([margin, data.features[calibrate_rows][:, column] > 0])
            fitted = _fit_logistic(x, data.outcome[calibrate_rows], data.weight[calibrate_rows])
            self.here = (column, float(fitted.coef_[0, 0]), float(fitted.coef_[0, 1]),
                         float(fitted.intercept_[0]))
        self.beta: tuple[float, float, float] | None = None
        if p.calibration == "beta":
            fitted = _fit_logistic(beta_columns(margin), data.outcome[calibrate_rows],
                                   data.weight[calibrate_rows])
            self.beta = (float(fitted.coef_[0, 0]), float(fitted.coef_[0, 1]), float(fitted.intercept_[0]))
        self.isotonic = None
        if p.calibration == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            # On the Platt probability, so that ties of the step function are broken by it.
            a, b = self.platt
            base = 1.0 / (1.0 + np.exp(-(a * margin + b)))
            self.isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            self.isotonic.fit(base, data.outcome[calibrate_rows].astype(float),
                              sample_weight=data.weight[calibrate_rows])

    def predict(self, features: Matrix) -> NDArray[np.float64]:
        if self.booster is None:
            return np.full(len(features), self.rate)
        margin = self.cache.margin(self.booster, features, self.params.threads) if self.cache else \
            self.booster.predict(features, raw_score=True, num_threads=self.params.threads)
        if getattr(self, "here", None) is not None:
            column, a, h, c = self.here  # type: ignore[misc]
            z = np.clip(a * margin + h * (features[:, column] > 0) + c, -40, 40)
            return 1.0 / (1.0 + np.exp(-z))
        if getattr(self, "beta", None) is not None:
            a, b, c = self.beta  # type: ignore[misc]
            z = np.clip(beta_columns(margin) @ np.array([a, b]) + c, -40, 40)
            return 1.0 / (1.0 + np.exp(-z))
        a, b = self.platt
        if getattr(self, "split", None) is not None:
            column, curves = self.split  # type: ignore[misc]
            going = features[:, column] > 0
            a = np.where(going, curves[True][0], curves[False][0])
            b = np.where(going, curves[True][1], curves[False][1])
        platt = 1.0 / (1.0 + np.exp(-(a * margin + b)))
        if getattr(self, "isotonic", None) is None:
            return platt
        # The step function ranks ties alike; a hair of the Platt probability keeps the order.
        return np.clip(self.isotonic.predict(platt) * (1 - 1e-6) + platt * 1e-6, 0.0, 1.0)

    def contributions(self, features: Matrix) -> NDArray[np.float64]:
        """Per-feature SHAP contributions (log-odds, before calibration; last column the bias)."""
        if self.booster is None:
            return np.zeros((len(features), features.shape[1] + 1))
        return np.asarray(self.booster.predict(features, pred_contrib=True))


# The persistence input of the "platt-here" calibration.
HERE = "attacks_here_30d"
# The onset / continuation split: violence within 25 km in the past year.
CONTINUATION = "violent_events_25km_365d"


def beta_columns(margin: NDArray[np.float64]) -> NDArray[np.float64]:
    """ln p and -ln(1 - p) of the trees' probability p = sigmoid(margin), the two inputs of beta
    calibration (written with logaddexp: p is often within 1e-6 of 0)."""
    m = np.asarray(margin, dtype=np.float64).ravel()
    return np.column_stack([-np.logaddexp(0.0, -m), np.logaddexp(0.0, m)])


def all_models(horizon_days: int, boosted: BoostedParams | None = None,
               cache: TreeCache | None = None) -> list[Model]:
    return [ZeroModel(), BaseRateModel(), PersistenceModel(horizon_days),
            SingleFeatureLogistic("history_decay", "attack_history_10km"),
            SingleFeatureLogistic("spatial_lag", "attack_history_50km"),
            GradientBoostedModel(boosted or BoostedParams(), cache=cache)]
