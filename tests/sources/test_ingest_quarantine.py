"""Default mode quarantines bad rows (good rows go in, bad ones are listed in a rejects CSV with where
they are and what was expected); --strict refuses the same file whole; a file with no good row is
refused."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from ingest_support import (
    UCDP_HDX_HEADER,
    VIIRS_HEADER,
    assert_nothing_written,
    count,
    ingest_one,
    line_of,
    query,
    refused,
    snapshot,
    ucdp_file,
    ucdp_record,
    write_csv,
)
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.lake import Lake
from tocsin.workspace import Workspace

VIIRS = "firms-viirs-darfur-kordofan-2025/firms_viirs_snpp_nrt_sudan_bbox_2025-10-31_2025-11-08.csv"
REJECTS_HEADER = ["file", "unit", "number", "column", "expected", "found"]


def viirs(lat: str = "13.6", lon: str = "25.3", day: str = "2025-10-31", hhmm: str = "1012", conf: str = "n",
          frp: str = "5.2", daynight: str = "D") -> str:
    return f"{lat},{lon},330.1,0.4,0.4,{day},{hhmm},N,VIIRS,{conf},2.0NRT,290.1,{frp},{daynight}"


# Each row, and for a bad one: the column named, words of what was expected, what was found.
MIXED: list[tuple[str, str | None, str | None, str | None]] = [
    (viirs(lat="13.01"), None, None, None),
    (viirs(lat="13.02", day="2025-02-30"), "acq_date", "a date YYYY-MM-DD", "2025-02-30"),
    (viirs(lat="13.03"), None, None, None),
    (viirs(lat="-95.5"), "latitude", "a latitude between -90 and 90", "-95.5"),
    (viirs(lat="13.05", hhmm="1260"), "acq_time", "HHMM in UTC", "1260"),
    (viirs(lat="13.06").rsplit(",", 4)[0], "version", "14 fields as in the header", None),
    (viirs(lat="13.07", conf="x"), "confidence", "a VIIRS confidence l, n or h", "x"),
    (viirs(lat="13.08", frp="-1"), "frp", "0 or more", "-1"),
    (viirs(lat="13.09", daynight=""), "daynight", "D or N", None),
    (viirs(lat="13.10"), None, None, None),
    (viirs(lat="13.11", lon='"25,3"'), "longitude", "a longitude between -180 and 180", "25,3"),
]


def mixed_file(path: Path) -> tuple[Path, list[tuple[int, str, str, str | None]], list[float]]:
    """A FIRMS file with good and bad rows; returns it, the bad rows (line, column, expected,
    found) and the good rows' latitudes."""
    path.write_text("\n".join([VIIRS_HEADER, *(row for row, *_ in MIXED)]) + "\n", encoding="utf-8")
    bad = [(line, column, expected or "", found) for line, (_, column, expected, found)
           in enumerate(MIXED, start=2) if column]
    return path, bad, [13.01, 13.03, 13.10]


def read_rejects(path: str | None) -> list[dict[str, str]]:
    assert path is not None
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == REJECTS_HEADER
        return list(reader)


def test_default_mode_commits_good_rows_and_quarantines_bad_ones(workspace: Workspace,
                                                                 tmp_path: Path) -> None:
    path, bad, good = mixed_file(tmp_path / "fires.csv")
    result = ingest_one(workspace, "firms", path)
    assert (result.rows_added, result.rejected, result.duplicates) == (len(good), len(bad), 0)
    assert query(workspace, "SELECT latitude FROM fire_detections ORDER BY 1") == [(x,) for x in good]
    # Every bad row is named: file, line, column, what was expected, what was found.
    assert [(p.file, p.line, p.column) for p in result.problems] == [("fires.csv", b[0], b[1]) for b in bad]
    rejects = read_rejects(result.rejects_file)
    assert [(r["file"], r["unit"], int(r["number"]), r["column"]) for r in rejects] == [
        ("fires.csv", "line", line, column) for line, column, _, _ in bad]
    for row, (_, _, expected, found) in zip(rejects, bad, strict=True):
        assert expected in row["expected"]
        if found is not None:
            assert row["found"] == found
    short = next(r for r in rejects if r["expected"].startswith("14 fields"))
    assert short["found"] == viirs(lat="13.06").rsplit(",", 4)[0]  # the whole record, to fix it by
    # The rejects file sits in the workspace and the batch records it.
    assert Path(result.rejects_file or "").parent == workspace.rejects_dir
    (batch,) = Lake(workspace.lake_dir).batches()
    assert (batch.rejected, batch.rejects_file, batch.rows) == (len(bad), result.rejects_file,
                                                                 {"fire_detections": len(good)})


def test_strict_refuses_the_same_file_whole(workspace: Workspace, tmp_path: Path) -> None:
    path, bad, _ = mixed_file(tmp_path / "fires.csv")
    before = snapshot(workspace)
    error = refused(workspace, "firms", path, strict=True)
    assert error.summary is not None
    assert f"{len(bad)} bad row(s) of {len(MIXED)}" in error.summary and "--strict" in error.summary
    assert [(p.line, p.column) for p in error.problems] == [(b[0], b[1]) for b in bad]
    assert_nothing_written(workspace, before)
    assert count(workspace, "fire_detections") == 0


