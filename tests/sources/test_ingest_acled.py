"""ACLED: the event export and the HDX admin2 x month aggregates, on files written for the tests in
ACLED's published layouts (tests/sources/data/README.md says why)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from ingest_support import (
    TEST_DATA,
    assert_nothing_written,
    count,
    ingest_one,
    new_workspace,
    query,
    refused,
    snapshot,
)

from tocsin.schema.taxonomy import load_taxonomy
from tocsin.workspace import Workspace

EVENTS = TEST_DATA / "acled_sudan_events.csv"
OLD_DATES = TEST_DATA / "acled_sudan_events_2023_old_dates.csv"
CIVILIAN = TEST_DATA / "sudan_hrp_civilian_targeting_events_and_fatalities_by_month-year.csv"
POLITICAL = TEST_DATA / "sudan_hrp_political_violence_events_and_fatalities_by_month-year.csv"

CATEGORIES = {
    "SUD30001": "battle",
    "SUD30002": "remote_violence",  # air/drone strike
    "SUD30003": "remote_violence",  # shelling
    "SUD30004": "sexual_violence",
    "SUD30005": "attack_on_civilians",
    "SUD30006": "abduction",
    "SUD30007": "looting_destruction",
    "SUD30008": "siege_related",  # a strategic development whose notes tell of a blockade
    "SUD30009": "territory_change",
    "SUD30010": "other",  # a strategic development with no siege in its notes
    "SUD30011": "battle",
    "SUD30012": "remote_violence",
    "SUD30013": "protest",
    "SUD30014": "riot",
    "SUD30015": "siege_related",  # a checkpoint turning back a humanitarian convoy
}


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def acled(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = new_workspace(tmp_path_factory.mktemp("acled") / "ws")
    result = ingest_one(workspace, "acled", EVENTS)
    assert (result.rows_added, result.rejected, result.table) == (15, 0, "events")
    return workspace


def test_every_event_goes_in(acled: Workspace) -> None:
    assert count(acled, "events") == len(rows_of(EVENTS)) == 15
    assert count(acled, "events", "source = 'acled' AND event_uid = 'acled:' || source_id") == 15


def test_taxonomy_categories(acled: Workspace) -> None:
    assert dict(query(acled, "SELECT source_id, category FROM events")) == CATEGORIES
    # The SQL form and the Python form of the taxonomy agree on every row.
    taxonomy = load_taxonomy()
    for row in rows_of(EVENTS):
        assert taxonomy.classify("acled", row["event_type"], row["sub_event_type"], row["notes"]) == \
            CATEGORIES[row["event_id_cnty"]]


def test_source_categories_are_kept_beside(acled: Workspace) -> None:
    got = {r[0]: r[1:] for r in query(acled, "SELECT source_id, source_category, source_subcategory "
                                             "FROM events")}
    assert got == {r["event_id_cnty"]: (r["event_type"], r["sub_event_type"]) for r in rows_of(EVENTS)}
    assert got["SUD30008"] == ("Strategic developments", "Other")


def test_geo_precision_decides_location_precision(acled: Workspace) -> None:
    rows = dict(query(acled, "SELECT source_id, (source_precision, location_precision) FROM events "
                             "WHERE source_id IN ('SUD30001', 'SUD30011', 'SUD30012')"))
    assert rows == {"SUD30001": (1, "exact"), "SUD30011": (3, "admin1"), "SUD30012": (2, "near")}
    # The state-level event keeps the state, not the capital's point as if it happened there.
    assert query(acled, "SELECT location_name, admin1_name FROM events WHERE source_id = 'SUD30011'") == [
        ("Zalingi", "Central Darfur")]


def test_timestamp_becomes_published_at(acled: Workspace) -> None:
    got = dict(query(acled, "SELECT source_id, CAST(epoch(published_at) AS BIGINT) FROM events"))
    assert got == {r["event_id_cnty"]: int(r["timestamp"]) for r in rows_of(EVENTS)}
    assert query(acled, "SELECT strftime(timezone('UTC', published_at), '%Y-%m-%d %H:%M:%S') FROM events "
                        "WHERE source_id = 'SUD30001'") == [("2023-04-20 09:12:44",)]


def test_event_values(acled: Workspace) -> None:
    assert query(acled, """
        SELECT date_start, date_end, date_precision, actor1, actor2, fatalities, civilian_targeting,
               latitude, longitude, location_name, admin1_name, admin2_name, country_iso3
        FROM events WHERE source_id = 'SUD30005'""") == [
        (date(2023, 11, 5), date(2023, 11, 5), "day", "Rapid Support Forces", "Civilians (Sudan)", 800, True,
         13.4679, 22.4815, "Ardamata", "West Darfur", "El Geneina", "SDN")]
    assert query(acled, "SELECT date_precision, civilian_targeting FROM events "
                        "WHERE source_id = 'SUD30011'") == [("week", False)]
    notes = query(acled, "SELECT notes FROM events WHERE source_id = 'SUD30008'")[0][0]
    assert notes == next(r["notes"] for r in rows_of(EVENTS) if r["event_id_cnty"] == "SUD30008")


def test_both_date_formats(tmp_path: Path) -> None:
    iso = new_workspace(tmp_path / "iso")
    old = new_workspace(tmp_path / "old")
    ingest_one(iso, "acled", EVENTS)
    result = ingest_one(old, "acled", OLD_DATES)
    assert (result.rows_added, result.rejected) == (4, 0)
    assert query(old, "SELECT date_start FROM events WHERE source_id = 'SUD29001'") == [(date(2023, 4, 5),)]
    shared = "('SUD30001', 'SUD30002', 'SUD30003')"
    select = (f"SELECT source_id, date_start, date_end, category FROM events WHERE source_id IN {shared} "
              "ORDER BY 1")
    assert query(old, select) == query(iso, select)
    assert [r[1] for r in query(old, select)] == [date(2023, 4, 15), date(2023, 4, 16), date(2023, 6, 14)]


def test_older_export_after_newer_adds_only_the_new_event(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path / "ws")
    ingest_one(workspace, "acled", EVENTS)
    result = ingest_one(workspace, "acled", OLD_DATES)
    assert (result.rows_added, result.duplicates) == (1, 3)
    assert count(workspace, "events") == 16


def test_bad_acled_rows_are_quarantined(workspace: Workspace, tmp_path: Path) -> None:
    rows = rows_of(EVENTS)[:4]
    rows[1]["geo_precision"] = "4"
    rows[2]["event_date"] = "2023-15-04"
    rows[3]["event_type"] = ""
    path = tmp_path / "acled.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = ingest_one(workspace, "acled", path)
    assert result.rows_added == 1
    assert [(p.line, p.column, p.found) for p in result.problems] == [
        (3, "geo_precision", "4"), (4, "event_date", "2023-15-04"), (5, "event_type", None)]
    assert "a geo precision 1, 2 or 3" in result.problems[0].expected


def test_acled_export_given_as_hdx_aggregates_is_refused(workspace: Workspace) -> None:
    before = snapshot(workspace)
    error = refused(workspace, "acled-hdx", EVENTS)
    assert error.summary is not None and "use `tocsin ingest acled`" in error.summary
    assert (error.problems[0].line, error.problems[0].column) == (1, "Country")
    assert_nothing_written(workspace, before)


def test_hdx_aggregates(workspace: Workspace) -> None:
    civilian = ingest_one(workspace, "acled-hdx", CIVILIAN)
    political = ingest_one(workspace, "acled-hdx", POLITICAL)
    assert (civilian.rows_added, civilian.rejected, civilian.table) == (5, 0, "event_aggregates")
    assert (political.rows_added, political.rejected) == (3, 0)
    # The HXL tag row is not a row; the file name says which events the civilian file counts.
    assert query(workspace, "SELECT category, count(*), sum(events), sum(fatalities) FROM event_aggregates "
                            "GROUP BY 1 ORDER BY 1 NULLS LAST") == [
        ("attack_on_civilians", 5, 65, 1312), (None, 3, 431, 2056)]
    assert query(workspace, """
        SELECT country_iso3, admin1_name, admin1_pcode, admin2_name, admin2_pcode, month_start, events,
               fatalities FROM event_aggregates
        WHERE category = 'attack_on_civilians' AND admin2_pcode = 'SD02114'
        ORDER BY month_start""") == [
        ("SDN", "North Darfur", "SD02", "Al Fasher", "SD02114", date(2023, 4, 1), 4, 11),
        ("SDN", "North Darfur", "SD02", "Al Fasher", "SD02114", date(2024, 5, 1), 19, 64)]
    # The same area and month in the two files are two rows (different counts), not duplicates.
    assert count(workspace, "event_aggregates",
                 "admin2_pcode = 'SD02114' AND month_start = DATE '2024-05-01'") == 2
    again = ingest_one(workspace, "acled-hdx", CIVILIAN)
    assert again.already_ingested and count(workspace, "event_aggregates") == 8


def test_hdx_aggregates_bad_month_names_the_line_after_the_tag_row(workspace: Workspace,
                                                                   tmp_path: Path) -> None:
    lines = CIVILIAN.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",May,", ",Mai,")
    path = tmp_path / "sudan_hrp_civilian_targeting_fixed.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_one(workspace, "acled-hdx", path)
    assert result.rows_added == 4
    assert [(p.line, p.column) for p in result.problems] == [(4, "Month")]
