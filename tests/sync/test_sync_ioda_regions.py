"""IODA regions: Sudan's states configured as data (sources.yaml), their codes looked up from
IODA's entity list, each region's bgp / ping-slash24 / merit-nt series pulled in from/until
windows, and each region read under its state's P-code by the siege tracker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tocsin.i18n import Catalogue, told
from tocsin.ingest import ingest_paths
from tocsin.lake import Lake
from tocsin.places.names import normalize
from tocsin.sync.base import load_settings, make_connector, sync_source
from tocsin.sync.connectors.ioda import region_states
from tocsin.sync.replay import Fault, ReplayPublisher, ReplayTransport
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
DATASOURCES = ["bgp", "ping-slash24", "merit-nt"]
# As IODA names them (NetAcuity's spellings), with invented codes: the replay's entity list.
IODA_REGIONS = {"4391": "Shamal Darfur", "4392": "Al Khartum", "4393": "Al Jazirah", "4394": "Kassala"}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.init()
    return ws


def publisher(days: int = 6) -> tuple[ReplayPublisher, int]:
    pub = ReplayPublisher()
    now = int(datetime.now(UTC).timestamp())
    first = now - days * 86400
    pub.ioda = [{"entityType": "region", "entityCode": code, "entityName": name, "datasource": source,
                 "from": first, "until": now, "step": 3600, "nativeStep": 300,
                 "values": [50 + (i + len(source)) % 9 for i in range((now - first) // 3600)]}
                for code, name in IODA_REGIONS.items() for source in DATASOURCES]
    return pub, first


def settings(first: int, regions: list) -> dict:
    return {"base_url": "http://replay/v2", "country": "SD", "regions": regions,
            "datasources": DATASOURCES, "window_days": 2,
            "start": datetime.fromtimestamp(first, UTC).date().isoformat()}


def connectivity(workspace: Workspace) -> list[tuple]:
    con = Lake(workspace.lake_dir).connect(["connectivity"])
    try:
        return con.execute("SELECT entity_code, datasource, count(*) FROM connectivity "
                           "WHERE entity_type = 'region' GROUP BY ALL ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_sudans_regions_are_configured_as_data_with_their_states() -> None:
    regions = load_settings()["ioda"]["regions"]
    assert len(regions) == 18 and len({r["state"] for r in regions}) == 18
    states = region_states(load_settings()["ioda"])
    assert states[normalize("North Darfur")] == states[normalize("Shamal Darfur")] == "SD02"
    assert states[normalize("Al Jazirah")] == states[normalize("Gezira")] == "SD15"


def test_regions_named_in_the_settings_are_looked_up_and_pulled_by_window(workspace: Workspace) -> None:
    pub, first = publisher()
    wanted = [r for r in load_settings()["ioda"]["regions"] if r["state"] in ("SD01", "SD02", "SD15")]
    outcome = sync_source(workspace, make_connector("ioda", workspace, ReplayTransport(pub),
                                                    settings=settings(first, wanted), credentials={}))
    assert outcome.ok, outcome.error
    got = connectivity(workspace)
    codes = {c for c, _, _ in got}
    assert codes == {"4391", "4392", "4393"}                    # Kassala was not asked for
    assert {d for _, d, _ in got} == set(DATASOURCES)
    series = {(s["entityCode"], s["datasource"]): len(s["values"]) for s in pub.ioda}
    assert all(n == series[(c, d)] for c, d, n in got)          # every hour, once
    assert any("/v2/entities/query" in r for r in pub.requests)
    windows = [r for r in pub.requests if "/signals/raw/region/4391" in r]
    start = datetime.fromisoformat(settings(first, [])["start"]).replace(tzinfo=UTC).timestamp()
    steps = -(-(int(datetime.now(UTC).timestamp()) - int(start)) // (2 * 86400))
    assert len(windows) == steps * len(DATASOURCES)             # from/until windows of two days
    again = sync_source(workspace, make_connector("ioda", workspace, ReplayTransport(pub),
                                                  settings=settings(first, wanted), credentials={}))
    assert again.ok and again.rows_added == 0


def test_a_region_ioda_does_not_list_is_named(workspace: Workspace) -> None:
    pub, first = publisher()
    outcome = sync_source(workspace, make_connector(
        "ioda", workspace, ReplayTransport(pub), credentials={},
        settings=settings(first, [{"state": "SD07", "names": ["South Kordofan", "Janub Kurdufan"]}])))
    assert not outcome.ok
    assert "South Kordofan" in outcome.error and "Al Khartum" in outcome.error
    in_arabic = told(outcome.error, Catalogue("cli", "ar"))
    assert "لا تذكر IODA منطقة باسم" in in_arabic and "South Kordofan" in in_arabic
    assert "Al Khartum" in in_arabic and "lists no region" not in in_arabic
    assert connectivity(workspace) == []


def test_a_mangled_series_is_named_in_both_languages_and_the_next_run_resumes(workspace: Workspace) -> None:
    """IODA answers a window with a series that has no ``step``: the error names the request and
    the missing key, in both languages; the window before it stays, and the next run resumes."""
    pub, first = publisher()
    wanted = [r for r in load_settings()["ioda"]["regions"] if r["state"] == "SD02"]
    # The first window comes whole, one request per datasource; every later one without a step.
    pub.faults = [Fault("/signals/raw/region/", "drop-field", field_name="step", skip=len(DATASOURCES),
                        times=1000)]
    outcome = sync_source(workspace, make_connector("ioda", workspace, ReplayTransport(pub),
                                                    settings=settings(first, wanted), credentials={}))
    assert not outcome.ok and "a series lacks or mangles 'step'" in outcome.error
    assert "/signals/raw/region/4391" in outcome.error
    in_arabic = told(outcome.error, Catalogue("cli", "ar"))
    assert "سلسلة ينقصها أو يفسد فيها" in in_arabic and "lacks" not in in_arabic
    kept = connectivity(workspace)
    assert sum(n for _, _, n in kept) == outcome.rows_added > 0  # the whole window before it
    pub.faults = []
    again = sync_source(workspace, make_connector("ioda", workspace, ReplayTransport(pub),
                                                  settings=settings(first, wanted), credentials={}))
    assert again.ok, again.error
    series = {(s["entityCode"], s["datasource"]): len(s["values"]) for s in pub.ioda}
    assert {(c, d): n for c, d, n in connectivity(workspace)} == \
        {k: n for k, n in series.items() if k[0] == "4391"}         # resumed: every hour, once


def test_the_siege_tracker_reads_each_region_under_its_state(workspace: Workspace) -> None:
    from tocsin.jobs.steps.siege import load_inputs

    ingest_paths(workspace, "cod-ab", [SAMPLE / "cod_ab_sdn_admin1.geojson"])
    ingest_paths(workspace, "geonames", [SAMPLE / "rg_cities1000_SD.csv"])
    pub, first = publisher(days=2)
    outcome = sync_source(workspace, make_connector(
        "ioda", workspace, ReplayTransport(pub), credentials={},
        settings=settings(first, [{"state": "SD02", "names": ["Shamal Darfur"]},
                                  {"state": "SD01", "names": ["Al Khartum"]},
                                  {"state": "SD15", "names": ["Al Jazirah"]}])))
    assert outcome.ok, outcome.error
    (workspace.home / "sync.yaml").write_text("sources: {}\n")   # the bundled regions apply
    table = load_inputs(workspace).connectivity
    states = dict(zip(table.column("region_code").to_pylist(), table.column("admin1_pcode").to_pylist(),
                      strict=True))
    assert states == {"4391": "SD02", "4392": "SD01", "4393": "SD15"}