def test_a_file_with_no_good_row_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "fires.csv"
    path.write_text("\n".join([VIIRS_HEADER, viirs(lat="99"), viirs(day="yesterday"),
                               viirs().rsplit(",", 1)[0]]) + "\n", encoding="utf-8")
    before = snapshot(workspace)
    error = refused(workspace, "firms", path)
    assert error.summary is not None and "no row is valid" in error.summary
    assert "3 bad row(s) of 3" in error.summary
    assert [(p.line, p.column) for p in error.problems] == [(2, "latitude"), (3, "acq_date"), (4, "daynight")]
    assert_nothing_written(workspace, before)


def test_cli_reports_quarantine_and_strict_refusal(tmp_path: Path) -> None:
    path, bad, good = mixed_file(tmp_path / "fires.csv")
    runner = CliRunner()
    home = str(tmp_path / "ws")
    strict = runner.invoke(app, ["--home", home, "ingest", "firms", "--strict", str(path)])
    assert strict.exit_code == 1
    assert f"fires.csv, line {bad[0][0]}, column '{bad[0][1]}': expected" in strict.stderr
    assert "fires.csv: nothing was written" in strict.stderr
    default = runner.invoke(app, ["--home", home, "ingest", "firms", str(path)])
    assert default.exit_code == 0, default.output
    assert f"fires.csv: {len(good)} rows added to fire_detections" in default.stdout
    assert f"{len(bad)} bad rows quarantined in" in default.stderr
    assert f"fires.csv, line {bad[0][0]}, column '{bad[0][1]}'" in default.stderr


def test_quarantine_lines_count_quoted_newlines_tag_row_and_blank_lines(workspace: Workspace,
                                                                       tmp_path: Path) -> None:
    records = [
        ucdp_record(2001, source_headline="RSF attack on Zamzam\ncamp; residents flee"),
        ucdp_record(2002, where_prec="9"),
        ucdp_record(2003, where_description="Abu Shouk,\nnorth of\nthe town"),
        ucdp_record(2004, best="-3"),
        ucdp_record(2005),
        ucdp_record(2006)[:20],
        ucdp_record(2007, type_of_violence="4", source_headline="Clashes\nin Tawila"),
    ]
    path = ucdp_file(tmp_path / "ged.csv", records)
    # A blank line in the middle, as hand-edited files have: DuckDB skips it, lines still count it.
    text = path.read_text(encoding="utf-8").replace("\n2005,", "\n\n2005,")
    path.write_text(text, encoding="utf-8")
    result = ingest_one(workspace, "ucdp-ged", path)
    assert result.rows_added == 3
    expected = [(line_of(path, "2002,"), "where_prec"), (line_of(path, "2004,"), "best"),
                (line_of(path, "2006,"), UCDP_HDX_HEADER[20]), (line_of(path, "2007,"), "type_of_violence")]
    assert [(p.line, p.column) for p in result.problems] == expected
    assert [int(r["number"]) for r in read_rejects(result.rejects_file)] == [line for line, _ in expected]
    assert sorted(r[0] for r in query(workspace, "SELECT source_id FROM events")) == ["2001", "2003", "2005"]


@pytest.mark.parametrize("blank", ["\n", "\n\n\n"])
def test_blank_lines_do_not_shift_line_numbers(workspace: Workspace, tmp_path: Path, blank: str) -> None:
    path = tmp_path / "fires.csv"
    path.write_text(VIIRS_HEADER + "\n" + viirs(lat="13.1") + "\n" + blank + viirs(lat="13.2") + "\n" + blank
                    + viirs(lat="95") + "\n" + viirs(lat="13.3") + "\n", encoding="utf-8")
    result = ingest_one(workspace, "firms", path)
    assert result.rows_added == 3
    assert [(p.line, p.column) for p in result.problems] == [(line_of(path, "95,"), "latitude")]


def test_real_viirs_file_with_three_damaged_rows(workspace: Workspace, tmp_path: Path,
                                                 real_file: Callable[[str], Path]) -> None:
    lines = real_file(VIIRS).read_text(encoding="utf-8").split("\n")
    damaged = {120: lambda r: r.replace(",2025-", ",2205-", 1),
               9_000: lambda r: r.rsplit(",", 3)[0],
               24_000: lambda r: r.replace(",N,VIIRS,", ",,VIIRS,", 1)}
    for line, damage in damaged.items():
        lines[line - 1] = damage(lines[line - 1])
    path = tmp_path / "firms_viirs.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = ingest_one(workspace, "firms", path)
    assert (result.rows_added, result.rejected) == (24_664 - 3, 3)
    assert [(p.line, p.column) for p in result.problems] == [
        (120, "acq_date"), (9_000, "bright_ti5"), (24_000, "satellite")]
    assert count(workspace, "fire_detections") == 24_661


