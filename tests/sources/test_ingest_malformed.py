"""Malformed input is refused with an error naming the file, the line (or feature, or row), the
column and what was expected, and nothing is written: not a row, not a batch, not a staged file."""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from ingest_support import (
    UCDP_HDX_HEADER,
    VIIRS_HEADER,
    assert_nothing_written,
    ingest,
    ingest_one,
    line_of,
    new_workspace,
    refused,
    snapshot,
    ucdp_file,
    ucdp_record,
)
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.errors import InputError
from tocsin.workspace import Workspace

RealFile = Callable[[str], Path]
UCDP_HDX = "ucdp-ged-sudan/ged241_sudan_hdx.csv"
VIIRS = "firms-viirs-darfur-kordofan-2025/firms_viirs_snpp_nrt_sudan_bbox_2025-10-31_2025-11-08.csv"
ADMIN1 = "cod-ab-sdn/sdn_admin1.geojson"
DTM_SITES = "iom-dtm-darfur-idp-sites-2019/sudan_idp_camps.xlsx"
GEONAMES_HEADER = ("geonameid,name,latitude,longitude,countrycode,population,admin1code,timezone,"
                   "alternatenames")


@dataclass
class Case:
    kind: str
    path: Path
    line: int | None  # the line (feature, row) the error must name; None for a whole-file problem
    column: str | None  # the column it must name
    expected: str  # words of what was expected
    summary: str | None = None  # words the error's summary must hold
    strict: bool = False
    unit: str = "line"


def viirs(lat: str = "13.6", lon: str = "25.3", day: str = "2025-10-31", hhmm: str = "1012") -> str:
    return f"{lat},{lon},330.1,0.4,0.4,{day},{hhmm},N,VIIRS,n,2.0NRT,290.1,5.2,D"


def text_file(path: Path, lines: list[str], *, final_newline: bool = True) -> Path:
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf-8")
    return path


def multiline_records() -> list[list[str]]:
    """UCDP records whose quoted fields hold newlines, as the real files' do."""
    return [ucdp_record(1001, source_headline="Attack on Zamzam camp\nResidents flee\nto El Fasher"),
            ucdp_record(1002, where_description="Abu Shouk,\nnorth-west of the town"),
            ucdp_record(1003)]


# -- the cases ------------------------------------------------------------------------------

def missing_columns(tmp: Path, real: RealFile) -> Case:
    header = VIIRS_HEADER.replace(",frp,daynight", "")
    path = text_file(tmp / "fires.csv", [header, viirs().rsplit(",", 2)[0]])
    return Case("firms", path, 1, "frp", "a column named 'frp'",
                summary="missing 2 required column(s) frp, daynight")


def firms_given_as_ucdp(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "fires.csv", [VIIRS_HEADER, viirs(), viirs(lat="13.7")])
    return Case("ucdp-ged", path, 1, "id", "a column named 'id'",
                summary="it looks like a firms file (use `tocsin ingest firms`)")


def prices_given_as_dtm(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "prices.csv", [
        "date,admin1,admin2,market,market_id,latitude,longitude,category,commodity,commodity_id,unit,"
        "priceflag,pricetype,currency,price,usdprice",
        "2024-05-15,North Darfur,Al Fasher,Al Fashir,4301,13.63,25.35,cereals and tubers,Millet,73,KG,"
        "actual,Retail,SDG,1200,0.9"])
    return Case("dtm", path, 1, "location_code", "a column named 'location_code'",
                summary="use `tocsin ingest wfp-prices`")


def bad_date(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "fires.csv", [VIIRS_HEADER, viirs(), viirs(lat="13.7", day="2025-13-45"), viirs()])
    return Case("firms", path, 3, "acq_date", "a date YYYY-MM-DD", strict=True,
                summary="--strict refuses a file with any bad row")


def future_date(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "fires.csv", [VIIRS_HEADER, viirs(), viirs(lat="13.7", day="2099-01-01")])
    return Case("firms", path, 3, "acq_date", "between 1946-01-01 and today", strict=True)


