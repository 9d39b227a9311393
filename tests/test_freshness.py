"""Every dated output says how far the event data reaches, and no day past it reads as calm:
the forecast (table and --json), the siege board, the brief; on the shared UCDP file."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tocsin.analysis.forecast import FORECAST_SCHEMA, stamp_data_end
from tocsin.cli.main import app
from tocsin.coverage import SourceCoverage, coverage_json, judged_day
from tocsin.ingest import ingest_paths
from tocsin.workspace import Workspace

runner = CliRunner()
RELATIVE_EN = re.compile(r"\bdays? ago\b|\btoday\b|\byesterday\b")
RELATIVE_AR = re.compile(r"قبل [\d,]+ (?:أيام|يومًا|يوم)|قبل يومين|\bاليوم\b|\bأمس\b")
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sudan(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The shared UCDP GED 24.1 file of Sudan (ends 2023-12-31) and GeoNames' towns of Sudan."""
    workspace = Workspace(tmp_path_factory.mktemp("sudan") / "ws")
    for kind, path in [("geonames", shared_data / "geonames-sdn" / "rg_cities1000_SD.csv"),
                       ("cod-ab", SAMPLE / "cod_ab_darfur_admin2.geojson"),
                       ("ucdp-ged", shared_data / "ucdp-ged-sudan" / "ged241_sudan_api.csv")]:
        outcome = ingest_paths(workspace, kind, [path])
        assert not outcome.errors, outcome.errors
    return workspace


