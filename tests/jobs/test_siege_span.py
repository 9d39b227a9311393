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


def test_the_board_dates_each_stage_from_the_span_as_from_the_whole_lookback(
        sample_workspace: Workspace) -> None:
    """The board's "since" (when a place entered its stage) is read from the alert scan's span
    where the stage changed inside it, and from the rules' whole lookback otherwise: the board
    is the one computed with no span at all, on days where places entered their stage inside
    the span and before it."""
    from tocsin.jobs.steps.siege import board

    sinces = set()
    for last in (dt.date(2023, 6, 15), dt.date(2023, 11, 10), dt.date(2023, 12, 20)):
        inputs = load_inputs(sample_workspace)
        first = last - dt.timedelta(days=43)
        inputs.stages(first, last)  # the span the alerts scan leaves
        alone = load_inputs(sample_workspace)
        for day in (last, last - dt.timedelta(days=10)):
            served, fresh = board(inputs, day), board(alone, day)
            assert served == fresh, day
            sinces |= {(r["since"] > first) for r in fresh if r["since"]}
    assert sinces == {True, False}  # both ways of dating a stage were exercised
