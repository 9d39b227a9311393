"""Re-ingesting adds nothing: the same file, the same events in another layout, overlapping FIRMS
downloads, repeated rows inside one file."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_support import (
    VIIRS_HEADER,
    count,
    ingest_one,
    new_workspace,
    query,
    snapshot,
)
from typer.testing import CliRunner

import tocsin.sources.base
from tocsin.cli.main import app
from tocsin.lake import Lake
from tocsin.workspace import Workspace

UCDP_API = "ucdp-ged-sudan/ged241_sudan_api.csv"
UCDP_HDX = "ucdp-ged-sudan/ged241_sudan_hdx.csv"
VIIRS = "firms-viirs-darfur-kordofan-2025/firms_viirs_snpp_nrt_sudan_bbox_2025-10-31_2025-11-08.csv"


def viirs_row(lat: str, lon: str, day: str = "2025-10-31", hhmm: str = "1012", satellite: str = "N",
              frp: str = "5.2") -> str:
    return f"{lat},{lon},330.1,0.4,0.4,{day},{hhmm},{satellite},VIIRS,n,2.0NRT,290.1,{frp},D"


def firms_file(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([VIIRS_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_same_file_again_adds_nothing_and_says_so(workspace: Workspace,
                                                  real_file: Callable[[str], Path]) -> None:
    path = real_file(VIIRS)
    first = ingest_one(workspace, "firms", path)
    before = snapshot(workspace)
    again = ingest_one(workspace, "firms", path)
    assert again.already_ingested
    assert (again.rows_added, again.duplicates, again.rejected) == (0, 0, 0)
    assert again.batch_id == first.batch_id
    assert again.table == "fire_detections"
    assert snapshot(workspace) == before
    assert count(workspace, "fire_detections") == 24_664


def test_same_content_under_another_name_is_already_ingested(workspace: Workspace, tmp_path: Path,
                                                             real_file: Callable[[str], Path]) -> None:
    path = real_file(UCDP_HDX)
    first = ingest_one(workspace, "ucdp-ged", path)
    copy = shutil.copy(path, tmp_path / "renamed.csv")
    again = ingest_one(workspace, "ucdp-ged", Path(copy))
    assert again.already_ingested and again.batch_id == first.batch_id
    assert count(workspace, "events") == 3822


def test_cli_reports_already_ingested(tmp_path: Path, real_file: Callable[[str], Path]) -> None:
    path = real_file(VIIRS)
    runner = CliRunner()
    home = str(tmp_path / "ws")
    first = runner.invoke(app, ["--home", home, "ingest", "firms", str(path)])
    assert first.exit_code == 0, first.output
    assert "24,664 rows added to fire_detections" in first.output
    again = runner.invoke(app, ["--home", home, "ingest", "firms", str(path)])
    assert again.exit_code == 0, again.output
    assert "already ingested" in again.output and "0 rows added" in again.output


def test_big_file_hashed_while_read_is_still_recognised(workspace: Workspace, monkeypatch: pytest.MonkeyPatch,
                                                        real_file: Callable[[str], Path]) -> None:
    """Files too big to hash first are hashed during the read; the re-ingest check comes after,
    and must still add nothing and leave nothing staged."""
    monkeypatch.setattr(tocsin.sources.base, "EARLY_HASH_BYTES", 0)
    path = real_file(VIIRS)
    first = ingest_one(workspace, "firms", path)
    assert first.rows_added == 24_664
    before = snapshot(workspace)
    again = ingest_one(workspace, "firms", path)
    assert again.already_ingested and again.rows_added == 0
    assert snapshot(workspace) == before
    assert before.staging == frozenset()


@pytest.mark.parametrize(("first", "second"), [(UCDP_API, UCDP_HDX), (UCDP_HDX, UCDP_API)],
                         ids=["api-then-hdx", "hdx-then-api"])
def test_other_ucdp_layout_adds_no_new_events(workspace: Workspace, real_file: Callable[[str], Path],
                                              first: str, second: str) -> None:
    assert ingest_one(workspace, "ucdp-ged", real_file(first)).rows_added == 3822
    result = ingest_one(workspace, "ucdp-ged", real_file(second))
    assert not result.already_ingested  # a different file: its rows are looked at, and all are held
    assert (result.rows_added, result.duplicates, result.rejected) == (0, 3822, 0)
    assert count(workspace, "events") == 3822
    assert query(workspace, "SELECT count(DISTINCT source_id), count(DISTINCT batch_id) FROM events") == [
        (3822, 1)]
    # The second file is recorded, with what it brought.
    ledger = Lake(workspace.lake_dir).batches()
    assert [(b.file_name, b.rows, b.duplicates) for b in ledger] == [
        (Path(first).name, {"events": 3822}, 0), (Path(second).name, {"events": 0}, 3822)]


def test_overlapping_firms_downloads_add_only_new_detections(workspace: Workspace, tmp_path: Path) -> None:
    a = [viirs_row("13.60001", "25.30001"), viirs_row("13.60002", "25.30002"),
         viirs_row("13.60003", "25.30003", hhmm="0016"), viirs_row("13.60004", "25.30004", day="2025-11-01")]
    # The second download overlaps the first by three detections (one written "16", as FIRMS does
    # for times before 01:00, where the first had "0016"), and brings three new ones: another
    # point, the same point seen by another satellite, and a later day.
    b = [viirs_row("13.60002", "25.30002"), viirs_row("13.60003", "25.30003", hhmm="16"),
         viirs_row("13.60004", "25.30004", day="2025-11-01"), viirs_row("13.60005", "25.30005"),
         viirs_row("13.60001", "25.30001", satellite="N20"),
         viirs_row("13.60006", "25.30006", day="2025-11-02")]
    first = ingest_one(workspace, "firms", firms_file(tmp_path / "fires_a.csv", a))
    assert (first.rows_added, first.duplicates) == (4, 0)
    second = ingest_one(workspace, "firms", firms_file(tmp_path / "fires_b.csv", b))
    assert (second.rows_added, second.duplicates, second.rejected) == (3, 3, 0)
    assert count(workspace, "fire_detections") == 7
    added = query(workspace, f"SELECT latitude, satellite, acq_date FROM fire_detections "
                             f"WHERE batch_id = '{second.batch_id}' ORDER BY 1, 2")
    assert [(lat, sat) for lat, sat, _ in added] == [(13.60001, "N20"), (13.60005, "N"), (13.60006, "N")]
    # A third download that is wholly inside the first adds nothing but is still recorded.
    third = ingest_one(workspace, "firms", firms_file(tmp_path / "fires_c.csv", a[:2]))
    assert (third.rows_added, third.duplicates, third.already_ingested) == (0, 2, False)
    assert count(workspace, "fire_detections") == 7


def test_rows_repeated_inside_one_file_go_in_once(workspace: Workspace, tmp_path: Path) -> None:
    rows = [viirs_row("13.1", "25.1"), viirs_row("13.2", "25.2"), viirs_row("13.1", "25.1"),
            viirs_row("13.3", "25.3"), viirs_row("13.1", "25.1"), viirs_row("13.2", "25.2")]
    result = ingest_one(workspace, "firms", firms_file(tmp_path / "fires.csv", rows))
    assert (result.rows_added, result.duplicates) == (3, 3)
    assert query(workspace, "SELECT latitude, count(*) FROM fire_detections GROUP BY 1 ORDER BY 1") == [
        (13.1, 1), (13.2, 1), (13.3, 1)]


def test_fixed_file_after_quarantine_adds_only_the_fixed_row(workspace: Workspace, tmp_path: Path) -> None:
    good = [viirs_row("13.1", "25.1"), viirs_row("13.2", "25.2")]
    first = ingest_one(workspace, "firms", firms_file(tmp_path / "fires.csv", [
        good[0], viirs_row("13.5", "25.5", frp="-1"), good[1]]))
    assert (first.rows_added, first.rejected) == (2, 1)
    fixed = ingest_one(workspace, "firms", firms_file(tmp_path / "fires_fixed.csv", [
        good[0], viirs_row("13.5", "25.5", frp="1.5"), good[1]]))
    assert (fixed.rows_added, fixed.duplicates, fixed.rejected) == (1, 2, 0)
    assert query(workspace, "SELECT frp FROM fire_detections WHERE latitude = 13.5") == [(1.5,)]


def test_reingest_in_a_fresh_workspace_ingests_again(tmp_path: Path,
                                                     real_file: Callable[[str], Path]) -> None:
    path = real_file(UCDP_API)
    for name in ("one", "two"):
        workspace = new_workspace(tmp_path / name)
        assert ingest_one(workspace, "ucdp-ged", path).rows_added == 3822
