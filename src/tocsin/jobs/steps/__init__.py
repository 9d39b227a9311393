"""The built-in jobs: one module per step; ``register_all`` imports them, which registers them.
Steps import their heavy modules (the model, the brief's PDF writer) inside ``run``. Importing
one step's module (the brief reads the siege tracker's board from ``steps.siege``) does not
import the others: the forecast model's alone pulls in pandas and LightGBM, seconds a brief
need not pay."""

from __future__ import annotations

from importlib import import_module

STEPS = ("alerts", "brief", "burnings", "field_reports", "forecast_model", "forecasts", "gazetteer")


def register_all() -> None:
    for name in STEPS:
        import_module(f"tocsin.jobs.steps.{name}")
