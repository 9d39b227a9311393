"""`tocsin --engine spark` writes the lake's derived tables as the single machine does: the
stored ``forecasts`` of `forecast --store` are the same table on both engines (the burnings
and fire events: tests/engine/test_burnings_spark.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.engine import choice
from tocsin.lake import Lake


def _stored_forecasts(sample_workspace: object, home: Path, engine: str) -> object:
    shutil.copytree(sample_workspace.home, home)  # type: ignore[attr-defined]
    args = ["--home", str(home), "--engine", engine, "forecast", "--store", "--refit", "--horizon", "30",
            "--top", "5"]
    try:
        result = CliRunner().invoke(app, args)
    finally:
        choice.choose("local")
    assert result.exit_code == 0, result.output
    from tocsin.workspace import Workspace

    # Stored by as-of day (issue 12): one file per day, in key order.
    files = Lake(Workspace(home).lake_dir).derived_files("forecasts")
    assert files
    return pa.concat_tables(pq.read_table(f) for f in files)


def test_spark_stores_the_same_forecasts_table(spark: object, sample_workspace: object,
                                               tmp_path: Path) -> None:
    here = _stored_forecasts(sample_workspace, tmp_path / "here", "local")
    there = _stored_forecasts(sample_workspace, tmp_path / "there", "spark")
    assert here.num_rows > 1000   # type: ignore[attr-defined]
    assert there.equals(here)     # type: ignore[attr-defined]
