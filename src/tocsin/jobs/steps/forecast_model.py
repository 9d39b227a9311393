"""The stored forecast models, one per horizon, as a job (analysis/model_store.py keeps them).

Fitting takes 10-30 s per horizon; `tocsin forecast` then loads the stored model instead of
refitting, as long as the lake's inputs are the ones it was trained on (this job's fingerprint)
and it was trained as of the forecast day or shortly before.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from tocsin.jobs.base import Job, JobContext, JobResult, input_fingerprint
from tocsin.jobs.registry import register
from tocsin.workspace import Workspace

if TYPE_CHECKING:
    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import FittedForecaster
    from tocsin.analysis.inputs import ForecastInputs

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
        ctx.say(f"fitting the {horizon}-day forecast model as of {as_of}")
        fitted = fit_forecaster(builder, as_of, int(horizon))
        path = save_model(ctx.workspace.home, fitted, as_of, fingerprint)
        result.wrote[f"artefact:forecast-model/{path.name}"] = 1
        result.notes.append(f"{path}: {horizon}-day model trained as of {as_of} on "
                            f"{fitted.training_origins} monthly origins")
    return result


def forecaster_for(workspace: Workspace, builder: FeatureBuilder, inputs: ForecastInputs, day: date,
                   horizon: int, refit: bool = False, save: bool = False) -> tuple[FittedForecaster, str]:
    """The one way a forecast gets its model, for `tocsin forecast` and the daily forecasts job:
    the stored model of this job when it may forecast ``day`` (analysis/model_store.py), else the
    fit kept from an earlier run on the same training data, else a fresh fit (kept for the next
    run). With ``save`` this job fits and stores the model first. Returns it and a line saying
    which."""
    from tocsin.analysis.model_store import load_model
    from tocsin.jobs.steps.forecasts import fit_or_reuse
    from tocsin.lake import Lake

    ctx = JobContext(workspace, Lake(workspace.lake_dir), as_of=day, options={"horizons": (horizon,)})
    if save:
        with workspace.write_lock():
            FORECAST_MODEL.run(ctx)
    stored = None if refit else load_model(workspace.home, horizon)
    if stored is not None:
        reason = stored.why_not(day, builder.names, inputs_fingerprint(ctx))
        if reason is None:
            return (stored.forecaster(builder),
                    f"using the stored {horizon}-day model ({stored.method_version}, trained as of "
                    f"{stored.trained_as_of})")
        why = f"the stored model was not used: {reason}"
    else:
        why = "refitting as asked" if refit else f"no stored {horizon}-day model"
    if refit:
        from tocsin.analysis.forecast import fit_forecaster

        return fit_forecaster(builder, day, horizon), f"fitted a {horizon}-day model as of {day} ({why})"
    fitted = fit_or_reuse(workspace, builder, inputs, day, horizon)
    return fitted, (f"{horizon}-day model as of {day}, fitted or reused from the last run on the same "
                    f"training data ({why}; --save-model keeps one)")


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