def test_spreadsheet_rejects_name_sheet_rows(workspace: Workspace, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["IOM DTM Darfur, November 2019"])  # title row above the header, as IOM's
    sheet.append(["State Name", "Locality", "Location", "Location Arabic", "Reg_location", "_GPS_latitude",
                  "_GPS_longitude", "Location Type", "Location Classification", "Households", "Individuals"])
    sheet.append(["North Darfur", "El Fasher", "Zamzam", "زمزم", "DTM0201001", 13.4878, 25.3006, "Rural",
                  "camp", 20000, 100000])
    sheet.append(["North Darfur", "El Fasher", "Abu Shouk", "أبو شوك", "DTM0201002", 113.66, 25.33, "Urban",
                  "camp", 12000, 60000])
    sheet.append([])
    sheet.append(["North Darfur", "Tawila", "Tawila", "طويلة", "DTM0201003", 13.52, 24.85, "Rural",
                  "gathering", 900, "4,500"])
    path = tmp_path / "sites.xlsx"
    book.save(path)
    result = ingest_one(workspace, "dtm-sites", path)
    assert result.rows_added == 2
    assert [(p.unit, p.line, p.column, p.found) for p in result.problems] == [
        ("row", 4, "_GPS_latitude", "113.66")]
    assert "sites.xlsx, row 4, column '_GPS_latitude'" in str(result.problems[0])
    assert query(workspace, "SELECT name, name_ar, place_class, households FROM places ORDER BY 1") == [
        ("Tawila", "طويلة", "idp_site", 900), ("Zamzam", "زمزم", "camp", 20000)]


def test_values_too_big_for_their_column_are_quarantined(workspace: Workspace, tmp_path: Path) -> None:
    """acq_time is a SMALLINT in the lake: 32768 must fail its row's check, not the whole file."""
    path = tmp_path / "fires.csv"
    path.write_text("\n".join([VIIRS_HEADER, viirs(lat="13.1"), viirs(lat="13.2", hhmm="32768"),
                               viirs(lat="13.3", hhmm="99999999999"), viirs(lat="13.4")]) + "\n",
                    encoding="utf-8")
    result = ingest_one(workspace, "firms", path)
    assert result.rows_added == 2
    assert [(p.line, p.column, p.found) for p in result.problems] == [
        (3, "acq_time", "32768"), (4, "acq_time", "99999999999")]


def test_counts_too_big_for_their_column_are_quarantined(workspace: Workspace,
                                                         tmp_path: Path) -> None:
    """A count that cannot be stored is a typo, not data: it must not go in as an empty value."""
    path = ucdp_file(tmp_path / "ged.csv", [ucdp_record(1), ucdp_record(2, high="3000000000"),
                                            ucdp_record(3, best="1e30")])
    result = ingest_one(workspace, "ucdp-ged", path)
    assert result.rows_added == 1
    assert [(p.column, p.found) for p in result.problems] == [("high", "3000000000"),
                                                              ("best", "1e30")]
    assert query(workspace, "SELECT source_id, fatalities, fatalities_high FROM events") == [("1", 4, 6)]


def test_fields_longer_than_pythons_csv_limit(workspace: Workspace, tmp_path: Path) -> None:
    """Python's csv module stops at 128 KB fields by default; DuckDB reads up to 10 MB lines."""
    long_text = "Report from Tawila.\n" + "Residents describe the shelling. " * 6_000
    assert len(long_text) > 131_072
    path = ucdp_file(tmp_path / "ged.csv", [ucdp_record(1, source_headline=long_text),
                                            ucdp_record(2, latitude="95"), ucdp_record(3)])
    result = ingest_one(workspace, "ucdp-ged", path)
    assert result.rows_added == 2
    assert [(p.line, p.column) for p in result.problems] == [(line_of(path, "2,"), "latitude")]
    assert query(workspace, "SELECT notes FROM events WHERE source_id = '1'") == [(long_text,)]


@pytest.mark.parametrize("name", ["ged241_sudan_api.csv", "ged241_sudan_hdx.csv"])
def test_real_ucdp_file_with_damaged_rows_deep_inside(workspace: Workspace, tmp_path: Path,
                                                      real_file: Callable[[str], Path], name: str) -> None:
    """Lines are counted through the hundreds of quoted newlines (and the HDX tag row) before them."""
    with open(real_file(f"ucdp-ged-sudan/{name}"), encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    header = records[0]
    first_data = 2 if name.endswith("hdx.csv") else 1
    targets = {first_data + 1500: ("latitude", "-95.0"), first_data + 3700: ("where_prec", "8")}
    for index, (column, value) in targets.items():
        records[index][header.index(column)] = value
    newlines_before = sum(v.count("\n") for r in records[:first_data + 1500] for v in r)
    assert newlines_before > 150
    path = write_csv(tmp_path / name, records)
    result = ingest_one(workspace, "ucdp-ged", path)
    assert (result.rows_added, result.rejected) == (3822 - 2, 2)
    assert [(p.line, p.column) for p in result.problems] == [
        (line_of(path, records[index][0] + ","), column) for index, (column, _) in sorted(targets.items())]
