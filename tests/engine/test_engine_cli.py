"""`tocsin --engine spark`: the forecast and the backtest take their features from the tiles;
commands with no Spark path refuse it by name instead of quietly running here."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from typer.testing import CliRunner

from tocsin.analysis.backtest import BacktestParams, run_backtest
from tocsin.cli.main import app
from tocsin.engine import choice
from tocsin.engine.features import backtest_features


@pytest.fixture(autouse=True)
def _local_again():
    yield
    choice.choose("local")


@pytest.mark.parametrize("command", [["compare", "--against", "views"], ["siege", "board"], ["update"]])
def test_commands_without_a_spark_path_refuse_it(command: list[str], sample_workspace: object) -> None:
    result = CliRunner().invoke(app, ["--home", str(sample_workspace.home), "--engine", "spark",  # type: ignore[attr-defined]
                                      *command])
    assert result.exit_code == 2, result.output
    assert "runs on this machine only: drop --engine spark" in result.output


def test_the_backtest_on_tiles_scores_what_the_single_machine_scores(sample_workspace: object) -> None:
    """The whole backtest (fits, scores, calibration) from tiled features: the same table."""
    from tocsin.jobs.steps.forecasts import read_inputs

    full = read_inputs(sample_workspace)  # type: ignore[arg-type]
    inputs = replace(full, places=full.places.slice(0, 4000))
    params = BacktestParams(start=date(2013, 1, 1), end=date(2013, 12, 1), horizons=(30, 90),
                            train_start=date(2008, 1, 1))
    here = run_backtest(inputs, params)
    tiled = run_backtest(inputs, params, builder=backtest_features(inputs, params, None))  # type: ignore[arg-type]
    # Compared as text: NaN (no events in the top N) equals NaN there, and nowhere else.
    assert repr(tiled.table().to_pylist()) == repr(here.table().to_pylist())
    assert repr(tiled.calibration().to_pylist()) == repr(here.calibration().to_pylist())
    assert here.table().num_rows > 4
    assert tiled.data_end == here.data_end
