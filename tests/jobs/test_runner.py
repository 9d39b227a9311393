"""The runner rebuilds only what is stale, isolates a failing job, runs one update at a time and
records each run; `tocsin update` syncs, rebuilds and records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.ingest import ingest_paths
from tocsin.jobs.base import Job, JobContext, JobResult, is_stale, write_derived
from tocsin.jobs.registry import JOBS, register
from tocsin.jobs.runner import (
    every,
    one_run_at_a_time,
    parse_interval,
    recent_runs,
    run_jobs,
    stale_jobs,
    update,
)
from tocsin.lake import Lake
from tocsin.sync.replay import invented_acled_events
from tocsin.workspace import Workspace, WorkspaceError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
PLACE_JOBS = ["gazetteer", "event_links"]


def _replay(folder: Path, acled: list[dict], ucdp: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "acled.json").write_text(json.dumps({"data": acled, "deleted": []}))
    (folder / "ucdp.json").write_text(json.dumps({"releases": {"24.1": ucdp or []}}))
    return folder


def _settings(workspace: Workspace, ged_version: str = "24.1") -> None:
    (workspace.home / "sync.yaml").write_text(
        "sources:\n  firms: {enabled: false}\n  hapi: {enabled: false}\n  ioda: {enabled: false}\n"
        f"  acled: {{start: '2024-01-01', schedule: null}}\n  ucdp: {{ged_version: '{ged_version}', "
        "candidate_version: '25.0.1'}\n")


def test_a_day_of_new_events_rebuilds_the_links_not_the_gazetteer(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    ingest_paths(workspace, "geonames", [SAMPLE / "rg_cities1000_SD.csv"])
    _settings(workspace)
    replay = _replay(tmp_path / "replay", invented_acled_events(40))
    first = update(workspace, replay=replay, jobs=PLACE_JOBS)
    assert first.status == "ok", first
    assert first.jobs["ran"].keys() == {"event_links"}        # the gazetteer was built at ingest
    assert "gazetteer" in first.jobs["skipped"]
    # The next day: three new events. Only what reads events runs again.
    _replay(replay, invented_acled_events(40) + invented_acled_events(3, start="2024-03-01",
                                                                     timestamp=1_800_000_000, first_id=900))
    second = update(workspace, replay=replay, jobs=PLACE_JOBS)
    assert second.sync[0]["source"] == "acled" and second.sync[0]["rows_added"] == 3
    assert list(second.jobs["ran"]) == ["event_links"] and second.jobs["skipped"] == ["gazetteer"]
    con = Lake(workspace.lake_dir).connect()
    assert con.execute("SELECT count(*) FROM event_links").fetchone()[0] == 43
    # Nothing new: nothing runs.
    third = update(workspace, replay=replay, jobs=PLACE_JOBS)
    assert third.jobs["ran"] == {} and sorted(third.jobs["skipped"]) == sorted(PLACE_JOBS)
    runs = recent_runs(workspace)
    assert [r["status"] for r in runs] == ["ok", "ok", "ok"]


def test_a_failed_source_does_not_stop_the_others_and_the_run_is_recorded(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    _settings(workspace, ged_version="99.1")                    # UCDP answers 404 for it
    replay = _replay(tmp_path / "replay", invented_acled_events(10))
    run = update(workspace, replay=replay, jobs=PLACE_JOBS)
    outcomes = {s["source"]: s for s in run.sync}
    assert not outcomes["ucdp"]["ok"] and "HTTP 404" in outcomes["ucdp"]["error"]
    assert outcomes["acled"]["ok"] and outcomes["acled"]["rows_added"] == 10
    assert run.status == "partial" and "event_links" in run.jobs["ran"]
    assert recent_runs(workspace)[0]["status"] == "partial"


def test_a_failing_job_blocks_only_what_reads_it(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    lake = Lake(workspace.lake_dir)

    def broken(ctx: JobContext) -> JobResult:
        raise RuntimeError("the model file is missing")

    def fine(ctx: JobContext) -> JobResult:
        import pyarrow as pa

        write_derived(ctx, JOBS["t-fine"], {"t_fine": pa.table({"x": [1]})})
        return JobResult(wrote={"t_fine": 1})

    jobs = [Job("t-broken", ("events",), ("t_broken",), "1", broken),
            Job("t-after", ("t_broken",), ("t_after",), "1", fine),
            Job("t-fine", ("events",), ("t_fine",), "1", fine)]
    try:
        for job in jobs:
            register(job)
        with workspace.write_lock():
            report = run_jobs(lake, ["t-broken", "t-after", "t-fine"], workspace=workspace)
        assert "the model file is missing" in report.failed["t-broken"]
        assert report.blocked == ["t-after"] and "t-fine" in report.ran
        ctx = JobContext(workspace, lake)
        assert not is_stale(ctx, JOBS["t-fine"]) and is_stale(ctx, JOBS["t-broken"])
        assert {"t-broken", "t-after"} <= {j.name for j in stale_jobs(lake, workspace)}
    finally:
        for job in jobs:
            JOBS.pop(job.name, None)


def test_what_a_job_prepares_starts_with_the_first_due_job_and_ends_with_the_run(
        tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    lake = Lake(workspace.lake_dir)
    seen: list[str] = []

    @contextmanager
    def warm(ctx: JobContext) -> Iterator[str]:
        seen.append("prepared")
        try:
            yield "renderers"
        finally:
            seen.append("closed")

    @contextmanager
    def broken_warm(ctx: JobContext) -> Iterator[str]:
        raise OSError("no processes left")
        yield "never"

    def first(ctx: JobContext) -> JobResult:
        seen.append("first ran")
        write_derived(ctx, JOBS["t-first"], {"t_first": pa.table({"x": [1]})})
        return JobResult(wrote={"t_first": 1})

    def last(ctx: JobContext) -> JobResult:
        seen.append(f"last ran with {ctx.prepared.get('t-last')}")
        write_derived(ctx, JOBS["t-last"], {"t_last": pa.table({"x": [1]})})
        return JobResult(wrote={"t_last": 1})

    def other(ctx: JobContext) -> JobResult:
        seen.append(f"other ran with {ctx.prepared.get('t-other')}")
        return JobResult()

    jobs = [Job("t-first", ("events",), ("t_first",), "1", first),
            Job("t-last", ("t_first",), ("t_last",), "1", last, prepare=warm),
            Job("t-other", ("t_first",), ("records:t_other",), "1", other, prepare=broken_warm)]
    said: list[str] = []
    try:
        for job in jobs:
            register(job)
        with workspace.write_lock():
            report = run_jobs(lake, [j.name for j in jobs], workspace=workspace, say=said.append)
            # Set up before the first job that is due (so that it happens while that one runs),
            # handed to its job, ended with the run; a set-up that fails costs only the head start.
            assert seen == ["prepared", "first ran", "last ran with renderers",
                            "other ran with None", "closed"], seen
            assert not report.failed and "no processes left" in " ".join(said)
            seen.clear()
            # Nothing due: nothing is set up.
            again = run_jobs(lake, [j.name for j in jobs], workspace=workspace)
        assert seen == [] and set(again.skipped) == {"t-first", "t-last", "t-other"}
    finally:
        for job in jobs:
            JOBS.pop(job.name, None)


def test_one_update_at_a_time(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    with one_run_at_a_time(workspace), pytest.raises(WorkspaceError, match="already running"):
        update(workspace, sync=False, jobs=PLACE_JOBS)
    result = CliRunner().invoke(app, ["--home", str(workspace.home), "update", "--every", "10s"])
    assert result.exit_code == 2 and "under a minute" in result.output
    told = CliRunner().invoke(app, ["--home", str(workspace.home), "--lang", "ar", "update",
                                    "--every", "5q"])
    assert told.exit_code == 2 and "المتوقع فاصل زمني" in told.output and "expected" not in told.output


def test_update_every_keeps_the_brief_renderers_for_the_whole_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`update --every` runs its turns inside ``kept_between_runs``: each turn asks for the
    brief's renderers there, so the ones a turn starts serve the next (the pool itself:
    tests/report/test_pdf_workers.py); the loop's end ends them."""
    from tocsin.report import pdf_workers

    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    keeping: list[bool] = []

    def loop(interval_s: float, once: object, **_: object) -> None:   # no turn: only where it runs
        keeping.append(pdf_workers._keeping)

    monkeypatch.setattr("tocsin.jobs.runner.every", loop)
    result = CliRunner().invoke(app, ["--home", str(workspace.home), "update", "--every", "1h",
                                      "--no-sync"])
    assert result.exit_code == 0, result.output
    assert keeping == [True] and not pdf_workers._keeping and pdf_workers.kept_pids() == []


