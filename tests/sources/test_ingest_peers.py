"""Peer forecasts: ACLED CAST (files written for the tests in CAST's published layout: its
output may not be redistributed) and the real ViEWS files; a file in the wrong layout, for
unknown cells or states, or for impossible months is refused with the reason and the line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from ingest_support import assert_nothing_written, ingest, ingest_one, new_workspace, query, refused, snapshot

from tocsin.workspace import Workspace

CAST_HEADER = ["country", "admin1", "month", "year", "total_forecast", "battles_forecast",
               "erv_forecast", "vac_forecast", "total_observed", "battles_observed", "erv_observed",
               "vac_observed", "timestamp"]


def cast_row(admin1: str = "North Darfur", month: str = "November", year: str = "2025",
             total: str = "31", country: str = "Sudan", **extra: str) -> dict[str, str]:
    row = dict.fromkeys(CAST_HEADER, "")
    row.update({"country": country, "admin1": admin1, "month": month, "year": year,
                "total_forecast": total, "battles_forecast": "20", "erv_forecast": "4",
                "vac_forecast": "7", "timestamp": "1761955200"})   # 2025-11-01 00:00 UTC
    row.update(extra)
    return row


def write_cast(path: Path, rows: list[dict[str, str]], header: list[str] = CAST_HEADER) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return new_workspace(tmp_path / "ws")


def test_cast_csv_and_api_json_land_in_external_forecasts(workspace: Workspace, tmp_path: Path) -> None:
    csv_file = write_cast(tmp_path / "cast_sudan.csv", [cast_row(), cast_row("Al Jazirah", "December")])
    result = ingest_one(workspace, "acled-cast", csv_file)
    assert result.rows_added == 2
    api = tmp_path / "cast_api.json"
    api.write_text(json.dumps({"status": 200, "data": [
        {**cast_row("Khartoum", "January", "2026"), "total_forecast": 12, "year": 2026}]}))
    assert ingest_one(workspace, "acled-cast", api).rows_added == 1
    rows = query(workspace, "SELECT unit_id, level, month_start, month_id, attributes "
                            "FROM external_forecasts WHERE system = 'acled-cast' ORDER BY month_start")
    assert [(r[0], r[1], str(r[2])) for r in rows] == [("SD02", "admin1-month", "2025-11-01"),
                                                       ("SD15", "admin1-month", "2025-12-01"),
                                                       ("SD01", "admin1-month", "2026-01-01")]
    assert rows[0][3] == 551          # ViEWS' month numbering: November 2025
    assert json.loads(rows[0][4])["vac_forecast"] == "7"


@pytest.mark.parametrize(("row", "column", "expected"), [
    (cast_row(admin1="Darfur North"), "admin1", "a Sudan state"),
    (cast_row(country="Chad", admin1="Ouaddai"), "country", "Sudan"),
    (cast_row(month="Smarch"), "month", "a month name"),
    (cast_row(year="1850"), "month", "a month name"),
    (cast_row(total="-3"), "total_forecast", "an expected number of events"),
])
def test_bad_cast_rows_are_refused_with_their_line(workspace: Workspace, tmp_path: Path,
                                                   row: dict[str, str], column: str, expected: str) -> None:
    path = write_cast(tmp_path / "cast.csv", [cast_row(), row])
    before = snapshot(workspace)
    error = refused(workspace, "acled-cast", path, strict=True)
    assert [(p.line, p.column) for p in error.problems] == [(3, column)]
    assert expected in error.render()
    assert_nothing_written(workspace, before)
    # Without --strict the good row goes in and the bad one is quarantined, with its line.
    outcome = ingest(workspace, "acled-cast", path)
    assert outcome.results[0].rows_added == 1 and outcome.results[0].rejected == 1


def test_a_file_in_another_layout_is_refused_naming_what_is_missing(workspace: Workspace,
                                                                     tmp_path: Path) -> None:
    path = write_cast(tmp_path / "cast.csv", [cast_row()], header=["country", "admin1", "month", "year"])
    error = refused(workspace, "acled-cast", path)
    assert "total_forecast" in error.render()
    junk = tmp_path / "cast.json"
    junk.write_text('{"data": "none"}')
    assert "CAST API JSON" in refused(workspace, "acled-cast", junk).render()


def test_real_views_files_pass_and_cells_outside_sudan_are_refused(workspace: Workspace, tmp_path: Path,
                                                                     shared_data: Path) -> None:
    grid = shared_data / "views-forecasts-sdn" / "sdn-views-conflict-forecasts-priogrid-month.csv"
    assert ingest_one(workspace, "views", grid, strict=True).rows_added == 1000
    lines = grid.read_text(encoding="utf-8").splitlines()
    # PRIO-GRID 62356 is at 46.75 S, 37.75 E (the southern Indian Ocean); month 9999 is past any
    # ViEWS run.
    bad = tmp_path / "views_bad.csv"
    bad.write_text("\n".join([*lines[:4], "SDN,Sudan,62356,550,0.1,0.09,0.05",
                              "SDN,Sudan,142248,9999,0.1,0.09,0.05"]) + "\n", encoding="utf-8")
    error = refused(new_workspace(tmp_path / "other"), "views", bad, strict=True)
    assert [(p.line, p.column) for p in error.problems] == [(5, "pg_id"), (6, "month_id")]
    assert "a PRIO-GRID cell in Sudan" in error.render()
