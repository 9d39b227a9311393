"""The brief's board reads its day from the alerts scan's span of stages instead of computing
the siege rules again: the day read back equals the day computed on its own."""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc

from tocsin.jobs.steps.siege import load_inputs, resolve_as_of
from tocsin.workspace import Workspace


def test_a_day_read_from_the_span_equals_the_day_computed_alone(sample_workspace: Workspace) -> None:
    inputs = load_inputs(sample_workspace)
    end = resolve_as_of(inputs, None)
    # A span where places are past calm (the sample's siege months), as the alerts scan takes.
    busy = dt.date(2023, 6, 15)
    for last in (end, busy):
        inputs.stages(last - dt.timedelta(days=43), last)
        alone = load_inputs(sample_workspace)  # no span kept: every day computed afresh
        for day in (last, last - dt.timedelta(days=20)):
            served = inputs.stages(day, day)
            fresh = alone.stages(day, day)
            assert served.num_rows and served.equals(fresh), day
    assert pc.sum(pc.greater(served.column("stage_rank"), 0)).as_py() > 0  # not all calm
    # Other rules, no evidence or some places only: computed, never read from the span.
    assert inputs.stages(busy, busy, evidence=False).equals(alone.stages(busy, busy, evidence=False))
