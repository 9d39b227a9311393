"""`tocsin forecast` and `tocsin backtest` on the bundled sample: output, storage, errors."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from tocsin.analysis.forecast import FORECAST_SCHEMA
from tocsin.cli.main import app
from tocsin.jobs.steps.forecasts import store_forecasts
from tocsin.lake import Lake
from tocsin.workspace import Workspace

runner = CliRunner()


def tocsin(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--home", str(home), *args])


def test_forecast_json_ranks_places_with_reasons(sample_workspace: Workspace) -> None:
    result = tocsin(sample_workspace.home, "forecast", "--as-of", "2023-08-01", "--horizon", "30",
                    "--top", "15", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    places = report["places"]
    assert report["as_of"] == "2023-08-01" and report["horizon_days"] == 30 and len(places) == 15
    assert [p["rank"] for p in places] == list(range(1, 16))
    probabilities = [p["probability"] for p in places]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 < p < 1 for p in probabilities)
    assert all(1 <= len(p["reasons"]) <= 3 for p in places)
    assert all(isinstance(r, str) for p in places for r in p["reasons"])
    assert all(p["nearest_violence"] and p["nearest_violence_ar"] for p in places)
    assert report["warning"] is None           # the sample's events reach past 2023-08-01
    # Each town once: its sub-places (places/hierarchy.py) are folded under it, not listed.
    ids = [p["place_id"] for p in places]
    assert len(set(ids)) == len(ids)
    assert not {s["place_id"] for p in places for s in p.get("sub_places", [])} & set(ids)
    assert all(len(p["reasons_ar"]) == len(p["reasons"]) for p in places)
    assert report["training_origins"] >= 100 and report["training_events"] > 0
    # Darfur's war of 2023: the towns then under attack are the ones flagged.
    darfur_towns_attacked_in_2023 = {"Nyala", "Al-Junaynah", "Zalingei", "El Fasher", "Kutum", "Al Fāshir"}
    assert darfur_towns_attacked_in_2023 & {p["name"] for p in places}


def test_forecast_table_and_store(sample_workspace: Workspace, tmp_path: Path) -> None:
    home = tmp_path / "ws"
    shutil.copytree(sample_workspace.home, home)
    result = tocsin(home, "forecast", "--as-of", "2023-06-01", "--horizon", "7", "--top", "5", "--store")
    assert result.exit_code == 0, result.output
    assert "Places most at risk" in result.stdout and "probability" in result.stdout
    con = Lake(home / "lake").connect()
    n = con.execute("SELECT count(*) FROM gazetteer").fetchone()[0]
    assert con.execute("SELECT count(*), count(DISTINCT place_id), min(as_of), max(horizon_days) "
                       "FROM forecasts").fetchone() == (n, n, date(2023, 6, 1), 7)


def test_storing_again_replaces_the_same_date_and_horizon_only(sample_workspace: Workspace,
                                                               tmp_path: Path) -> None:
    home = Workspace(tmp_path / "ws")
    shutil.copytree(sample_workspace.home, home.home)
    rows = [{"rank": 1, "place_id": "p1", "as_of": date(2023, 6, 1), "horizon_days": 7, "probability": 0.5,
             "reasons": ["x"]}, {"rank": 1, "place_id": "p1", "as_of": date(2023, 6, 1),
                                 "horizon_days": 30, "probability": 0.6, "reasons": []}]
    assert store_forecasts(home, pa.Table.from_pylist(rows, schema=FORECAST_SCHEMA)) == 2
    newer = [dict(rows[0], probability=0.9), dict(rows[0], as_of=date(2023, 7, 1))]
    assert store_forecasts(home, pa.Table.from_pylist(newer, schema=FORECAST_SCHEMA)) == 3
    files = Lake(home.lake_dir).derived_files("forecasts")
    assert len(files) == 2  # one partition per as-of day
    stored = pa.concat_tables([pq.read_table(f) for f in files]).to_pylist()
    assert sorted((r["as_of"], r["horizon_days"], r["probability"]) for r in stored) == [
        (date(2023, 6, 1), 7, 0.9), (date(2023, 6, 1), 30, 0.6), (date(2023, 7, 1), 7, 0.5)]


def test_forecast_errors(tmp_path: Path, sample_workspace: Workspace) -> None:
    bad_date = tocsin(sample_workspace.home, "forecast", "--as-of", "01/08/2023")
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output
    bad_horizon = tocsin(sample_workspace.home, "forecast", "--horizon", "0")
    assert bad_horizon.exit_code == 2
    missing = tocsin(tmp_path / "nothing", "forecast")
    assert missing.exit_code == 1 and "no Tocsin workspace" in missing.stderr
    assert tocsin(tmp_path / "empty", "init").exit_code == 0
    empty = tocsin(tmp_path / "empty", "forecast")
    assert empty.exit_code == 1 and "no gazetteer" in empty.stderr
    too_early = tocsin(sample_workspace.home, "forecast", "--as-of", "1989-03-01")
    assert too_early.exit_code == 1 and "needs a year" in too_early.stderr


def test_backtest_command_json_and_out(sample_workspace: Workspace, tmp_path: Path) -> None:
    result = tocsin(sample_workspace.home, "backtest", "--start", "2015-01-01", "--end", "2015-06-01",
                    "--horizon", "30", "--json", "--out", str(tmp_path / "bt"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["horizons"] == [30] and len(report["scores"]) == 6
    written = json.loads((tmp_path / "bt" / "backtest.json").read_text())
    assert written["scores"] == report["scores"]
    wrong = tocsin(sample_workspace.home, "backtest", "--start", "2016-01-01", "--end", "2015-01-01")
    assert wrong.exit_code == 1 and "after the end" in wrong.stderr
    # With UCDP GED's year of publication lag, and the peer comparison (no month overlaps here).
    lagged = tocsin(sample_workspace.home, "backtest", "--start", "2015-01-01", "--end", "2015-03-01",
                    "--horizon", "30", "--lag", "ucdp-ged=365", "--against", "views", "--json")
    assert lagged.exit_code == 0, lagged.output
    lagged_report = json.loads(lagged.stdout)
    assert lagged_report["lags"] == {"ucdp-ged": 365}
    assert "no month to compare" in lagged_report["peers"]["views"]
    bad = tocsin(sample_workspace.home, "backtest", "--lag", "ucdp-ged:365")
    assert bad.exit_code == 2 and "SOURCE=DAYS" in bad.output
