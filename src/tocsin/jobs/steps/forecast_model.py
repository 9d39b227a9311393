"""The stored forecast models, one per horizon, as a job (analysis/model_store.py keeps them).

Fitting takes 10-30 s per horizon; `tocsin forecast` then loads the stored model instead of
refitting, as long as the lake's inputs are the ones it was trained on (this job's fingerprint)
and it was trained as of the forecast day or shortly before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from tocsin.i18n import Said
from tocsin.jobs.base import Job, JobContext, JobResult, input_fingerprint
from tocsin.jobs.registry import register
from tocsin.workspace import Workspace

if TYPE_CHECKING:
    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import FittedForecaster
    from tocsin.analysis.inputs import ForecastInputs
    from tocsin.i18n import Catalogue

READS = ("gazetteer", "event_links", "events", "event_aggregates", "displacement", "prices")


def inputs_fingerprint(ctx: JobContext) -> str:
    return input_fingerprint(ctx, FORECAST_MODEL)


def run(ctx: JobContext) -> JobResult:
    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import HORIZONS, fit_forecaster, latest_date
    from tocsin.analysis.model_store import save_model
    from tocsin.jobs.steps.forecasts import read_inputs

    inputs = read_inputs(ctx.workspace)
    as_of = ctx.as_of or latest_date(inputs)
    builder = FeatureBuilder(inputs)
    fingerprint = inputs_fingerprint(ctx)
    result = JobResult()
    for horizon in ctx.options.get("horizons", HORIZONS):
        ctx.say(Said("jobs.fitting_model", span=_span(horizon), as_of=as_of))
        fitted = fit_forecaster(builder, as_of, int(horizon))
        path = save_model(ctx.workspace.home, fitted, as_of, fingerprint)
        result.wrote[f"artefact:forecast-model/{path.name}"] = 1
        result.notes.append(Said("jobs.model_trained", path=str(path),
                                 span=_span(horizon), as_of=as_of,
                                 origins=fitted.training_origins))
    return result


def _span(horizon: int) -> Said:
    """"30-day", "30 يومًا": a model's horizon as the messages say it."""
    return Said("forecast.span_days", horizon=int(horizon))


@dataclass(frozen=True)
class ModelSource:
    """Where a forecast's model came from, said in any language (``told``; ``str`` is English):
    ``how`` is stored (the stored model), refit (fitted as asked) or reused (fitted, or reused
    from the last run on the same training data)."""
    how: str
    horizon: int
    day: date
    trained_as_of: date | None = None
    method_version: str | None = None
    why: tuple[str, dict[str, Any]] | None = None  # why not the stored model (forecast.why_* key)

    def told(self, say: Catalogue) -> str:
        """In the words of ``say``, the CLI catalogue in some language."""
        span = say.count("forecast.span_days", self.horizon, horizon=self.horizon)
        if self.how == "stored":
            return say("forecast.model_stored", span=span, method=self.method_version,
                       trained=self.trained_as_of)
        key, values = self.why or ("forecast.why_none_stored", {})
        if key == "forecast.why_not_used":
            why = say(key, reason=say(values["key"], **values["values"]))
        else:
            why = say(key, span=span, **values)
        return say(MODEL_KEYS[self.how], span=span, day=self.day, why=why)

    def __str__(self) -> str:
        from tocsin.i18n import Catalogue

        return self.told(Catalogue("cli", "en"))


MODEL_KEYS = {"stored": "forecast.model_stored", "refit": "forecast.model_refit",
              "reused": "forecast.model_reused"}


def forecaster_for(workspace: Workspace, builder: FeatureBuilder, inputs: ForecastInputs, day: date,
                   horizon: int, refit: bool = False, save: bool = False
                   ) -> tuple[FittedForecaster, ModelSource]:
    """The one way a forecast gets its model, for `tocsin forecast` and the daily forecasts job:
    the stored model of this job when it may forecast ``day`` (analysis/model_store.py), else the
    fit kept from an earlier run on the same training data, else a fresh fit (kept for the next
    run). With ``save`` this job fits and stores the model first. Returns it and which."""
    from tocsin.analysis.model_store import load_model
    from tocsin.jobs.steps.forecasts import fit_or_reuse
    from tocsin.lake import Lake

    ctx = JobContext(workspace, Lake(workspace.lake_dir), as_of=day, options={"horizons": (horizon,)})
    if save:
        with workspace.write_lock():
            FORECAST_MODEL.run(ctx)
    stored = None if refit else load_model(workspace.home, horizon)
    if stored is not None:
        refused = stored.refusal(day, builder.names, inputs_fingerprint(ctx))
        if refused is None:
            return stored.forecaster(builder), ModelSource("stored", horizon, day, stored.trained_as_of,
                                                           stored.method_version)
        why: tuple[str, dict[str, Any]] = ("forecast.why_not_used",
                                           {"key": refused[0], "values": refused[1]})
    else:
        why = ("forecast.why_refit_asked", {}) if refit else ("forecast.why_none_stored", {})
    if refit:
        from tocsin.analysis.forecast import fit_forecaster

        return fit_forecaster(builder, day, horizon), ModelSource("refit", horizon, day, why=why)
    return fit_or_reuse(workspace, builder, inputs, day, horizon), ModelSource("reused", horizon, day,
                                                                               why=why)


def _method_version() -> str:
    from tocsin.analysis.model_store import METHOD_VERSION

    return METHOD_VERSION


FORECAST_MODEL = register(Job(
    name="forecast-model",
    reads=READS,
    writes=("artefact:forecast-model",),
    method_version=_method_version(),
    run=run,
    on_demand=True,
    description="fit and store the place forecast model of each horizon (tocsin forecast loads it)",
))