def test_intervals_and_repeats() -> None:
    assert parse_interval("90m") == 5400 and parse_interval("1h") == 3600 and parse_interval("1d") == 86400
    with pytest.raises(ValueError, match="like 30m"):
        parse_interval("hourly")
    calls: list[int] = []
    waits: list[float] = []
    every(3600, lambda: calls.append(1), sleep=waits.append, runs=3)
    assert len(calls) == 3 and len(waits) == 2 and all(3590 < w <= 3600 for w in waits)


def test_update_cli_json(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    _settings(workspace)
    replay = _replay(tmp_path / "replay", invented_acled_events(5))
    result = CliRunner().invoke(app, ["--home", str(workspace.home), "update", "acled", "--replay",
                                      str(replay), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["status"] == "ok" and record["sync"][0]["rows_added"] == 5
    assert "forecasts" in record["jobs"]["ran"] or "forecasts" in record["jobs"]["skipped"]


def test_update_speaks_arabic_and_records_english(tmp_path: Path) -> None:
    """`tocsin --lang ar update`: the progress lines and every job's note are in Arabic on the
    terminal; the run's record (runs.jsonl) keeps them in English, one language for machines."""
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    _settings(workspace)
    replay = _replay(tmp_path / "replay", invented_acled_events(5))
    result = CliRunner().invoke(app, ["--lang", "ar", "--home", str(workspace.home), "update",
                                      "acled", "--replay", str(replay)])
    assert result.exit_code == 0, result.output
    said = result.output
    assert "توقّع كل مكان بتاريخ" in said and "تنبيه" in said
    for english in ("forecasting every place", "new alert", "scanning for siege", "brief:",
                    "writing the", "placing events"):
        assert english not in said, english
    notes = recent_runs(workspace)[0]["jobs"]["notes"]
    assert notes and any(n.startswith("alerts: ") and "up to" in n for n in notes), notes
