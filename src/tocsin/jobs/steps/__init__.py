"""The built-in jobs: one module per step; importing this package registers them all."""

from tocsin.jobs.steps import (
    field_reports,  # noqa: F401
    gazetteer,  # noqa: F401
)
