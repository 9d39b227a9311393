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


def test_evidence_on_changes_is_the_full_evidence_where_a_history_reads_it(
        sample_workspace: Workspace) -> None:
    """``evidence="changes"``: the rows of every stage change and of the last day carry the
    evidence a full computation gives them, the other rows none; stages, reasons and the
    escalations found are the same."""
    from tocsin.analysis.siege import escalations, siege_stages, stage_changes

    inputs = load_inputs(sample_workspace)
    first, last = dt.date(2023, 10, 1), dt.date(2023, 11, 15)   # Nyala, Zalingei, El Geneina
    args = dict(prices=inputs.prices, displacement=inputs.displacement,
                connectivity=inputs.connectivity, burnings=inputs.burnings, control=inputs.control)
    full = siege_stages(inputs.places, inputs.events, first, last, **args)
    some = siege_stages(inputs.places, inputs.events, first, last, evidence="changes", **args)
    assert some.drop_columns(["evidence"]).equals(full.drop_columns(["evidence"]))
    keys = list(zip(full.column("place_id").to_pylist(), full.column("date").to_pylist(), strict=True))
    changed = set(zip(stage_changes(full).column("place_id").to_pylist(),
                      stage_changes(full).column("date").to_pylist(), strict=True))
    assert len(changed) > 20   # the autumn's sieges move many towns
    carried = 0
    for key, whole, part in zip(keys, full.column("evidence").to_pylist(),
                                some.column("evidence").to_pylist(), strict=True):
        if key in changed or key[1] == last:
            assert part == whole, key
            carried += bool(part)
        else:
            assert part == [], key
    assert carried > 20
    assert escalations(some).equals(escalations(full)) and escalations(full).num_rows > 0
