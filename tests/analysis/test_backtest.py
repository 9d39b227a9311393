"""The rolling-origin backtest on the bundled Darfur sample: every model, honest scores."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tocsin.analysis.backtest import BacktestError, BacktestParams, run_backtest
from tocsin.analysis.inputs import ForecastInputs
from tocsin.jobs.steps.forecasts import read_inputs
from tocsin.workspace import Workspace

MODELS = {"zero", "base_rate", "persistence", "history_decay", "spatial_lag", "lightgbm"}


@pytest.fixture(scope="module")
def sample_inputs(sample_workspace: Workspace) -> ForecastInputs:
    return read_inputs(sample_workspace)


def test_backtest_scores_every_model_at_every_origin(sample_inputs: ForecastInputs) -> None:
    seen: list[date] = []
    params = BacktestParams(start=date(2013, 1, 1), end=date(2014, 12, 1), horizons=(30, 90),
                            train_start=date(2003, 1, 1))
    result = run_backtest(sample_inputs, params, lambda origin, done, total: seen.append(origin))
    assert seen[0] == date(2003, 1, 1) and seen[-1] == date(2014, 12, 1) and len(seen) == 144
    rows = result.table().to_pylist()
    assert {(r["horizon_days"], r["model"]) for r in rows} == {(h, m) for h in (30, 90) for m in MODELS}
    places = sample_inputs.places.num_rows
    for row in rows:
        assert row["origins"] == 24
        assert row["place_windows"] == 24 * places
        assert 0 <= row["brier"] <= 1
    by = {(r["horizon_days"], r["model"]): r for r in rows}
    for h in (30, 90):
        events = by[(h, "zero")]["events"]
        assert events > 0 and all(by[(h, m)]["events"] == events for m in MODELS)
        # A constant forecast ranks nothing: its precision is the share of place-windows hit.
        assert by[(h, "zero")]["average_precision"] == pytest.approx(events / (24 * places))
        assert by[(h, "zero")]["auroc"] == 0.5
        assert by[(h, "base_rate")]["brier_skill"] == 0
        assert by[(h, "zero")]["brier"] == pytest.approx(events / (24 * places))
    assert by[(90, "zero")]["events"] > by[(30, "zero")]["events"]
    calibration = result.calibration().to_pylist()
    assert {r["model"] for r in calibration} == MODELS
    for h in (30, 90):
        for m in MODELS:
            assert sum(r["forecasts"] for r in calibration if r["model"] == m and r["horizon_days"] == h) \
                == 24 * places


def test_origins_past_the_data_are_not_scored(sample_inputs: ForecastInputs) -> None:
    # The sample's last event is dated 2023-12-29: later windows are not closed in the data.
    params = BacktestParams(start=date(2023, 6, 1), end=date(2023, 12, 1), horizons=(7, 90),
                            train_start=date(2021, 1, 1))
    result = run_backtest(sample_inputs, params)
    assert result.data_end == max(sample_inputs.events.column("date_end").to_pylist()) == date(2023, 12, 29)
    assert result.origins == {7: 7, 90: 4}                    # June..Dec; June..Sept (+90 <= Dec 29)


@pytest.mark.parametrize(("start", "end", "message", "arabic"), [
    (date(2010, 1, 1), date(2009, 1, 1), "after the end", "بعد النهاية"),
    (date(1989, 6, 1), date(1990, 1, 1), "choose a later --start", "اختر --start لاحقًا"),
    (date(2024, 6, 1), date(2024, 12, 1), "outcome window inside the data", "تقع نافذة نتائجها داخل"),
])
def test_impossible_backtests_say_why(sample_inputs: ForecastInputs, start: date, end: date,
                                      message: str, arabic: str) -> None:
    from tocsin.i18n import Catalogue, said_of, told

    with pytest.raises(BacktestError, match=message) as raised:
        run_backtest(sample_inputs, BacktestParams(start=start, end=end))
    # An Arabic session tells why in Arabic, its dates as Arabic writes them.
    in_arabic = told(said_of(raised.value), Catalogue("cli", "ar"))
    assert arabic in in_arabic and message not in in_arabic
    assert not re.search(r"\d{4}-\d\d-\d\d", in_arabic), in_arabic  # "1 يناير 2010", not 2010-01-01
