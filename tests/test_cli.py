"""The command-line contract: commands, --json, exit codes 0 ok / 1 failure / 2 usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
UCDP = SAMPLE / "ucdp_ged241_darfur_api.csv"
runner = CliRunner()


def tocsin(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--home", str(home), *args])


def test_init_ingest_reingest_status(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    assert tocsin(home, "init").exit_code == 0
    first = tocsin(home, "ingest", "ucdp-ged", str(UCDP))
    assert first.exit_code == 0, first.output
    assert "1,696 rows added to events" in first.stdout
    again = tocsin(home, "ingest", "ucdp-ged", str(UCDP))
    assert again.exit_code == 0
    assert "already ingested" in again.stdout and "0 rows added" in again.stdout
    status = tocsin(home, "status", "--json")
    assert status.exit_code == 0
    info = json.loads(status.stdout)
    assert info["tables"]["events"]["rows"] == 1696
    assert info["tables"]["events"]["sources"]["ucdp-ged"]["from"] == "1989-01-01"
    assert info["batches"] == 1
    assert info["records"]["revision"] == info["records"]["head"]


def test_ingest_json_reports_each_file(tmp_path: Path) -> None:
    result = tocsin(tmp_path / "ws", "ingest", "ucdp-ged", str(UCDP), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["results"][0]["rows_added"] == 1696
    assert data["errors"] == []
    assert "event_links" in data["rebuilt"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert tocsin(tmp_path, "ingest", "no-such-kind", str(UCDP)).exit_code == 2
    assert tocsin(tmp_path, "ingest", "ucdp-ged").exit_code == 2
    assert tocsin(tmp_path, "no-such-command").exit_code == 2


def test_bad_file_exits_1_naming_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "fires.csv"
    header = ("latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
              "confidence,version,bright_ti5,frp,daynight\n")
    good = "13.6,25.3,330.1,0.4,0.4,2025-10-31,1012,N,VIIRS,n,2.0NRT,290.1,5.2,D\n"
    bad.write_text(header + good + good.replace("13.6", "13.7").replace("2025-10-31", "2025-13-45"))
    result = tocsin(tmp_path / "ws", "ingest", "firms", "--strict", str(bad))
    assert result.exit_code == 1
    assert "fires.csv, line 3, column 'acq_date'" in result.stderr
    assert "expected a date YYYY-MM-DD" in result.stderr
    assert "nothing was written" in result.stderr
    # Without --strict the good row goes in and the bad one is quarantined.
    result = tocsin(tmp_path / "ws", "ingest", "firms", str(bad))
    assert result.exit_code == 0
    assert "1 rows added" in result.stdout
    assert "1 bad rows quarantined" in result.stderr


def test_status_of_a_missing_workspace_fails_clearly(tmp_path: Path) -> None:
    result = tocsin(tmp_path / "nothing-here", "status")
    assert result.exit_code == 1
    assert "tocsin init" in result.stderr


def test_places_find_json(sample_workspace: Workspace) -> None:
    result = tocsin(sample_workspace.home, "places", "find", "الفاشر", "--json", "--limit", "3")
    assert result.exit_code == 0
    places = json.loads(result.stdout)
    assert places[0]["name"] == "El Fasher" and places[0]["how"] == "exact"
    table = tocsin(sample_workspace.home, "places", "find", "Al Fashir")
    assert table.exit_code == 0 and "El Fasher" in table.stdout


def test_places_find_without_a_gazetteer(tmp_path: Path) -> None:
    assert tocsin(tmp_path / "ws", "init").exit_code == 0
    result = tocsin(tmp_path / "ws", "places", "find", "Nyala")
    assert result.exit_code == 1
    assert "no gazetteer" in result.stderr


def test_demo_runs_twice_and_never_overwrites_a_real_workspace(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    for _ in range(2):
        result = tocsin(home, "demo")
        assert result.exit_code == 0, result.output
        assert "El Fasher / الفاشر" in result.stdout
        assert "ucdp: 1,696 rows" in result.stdout and "Update ok" in result.stdout  # synced, replayed
        assert "court bundle evidence-demo-bundle.zip: verifies" in result.stdout
        assert "dossier of Mohamed Hamdan Dagalo (ar)" in result.stdout
    # The brief of 2025-11-08: the events end in 2023, so its siege pattern is the fires' alone,
    # and its forecast of 2023-12-29 is said to be that old.
    brief = json.loads((home / "briefs" / "brief-2025-11-08-en.json").read_text())
    keys = {j["key"] for j in brief["judgements"]}
    assert "j_pattern_alone" in keys and "j_risk_old" in keys and "j_risk" not in keys
    real = tmp_path / "real"
    assert tocsin(real, "ingest", "ucdp-ged", str(UCDP)).exit_code == 0
    refused = tocsin(real, "demo")
    assert refused.exit_code == 1
    assert "did not make" in refused.stderr
    assert Workspace(real).exists()


@pytest.mark.postgres
def test_workspace_records_on_postgresql(tmp_path: Path, postgres_url: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS tocsin_cli_workspace")
        conn.execute("CREATE DATABASE tocsin_cli_workspace")
    url = postgres_url.rsplit("/", 1)[0] + "/tocsin_cli_workspace"
    monkeypatch.setenv("TOCSIN_DATABASE_URL", url)
    home = tmp_path / "ws"
    assert tocsin(home, "init").exit_code == 0
    assert tocsin(home, "ingest", "ucdp-ged", str(UCDP)).exit_code == 0
    info = json.loads(tocsin(home, "status", "--json").stdout)
    assert info["records"]["database"].startswith("postgresql")
    assert info["records"]["revision"] == info["records"]["head"]
    assert not (home / "records.sqlite").exists()
    with psycopg.connect(url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"organisations", "users", "incidents", "actors"} <= tables


def test_unreachable_records_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database that cannot be reached stops init before anything is made, and does not stop
    status from showing the lake."""
    home = tmp_path / "ws"
    assert tocsin(home, "ingest", "ucdp-ged", str(UCDP)).exit_code == 0
    monkeypatch.setenv("TOCSIN_DATABASE_URL", "postgresql://tocsin@127.0.0.1:1/nothing")
    other = tmp_path / "other"
    result = tocsin(other, "init")
    assert result.exit_code == 1
    assert "records database cannot be set up" in result.stderr
    assert not Workspace(other).exists()
    status = tocsin(home, "status", "--json")
    assert status.exit_code == 0
    info = json.loads(status.stdout)
    assert info["tables"]["events"]["rows"] == 1696
    assert "error" in info["records"] and info["records"]["revision"] is None