def test_forecast_past_the_data_says_the_event_data_ends_2023_12_31(sudan: Workspace) -> None:
    result = runner.invoke(app, ["--home", str(sudan.home), "forecast", "--as-of", "2024-03-31",
                                 "--top", "5", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["as_of"] == "2024-03-31" and report["data_through"] == "2023-12-31"
    assert "events data ends 2023-12-31" in report["warning"] and "ucdp-ged through 2023-12-31" \
        in report["warning"] and "not evidence of calm" in report["warning"]
    # Judged from the data's last day: 91 days without records are not 91 calm days.
    assert report["features_as_of"] == "2023-12-31"
    for place in report["places"]:
        assert place["data_through"] == "2023-12-31" and place["as_of"] == "2024-03-31"
        # Read on 2024-03-31, "4 days ago" would place an event of 2023-12-27 in late March:
        # events are dated, and each window or absence says where the data ends, in both languages.
        english = [*place["reasons"], place["nearest_violence"]]
        arabic = [*place["reasons_ar"], place["nearest_violence_ar"]]
        assert len(english) == len(arabic) and len(english) > 1
        for en, ar in zip(english, arabic, strict=True):
            assert not RELATIVE_EN.search(en) and not RELATIVE_AR.search(ar), (en, ar)
            dated = re.search(r"\bon 20\d\d-\d\d-\d\d", en)
            assert dated or en.endswith("(in the event data, which ends 2023-12-31)"), en
            assert (re.search(r"في 20\d\d-\d\d-\d\d", ar) if dated else
                    ar.endswith("(في بيانات الأحداث التي تنتهي في 2023-12-31)")), ar
    table = runner.invoke(app, ["--home", str(sudan.home), "forecast", "--as-of", "2024-03-31",
                                "--top", "5"])
    assert table.exit_code == 0, table.output
    assert "Event data through 2023-12-31" in table.stdout
    assert "WARNING: events data ends 2023-12-31" in " ".join(table.stdout.split())


def test_in_arabic_the_forecast_and_its_warning_are_arabic(sudan: Workspace) -> None:
    """A monitor who reads Arabic gets the warning, the classes and the reasons in Arabic (the
    forecast writes both; the CLI once printed the English ones inside Arabic messages)."""
    from tocsin.arabic import LATIN_NAMES

    result = runner.invoke(app, ["--home", str(sudan.home), "--lang", "ar", "forecast", "--as-of",
                                 "2024-03-31", "--top", "5"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "تنتهي بيانات الأحداث في 31 ديسمبر 2023" in said and "ليس دليلًا على الهدوء" in said
    assert "not evidence of calm" not in said and "events data ends" not in said
    assert "في بيانات الأحداث التي تنتهي في 2023-12-31" in said and "in the event data" not in said
    # What Latin script the table keeps: the source's id, the model card, P-codes (the sides are
    # named from report/actors.yaml).
    table = " ".join(result.stdout.split())
    latin = set(re.findall(r"[A-Za-z][A-Za-z-]+", re.sub(r"SD\d+|ucdp-ged", "", table)))
    assert latin <= LATIN_NAMES | {"md", "model-card", "card", "model"}, latin
    json_out = runner.invoke(app, ["--home", str(sudan.home), "--lang", "ar", "forecast", "--as-of",
                                   "2024-03-31", "--top", "1", "--json"])
    assert "events data ends 2023-12-31" in json.loads(json_out.stdout)["warning"]  # JSON: one language


def test_a_forecast_within_the_data_has_no_warning(sudan: Workspace) -> None:
    result = runner.invoke(app, ["--home", str(sudan.home), "forecast", "--as-of", "2023-12-20",
                                 "--top", "3", "--json"])
    report = json.loads(result.stdout)
    assert report["warning"] is None and report["features_as_of"] == "2023-12-20"
    assert all("which ends" not in p["nearest_violence"] for p in report["places"])


def test_siege_board_and_show_warn_past_the_data(sudan: Workspace) -> None:
    board = runner.invoke(app, ["--home", str(sudan.home), "siege", "board", "--as-of", "2024-03-31",
                                "--json"])
    assert board.exit_code == 0, board.output
    report = json.loads(board.stdout)
    assert report["coverage"]["data_through"] == "2023-12-31"
    assert "ends 2023-12-31" in report["warning"]
    text = runner.invoke(app, ["--home", str(sudan.home), "siege", "board", "--as-of", "2024-03-31"])
    assert "Event data through 2023-12-31" in text.stdout and "not evidence of calm" in text.stderr
    show = runner.invoke(app, ["--home", str(sudan.home), "siege", "show", "Nyala", "--as-of",
                               "2024-03-31", "--json"])
    assert show.exit_code == 0, show.output
    assert "ends 2023-12-31" in json.loads(show.stdout)["warning"]


def test_past_the_data_the_stages_are_those_of_its_last_day(sudan: Workspace,
                                                            tmp_path: Path) -> None:
    """Run on into the 91 days without records, the rules read the silence as fighting that
    stopped: Nyala, under assault on 2023-12-31, came out "outcome unrecorded" in mid-January.
    Past the data the board, the history and the brief stop at its last day and say so."""
    home = ["--home", str(sudan.home)]
    board = json.loads(runner.invoke(app, [*home, "siege", "board", "--as-of", "2024-03-31",
                                           "--json"]).stdout)
    within = json.loads(runner.invoke(app, [*home, "siege", "board", "--as-of", "2023-12-31",
                                            "--json"]).stdout)
    assert board["stages_as_of"] == "2023-12-31" and within["stages_as_of"] == "2023-12-31"
    assert board["places"] and all(r["judged_on"] == "2023-12-31" for r in board["places"])
    stages = {r["place_id"]: (r["stage"], r["since"], r["days_in_stage"]) for r in board["places"]}
    assert stages == {r["place_id"]: (r["stage"], r["since"], r["days_in_stage"])
                      for r in within["places"]}
    nyala = next(r for r in board["places"] if r["name"] == "Nyala")
    assert nyala["stage"] != "outcome_unrecorded"
    text = runner.invoke(app, [*home, "siege", "board", "--as-of", "2024-03-31"]).stdout
    assert "Stages as of 2023-12-31, where the data ends" in " ".join(text.split())

    show = runner.invoke(app, [*home, "siege", "show", "Nyala", "--since", "2023-11-01",
                               "--as-of", "2024-03-31", "--json"])
    assert show.exit_code == 0, show.output
    history = json.loads(show.stdout)
    assert history["stages_through"] == "2023-12-31" and history["to"] == "2024-03-31"
    assert history["changes"] and all(c["date"] <= "2023-12-31" for c in history["changes"])
    assert history["changes"][-1]["stage"] == nyala["stage"]
    text = runner.invoke(app, [*home, "siege", "show", "Nyala", "--since", "2023-11-01",
                               "--as-of", "2024-03-31"]).stdout
    assert "the data ends here" in text

    from tocsin.report.brief import build_context

    context, data, _ = build_context(sudan, date(2024, 3, 31), "en", 30, tmp_path)
    sentences = [j["key"] for j in data.judgements]
    assert "j_pattern_at_end" in sentences and "j_pattern" not in sentences
    said = " ".join(s for s, *_ in context["judgements"])
    assert "where the data ends" in said and "What happened after is not known" in said


def test_the_brief_states_the_data_end_and_warns(sudan: Workspace, tmp_path: Path) -> None:
    from tocsin.report.brief import build_context

    _, data, _ = build_context(sudan, date(2024, 3, 31), "en", 30, tmp_path)
    assert data.coverage["data_through"] == "2023-12-31"
    assert data.coverage["line"].startswith("Event data through 2023-12-31")
    assert "ends 2023-12-31, 91 days before this brief" in data.coverage["warning_line"]
    ar, _, _ = build_context(sudan, date(2024, 3, 31), "ar", 30, tmp_path)
    assert "31 ديسمبر 2023" in ar["data"].coverage["warning_line"]  # Arabic date, as the brief writes it
    within, _, _ = build_context(sudan, date(2023, 12, 31), "en", 30, tmp_path)
    assert within["data"].coverage["warning_line"] is None


def test_status_shows_freshness_and_stale_jobs(sudan: Workspace) -> None:
    result = runner.invoke(app, ["--home", str(sudan.home), "status", "--json"])
    info = json.loads(result.stdout)
    ucdp = next(f for f in info["freshness"] if f["source"] == "ucdp")
    assert ucdp["through"] == "2023-12-31" and ucdp["lag_days"] > 300
    assert "forecasts" in {j["job"] for j in info["stale_jobs"]}
    assert "ends 2023-12-31" in info["events_warning"]


def test_judged_day_and_stamps() -> None:
    coverage = [SourceCoverage("events", "acled", 10, date(2024, 1, 1), date(2024, 3, 1))]
    assert judged_day(date(2024, 3, 5), coverage) == date(2024, 3, 5)   # within a week
    assert judged_day(date(2024, 4, 1), coverage) == date(2024, 3, 1)
    assert coverage_json(coverage, date(2024, 4, 1))["warning"].startswith("events data ends 2024-03-01")
    row = {name: None for name in FORECAST_SCHEMA.names}
    row.update(reasons=["no attack on civilians within 10 km on record in 20 years", "a city"],
               reasons_ar=["لا هجوم", "مدينة"],
               nearest_violence="no violence within 100 km in the last 30 days",
               nearest_violence_ar="لا عنف")
    stamped = stamp_data_end(pa.Table.from_pylist([row], schema=FORECAST_SCHEMA), date(2024, 4, 1),
                             date(2024, 3, 1), date(2024, 3, 1)).to_pylist()[0]
    assert stamped["as_of"] == date(2024, 4, 1) and stamped["data_through"] == date(2024, 3, 1)
    assert stamped["nearest_violence"].endswith("(in the event data, which ends 2024-03-01)")
    assert stamped["reasons"] == ["no attack on civilians within 10 km on record in 20 years (in the "
                                  "event data, which ends 2024-03-01)", "a city"]
    assert stamped["reasons_ar"] == ["لا هجوم (في بيانات الأحداث التي تنتهي في 2024-03-01)", "مدينة"]
    assert stamped["nearest_violence_ar"] == "لا عنف (في بيانات الأحداث التي تنتهي في 2024-03-01)"


def test_the_day_after_reuses_the_model_exactly_and_history_refits_it(sudan: Workspace,
                                                                       tmp_path: Path) -> None:
    """A day of new events after the last closed training window changes the scores, not the
    model: the forecasts job reuses it, and its scores equal a fresh fit's. An event inside the
    training period makes it fit again."""
    import shutil

    from tocsin.analysis.forecast import forecast
    from tocsin.jobs.runner import run_jobs
    from tocsin.jobs.steps.forecasts import read_inputs
    from tocsin.lake import Lake
    from tocsin.sync.base import write_rows_csv
    from tocsin.sync.replay import invented_acled_events

    workspace = Workspace(tmp_path / "ws")
    shutil.copytree(sudan.home, workspace.home)
    lake = Lake(workspace.lake_dir)
    day = date(2024, 1, 3)

    def forecast_job() -> Path:
        with workspace.write_lock():
            report = run_jobs(lake, ["forecasts"], workspace=workspace, as_of=day, force=True)
        assert "forecasts" in report.ran, report
        (model,) = (workspace.home / "models").glob("forecast-30d-*.pickle")
        return model

    def add_events(start: str, first_id: int) -> None:
        path = tmp_path / f"acled-{first_id}.csv"
        write_rows_csv(path, invented_acled_events(4, start=start, first_id=first_id))
        assert not ingest_paths(workspace, "acled", [path]).errors

    first = forecast_job()
    add_events("2024-01-02", 1)
    second = forecast_job()
    assert second == first                                  # the same model, not refitted
    con = lake.connect([])
    stored = con.sql("SELECT place_id, probability FROM forecasts ORDER BY place_id").fetchall()
    fresh = forecast(read_inputs(workspace), day, 30).select(["place_id", "probability"]).sort_by(
        "place_id").to_pylist()
    assert stored == [(r["place_id"], r["probability"]) for r in fresh]
    add_events("2023-06-01", 100)                           # history changed: fit again
    assert forecast_job() != first


def test_a_brief_past_the_data_reads_neither_an_old_forecast_nor_the_gap_as_now(
        sudan: Workspace, tmp_path: Path) -> None:
    """A stored forecast is read on later days: its reasons are dated, and the brief says how old
    it is ("the next 30 days" of a forecast made 91 days before is no forecast of now). Deaths
    are not compared across days the events do not reach."""
    import shutil

    from tocsin.jobs.runner import run_jobs
    from tocsin.lake import Lake
    from tocsin.report.brief import build_context

    workspace = Workspace(tmp_path / "ws")
    shutil.copytree(sudan.home, workspace.home)
    with workspace.write_lock():
        report = run_jobs(Lake(workspace.lake_dir), ["forecasts"], workspace=workspace,
                          as_of=date(2023, 12, 31), force=True)
    assert "forecasts" in report.ran, report
    stored = Lake(workspace.lake_dir).connect([]).sql(
        "SELECT reasons, reasons_ar FROM forecasts ORDER BY probability DESC LIMIT 20").fetchall()
    for reasons, reasons_ar in stored:
        assert reasons and not any(RELATIVE_EN.search(r) for r in reasons), reasons
        assert not any(RELATIVE_AR.search(r) for r in reasons_ar), reasons_ar

    def page_one(day: date) -> tuple[dict[str, dict], str]:
        context, data, _ = build_context(workspace, day, "en", 30, tmp_path / "out")
        return ({j["key"]: j for j in data.judgements},
                " ".join(sentence for sentence, *_ in context["judgements"]))

    keys, said = page_one(date(2023, 12, 31))
    assert keys["j_risk"]["confidence"] == "medium" and "j_changed_deaths" in keys
    assert "Most at risk in the next 30 days (forecast of 2023-12-31)" in said
    keys, said = page_one(date(2024, 3, 31))
    assert "j_risk" not in keys and keys["j_risk_old"]["confidence"] == "low"
    assert "Most at risk in the 30 days after 2023-12-31 (the latest forecast, 91 days old)" in said
    # The period (2 to 31 March) lies wholly past the data: "0 deaths against 0" would read
    # the gap as calm.
    assert "j_changed_deaths" not in keys and "j_changed_deaths_to_end" not in keys
    assert "deaths reported" not in said
    keys, said = page_one(date(2024, 1, 15))     # the period reaches back into the data
    assert keys["j_changed_deaths_to_end"]["confidence"] == "low"
    assert "deaths reported up to 2023-12-31 against" in said
    assert keys["j_risk_old"]["confidence"] == "medium"   # its 30 days have not all passed


def _with_burnings(inputs: object, place: dict, days: list[date], confidence: str = "high") -> object:
    """``inputs`` with a burning at ``place`` first seen on each of ``days``."""
    from dataclasses import replace
    from datetime import UTC, datetime, time

    table = pa.table({"place_id": [place["place_id"]] * len(days),
                      "latitude": [place["latitude"]] * len(days),
                      "longitude": [place["longitude"]] * len(days),
                      "first_detection": pa.array([datetime.combine(d, time(1, 30), UTC)
                                                   for d in days], pa.timestamp("us", tz="Etc/UTC")),
                      "confidence": [confidence] * len(days)})
    return replace(inputs, burnings=table)


def test_a_burning_first_seen_after_the_training_windows_leaves_the_model_as_it_is(
        sudan: Workspace) -> None:
    """A daily FIRMS sync rebuilds the burnings whole. A burning first seen after the last
    closed training window changes the day's scores, not the model: the same training key, and
    a fit that holds it gives the very scores of one that does not. A burning inside the
    training period makes it fit again; a low-confidence one, which nothing reads, does not."""
    from tocsin.analysis.features import FeatureBuilder
    from tocsin.analysis.forecast import fit_forecaster
    from tocsin.jobs.steps.forecasts import read_inputs, training_key

    day = date(2024, 1, 3)
    inputs = read_inputs(sudan)
    # A town of the events' own heartland, where a burning is an outcome the model learns from.
    town = max(inputs.places.to_pylist(), key=lambda p: p["population"] or 0)
    late = _with_burnings(inputs, town, [date(2024, 1, 2)])     # after the last window closed
    early = _with_burnings(inputs, town, [date(2023, 6, 1), date(2024, 1, 2)])

    def key(forecast_inputs: object) -> str:
        return training_key(forecast_inputs, day, 30, FeatureBuilder(forecast_inputs).first_day)

    assert key(late) == key(inputs)
    assert key(early) != key(inputs)
    # Low confidence is neither a feature nor an outcome: the detector's revisions of it are not.
    assert key(_with_burnings(inputs, town, [date(2023, 6, 1)], "low")) == key(inputs)
    without = fit_forecaster(FeatureBuilder(inputs), day, 30)
    with_late = fit_forecaster(FeatureBuilder(late), day, 30)
    # The day's features hold the burning; both models score them alike.
    matrix = FeatureBuilder(late).at(day)
    assert np.array_equal(without.model.predict(matrix), with_late.model.predict(matrix))
    assert np.array_equal(without.history.predict(matrix), with_late.history.predict(matrix))