def bad_date_after_quoted_newlines(tmp: Path, real: RealFile) -> Case:
    bad = ucdp_record(1004, date_start="31/12/2024 00:00:00")
    path = ucdp_file(tmp / "ged.csv", [*multiline_records(), bad, ucdp_record(1005)])
    line = line_of(path, "1004,")
    assert line == 2 + 3 + 2 + 1 + 1  # header, tag row, 3 lines, 2 lines, 1 line, then this one
    return Case("ucdp-ged", path, line, "date_start", "a date YYYY-MM-DD hh:mm:ss", strict=True)


def bad_date_in_first_row_after_tag_row(tmp: Path, real: RealFile) -> Case:
    path = ucdp_file(tmp / "ged.csv", [ucdp_record(1001, date_start="2024-02-30 00:00:00.000"),
                                       ucdp_record(1002)])
    return Case("ucdp-ged", path, 3, "date_start", "a date YYYY-MM-DD hh:mm:ss", strict=True)


def latitude_out_of_range(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "fires.csv", [VIIRS_HEADER, viirs(), viirs(), viirs(lat="91.5")])
    return Case("firms", path, 4, "latitude", "a latitude between -90 and 90", strict=True)


def longitude_out_of_range(tmp: Path, real: RealFile) -> Case:
    records = [*multiline_records(), ucdp_record(1004, longitude="250.349444")]
    path = ucdp_file(tmp / "ged.csv", records)
    return Case("ucdp-ged", path, line_of(path, "1004,"), "longitude", "a longitude between -180 and 180",
                strict=True)


def latitude_not_a_number(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "fires.csv", [VIIRS_HEADER, viirs(lat="13°36'N"), viirs(lat="13.7")])
    return Case("firms", path, 2, "latitude", "a latitude between -90 and 90", strict=True)


def short_row(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "fires.csv", [VIIRS_HEADER, viirs(), viirs().rsplit(",", 3)[0], viirs()])
    return Case("firms", path, 3, "bright_ti5", "14 fields as in the header", strict=True)


def mixed_line_endings(tmp: Path, real: RealFile) -> Case:
    """A file edited on two systems: Unix endings, then a Windows one and a Windows blank line."""
    path = tmp / "fires.csv"
    path.write_bytes(f"{VIIRS_HEADER}\n{viirs()}\r\n\r\n{viirs(lat='13.7')}\n".encode())
    return Case("firms", path, 2, None, "one kind of line ending throughout")


def long_row(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "fires.csv", [VIIRS_HEADER, viirs(), viirs(), viirs() + ",extra"])
    return Case("firms", path, 4, None, "14 fields as in the header", strict=True)


