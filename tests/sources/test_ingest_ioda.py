"""IODA connectivity signals (generated files: no real outage data is at hand): the API's JSON
and the flat CSV, bad values named, re-ingests adding nothing, regions matched to states."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_support import (
    assert_nothing_written,
    count,
    ingest_one,
    new_workspace,
    query,
    refused,
    snapshot,
    write_csv,
)

from tocsin.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
ADMIN1 = REPO / "data" / "sample" / "cod_ab_darfur_admin1.geojson"
T0 = int(dt.datetime(2023, 6, 1, tzinfo=dt.UTC).timestamp())
HEADER = ["entityType", "entityCode", "entityName", "datasource", "time", "value"]


def signals_json(path: Path, series: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "signals", "data": [series], "error": None}), encoding="utf-8")
    return path


def a_series(source: str = "bgp", values: list = (100, 101, 99), name: str = "North Darfur",
             code: str = "4211", start: int = T0, step: int = 300) -> dict:
    return {"entityType": "region", "entityCode": code, "entityName": name, "datasource": source,
            "subtype": "", "from": start, "until": start + step * len(values), "step": step,
            "nativeStep": step, "values": list(values)}


def test_api_json_is_flattened_one_row_per_value(workspace: Workspace, tmp_path: Path) -> None:
    path = signals_json(tmp_path / "ioda.json", [a_series("bgp", [100, 101, None]),
                                                 a_series("ping-slash24", [50, 10])])
    result = ingest_one(workspace, "ioda", path)
    assert result.rows_added == 5 and result.table == "connectivity"
    rows = query(workspace, "SELECT datasource, epoch(time)::BIGINT, value, step_seconds, entity_name "
                            "FROM connectivity ORDER BY datasource, time")
    assert rows[0] == ("bgp", T0, 100.0, 300, "North Darfur")
    assert rows[2] == ("bgp", T0 + 600, None, 300, "North Darfur")  # a gap stays a gap
    assert rows[4][:3] == ("ping-slash24", T0 + 300, 10.0)


def test_csv_with_epoch_or_iso_times(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ioda.csv", [HEADER,
                     ["region", "4211", "North Darfur", "bgp", str(T0), "120"],
                     ["region", "4211", "North Darfur", "merit-nt", "2023-06-01T00:05:00Z", "3400"],
                     ["Country", "SD", "Sudan", "BGP", "2023-06-01 00:10:00+00", "900"]])
    assert ingest_one(workspace, "ioda", path).rows_added == 3
    rows = query(workspace, "SELECT entity_type, datasource, epoch(time)::BIGINT FROM connectivity "
                            "ORDER BY time")
    assert rows == [("region", "bgp", T0), ("region", "merit-nt", T0 + 300), ("country", "bgp", T0 + 600)]


def test_bad_values_are_quarantined_naming_line_and_column(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ioda.csv", [HEADER,
                     ["region", "4211", "North Darfur", "bgp", str(T0), "120"],
                     ["province", "4211", "North Darfur", "bgp", str(T0 + 300), "120"],
                     ["region", "4211", "North Darfur", "bgp", "yesterday", "120"],
                     ["region", "4211", "North Darfur", "bgp", str(T0 + 900), "-5"]])
    result = ingest_one(workspace, "ioda", path)
    assert result.rows_added == 1 and result.rejected == 3
    found = {(p.line, p.column) for p in result.problems}
    assert found == {(3, "entityType"), (4, "time"), (5, "value")}


def test_missing_columns_and_broken_json_are_refused(workspace: Workspace, tmp_path: Path) -> None:
    before = snapshot(workspace)
    no_value = write_csv(tmp_path / "a.csv", [HEADER[:-1], ["region", "1", "X", "bgp", str(T0)]])
    assert "missing 1 required column(s) value" in refused(workspace, "ioda", no_value).render()
    broken = tmp_path / "b.json"
    broken.write_text('{"data": [[{"from": 1,', encoding="utf-8")
    assert "valid JSON" in refused(workspace, "ioda", broken).render()
    no_step = signals_json(tmp_path / "c.json", [{**a_series(), "step": None}])
    assert "series 1" in refused(workspace, "ioda", no_step).render()
    assert_nothing_written(workspace, before)


def test_overlapping_downloads_add_only_new_values(workspace: Workspace, tmp_path: Path) -> None:
    first = signals_json(tmp_path / "day1.json", [a_series(values=[1, 2, 3, 4])])
    later = signals_json(tmp_path / "day2.json", [a_series(values=[3, 4, 5, 6, 7, 8], start=T0 + 600)])
    assert ingest_one(workspace, "ioda", first).rows_added == 4
    second = ingest_one(workspace, "ioda", later)
    assert (second.rows_added, second.duplicates) == (4, 2)
    assert count(workspace, "connectivity") == 8


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["bgp", "ping-slash24", "merit-nt"]),
                          st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=1, max_size=30),
                          st.integers(60, 3600)), min_size=1, max_size=3, unique_by=lambda s: s[0]))
def test_no_value_is_lost(tmp_path_factory, series) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("ioda")
    workspace = new_workspace(folder / "ws")
    path = signals_json(folder / "s.json", [a_series(src, vals, step=step) for src, vals, step in series])
    ingest_one(workspace, "ioda", path)
    for src, vals, step in series:
        stored = query(workspace, f"SELECT value FROM connectivity WHERE datasource = '{src}' ORDER BY time")
        assert [v for (v,) in stored] == [None if v is None else float(v) for v in vals]
        times = query(workspace, f"SELECT epoch(time)::BIGINT FROM connectivity WHERE datasource = '{src}' "
                                 "ORDER BY time")
        assert [t for (t,) in times] == [T0 + i * step for i in range(len(vals))]


def test_regions_are_matched_to_states_for_the_siege_tracker(workspace: Workspace, tmp_path: Path) -> None:
    from tocsin.jobs.steps.siege import load_inputs

    ingest_one(workspace, "cod-ab", ADMIN1)
    from tocsin.ingest import rebuild_derived

    path = signals_json(tmp_path / "s.json", [a_series(values=[5, 5]),
                                              a_series(name="Nowhere Land", code="9")])
    ingest_one(workspace, "ioda", path)
    rebuild_derived(workspace)
    connectivity = load_inputs(workspace).connectivity
    pairs = set(zip(connectivity.column("region_name").to_pylist(),
                    connectivity.column("admin1_pcode").to_pylist(), strict=True))
    north = query(workspace, "SELECT pcode FROM areas WHERE admin_level = 1 AND name_en = 'North Darfur'")
    assert pairs == {("North Darfur", north[0][0]), ("Nowhere Land", None)}


def test_a_lake_made_before_the_connectivity_table_takes_it(workspace: Workspace, tmp_path: Path) -> None:
    (workspace.lake_dir / "connectivity").rmdir()  # as in a workspace made by an older Tocsin
    path = signals_json(tmp_path / "s.json", [a_series(values=[1, 2])])
    assert ingest_one(workspace, "ioda", path).rows_added == 2
    assert count(workspace, "connectivity") == 2
