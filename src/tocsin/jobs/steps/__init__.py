"""The built-in jobs: one module per step; importing this package registers them all.
Steps import their heavy modules (the model, the brief's PDF writer) inside ``run``."""

from tocsin.jobs.steps import alerts, brief, burnings, forecast_model, forecasts, gazetteer  # noqa: F401
