"""HDX HAPI v2 food prices (WFP's, as HAPI serves them) pulled by the HAPI connector into the
``prices`` table WFP's HDX file fills: same checks, quarantine and provenance; a missing or
renamed field stops the sync with the source, the request and the field named."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tocsin.ingest import ingest_paths
from tocsin.lake import Lake
from tocsin.sync.base import make_connector, sync_source
from tocsin.sync.replay import DEMO_CREDENTIALS, ReplayPublisher, ReplayTransport
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
PATH = "/api/v2/food-security-nutrition-poverty/food-prices-market-monitor"
ENDPOINT = "food-prices-market-monitor"
SETTINGS = {"base_url": "http://replay", "location": "SDN", "limit": 1000,
            "retry": {"attempts": 2, "backoff_s": 0}}


def recorded() -> list[dict]:
    """The bundled replay's HAPI food-price records (WFP's Darfur file in HAPI v2's shape)."""
    with gzip.open(SAMPLE / "replay" / "hapi.json.gz", "rt", encoding="utf-8") as handle:
        return json.load(handle)[ENDPOINT]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.init()
    return ws


def _sync(workspace: Workspace, records: list[dict]):
    pub = ReplayPublisher()
    pub.hapi = {"idps": [], ENDPOINT: records}
    connector = make_connector("hapi", workspace, ReplayTransport(pub), settings=SETTINGS,
                               credentials=DEMO_CREDENTIALS["hapi"], sleep=lambda _: None)
    return sync_source(workspace, connector), pub


def _prices(workspace: Workspace, where: str = "true") -> list[tuple]:
    con = Lake(workspace.lake_dir).connect(["prices"])
    try:
        return con.execute(f"SELECT source, market_id, commodity, unit, price_type, currency, "
                           f"strftime(date, '%Y-%m'), price FROM prices WHERE {where} "
                           "ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_hapi_prices_page_into_the_wfp_prices_table_once(workspace: Workspace) -> None:
    records = recorded()
    fields = {"market_name", "commodity_name", "reference_period_start", "lat", "admin2_code"}
    assert fields <= set(records[0])
    outcome, pub = _sync(workspace, records)
    assert outcome.ok, outcome.error
    assert outcome.rows_added == len(records)
    assert sum(PATH in r for r in pub.requests) == len(records) // 1000 + 1     # limit/offset pages
    # The same observations as WFP's own HDX file gives, month for month.
    other = Workspace(workspace.home.parent / "file")
    assert not ingest_paths(other, "wfp-prices", [SAMPLE / "wfp_food_prices_darfur.csv"]).errors
    assert [r[1:] for r in _prices(workspace)] == [r[1:] for r in _prices(other)]
    assert {r[0] for r in _prices(workspace)} == {"wfp"}
    # Provenance: HAPI's batch names the request, rows keep their source id and licence.
    con = Lake(workspace.lake_dir).connect(["prices"])
    ids, licence = con.execute("SELECT count(DISTINCT source_id), any_value(license) FROM prices").fetchone()
    con.close()
    assert ids == len(records) and "HDX HAPI" in licence
    again, _ = _sync(workspace, records)
    assert again.ok and again.rows_added == 0


def test_a_bad_price_is_quarantined_and_the_rest_kept(workspace: Workspace) -> None:
    records = recorded()[:50]
    records[3] = {**records[3], "price": -4}
    outcome, _ = _sync(workspace, records)
    assert outcome.ok, outcome.error
    assert outcome.rows_added == 49
    rejects = list(workspace.rejects_dir.rglob("*.csv"))
    assert rejects and "price" in "".join(p.read_text() for p in rejects)


@pytest.mark.parametrize("change", ["missing", "renamed"])
def test_a_missing_or_renamed_field_names_source_request_and_field(workspace: Workspace,
                                                                   change: str) -> None:
    records = recorded()[:30]
    if change == "missing":
        records = [{k: v for k, v in r.items() if k != "price"} for r in records]
        field = "price"
    else:
        records = [{("market" if k == "market_name" else k): v for k, v in r.items()} for r in records]
        field = "market_name"
    outcome, _ = _sync(workspace, records)
    assert not outcome.ok
    assert "hapi" in outcome.error and ENDPOINT in outcome.error and field in outcome.error
    assert _prices(workspace) == []                                     # nothing half-written
    assert Lake(workspace.lake_dir).manifest()["batches"] == []
