"""The job seam: fingerprints follow the inputs, the order follows reads and writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.ingest import ingest_paths
from tocsin.jobs.base import Job, JobContext, JobResult, input_fingerprint, is_stale
from tocsin.jobs.registry import JOBS, all_jobs, in_order, register
from tocsin.lake import Lake
from tocsin.workspace import Workspace

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _noop(ctx: JobContext) -> JobResult:
    return JobResult()


def test_order_puts_writers_before_readers() -> None:
    first = Job("t-first", reads=("events",), writes=("t_mid",), method_version="1", run=_noop)
    second = Job("t-second", reads=("t_mid",), writes=("t_out",), method_version="1", run=_noop)
    try:
        register(first)
        register(second)
        names = [j.name for j in in_order([second, first])]
        assert names.index("t-first") < names.index("t-second")
        with pytest.raises(ValueError, match="two jobs"):
            register(Job("t-first", reads=(), writes=(), method_version="2", run=_noop))
    finally:
        JOBS.pop("t-first", None)
        JOBS.pop("t-second", None)


def test_the_gazetteer_and_event_links_are_registered_jobs() -> None:
    jobs = all_jobs()
    assert {"gazetteer", "place_names"} <= set(jobs["gazetteer"].writes)
    assert jobs["event_links"].writes == ("event_links",) and "gazetteer" in jobs["event_links"].reads
    ordered = in_order()
    names = [j.name for j in ordered]
    writer = {out: j.name for j in ordered for out in j.writes}
    for position, job in enumerate(ordered):  # each job after the jobs that write what it reads
        for table in job.reads:
            if writer.get(table, job.name) != job.name:
                assert names.index(writer[table]) < position, (job.name, table)
    assert names.index("gazetteer") < names.index("event_links") < names.index("forecasts") \
        < names.index("brief")
    assert names.index("gazetteer") < names.index("burnings")


def test_fingerprint_changes_with_a_new_batch_and_a_method_version(tmp_path: Path) -> None:
    workspace = Workspace.at(tmp_path / "ws")
    ingest_paths(workspace, "cod-ab", [SAMPLE / "cod_ab_darfur_admin1.geojson"], rebuild=False)
    ctx = JobContext(workspace, Lake(workspace.lake_dir))
    job = Job("t-events", reads=("events", "areas"), writes=("t_events",), method_version="1",
              run=_noop)
    before = input_fingerprint(ctx, job)
    assert is_stale(ctx, job)
    ingest_paths(workspace, "ucdp-ged", [SAMPLE / "ucdp_ged241_darfur_api.csv"], rebuild=False)
    after = input_fingerprint(ctx, job)
    assert after != before
    bumped = Job("t-events", reads=job.reads, writes=job.writes, method_version="2", run=_noop)
    assert input_fingerprint(ctx, bumped) != after
    unrelated = Job("t-fires", reads=("fire_detections",), writes=("t_f",), method_version="1",
                    run=_noop)
    assert input_fingerprint(ctx, unrelated) == input_fingerprint(
        JobContext(workspace, Lake(workspace.lake_dir)), unrelated)
