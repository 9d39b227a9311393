"""The built-in jobs: one module per step; importing this package registers them all.
Steps import their heavy modules (the model, the brief's PDF writer) inside ``run``."""

from tocsin.jobs.steps import (  # noqa: F401
    alerts,
    brief,
    burnings,
    field_reports,
    forecast_model,
    forecasts,
    gazetteer,
)
