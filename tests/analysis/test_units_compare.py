"""The peers' units (PRIO-GRID, country, admin1 months) and Tocsin against ViEWS and CAST.

The shared data holds ViEWS forecasts for October 2025 on and UCDP events up to December 2023:
no month has both. These tests score the real ViEWS rows against generated outcomes in their
own cells, and check that the real data alone is refused with the reason."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from forecast_factories import event, inputs, place
from typer.testing import CliRunner

from tocsin.analysis.compare import CompareError, compare
from tocsin.analysis.evaluation.peers import Contender, average_precision, score_side_by_side
from tocsin.analysis.inputs import ForecastInputs
from tocsin.analysis.timeaxis import month_starts, to_day
from tocsin.analysis.units import build_panel, month_index, pg_centre, pg_id, unit_forecast
from tocsin.cli.main import app
from tocsin.workspace import Workspace

# Two real ViEWS cells in Darfur (sdn-views-conflict-forecasts-priogrid-month.csv has both).
HOT, QUIET = 149451, 148730      # El Fasher's cell, and one south-west of it


def test_prio_grid_numbering_matches_prio() -> None:
    # PRIO-GRID 1 is the cell at 89.75 S, 179.75 W; 720 cells a row, numbered west to east.
    assert pg_id(np.array([-89.9]), np.array([-179.9]))[0] == 1
    assert pg_id(np.array([-89.9]), np.array([179.9]))[0] == 720
    assert pg_id(np.array([-89.4]), np.array([-179.9]))[0] == 721
    lat, lon = pg_centre(np.array([HOT]))
    assert pg_id(lat, lon)[0] == HOT and 8 < lat[0] < 23 and 21 < lon[0] < 39


def _grid_inputs(last: date = date(2025, 11, 30)) -> ForecastInputs:
    """Places in the two cells; fighting in HOT most months since 2014 (heavy in odd months),
    none in QUIET."""
    (hot_lat,), (hot_lon,) = pg_centre(np.array([HOT]))
    (quiet_lat,), (quiet_lon,) = pg_centre(np.array([QUIET]))
    places = [place("hot", hot_lat, hot_lon, admin1_pcode="SD02", admin2_pcode="SD02001"),
              place("quiet", quiet_lat, quiet_lon, admin1_pcode="SD03", admin2_pcode="SD03001")]
    events = []
    for m in month_starts(date(2014, 1, 1), last):
        deaths = 40 if m.month % 2 else 5
        events.append(event(f"b{m}", m.replace(day=10), hot_lat, hot_lon, category="battle",
                            deaths=deaths, admin2_pcode="SD02001", admin1_pcode="SD02"))
    return inputs(places, events)


def test_panel_counts_only_what_was_known_before_the_day() -> None:
    data = _grid_inputs()
    panel = build_panel(data, "priogrid-month", [str(HOT), str(QUIET)])
    all_known = panel.counts(None, "deaths")
    col = panel.month_of(int(month_index(to_day(date(2020, 3, 1)))))
    assert all_known[0, col] == 40 and all_known[1].sum() == 0
    # As of 2020-03-05 the event of 2020-03-10 is not known yet; with a year's lag nothing of 2019 is.
    assert panel.counts(to_day(date(2020, 3, 5)), "deaths")[0, col] == 0
    lagged = build_panel(data, "priogrid-month", [str(HOT)], event_lag_days=365)
    as_of = lagged.counts(to_day(date(2020, 3, 1)), "deaths")
    assert as_of[0, col - 6] == 0 and as_of[0, col - 13] == 5     # February 2019 is known


def test_unit_forecasts_learn_the_pattern_at_each_level() -> None:
    data = _grid_inputs(date(2023, 12, 31))
    grid = unit_forecast(data, "priogrid-month", date(2023, 11, 1), leads=(1, 2)).to_pylist()
    by = {(r["unit_id"], r["lead_months"]): r for r in grid}
    # November (odd month) is heavy, December light; the quiet cell stays quiet.
    assert by[(str(HOT), 1)]["expected"] > 3 * by[(str(HOT), 2)]["expected"]
    assert by[(str(HOT), 1)]["probability"] > 0.5 > by[(str(QUIET), 1)]["probability"]
    assert by[(str(QUIET), 1)]["expected"] < 1
    admin1 = unit_forecast(data, "admin1-month", date(2023, 11, 1)).to_pylist()
    battles = {r["unit_id"]: r["expected"] for r in admin1 if r["target"] == "battles"}
    assert battles["SD02"] > 0.5 > battles["SD03"]
    assert {r["target"] for r in admin1} == {"total", "battles", "erv", "vac"}


def test_unit_backtest_scores_each_level_against_persistence_and_zero() -> None:
    from tocsin.analysis.units import unit_backtest

    rows = unit_backtest(_grid_inputs(date(2023, 12, 31)), ("priogrid-month", "admin1-month"),
                         date(2022, 1, 1), date(2023, 6, 1), leads=(1,))
    grid = {r["model"]: r for r in rows if r["level"] == "priogrid-month"}
    assert set(grid) == {"tocsin", "last_month", "zero"} and grid["tocsin"]["months"] == 18
    # Heavy and light months alternate: last month's count is always wrong, the model is not.
    assert grid["tocsin"]["msle"] < min(grid["last_month"]["msle"], grid["zero"]["msle"])
    assert grid["tocsin"]["events"] == 9          # the odd months of 2022-01 .. 2023-06
    # UCDP-like data has no explosions: CAST's ERV target is left out rather than scored on zeros.
    assert {r["target"] for r in rows if r["level"] == "admin1-month"} == {"total", "battles"}


def test_average_precision_and_side_by_side_intervals() -> None:
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(3)
    y = rng.random(300) < 0.1
    score = rng.random(300) + y * 0.5
    assert average_precision(score, y) == pytest.approx(average_precision_score(y, score))
    observed = np.where(y, 30.0, 0.0)
    month = np.repeat(np.arange(30), 10)
    rows = score_side_by_side(observed, month, [Contender("good", observed + 1, y * 0.9 + 0.05),
                                                Contender("bad", np.full(300, 5.0), np.full(300, 0.5))],
                              threshold=25, reps=200)
    good, bad = rows
    assert good["msle"] < bad["msle"] and good["brier"] < bad["brier"] and good["ap"] > bad["ap"]
    assert good["msle_low"] <= good["msle"] <= good["msle_high"]
    assert bad["msle_vs_first_low"] > 0          # the interval of the difference excludes 0


@pytest.fixture
def views_workspace(tmp_path: Path, shared_data: Path) -> Workspace:
    from tocsin.ingest import ingest_paths

    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    folder = shared_data / "views-forecasts-sdn"
    outcome = ingest_paths(workspace, "views", sorted(folder.glob("*.csv")), rebuild=False)
    assert not outcome.errors
    return workspace


def test_tocsin_against_real_views_rows_on_generated_outcomes(views_workspace: Workspace) -> None:
    from tocsin.cli.forecast import _peer_forecasts

    peer, _ = _peer_forecasts(views_workspace)
    assert peer.num_rows == 1036
    result = compare(_grid_inputs(), peer, "views", date(2025, 11, 30), reps=50)
    rows = result.rows
    levels = {(r["level"], r["lead_months"]) for r in rows}
    # Only October and November 2025 have outcomes: leads 1 and 2 of the ViEWS run of 550.
    assert levels == {("priogrid-month", 1), ("priogrid-month", 2), ("country-month", 1),
                      ("country-month", 2)}
    grid = {r["model"]: r for r in rows if r["level"] == "priogrid-month" and r["lead_months"] == 1}
    assert set(grid) == {"tocsin", "views", "last_month"}
    assert grid["tocsin"]["n"] == grid["views"]["n"] == 635   # the 635 cells ViEWS forecast for 550
    assert grid["tocsin"]["events"] == 0                      # 5 deaths in HOT in October
    november = {r["model"]: r for r in rows if r["level"] == "priogrid-month" and r["lead_months"] == 2}
    assert november["tocsin"]["n"] == 365 and november["tocsin"]["events"] == 1   # 40 in November
    # On this generated pattern Tocsin, which learnt it, ranks the hot cell first.
    assert november["tocsin"]["ap"] == pytest.approx(1.0)
    assert all(r["msle_low"] <= r["msle"] <= r["msle_high"] for r in rows)


def test_no_overlapping_month_is_said_not_printed_as_empty_tables(views_workspace: Workspace) -> None:
    from tocsin.cli.forecast import _peer_forecasts

    peer, _ = _peer_forecasts(views_workspace)
    with pytest.raises(CompareError, match=r"no month to compare: the views forecasts are for "
                                           r"2025-10-01 \.\. 2028-09-01, the events end 2023-12-31"):
        compare(_grid_inputs(date(2023, 12, 31)), peer, "views", date(2023, 12, 31))
    with pytest.raises(CompareError, match="no cast forecasts"):
        compare(_grid_inputs(), peer, "cast", date(2025, 11, 30))


def test_cast_rows_are_scored_by_type(tmp_path: Path) -> None:
    attributes = [json.dumps({"total_forecast": str(t), "battles_forecast": str(t), "erv_forecast": "0",
                              "vac_forecast": "0", "timestamp": "1759276800"}) for t in (20, 1)]
    peer = pa.table({"system": ["acled-cast"] * 2, "level": ["admin1-month"] * 2,
                     "unit_id": ["SD02", "SD03"], "month_start": [date(2025, 10, 1)] * 2,
                     "month_id": [550, 550], "predicted_fatalities": pa.array([None, None], pa.float64()),
                     "probability": pa.array([None, None], pa.float64()), "attributes": attributes,
                     "batch_id": ["b", "b"]})
    rows = compare(_grid_inputs(), peer, "cast", date(2025, 11, 30), reps=20).rows
    assert {(r["target"], r["model"]) for r in rows} >= {("battles", "tocsin"), ("battles", "cast"),
                                                          ("total", "cast")}
    assert all(r["lead_months"] == 1 and r["n"] == 2 for r in rows)


def test_compare_command_says_why_nothing_compares(sample_workspace: Workspace) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--home", str(sample_workspace.home), "compare", "--against", "views"])
    assert result.exit_code == 1 and "no month to compare" in result.stderr
    result = runner.invoke(app, ["--home", str(sample_workspace.home), "compare", "--against", "cast"])
    assert result.exit_code == 1 and "no cast forecasts" in result.stderr
    result = runner.invoke(app, ["--home", str(sample_workspace.home), "compare", "--against", "acme"])
    assert result.exit_code == 2
    # An Arabic session says why in Arabic, with the dates the English names.
    told = runner.invoke(app, ["--home", str(sample_workspace.home), "--lang", "ar", "compare",
                               "--against", "views"])
    assert told.exit_code == 1 and "لا شهر للمقارنة" in told.stderr and "no month" not in told.stderr
    told = runner.invoke(app, ["--home", str(sample_workspace.home), "--lang", "ar", "compare",
                               "--against", "cast"])
    assert told.exit_code == 1 and "لا توقعات" in told.stderr and "the lake" not in told.stderr