def truncated_ucdp(tmp: Path, real: RealFile) -> Case:
    """The real UCDP file cut in the middle of a record, after records with quoted newlines."""
    with open(real(UCDP_HDX), encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    whole = records[:2001]  # header, tag row, 1,999 events
    assert any("\n" in v for r in whole for v in r)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(whole)
    cut = records[2001]
    partial = ",".join(cut[:11]) + "," + cut[11][:4]
    assert "\n" not in partial and '"' not in partial
    path = tmp / "ged241_sudan_hdx.csv"
    path.write_text(buffer.getvalue() + partial, encoding="utf-8", newline="")
    line = buffer.getvalue().count("\n") + 1
    return Case("ucdp-ged", path, line, UCDP_HDX_HEADER[12], "50 fields as in the header",
                summary="is truncated: its last record is cut short")


def truncated_firms_mid_field(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "fires.csv", [VIIRS_HEADER, viirs(), viirs(lat="13.7"), "13.8"],
                     final_newline=False)
    return Case("firms", path, 4, "longitude", "14 fields as in the header", summary="is truncated")


def truncated_firms_after_a_comma(tmp: Path, real: RealFile) -> Case:
    """Cut just after the last comma: every field is there, the last one empty. The real VIIRS
    file has no final newline, so a missing one alone proves nothing."""
    lines = real(VIIRS).read_text(encoding="utf-8").split("\n")[:301]
    path = text_file(tmp / "fires.csv", [*lines[:300], lines[300].rsplit(",", 1)[0] + ","],
                     final_newline=False)
    return Case("firms", path, 301, "daynight", "D or N", summary="is truncated")


def unclosed_quote(tmp: Path, real: RealFile) -> Case:
    rows = [VIIRS_HEADER, viirs(), viirs().replace(",N,VIIRS", ',"N,VIIRS'), viirs(lat="13.7"), viirs()]
    path = text_file(tmp / "fires.csv", rows)
    return Case("firms", path, 3, "satellite", "a closing quote",
                summary="a quote opened at line 3 is never closed")


def unclosed_quote_early_in_a_big_file(tmp: Path, real: RealFile) -> Case:
    """The quote swallows 24,000 lines: quarantining one row would lose them all without a word."""
    lines = real(VIIRS).read_text(encoding="utf-8").split("\n")
    lines[99] = lines[99].replace(",N,VIIRS,", ',"N,VIIRS,', 1)
    path = text_file(tmp / "fires.csv", lines)
    return Case("firms", path, 100, "satellite", "a closing quote",
                summary="a quote opened at line 100 is never closed")


def arabic_in_cp1256(tmp: Path, real: RealFile) -> Case:
    path = tmp / "places.csv"
    path.write_bytes("\n".join([
        GEONAMES_HEADER,
        "379555,El Fasher,13.62793,25.34936,SD,252609,55,Africa/Khartoum,Al Fashir|El Fasher",
        "369004,نيالا,12.04888,24.88069,SD,565734,49,Africa/Khartoum,Nyala",
    ]).encode("cp1256") + b"\n")
    return Case("geonames", path, 3, "name", "UTF-8 text", summary="is not UTF-8 text")


def latin1_after_quoted_newlines(tmp: Path, real: RealFile) -> Case:
    # In a column Tocsin reads: DuckDB checks the encoding of the columns a query uses.
    records = [*multiline_records(), ucdp_record(1004, where_coordinates="Kébkabiya town"), ucdp_record(1005)]
    path = ucdp_file(tmp / "ged.csv", records)
    line = line_of(path, "1004,")
    path.write_bytes(path.read_bytes().replace("Kébkabiya".encode(), "Kébkabiya".encode("latin-1")))
    return Case("ucdp-ged", path, line, "where_coordinates", "UTF-8 text")


def empty_file(tmp: Path, real: RealFile) -> Case:
    path = tmp / "fires.csv"
    path.write_bytes(b"")
    return Case("firms", path, 1, None, "the file is empty")


def utf16_with_bom(tmp: Path, real: RealFile) -> Case:
    path = tmp / "fires.csv"
    path.write_bytes("\n".join([VIIRS_HEADER, viirs(), ""]).encode("utf-16"))
    assert path.read_bytes().startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    return Case("firms", path, 1, None, "the file is UTF-16")


def utf16_without_bom(tmp: Path, real: RealFile) -> Case:
    path = tmp / "fires.csv"
    path.write_bytes("\n".join([VIIRS_HEADER, viirs(), ""]).encode("utf-16-le"))
    return Case("firms", path, 1, None, "the file is UTF-16")


def zip_given_as_csv(tmp: Path, real: RealFile) -> Case:
    path = tmp / "fires.csv"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fires.csv", "\n".join([VIIRS_HEADER, viirs()]))
    return Case("firms", path, 1, None, "this is a ZIP archive")


def geojson_syntax_error(tmp: Path, real: RealFile) -> Case:
    path = tmp / "places.geojson"
    path.write_text("\n".join([
        '{"type": "FeatureCollection",',
        ' "features": [',
        '  {"type": "Feature", "properties": {"osm_id": 1, "place": "town", "name": "Kutum"},',
        '   "geometry": {"type": "Point" "coordinates": [24.67, 14.2]}}',
        ']}']), encoding="utf-8")
    return Case("osm-places", path, 4, "character 33", "valid JSON")


def geojson_truncated(tmp: Path, real: RealFile) -> Case:
    path = tmp / "sdn_admin1.geojson"
    data = real(ADMIN1).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(json.JSONDecodeError) as where_it_breaks:
        json.loads(path.read_bytes())
    line, column = where_it_breaks.value.lineno, f"character {where_it_breaks.value.colno}"
    return Case("cod-ab", path, line, column, "valid JSON")


def geojson_not_a_collection(tmp: Path, real: RealFile) -> Case:
    path = tmp / "places.geojson"
    path.write_text('{"type": "Feature", "properties": {}, "geometry": null}', encoding="utf-8")
    return Case("osm-places", path, None, None, "a GeoJSON FeatureCollection")


def geojson_feature_not_an_object(tmp: Path, real: RealFile) -> Case:
    path = tmp / "places.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                    '{"osm_id": 1, "place": "town"}, "geometry": null}, [24.67, 14.2]]}', encoding="utf-8")
    return Case("osm-places", path, 2, None, "a GeoJSON Feature", unit="feature")


def places_given_as_areas(tmp: Path, real: RealFile) -> Case:
    path = tmp / "places.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                    '{"osm_id": 1, "place": "town", "name": "Kutum"}, "geometry": {"type": "Point", '
                    '"coordinates": [24.67, 14.2]}}]}', encoding="utf-8")
    # GeoJSON properties have no line: the error names the property alone.
    return Case("cod-ab", path, None, "adm1_pcode", "a column named 'adm1_pcode'",
                summary="use `tocsin ingest osm-places`")


