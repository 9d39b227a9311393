"""The runner: rebuild what is stale, in order; and ``update``, the whole live cycle.

``run_jobs`` runs the registered jobs whose inputs changed (or all, with ``force``), each after
the jobs that write what it reads. A job that fails is reported and the jobs downstream of it
are skipped (they would read its old output as if it were current); the others still run.
Callers hold the workspace write lock.

``update`` is `tocsin update`: sync every enabled source (a failed source does not stop the
others), then run the stale jobs (gazetteer, event links, burnings, forecasts, alerts, brief),
one run at a time (a second run while one is going is refused, not queued), and each run
recorded in ``runs.jsonl`` in the workspace.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tocsin.i18n import Said
from tocsin.jobs.base import Job, JobContext, derived_outputs, is_stale
from tocsin.jobs.registry import all_jobs, in_order, jobs_of
from tocsin.lake import Lake
from tocsin.workspace import Workspace, WorkspaceError

RUNS_FILE = "runs.jsonl"
RUN_LOCK = ".update.lock"


@dataclass
class JobsReport:
    ran: dict[str, float] = field(default_factory=dict)        # name -> seconds
    skipped: list[str] = field(default_factory=list)           # up to date
    failed: dict[str, str] = field(default_factory=dict)       # name -> error
    blocked: list[str] = field(default_factory=list)           # downstream of a failure
    rebuilt: list[str] = field(default_factory=list)           # derived outputs written
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _context(lake: Lake, workspace: Workspace | None, say: Callable[[str], None],
             options: dict[str, Any] | None, as_of: date | None) -> JobContext:
    return JobContext(workspace or Workspace(lake.root.parent), lake, as_of=as_of, say=say,
                      options=options or {})


def stale_jobs(lake: Lake, workspace: Workspace | None = None) -> list[Job]:
    ctx = _context(lake, workspace, lambda _: None, None, None)
    return [job for job in in_order() if not job.on_demand and is_stale(ctx, job)]


def stale_outputs(lake: Lake) -> list[str]:
    """Every output of every stale job (what `tocsin status` lists as out of date)."""
    return [w for job in stale_jobs(lake) for w in job.writes]


def run_jobs(lake: Lake, names: list[str] | None = None, *, force: bool = False,
             workspace: Workspace | None = None, say: Callable[[str], None] | None = None,
             options: dict[str, Any] | None = None, as_of: date | None = None,
             steps: tuple[str, ...] | None = None) -> JobsReport:
    """Run the named (default: every) job that is stale. Needs the write lock. ``steps``: the
    step modules that hold the named jobs, when the caller knows them (see ``jobs_of``)."""
    tell = say or (lambda _: None)
    jobs = jobs_of(*steps) if steps and names else all_jobs()
    unknown = [n for n in names or [] if n not in jobs]
    if unknown:
        raise ValueError(f"no such job(s) {', '.join(unknown)}; known: {', '.join(jobs)}")
    chosen = in_order([jobs[n] for n in names] if names else
                      [job for job in jobs.values() if not job.on_demand])
    ctx = replace(_context(lake, workspace, tell, options, as_of), full=force)
    with ExitStack() as exits:  # what jobs prepared ahead ends with the run
        return _run_chosen(ctx, chosen, force, exits, tell)


def _run_chosen(ctx: JobContext, chosen: list[Job], force: bool, exits: ExitStack,
                tell: Callable[[str], None]) -> JobsReport:
    report = JobsReport()
    broken: set[str] = set()   # outputs that failed to rebuild
    prepared: dict[str, Any] | None = None  # set up once the first job is due
    for position, job in enumerate(chosen):
        if broken & set(job.reads):
            report.blocked.append(job.name)
            broken |= set(job.writes)
            continue
        fingerprint = job.fingerprint(ctx)
        if not force and not is_stale(ctx, job, fingerprint):
            report.skipped.append(job.name)
            continue
        if prepared is None:
            prepared = _prepare(ctx, chosen[position:], exits, tell)
        started = time.monotonic()
        try:
            result = job.run(replace(ctx, fingerprint=fingerprint, prepared=prepared))
        except Exception as exc:  # one job's failure is reported; the rest still run
            report.failed[job.name] = f"{type(exc).__name__}: {exc}"
            tell(Said("jobs.job_failed", job=job.name, error=str(exc)))
            if os.environ.get("TOCSIN_DEBUG"):
                traceback.print_exc()
            broken |= set(job.writes)
            continue
        if not derived_outputs(job) or not set(result.wrote) & set(derived_outputs(job)):
            ctx.lake.record_job(job.name, fingerprint)
        report.ran[job.name] = round(time.monotonic() - started, 3)
        report.rebuilt += [w for w in result.wrote if w in derived_outputs(job)]
        report.notes += [Said("update.job_note", job=job.name, note=n) for n in result.notes]
    return report


def _prepare(ctx: JobContext, jobs: list[Job], exits: ExitStack,
             tell: Callable[[str], None]) -> dict[str, Any]:
    """Begin every ``Job.prepare`` of ``jobs``; one that fails only costs its job the head
    start (the job then does its set-up itself)."""
    prepared: dict[str, Any] = {}
    for job in jobs:
        if job.prepare is None:
            continue
        try:
            prepared[job.name] = exits.enter_context(job.prepare(ctx))
        except Exception as exc:  # the job still runs, without the head start
            tell(Said("jobs.not_prepared", job=job.name, error=str(exc)))
    return prepared


# -- the live cycle ---------------------------------------------------------------------------
@contextmanager
def one_run_at_a_time(workspace: Workspace) -> Iterator[None]:
    """Refuse (not queue) a second update while one runs: a timer firing during a long run
    must not pile runs up behind it."""
    workspace.home.mkdir(parents=True, exist_ok=True)
    with open(workspace.home / RUN_LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WorkspaceError(Said("workspace.update_running", home=workspace.home)) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class UpdateRun:
    started_at: str
    finished_at: str | None = None
    status: str = "running"                              # ok, partial (something failed), failed
    sync: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def update(workspace: Workspace, *, sources: list[str] | None = None, sync: bool = True,
           replay: Path | None = None, force: bool = False, jobs: list[str] | None = None,
           say: Callable[[str], None] | None = None) -> UpdateRun:
    """One live cycle: sync, rebuild what is stale (of ``jobs``, default all), alerts,
    forecast, brief; recorded."""
    tell = say or (lambda _: None)
    run = UpdateRun(started_at=datetime.now(UTC).isoformat())
    with one_run_at_a_time(workspace):
        try:
            if not workspace.exists():
                workspace.init()
            if sync:
                from tocsin.cli.sync import run_sync

                outcomes = run_sync(workspace, sources, replay=replay, say=tell, scheduled=True)
                run.sync = [o.to_json() for o in outcomes]
            lake = Lake(workspace.lake_dir)
            with workspace.write_lock():
                lake.sweep_orphans()
                report = run_jobs(lake, jobs, force=force, workspace=workspace, say=tell)
            run.jobs = report.to_json()
            failed = [s for s in run.sync if not s["ok"]] or report.failed
            run.status = "partial" if failed else "ok"
        except Exception as exc:  # recorded, then raised: the record says why the run stopped
            run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            run.finished_at = datetime.now(UTC).isoformat()
            record_run(workspace, run)
    return run


def record_run(workspace: Workspace, run: UpdateRun) -> None:
    """Append one line per run; a line is written whole with one write, then fsynced."""
    line = json.dumps(run.to_json(), default=str, ensure_ascii=False) + "\n"
    fd = os.open(workspace.home / RUNS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def recent_runs(workspace: Workspace, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first (a line cut short by a crash is skipped)."""
    path = workspace.home / RUNS_FILE
    if not path.exists():
        return []
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines()[-limit:]:
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return runs[::-1]


def every(interval_s: float, once: Callable[[], None], sleep: Callable[[float], None] = time.sleep,
          runs: int | None = None) -> None:
    """Call ``once`` every ``interval_s`` seconds, measured start to start (a run longer than
    the interval is followed at once by the next); ``runs`` bounds it (tests)."""
    done = 0
    while runs is None or done < runs:
        started = time.monotonic()
        once()
        done += 1
        if runs is not None and done >= runs:
            return
        sleep(max(0.0, interval_s - (time.monotonic() - started)))


def parse_interval(text: str) -> float:
    """'90s', '15m', '1h', '1d' -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].replace(".", "", 1).isdigit():
        raise ValueError(Said("update.interval", found=text))
    seconds = float(text[:-1]) * units[text[-1]]
    if seconds < 60:
        raise ValueError(Said("update.interval_short", interval=text))
    return seconds
