"""After a one-day sync, `tocsin update` rebuilds only what that day changed, and what it
rebuilds equals a full rebuild of the same data: the event links, and the day's forecast (the
model reused from the run before, the features of the new day alone)."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.sync.sync_support import ucdp_records
from tocsin.ingest import ingest_paths
from tocsin.jobs.runner import update
from tocsin.lake import Lake
from tocsin.places import derived
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


def _replay(folder: Path, acled: list[dict], deleted: list[dict] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "acled.json").write_text(json.dumps({"data": acled, "deleted": deleted or []}))
    (folder / "ucdp.json").write_text(json.dumps({"releases": {"24.1": ucdp_records()}}))


def _derived(workspace: Workspace, name: str, sort: list[str]) -> list[dict]:
    table = pa.concat_tables([pq.read_table(f) for f in Lake(workspace.lake_dir).derived_files(name)])
    rows = table.sort_by([(c, "ascending") for c in sort]).to_pylist()
    # NaN (no distance for an area-level link) equals itself here.
    return [{k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()} for r in rows]


def _digests(workspace: Workspace) -> dict[str, str]:
    """Every derived table as a digest of its rows (order kept: a full build's order is part of
    what must come out the same), the forecasts as their latest day's partition."""
    lake = Lake(workspace.lake_dir)
    found = {}
    for name in lake.manifest()["derived"]:
        files = lake.derived_files(name)
        if name == "forecasts":
            files = files[-1:]  # partitions in day order: the day's forecast
        table = pa.concat_tables([pq.read_table(f).replace_schema_metadata(None) for f in files])
        rows = [{k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
                for r in table.to_pylist()]
        found[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return found


def test_a_one_day_update_equals_a_full_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    year = invented_acled_events(120, start="2024-01-01", days=120)
    day = invented_acled_events(6, start="2024-04-30", days=1, timestamp=1_900_000_000, first_id=5000)
    # The day's sync also withdraws an event, and republishes another moved to another town
    # (ACLED corrects locations): the links of both must be what a full build gives.
    moved = dict(year[10], latitude=year[11]["latitude"], longitude=year[11]["longitude"],
                 location=year[11]["location"], admin2=year[11]["admin2"],
                 timestamp=str(1_900_000_100))
    assert moved["latitude"] != year[10]["latitude"]
    gone = [{"event_id_cnty": year[20]["event_id_cnty"], "deleted_timestamp": "1900000200"}]
    after = [e for e in year if e["event_id_cnty"] != moved["event_id_cnty"]] + [moved] + day
    # Incremental: the months, then one more day synced and rebuilt.
    live = _workspace(tmp_path / "live", tmp_path / "live-replay", year)
    first = update(live, replay=tmp_path / "live-replay", jobs=JOBS)
    assert first.status == "ok", first
    before = Lake(live.lake_dir).derived_parts("forecasts")
    _replay(tmp_path / "live-replay", after, gone)
    relinked: list[int] = []
    relink = derived._relink

    def counted(*args: object) -> object:
        found = relink(*args)  # type: ignore[arg-type]
        relinked.append(0 if found is None else found.num_rows)
        return found

    monkeypatch.setattr(derived, "_relink", counted)
    second = update(live, replay=tmp_path / "live-replay", jobs=JOBS)
    assert relinked and relinked[0] > 0  # the day's links were built on the first run's
    assert second.status == "ok", second
    assert [s["rows_added"] for s in second.sync if s["source"] == "acled"] == [7]
    # The day before's forecast partition is left as it was: the day's is added beside it.
    now = Lake(live.lake_dir).derived_parts("forecasts")
    assert before and now and len(now) == len(before) + 1
    assert all(now[k] == before[k] for k in before)
    # Only what reads events ran again: not the gazetteer, nor field reports.
    assert set(second.jobs["ran"]) == {"event_links", "burnings", "forecasts"}
    assert {"gazetteer", "field-reports"} <= set(second.jobs["skipped"])

    # Full: every job rebuilt on the same data at once.
    full = _workspace(tmp_path / "full", tmp_path / "full-replay", after)
    _replay(tmp_path / "full-replay", after, gone)
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
    # Digests of every derived table, row order included: the incremental path gives what a
    # full rebuild of the same lake gives (a lake synced in other batches orders its events
    # otherwise, so against `full` the rows are compared sorted, above).
    again = Workspace(tmp_path / "again")
    shutil.copytree(live.home, again.home)
    redone = update(again, sync=False, jobs=JOBS, force=True)
    assert redone.status == "ok" and set(redone.jobs["ran"]) == set(JOBS), redone
    digests = _digests(live)
    assert "event_links" in digests and "forecasts" in digests
    assert digests == _digests(again)
    assert set(digests) == set(_digests(full))
    # And it was the incremental path: the links were built on the first run's, not anew.
    meta = pq.read_schema(Lake(live.lake_dir).derived_path("event_links")).metadata
    assert meta is not None and b"tocsin.links.event_batches" in meta

    # `--force` of the links alone (the gazetteer kept, so their basis holds) still places
    # every event anew: the baseline of bench/update.py is a real full rebuild.
    def refused(*args: object) -> object:
        raise AssertionError("a full rebuild must not build on the last links")

    monkeypatch.setattr(derived, "_relink", refused)
    alone = update(again, sync=False, jobs=["event_links"], force=True)
    assert alone.status == "ok" and set(alone.jobs["ran"]) == {"event_links"}, alone
    assert _digests(again)["event_links"] == digests["event_links"]