def sheet_without_the_needed_columns(tmp: Path, real: RealFile) -> Case:
    """IOM's sheets have a title row; the header the error names is the one it looked at."""
    import openpyxl

    path = tmp / "sites.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Location", "Households"])
    book.active.append(["Zamzam", 1200])
    book.save(path)
    return Case("dtm-sites", path, 1, "Reg_location", "a column named 'Reg_location'", unit="row")


def csv_given_as_xlsx(tmp: Path, real: RealFile) -> Case:
    path = text_file(tmp / "sites.xlsx", ["Location,Reg_location", "Zamzam,DTM0201001"])
    return Case("dtm-sites", path, None, None, "an Excel .xlsx workbook")


def xlsx_truncated(tmp: Path, real: RealFile) -> Case:
    data = real(DTM_SITES).read_bytes()
    path = tmp / "sudan_idp_camps.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return Case("dtm-sites", path, None, None, "an Excel .xlsx workbook")


CASES: dict[str, Callable[[Path, RealFile], Case]] = {f.__name__.replace("_", "-"): f for f in [
    missing_columns, firms_given_as_ucdp, prices_given_as_dtm, bad_date, future_date,
    bad_date_after_quoted_newlines, bad_date_in_first_row_after_tag_row, latitude_out_of_range,
    longitude_out_of_range, latitude_not_a_number, short_row, mixed_line_endings, long_row, truncated_ucdp,
    truncated_firms_mid_field, truncated_firms_after_a_comma, unclosed_quote,
    unclosed_quote_early_in_a_big_file, arabic_in_cp1256,
    latin1_after_quoted_newlines, empty_file, utf16_with_bom, utf16_without_bom, zip_given_as_csv,
    geojson_syntax_error, geojson_truncated, geojson_not_a_collection, geojson_feature_not_an_object,
    places_given_as_areas, sheet_without_the_needed_columns, csv_given_as_xlsx, xlsx_truncated,
]}


@pytest.fixture
def make_case(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], Case]:
    def real(relative: str) -> Path:  # only the cases built from real files need (and skip without) them
        finder: RealFile = request.getfixturevalue("real_file")
        return finder(relative)

    def make(name: str) -> Case:
        folder = tmp_path / "input"
        folder.mkdir()
        return CASES[name](folder, real)

    return make


