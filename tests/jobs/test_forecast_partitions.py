"""The forecasts table in partitions by as-of day (decision 0041): a day's forecast writes one
file, the other days' files stay as they were; a table stored whole before is split on its
first merge and reads the same; forecasts that do not fit are refused with nothing written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tocsin.analysis.forecast import FORECAST_SCHEMA
from tocsin.jobs.base import JobContext
from tocsin.jobs.steps.forecasts import merge_forecasts
from tocsin.lake import STAGING, Lake
from tocsin.workspace import Workspace, WorkspaceError


def _rows(day: date, horizon: int, probability: float, places: int = 3) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "rank": i + 1,
                "place_id": f"p{i}",
                "as_of": day,
                "horizon_days": horizon,
                "probability": probability,
                "reasons": ["r"],
            }
            for i in range(places)
        ],
        schema=FORECAST_SCHEMA,
    )


def _context(tmp_path: Path) -> JobContext:
    workspace = Workspace(tmp_path / "ws")
    lake = Lake(tmp_path / "ws" / "lake")
    lake.create()
    return JobContext(workspace, lake)


def _read(lake: Lake) -> list[tuple]:
    con = lake.connect([])
    try:
        return con.execute(
            "SELECT as_of, horizon_days, place_id, probability FROM forecasts ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def test_a_day_writes_its_own_partition_and_keeps_the_others(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    assert merge_forecasts(ctx, _rows(date(2025, 1, 8), 30, 0.1)) == 3
    first = ctx.lake.derived_parts("forecasts")
    assert first is not None and list(first) == ["2025-01-08"]
    assert merge_forecasts(ctx, _rows(date(2025, 1, 9), 30, 0.2)) == 6
    second = ctx.lake.derived_parts("forecasts")
    assert second is not None and list(second) == ["2025-01-08", "2025-01-09"]
    assert second["2025-01-08"] == first["2025-01-08"]  # the day before: not rewritten
    # The same day and horizon again replaces those rows; another horizon is kept beside them.
    assert merge_forecasts(ctx, _rows(date(2025, 1, 9), 30, 0.5).slice(0, 2)) == 5
    assert merge_forecasts(ctx, _rows(date(2025, 1, 9), 7, 0.7, places=1)) == 6
    third = ctx.lake.derived_parts("forecasts")
    assert third is not None and third["2025-01-08"] == first["2025-01-08"]
    assert _read(ctx.lake) == [
        *[(date(2025, 1, 8), 30, f"p{i}", 0.1) for i in range(3)],
        (date(2025, 1, 9), 7, "p0", 0.7),
        (date(2025, 1, 9), 30, "p0", 0.5),
        (date(2025, 1, 9), 30, "p1", 0.5),
    ]
    # Files of replaced partitions are gone from the lake.
    named = {p.name for p in ctx.lake.derived_files("forecasts")}
    on_disk = {p.name for p in (ctx.lake.root / "derived").glob("forecasts-*.parquet")}
    assert on_disk == named


def test_a_table_stored_whole_is_split_into_days_on_its_first_merge(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    # A lake from before the partitions: one file, written without the newest column.
    old = pa.concat_tables([_rows(date(2025, 1, 7), 30, 0.1), _rows(date(2025, 1, 8), 30, 0.2)])
    old = old.drop_columns([FORECAST_SCHEMA.names[-1]])
    staged = ctx.lake.staging_path("forecasts", "derived")
    pq.write_table(old, staged)
    ctx.lake.replace_derived({"forecasts": staged}, {"forecasts": "old"})
    before = _read(ctx.lake)  # read as it was stored
    assert len(before) == 6
    assert merge_forecasts(ctx, _rows(date(2025, 1, 9), 30, 0.3)) == 9
    parts = ctx.lake.derived_parts("forecasts")
    assert parts is not None and list(parts) == ["2025-01-07", "2025-01-08", "2025-01-09"]
    assert _read(ctx.lake) == before + [(date(2025, 1, 9), 30, f"p{i}", 0.3) for i in range(3)]
    with pytest.raises(Exception, match="partitions"):
        ctx.lake.derived_path("forecasts")


def test_forecasts_that_do_not_fit_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    merge_forecasts(ctx, _rows(date(2025, 1, 8), 30, 0.1))
    manifest = ctx.lake.manifest_path.read_bytes()
    bad = _rows(date(2025, 1, 9), 30, 0.2).set_column(
        FORECAST_SCHEMA.get_field_index("probability"), "probability", pa.array(["high"] * 3)
    )
    with pytest.raises(WorkspaceError, match="forecasts to store do not fit"):
        merge_forecasts(ctx, bad)
    assert ctx.lake.manifest_path.read_bytes() == manifest
    assert not list((ctx.lake.root / STAGING).iterdir())
