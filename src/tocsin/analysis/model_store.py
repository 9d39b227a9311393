"""A fitted forecast model kept on disk, versioned, with its card, so that ``tocsin forecast``
does not refit on every call.

One JSON file per horizon under ``<workspace>/models/``: the LightGBM trees (LightGBM's own
text format), the calibration, the history baseline, the feature names, the method version,
the day it was trained as of (no training label past it) and the fingerprint of the lake inputs
it was trained on (``tocsin.jobs``). A stored model is used for a forecast on day D only when
its method version and features are the current ones, its inputs are the lake's current ones,
it was trained as of D or before (never on what came after D), and not more than
``MAX_AGE_DAYS`` before D; otherwise the forecast refits and says why.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tocsin.lake import atomic_write_text

if TYPE_CHECKING:  # the model stack (SciPy, LightGBM) loads only when a model is: the jobs
    # registry reads METHOD_VERSION at every ingest's rebuild check
    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import FittedForecaster

# Bump when features, training or calibration change: an older file is then refitted.
METHOD_VERSION = "forecast-2026-12.2"
MAX_AGE_DAYS = 92
DIRECTORY = "models"


def model_path(home: Path, horizon_days: int) -> Path:
    return home / DIRECTORY / f"forecast-{horizon_days}d.json"


@dataclass(frozen=True)
class StoredModel:
    path: Path
    method_version: str
    trained_as_of: date
    horizon_days: int
    feature_names: list[str]
    inputs: str
    card: dict[str, Any]
    data: dict[str, Any]

    def refusal(self, as_of: date, names: list[str], inputs: str) -> tuple[str, dict[str, Any]] | None:
        """None when this model may forecast ``as_of``; otherwise why not, as a message key of
        ``forecast.refused_*`` (the CLI catalogue, so each language says it) and its values."""
        if self.method_version != METHOD_VERSION:
            return "forecast.refused_method", {"method": self.method_version, "current": METHOD_VERSION}
        if self.feature_names != names:
            return "forecast.refused_features", {}
        if self.inputs != inputs:
            return "forecast.refused_inputs", {}
        if self.trained_as_of > as_of:
            return "forecast.refused_later", {"trained": self.trained_as_of, "as_of": as_of}
        if (as_of - self.trained_as_of).days > MAX_AGE_DAYS:
            return "forecast.refused_old", {"trained": self.trained_as_of, "as_of": as_of,
                                            "max_days": MAX_AGE_DAYS}
        return None

    def why_not(self, as_of: date, names: list[str], inputs: str) -> str | None:
        """``refusal`` in English words."""
        from tocsin.i18n import Catalogue

        found = self.refusal(as_of, names, inputs)
        return None if found is None else Catalogue("cli", "en")(found[0], **found[1])

    def forecaster(self, builder: FeatureBuilder) -> FittedForecaster:
        from tocsin.analysis.lgbm import lightgbm as _lightgbm

        lightgbm = _lightgbm()

        from tocsin.analysis.forecast import FittedForecaster
        from tocsin.analysis.models import (
            BoostedParams,
            GradientBoostedModel,
            Logistic1D,
            SingleFeatureLogistic,
        )

        d = self.data
        model = GradientBoostedModel(BoostedParams(**d["boosted"]))
        model.booster = lightgbm.Booster(model_str=d["booster"]) if d["booster"] else None
        model.platt = tuple(d["platt"])  # type: ignore[assignment]
        model.rate = d["rate"]
        model.beta = tuple(d["beta"]) if d.get("beta") else None  # type: ignore[assignment]
        model.here = ((int(d["here"][0]), *map(float, d["here"][1:]))  # type: ignore[assignment]
                      if d.get("here") else None)
        model.split = ((int(d["split"][0]), {False: tuple(d["split"][1]), True: tuple(d["split"][2])})
                       if d.get("split") else None)  # type: ignore[assignment]
        model.isotonic = None
        if d.get("isotonic"):
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            x, y = (np.asarray(v, dtype=float) for v in d["isotonic"])
            iso.fit(x, y)
            model.isotonic = iso
        history = SingleFeatureLogistic("history_decay", "attack_history_10km")
        history.column = builder.names.index(history.feature)
        history.rate = d["history"]["rate"]
        if d["history"]["coef"] is not None:
            history.model = Logistic1D(np.asarray([[d["history"]["coef"]]]),
                                       np.asarray([d["history"]["intercept"]]))
        return FittedForecaster(builder, model, history, self.horizon_days, self.card["training_origins"],
                                self.card["training_events"])


def save_model(home: Path, fitted: FittedForecaster, as_of: date, inputs: str) -> Path:
    """Write the fitted model for its horizon (atomically: a reader sees the old or the new)."""
    model, history = fitted.model, fitted.history
    isotonic = getattr(model, "isotonic", None)
    data = {
        "boosted": asdict(model.params),
        "booster": model.booster.model_to_string() if model.booster is not None else None,
        "platt": list(model.platt), "rate": model.rate,
        "beta": list(model.beta) if getattr(model, "beta", None) else None,
        "here": list(model.here) if getattr(model, "here", None) else None,
        "split": ([model.split[0], list(model.split[1][False]), list(model.split[1][True])]
                  if getattr(model, "split", None) else None),
        "isotonic": [isotonic.X_thresholds_.tolist(), isotonic.y_thresholds_.tolist()] if isotonic else None,
        "history": {"rate": history.rate,
                    "coef": float(history.model.coef_[0, 0]) if history.model is not None else None,
                    "intercept": float(history.model.intercept_[0]) if history.model is not None else None},
    }
    card = {"what": f"probability of an atrocity-grade event within {fitted.horizon_days} days at "
                    "each place (docs/model-card.md)",
            "model": "LightGBM, " + ("isotonic" if isotonic else "Platt") + "-calibrated on held-out origins",
            "training_origins": fitted.training_origins, "training_events": fitted.training_events,
            "trained_as_of": as_of.isoformat()}
    document = {"method_version": METHOD_VERSION, "trained_as_of": as_of.isoformat(),
                "horizon_days": fitted.horizon_days, "feature_names": fitted.builder.names,
                "inputs": inputs, "card": card, "model": data}
    path = model_path(home, fitted.horizon_days)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(document))
    return path


def load_model(home: Path, horizon_days: int) -> StoredModel | None:
    """The stored model of a horizon, or None when there is none or it cannot be read."""
    path = model_path(home, horizon_days)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return StoredModel(path, doc["method_version"], date.fromisoformat(doc["trained_as_of"]),
                           int(doc["horizon_days"]), list(doc["feature_names"]), doc["inputs"],
                           doc["card"], doc["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