def seed(workspace: Workspace, tmp_path: Path) -> None:
    """Something already in the lake, so that 'nothing written' means something."""
    ingest_one(workspace, "firms", text_file(tmp_path / "seed_fires.csv", [VIIRS_HEADER, viirs(lat="12.1")]))
    ingest_one(workspace, "ucdp-ged", ucdp_file(tmp_path / "seed_ged.csv", [ucdp_record(999)]))


def where(case: Case) -> str:
    """How the error must name the place: "file, line N, column 'c': expected ..."."""
    text = case.path.name
    if case.line is not None:
        text += f", {case.unit} {case.line}"
    if case.column is not None:
        text += f", column '{case.column}'"
    return text + ": expected "


def check_error(error: InputError, case: Case) -> None:
    rendered = error.render()
    assert case.path.name in rendered
    if case.summary:
        assert error.summary and case.summary in error.summary, rendered
    named = [p for p in error.problems if str(p).startswith(where(case))]
    assert named, f"no problem names {where(case)!r}:\n{rendered}"
    assert case.expected in named[0].expected, rendered
    assert (named[0].file, named[0].line, named[0].column) == (case.path.name, case.line, case.column)
    assert str(named[0]) in rendered


@pytest.mark.parametrize("name", list(CASES))
def test_refused_naming_file_line_column_and_nothing_written(
        workspace: Workspace, tmp_path: Path, make_case: Callable[[str], Case], name: str) -> None:
    case = make_case(name)
    seed(workspace, tmp_path)
    before = snapshot(workspace)
    assert before.rows["fire_detections"] == 1 and before.rows["events"] == 1
    error = refused(workspace, case.kind, case.path, strict=case.strict)
    check_error(error, case)
    assert_nothing_written(workspace, before)


@pytest.mark.parametrize("name", list(CASES))
def test_cli_exits_1_naming_the_place(tmp_path: Path, make_case: Callable[[str], Case], name: str) -> None:
    case = make_case(name)
    runner = CliRunner()
    home = tmp_path / "ws"
    seeded = runner.invoke(app, ["--home", str(home), "ingest", "firms",
                                 str(text_file(tmp_path / "seed.csv", [VIIRS_HEADER, viirs(lat="12.1")]))])
    assert seeded.exit_code == 0, seeded.output
    workspace = new_workspace(home)
    before = snapshot(workspace)
    args = ["--home", str(home), "ingest", case.kind, str(case.path), *(["--strict"] if case.strict else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert where(case) in result.stderr, result.stderr
    assert case.expected in result.stderr
    assert f"{case.path.name}: nothing was written" in result.stderr
    assert_nothing_written(workspace, before)


def test_every_error_of_a_refused_file_goes_to_json(tmp_path: Path, make_case: Callable[[str], Case]) -> None:
    case = make_case("bad-date-after-quoted-newlines")
    result = CliRunner().invoke(app, ["--home", str(tmp_path / "ws"), "ingest", case.kind, str(case.path),
                                      "--strict", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["results"] == []
    assert [e["file"] for e in data["errors"]] == [case.path.name]
    assert where(case) in data["errors"][0]["error"]


def test_one_refused_file_does_not_stop_the_others(workspace: Workspace, tmp_path: Path,
                                                   make_case: Callable[[str], Case]) -> None:
    case = make_case("truncated-firms-mid-field")
    good = text_file(tmp_path / "good.csv", [VIIRS_HEADER, viirs(lat="12.5")])
    outcome = ingest(workspace, "firms", case.path, good)
    assert [r.file for r in outcome.results] == ["good.csv"]
    assert [f for f, _ in outcome.errors] == [case.path.name]
    assert outcome.results[0].rows_added == 1


def test_missing_file_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    error = refused(workspace, "firms", tmp_path / "nowhere.csv")
    assert "nowhere.csv" in error.render() and "an existing file" in error.render()
