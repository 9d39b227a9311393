"""After a one-day sync, `tocsin update` rebuilds only what that day changed, and what it
rebuilds equals a full rebuild of the same data: the event links, and the day's forecast (the
model reused from the run before, the features of the new day alone)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.sync.sync_support import ucdp_records
from tocsin.ingest import ingest_paths
from tocsin.jobs.runner import update
from tocsin.lake import Lake
from tocsin.sync.replay import invented_acled_events
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
JOBS = ["gazetteer", "event_links", "burnings", "field-reports", "forecasts"]
SETTINGS = ("sources:\n  firms: {enabled: false}\n  hapi: {enabled: false}\n  ioda: {enabled: false}\n"
            "  acled: {start: '2023-01-01', schedule: null}\n"
            "  ucdp: {ged_version: '24.1', candidate_version: '25.0.1'}\n")


def _workspace(home: Path, replay: Path, acled: list[dict]) -> Workspace:
    workspace = Workspace(home)
    for kind, name in (("cod-ab", "cod_ab_darfur_admin2.geojson"), ("geonames", "rg_cities1000_SD.csv")):
        outcome = ingest_paths(workspace, kind, [SAMPLE / name], rebuild=False)
        assert not outcome.errors
    (home / "sync.yaml").write_text(SETTINGS)
    _replay(replay, acled)
    return workspace


def _replay(folder: Path, acled: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "acled.json").write_text(json.dumps({"data": acled, "deleted": []}))
    (folder / "ucdp.json").write_text(json.dumps({"releases": {"24.1": ucdp_records()}}))


def _derived(workspace: Workspace, name: str, sort: list[str]) -> list[dict]:
    table = pa.concat_tables([pq.read_table(f) for f in Lake(workspace.lake_dir).derived_files(name)])
    rows = table.sort_by([(c, "ascending") for c in sort]).to_pylist()
    # NaN (no distance for an area-level link) equals itself here.
    return [{k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()} for r in rows]


def test_a_one_day_update_equals_a_full_rebuild(tmp_path: Path) -> None:
    year = invented_acled_events(120, start="2024-01-01", days=120)
    day = invented_acled_events(6, start="2024-04-30", days=1, timestamp=1_900_000_000, first_id=5000)
    # Incremental: the months, then one more day synced and rebuilt.
    live = _workspace(tmp_path / "live", tmp_path / "live-replay", year)
    first = update(live, replay=tmp_path / "live-replay", jobs=JOBS)
    assert first.status == "ok", first
    _replay(tmp_path / "live-replay", year + day)
    second = update(live, replay=tmp_path / "live-replay", jobs=JOBS)
    assert second.status == "ok", second
    assert [s["rows_added"] for s in second.sync if s["source"] == "acled"] == [6]
    # Only what reads events ran again: not the gazetteer, nor field reports.
    assert set(second.jobs["ran"]) == {"event_links", "burnings", "forecasts"}
    assert {"gazetteer", "field-reports"} <= set(second.jobs["skipped"])

    # Full: every job rebuilt on the same data at once.
    full = _workspace(tmp_path / "full", tmp_path / "full-replay", year + day)
    rebuilt = update(full, replay=tmp_path / "full-replay", jobs=JOBS, force=True)
    assert rebuilt.status == "ok", rebuilt
    assert set(rebuilt.jobs["ran"]) == set(JOBS)

    links = ["event_uid", "place_id"]
    assert _derived(live, "event_links", links) == _derived(full, "event_links", links)
    as_of = max(r["as_of"] for r in _derived(full, "forecasts", ["as_of"]))
    assert str(as_of) == "2024-04-30"
    key = ["as_of", "horizon_days", "rank"]
    latest = [r for r in _derived(live, "forecasts", key) if r["as_of"] == as_of]
    assert latest and latest == _derived(full, "forecasts", key)
