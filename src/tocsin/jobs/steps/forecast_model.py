"""The stored forecast models, one per horizon, as a job (analysis/model_store.py keeps them).

Fitting takes 10-30 s per horizon; `tocsin forecast` then loads the stored model instead of
refitting, as long as the lake's inputs are the ones it was trained on (this job's fingerprint)
and it was trained as of the forecast day or shortly before.
"""

from __future__ import annotations

from tocsin.jobs.base import Job, JobContext, JobResult, input_fingerprint
from tocsin.jobs.registry import register

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


def _method_version() -> str:
    from tocsin.analysis.model_store import METHOD_VERSION

    return METHOD_VERSION


FORECAST_MODEL = register(Job(
    name="forecast-model",
    reads=READS,
    writes=("artefact:forecast-model",),
    method_version=_method_version(),
    run=run,
    description="fit and store the place forecast model of each horizon (tocsin forecast loads it)",
))
