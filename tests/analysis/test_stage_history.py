"""The forecast's siege history: computed in chunks, it says what one computation says."""

from __future__ import annotations

from tocsin.jobs.steps.siege import stage_history
from tocsin.workspace import Workspace


def _runs(table) -> list[tuple[str, object, int]]:  # type: ignore[no-untyped-def]
    """(place, date, rank) where a place's rank changes, dropping rows that repeat the last."""
    runs, last = [], {}
    for row in table.sort_by([("place_id", "ascending"), ("date", "ascending")]).to_pylist():
        if last.get(row["place_id"], 0) != row["stage_rank"]:
            runs.append((row["place_id"], row["date"], row["stage_rank"]))
        last[row["place_id"]] = row["stage_rank"]
    return runs


def test_chunks_give_the_same_history_as_one_pass(sample_workspace: Workspace) -> None:
    whole = stage_history(sample_workspace, chunk_days=20_000)
    chunked = stage_history(sample_workspace, chunk_days=97)
    assert whole is not None and chunked is not None
    assert whole.num_rows > 10, "the sample has sieges: the history must not be empty"
    assert any(r == 0 for _, _, r in _runs(whole)), "returns to calm must be part of the test"
    assert _runs(chunked) == _runs(whole)
