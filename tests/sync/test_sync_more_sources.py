"""FIRMS, HDX HAPI and IODA connectors against the replay publisher (the bundled sample's real
FIRMS and HAPI records; IODA's series shape)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tocsin.lake import Lake
from tocsin.sync.base import make_connector, sync_source
from tocsin.sync.replay import DEMO_CREDENTIALS, Fault, ReplayPublisher, ReplayTransport
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
VIIRS = SAMPLE / "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.init()
    return ws


def _count(workspace: Workspace, table: str) -> int:
    con = Lake(workspace.lake_dir).connect([table])
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_firms_windows_of_five_days_stay_in_budget_and_resume(workspace: Workspace) -> None:
    pub = ReplayPublisher()
    pub.firms = [{**r, "product": "VIIRS_SNPP_NRT"} for r in _rows(VIIRS)]
    start = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
    # The sample's detections, moved to the last 30 days so that the NRT product serves them.
    shift = date.fromisoformat(start) - date(2025, 10, 31)
    for row in pub.firms:
        row["acq_date"] = (date.fromisoformat(row["acq_date"]) + shift).isoformat()
    settings = {"base_url": "http://replay", "area": [21.5, 8.5, 28.2, 20.5], "start": start,
                "products": ["VIIRS_SNPP_NRT"], "transactions_per_10min": 5000, "nrt_days": 60}
    pub.firms_transactions = 4997           # three transactions left in this window
    connector = make_connector("firms", workspace, ReplayTransport(pub), settings=settings,
                               credentials=DEMO_CREDENTIALS["firms"])
    first = sync_source(workspace, connector)
    assert first.ok and pub.firms_transactions == 5000           # stopped at the budget
    assert Lake(workspace.lake_dir).bookmarks()["firms"]["state"]["VIIRS_SNPP_NRT"] == \
        (date.fromisoformat(start) + timedelta(days=14)).isoformat()
    pub.firms_transactions = 0                                    # the next 10 minutes
    again = sync_source(workspace, make_connector("firms", workspace, ReplayTransport(pub),
                                                  settings=settings,
                                                  credentials=DEMO_CREDENTIALS["firms"]))
    assert again.ok, again.error
    assert _count(workspace, "fire_detections") == first.rows_added + again.rows_added > 12_000
    # A third pull asks only the last days again, and adds nothing twice.
    third = sync_source(workspace, make_connector("firms", workspace, ReplayTransport(pub),
                                                  settings=settings,
                                                  credentials=DEMO_CREDENTIALS["firms"]))
    assert third.ok and third.rows_added == 0 and third.requests <= 3


def test_firms_until_bounds_a_backfill_of_past_days(workspace: Workspace) -> None:
    # An investigation's week, pulled from the archive (the days are more than 60 days old):
    # nothing after `until`, the bookmark at `until`, and a later `until` takes up from there.
    pub = ReplayPublisher()
    pub.firms = [{**r, "product": "VIIRS_SNPP_NRT"} for r in _rows(VIIRS)]  # 2025-10-31..11-08
    by_day: dict[str, int] = {}
    for row in pub.firms:
        by_day[row["acq_date"]] = by_day.get(row["acq_date"], 0) + 1
    settings = {"base_url": "http://replay", "area": [21.5, 8.5, 28.2, 20.5],
                "start": "2025-10-31", "until": "2025-11-02", "products": ["VIIRS_SNPP_NRT"],
                "nrt_days": 60}

    def pull(settings: dict[str, object]):  # type: ignore[no-untyped-def]
        return sync_source(workspace, make_connector("firms", workspace, ReplayTransport(pub),
                                                     settings=settings,
                                                     credentials=DEMO_CREDENTIALS["firms"]))

    first = pull(settings)
    assert first.ok, first.error
    assert first.rows_added == sum(n for d, n in by_day.items() if d <= "2025-11-02") > 0
    assert Lake(workspace.lake_dir).bookmarks()["firms"]["state"]["VIIRS_SNPP_NRT"] == "2025-11-02"
    assert pull(settings).rows_added == 0  # nothing left before `until`
    rest = pull({**settings, "until": date(2025, 11, 8)})  # YAML's unquoted day is a date
    assert rest.ok and first.rows_added + rest.rows_added == len(pub.firms)
    assert _count(workspace, "fire_detections") == len(pub.firms)


@pytest.mark.parametrize("until", ["next week", "2025-13-01"])
def test_firms_refuses_an_until_that_is_not_a_day(workspace: Workspace, until: str) -> None:
    from tocsin.i18n import Catalogue, said_of, told

    connector = make_connector("firms", workspace, ReplayTransport(ReplayPublisher()),
                               settings={"base_url": "http://replay", "area": [21.5, 8.5, 28.2, 20.5],
                                         "start": "2025-10-31", "until": until,
                                         "products": ["VIIRS_SNPP_NRT"]},
                               credentials=DEMO_CREDENTIALS["firms"])
    outcome = sync_source(workspace, connector)
    assert not outcome.ok and f"the setting until must be a day YYYY-MM-DD, not '{until}'" in outcome.error
    with pytest.raises(Exception) as raised:
        connector.day("until")
    assert "يجب أن يكون الإعداد" in told(said_of(raised.value), Catalogue("cli", "ar"))
    assert _count(workspace, "fire_detections") == 0


CUT_CSV = b"latitude,longitude,bright_ti4,acq_date,acq_time\n12.05,24.88,330.1,2025-11-01,0012\n12.06,24.89"


@pytest.mark.parametrize(("body", "said", "arabic"), [
    (b"Invalid MAP_KEY.", "is the MAP_KEY valid", "هل مفتاح MAP_KEY صالح"),
    (CUT_CSV, "the last row is cut short; nothing from this window was kept", "الصف الأخير مبتور"),
    (CUT_CSV + b",330.2,2025-11-01,0013,extra", "the last row has more fields than the header",
     "حقول أكثر من العناوين"),
])
def test_firms_names_a_bad_reply_without_showing_the_key(workspace: Workspace, body: bytes, said: str,
                                                         arabic: str) -> None:
    """A map key FIRMS refuses, or a CSV cut short, is an error naming the request (its key
    masked), in English for the records and in Arabic for an Arabic session; nothing is kept."""
    from tocsin.i18n import Catalogue, told

    pub = ReplayPublisher()
    pub.faults = [Fault("/api/area/", "body", body=body, content_type="text/plain")]
    settings = {"base_url": "http://replay", "area": [21.5, 8.5, 28.2, 20.5],
                "start": datetime.now(UTC).date().isoformat(), "products": ["MODIS_NRT"]}
    outcome = sync_source(workspace, make_connector("firms", workspace, ReplayTransport(pub),
                                                    settings=settings, credentials={"map_key": "k3y-s3cr3t"}))
    assert said in (outcome.error or "") and "k3y-s3cr3t" not in outcome.error
    assert "/api/area/csv/***/MODIS_NRT" in outcome.error
    in_arabic = told(outcome.error, Catalogue("cli", "ar"))
    assert arabic in in_arabic and said not in in_arabic and "k3y-s3cr3t" not in in_arabic
    assert _count(workspace, "fire_detections") == 0


def test_hapi_pages_by_offset_and_holds_each_figure_once(workspace: Workspace) -> None:
    pub = ReplayPublisher()
    pub.hapi = {"idps": _rows(SAMPLE / "hdx_hapi_idps_darfur.csv")}
    pub.faults = [Fault("/api/v2/affected-people/idps", "status", status=503, skip=1)]
    settings = {"base_url": "http://replay", "location": "SDN", "limit": 2000,
                "retry": {"attempts": 3, "backoff_s": 0}}
    connector = make_connector("hapi", workspace, ReplayTransport(pub), settings=settings,
                               credentials=DEMO_CREDENTIALS["hapi"], sleep=lambda _: None)
    outcome = sync_source(workspace, connector)
    assert outcome.ok, outcome.error
    assert outcome.batches == 4 and _count(workspace, "displacement") == len(pub.hapi["idps"])
    again = sync_source(workspace, make_connector("hapi", workspace, ReplayTransport(pub),
                                                  settings=settings, credentials=DEMO_CREDENTIALS["hapi"]))
    assert again.ok and again.rows_added == 0


def test_ioda_windows_flatten_series_and_resume(workspace: Workspace) -> None:
    pub = ReplayPublisher()
    now = int(datetime.now(UTC).timestamp())
    first = now - 10 * 86400
    pub.ioda = [{"entityType": "country", "entityCode": "SD", "entityName": "Sudan",
                 "datasource": source, "from": first, "until": now, "step": 3600,
                 "nativeStep": 300, "values": [100 + i % 7 for i in range((now - first) // 3600)]}
                for source in ("bgp", "ping-slash24")]
    settings = {"base_url": "http://replay/v2", "country": "SD", "regions": [],
                "datasources": ["bgp", "ping-slash24"], "window_days": 4,
                "start": datetime.fromtimestamp(first, UTC).date().isoformat()}
    outcome = sync_source(workspace, make_connector("ioda", workspace, ReplayTransport(pub),
                                                    settings=settings, credentials={}))
    assert outcome.ok, outcome.error
    assert _count(workspace, "connectivity") == sum(len(s["values"]) for s in pub.ioda)
    again = sync_source(workspace, make_connector("ioda", workspace, ReplayTransport(pub),
                                                  settings=settings, credentials={}))
    assert again.ok and again.rows_added == 0 and again.requests == 2   # only the last window
