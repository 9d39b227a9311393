"""`tocsin detect burnings` and `tocsin eval burnings` on real data: the Darfur sample's VIIRS
week and OSM places, and the full Sudan files in ../shared/data."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.ingest import ingest_paths
from tocsin.lake import Lake
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
runner = CliRunner()


def tocsin(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--home", str(home), *args])


def make_workspace(home: Path, files: list[tuple[str, Path]]) -> Workspace:
    workspace = Workspace(home)
    workspace.init()
    for kind, path in files:
        outcome = ingest_paths(workspace, kind, [path])
        assert not outcome.errors, outcome.errors
    return workspace


@pytest.fixture(scope="module")
def darfur(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("burn") / "ws", [
        ("cod-ab", SAMPLE / "cod_ab_darfur_admin2.geojson"),
        ("osm-places", SAMPLE / "hotosm_darfur_populated_places_points_geojson.zip"),
        ("ucdp-ged", SAMPLE / "ucdp_ged241_darfur_api.csv"),
        ("firms", SAMPLE / "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv"),
    ])


def test_detect_stores_the_table_and_exports_geojson(darfur: Workspace, tmp_path: Path) -> None:
    geojson = tmp_path / "burnings.geojson"
    result = tocsin(darfur.home, "detect", "burnings", "--out", str(geojson), "--json",
                    "--min-confidence", "low", "--top", "500")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["burnings"] > 0 and len(data["listed"]) == data["burnings"]
    con = Lake(darfur.lake_dir).connect()
    stored = con.execute("SELECT count(*) FROM burnings").fetchone()
    assert stored is not None and stored[0] == data["burnings"]
    # Every detection behind a burning is a detection in the lake, under the lake's own id.
    missing = con.execute("SELECT count(*) FROM (SELECT unnest(detection_ids) AS id FROM burnings) b "
                      "ANTI JOIN fire_detections f ON f.source_id = b.id").fetchone()
    assert missing == (0,)
    counts = con.execute("SELECT bool_and(len(detection_ids) = detections) FROM burnings").fetchone()
    assert counts == (True,)
    status = json.loads(tocsin(darfur.home, "status", "--json").stdout)
    assert sum(status["derived"]["burnings"].values()) == data["burnings"]
    features = json.loads(geojson.read_text())["features"]
    assert len(features) == data["burnings"]
    first = features[0]
    assert first["geometry"]["type"] == "Point"
    assert first["properties"]["score"] == max(f["properties"]["score"] for f in features)
    assert first["properties"]["reasons"]


def test_since_and_until_limit_what_is_reported(darfur: Workspace) -> None:
    result = tocsin(darfur.home, "detect", "burnings", "--since", "2025-11-05", "--until",
                    "2025-11-06", "--json", "--min-confidence", "low", "--top", "500")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["listed"]
    assert rows, "the sample has fires on those days"
    assert all("2025-11-05" <= r["first_detection"][:10] <= "2025-11-06" for r in rows)
    assert all(r["last_detection"][:10] <= "2025-11-06" for r in rows)


def test_usage_and_failure_exit_codes(darfur: Workspace, tmp_path: Path) -> None:
    assert tocsin(darfur.home, "detect", "burnings", "--since", "2025-11-07",
                  "--until", "2025-11-01").exit_code == 2
    assert tocsin(darfur.home, "detect", "burnings", "--since", "7 Nov").exit_code == 2
    missing = tocsin(tmp_path / "nowhere", "detect", "burnings")
    assert missing.exit_code == 1 and "no Tocsin workspace" in missing.output
    empty = Workspace(tmp_path / "empty")
    empty.init()
    no_places = tocsin(empty.home, "detect", "burnings")
    assert no_places.exit_code == 1 and "gazetteer" in no_places.output
    truth = tmp_path / "truth.csv"
    truth.write_text("latitude,longitude,date,burned\n13.6,25.3,2025-11-01,yes\n")
    no_burnings = tocsin(empty.home, "eval", "burnings", "--truth", str(truth))
    assert no_burnings.exit_code == 1 and "run `tocsin detect burnings` first" in no_burnings.output


def test_eval_against_a_truth_list(darfur: Workspace, tmp_path: Path) -> None:
    assert tocsin(darfur.home, "detect", "burnings").exit_code == 0
    listed = json.loads(tocsin(darfur.home, "detect", "burnings", "--json", "--min-confidence",
                               "low", "--top", "500").stdout)["listed"]
    named = next(r for r in listed if r["place_name"] and r["score"] >= 0.5)
    weak = next(r for r in listed if r["score"] < 0.3)
    truth = tmp_path / "truth.csv"
    truth.write_text(
        "place,latitude,longitude,date_from,date_to,burned\n"
        f"{named['place_name']},,,{named['first_detection'][:10]},{named['last_detection'][:10]},yes\n"
        f",{weak['latitude']},{weak['longitude']},{weak['first_detection'][:10]},"
        f"{weak['first_detection'][:10]},no\n"
        ",12.0,22.0,2025-11-01,2025-11-02,yes\n", encoding="utf-8")
    result = tocsin(darfur.home, "eval", "burnings", "--truth", str(truth), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["true_positives"] == 1 and data["false_negatives"] == 1
    assert data["false_positives"] == 0 and data["true_negatives"] == 1
    assert data["precision"] == 1.0 and data["recall"] == 0.5
    assert data["resolved_places"][0]["place"] == named["place_name"]
    text = tocsin(darfur.home, "eval", "burnings", "--truth", str(truth))
    assert text.exit_code == 0 and "precision 1.000, recall 0.500" in text.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("place,date_from,date_to,burned\nTawila,2025-11-01,2025-11-02,perhaps\n")
    refused = tocsin(darfur.home, "eval", "burnings", "--truth", str(bad))
    assert refused.exit_code == 1
    assert "bad.csv, line 2, column 'burned': expected yes or no" in refused.output


def test_real_viirs_week_after_el_fasher_fell(shared_data: Path, tmp_path: Path) -> None:
    """The full Sudan files: 24,664 VIIRS detections (31 Oct - 8 Nov 2025), 35k OSM places."""
    workspace = make_workspace(tmp_path / "ws", [
        ("osm-places", next((shared_data / "osm-populated-places-sdn").glob("*.zip"))),
        ("firms", next((shared_data / "firms-viirs-darfur-kordofan-2025").glob("*.csv"))),
    ])
    result = tocsin(workspace.home, "detect", "burnings", "--json", "--min-confidence", "low",
                    "--top", "100000")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["listed"]
    assert rows
    # With nine days of history nothing can be called a persistent heat source, and it says so.
    assert all("persistent heat sources cannot be ruled out" in r["reasons"] for r in rows)
    assert all(r["persistent_excluded"] == 0 for r in rows)
    # Bush and field fires, the bulk of a November week, are mostly not flagged.
    con = Lake(workspace.lake_dir).connect()
    behind = con.execute("SELECT count(*) FROM (SELECT unnest(detection_ids) FROM burnings "
                     "WHERE confidence <> 'low')").fetchone()
    assert behind is not None and behind[0] < 0.02 * 24_664


def test_killed_before_the_manifest_keeps_the_old_burnings(tmp_path: Path) -> None:
    """Nothing half-written: a detection killed just before its manifest write leaves the
    previous burnings table in place, and the next run sweeps its leftovers."""
    workspace = make_workspace(tmp_path / "ws", [
        ("osm-places", SAMPLE / "hotosm_darfur_populated_places_points_geojson.zip"),
        ("firms", SAMPLE / "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv"),
    ])
    assert tocsin(workspace.home, "detect", "burnings").exit_code == 0
    lake = Lake(workspace.lake_dir)
    before = lake.manifest()["derived"]["burnings"]
    marker = tmp_path / "paused"
    env = {**os.environ, "TOCSIN_HOME": str(workspace.home),
           "TOCSIN_TEST_PAUSE": "before-derived-manifest:60", "TOCSIN_TEST_PAUSE_MARKER": str(marker)}
    proc = subprocess.Popen([sys.executable, "-m", "tocsin.cli.main", "detect", "burnings",
                             "--since", "2025-11-06"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "detection never reached its pause point"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert lake.manifest()["derived"]["burnings"] == before
    stored = lake.connect().execute("SELECT min(first_detection) FROM burnings").fetchone()
    assert stored is not None and stored[0].date().isoformat() < "2025-11-06"
    again = tocsin(workspace.home, "detect", "burnings", "--since", "2025-11-06", "--json",
                   "--min-confidence", "low", "--top", "1000")
    assert again.exit_code == 0
    files = sorted(p.name for p in (workspace.lake_dir / "derived").glob("burnings-*.parquet"))
    assert files == [lake.manifest()["derived"]["burnings"]["file"]]


def test_fire_events_leads_and_params(darfur: Workspace, tmp_path: Path) -> None:
    events_file = tmp_path / "events.geojson"
    result = tocsin(darfur.home, "detect", "burnings", "--json", "--events-out", str(events_file),
                    "--leads", "5")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["fire_events"] > 0 and len(data["leads"]) <= 5
    assert all(r["confidence"] == "low" and r["ranked_by"] for r in data["leads"])
    assert [r["rank"] for r in data["leads"]] == sorted(r["rank"] for r in data["leads"])
    features = json.loads(events_file.read_text())["features"]
    assert len(features) == data["fire_events"]
    assert {f["geometry"]["type"] for f in features} == {"Polygon"}
    con = Lake(darfur.lake_dir).connect()
    # Every stored burning belongs to one stored fire event, and the event lists it.
    orphans = con.execute("SELECT count(*) FROM burnings b ANTI JOIN fire_events e "
                          "ON list_contains(e.burning_ids, b.burning_id)").fetchone()
    assert orphans == (0,)
    text = tocsin(darfur.home, "detect", "burnings", "--leads", "3")
    assert text.exit_code == 0 and "fire events" in text.stdout
    # Weights from a params file change the scores; a bad file is refused.
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"weights": {"bias": 5.0}}))
    raised = json.loads(tocsin(darfur.home, "detect", "burnings", "--json", "--params", str(params),
                               "--min-confidence", "low", "--top", "1000").stdout)
    assert all(r["score"] > 0.9 for r in raised["listed"])
    params.write_text(json.dumps({"weights": {"boldness": 1}}))
    refused = tocsin(darfur.home, "detect", "burnings", "--params", str(params))
    assert refused.exit_code == 1 and "unknown weights boldness" in refused.output
    assert tocsin(darfur.home, "detect", "burnings").exit_code == 0  # back to the shipped weights


def test_fit_on_a_users_verified_cases(darfur: Workspace, tmp_path: Path) -> None:
    listed = json.loads(tocsin(darfur.home, "detect", "burnings", "--json", "--min-confidence",
                               "low", "--top", "500").stdout)["listed"]
    assert len(listed) >= 4
    truth = tmp_path / "truth.csv"
    lines = ["latitude,longitude,date_from,date_to,burned"]
    for i, r in enumerate(listed[:6]):
        day = r["first_detection"][:10]
        lines.append(f"{r['latitude']},{r['longitude']},{day},{day},{'yes' if i % 2 == 0 else 'no'}")
    truth.write_text("\n".join(lines) + "\n")
    out = tmp_path / "fitted.json"
    result = tocsin(darfur.home, "eval", "fit-burnings", "--seeds", "", "--truth", str(truth),
                    "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert written["fitted"]["truth"] == "truth.csv" and written["fitted"]["seeds"] == []
    assert set(written["weights"]) >= {"bias", "excess", "night"}
    assert tocsin(darfur.home, "detect", "burnings", "--params", str(out)).exit_code == 0
    assert tocsin(darfur.home, "eval", "fit-burnings", "--seeds", "x", "--out",
                  str(out)).exit_code == 2
    assert tocsin(darfur.home, "eval", "fit-burnings", "--seeds", "", "--out", str(out)).exit_code == 2


def test_the_listing_reads_in_each_language(darfur: Workspace) -> None:
    """English counts agree with their number and a single moment is not a span; in Arabic the
    confidence, the class, the names, the reasons and the ranking are Arabic (the CLI once
    printed the detector's English inside Arabic messages)."""
    from tocsin.arabic import LATIN_NAMES

    english = tocsin(darfur.home, "detect", "burnings", "--min-confidence", "low", "--top", "500",
                     "--leads", "0")
    assert english.exit_code == 0, english.output
    heads = [line for line in english.stdout.splitlines() if " UTC, " in line]
    assert heads and not any(line.endswith(" 1 detections") for line in heads)
    assert any(line.endswith(" 1 detection") for line in heads), "the sample has single detections"
    spans = [re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d) – (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", h)
             for h in heads]
    assert all(m is None or m.group(1) != m.group(2) for m in spans)
    arabic = tocsin(darfur.home, "--lang", "ar", "detect", "burnings", "--top", "10", "--leads", "5")
    assert arabic.exit_code == 0, arabic.output
    said = arabic.stdout.split("\n", 1)[1]   # after the count line
    assert "بثقة متوسطة أو أعلى" in said and "الرتبة" in said and "رفعها:" in said
    latin = set(re.findall(r"[A-Za-z][A-Za-z-]+", said))
    assert latin <= LATIN_NAMES | {"UTC"}, latin


def test_a_ranking_sentence_reads_back_as_what_was_written() -> None:
    """``read_ranked_by`` (how the CLI tells a lead's ranking in Arabic) is the inverse of the
    detector's ``_ranked_by``, whatever the weights and features."""
    import numpy as np
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tocsin.analysis.burnings import FEATURES, _ranked_by, read_ranked_by

    contributions = st.lists(st.floats(-5, 5, allow_nan=False), min_size=len(FEATURES),
                             max_size=len(FEATURES))

    @settings(max_examples=200, deadline=None)
    @given(contributions)
    def check(values: list[float]) -> None:
        x = {name: np.array([value]) for name, value in zip(FEATURES, values, strict=True)}
        weights = dict.fromkeys(FEATURES, 1.0)
        sentence = _ranked_by(x, 0, weights)
        found = read_ranked_by(sentence)
        ranked = sorted(((v, n) for n, v in zip(FEATURES, values, strict=True)),
                        key=lambda t: -abs(t[0]))
        assert [n for n, _ in found["raised"]] == [n for v, n in ranked if v >= 0.3][:3]
        assert [n for n, _ in found["lowered"]] == [n for v, n in ranked if v <= -0.3][:3]
        for name, value in found["raised"] + found["lowered"]:
            assert value == float(f"{dict(zip(FEATURES, values, strict=True))[name]:+.1f}")

    check()
    # The Arabic listing reads the detector's words back: the catalogue's English copy of them
    # (kept for the catalogues' parity) must stay the detector's own.
    from tocsin.analysis.burnings import FEATURE_WORDS
    from tocsin.i18n import load

    english = load("cli", "en")
    assert {k: english[f"detect.feature_{k}"] for k in FEATURE_WORDS} == FEATURE_WORDS
    with pytest.raises(ValueError, match="unknown ranking feature"):
        read_ranked_by("raised by a new word (+1.0)")
