"""The built-in jobs: one module per step; importing this package registers them all."""

from tocsin.jobs.steps import forecast_model, gazetteer  # noqa: F401
