"""One step of the pipeline, as data: what it reads, what it writes, its method version.

A job's ``run`` does the I/O around a pure analysis (read the lake, call the function, write the
derived table with ``write_derived``); the runner (``tocsin.jobs.runner``) decides *whether* it
runs, and holds the workspace write lock while it does (so ``run`` never takes it). A job is stale
when the fingerprint of its inputs (the lake batches of the tables it reads, the files of the
derived tables it reads, and its method version) differs from the one recorded beside any of its
derived outputs in the lake manifest, and from the one the runner recorded for the job itself
(manifest ``jobs``: a job with no derived output, like alerts and the brief, or a run that had
nothing to write).

A batch of ``withdrawals`` (deletions and replacements by sync) counts as a batch of the tables
it withdraws from (``Batch.withdraws``): a batch that only withdraws events changes what an
events reader sees, and nothing else.

Names in ``reads`` and ``writes``:
- a canonical lake table (``events``, ``fire_detections``, ...) or a derived table (``gazetteer``,
  ``burnings``, ...): fingerprinted from the lake manifest;
- ``records:<name>`` for something kept in the records database (alerts, field reports,
  control changes): the job gives its own fingerprint through ``fingerprint_extra``;
- ``artefact:<name>`` for a file a job writes outside the lake (the day's brief).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tocsin.lake import Lake, derived_token
from tocsin.schema.tables import TABLES
from tocsin.workspace import Workspace

RECORDS = "records:"
ARTEFACT = "artefact:"


@dataclass(frozen=True)
class JobContext:
    workspace: Workspace
    lake: Lake
    as_of: date | None = None          # None: the latest day the data speaks of
    say: Callable[[str], None] = lambda _: None
    options: Mapping[str, Any] = field(default_factory=dict)
    # The fingerprint of the running job's inputs, set by the runner before ``run``: what its
    # outputs are recorded with (computed once, before the job reads anything).
    fingerprint: str | None = None
    # A full rebuild (`tocsin update --force`): a job that can build on its last output (the
    # event links, decision 0041) builds from nothing instead.
    full: bool = False
    # What the runner prepared for the jobs of this run, by job name (``Job.prepare``).
    prepared: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class JobResult:
    wrote: dict[str, int] = field(default_factory=dict)      # output name -> rows written
    notes: list[str] = field(default_factory=list)           # said to the user
    data_through: dict[str, date | None] = field(default_factory=dict)  # input -> last date


@dataclass(frozen=True)
class Job:
    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    method_version: str
    run: Callable[[JobContext], JobResult]
    description: str = ""
    # For inputs the lake manifest cannot see (records:...): a short string that changes when
    # they change (e.g. the newest id and count of the rows read).
    fingerprint_extra: Callable[[JobContext], str] | None = None
    # Run only when asked for by name (`tocsin forecast --save-model`), never by a plain update:
    # fitting every horizon's model takes minutes.
    on_demand: bool = False
    # Slow set-up the job will use, begun as soon as a run has work to do, so that it happens
    # while the jobs ahead of this one run (the brief's PDF renderers warm up on the core they
    # leave idle). A context manager: the runner enters it, hands its value to the job as
    # ``ctx.prepared[name]``, and exits it when the run ends, whether the job ran or not.
    prepare: Callable[[JobContext], AbstractContextManager[Any]] | None = None

    def fingerprint(self, ctx: JobContext) -> str:
        return input_fingerprint(ctx, self)


def input_fingerprint(ctx: JobContext, job: Job) -> str:
    """What the job's outputs were (or would be) built from. Lake tables are named by their
    committed batch ids, derived tables by their current file, so any new batch or any rebuilt
    input makes the job stale; nothing else does."""
    manifest = ctx.lake.manifest()
    parts = [f"method={job.method_version}"]
    for name in sorted(job.reads):
        if name in TABLES:
            batches = sorted(b["batch_id"] for b in manifest["batches"]
                             if b["files"].get(name) or name in b.get("withdraws", ()))
            parts.append(f"{name}:" + ",".join(batches))
        elif not name.startswith((RECORDS, ARTEFACT)):
            parts.append(f"{name}:{derived_token(manifest['derived'].get(name))}")
    if job.fingerprint_extra is not None:
        parts.append(job.fingerprint_extra(ctx))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def derived_outputs(job: Job) -> list[str]:
    return [w for w in job.writes if not w.startswith((RECORDS, ARTEFACT))]


def is_stale(ctx: JobContext, job: Job, fingerprint: str | None = None) -> bool:
    """True when any derived output is missing or was built from other inputs (for a job with
    only records or artefact outputs: when the runner has not run it on these inputs)."""
    manifest = ctx.lake.manifest()
    wanted = fingerprint or job.fingerprint(ctx)
    # The runner remembers a job that ran on these inputs and had nothing to write (no fire
    # detections yet for burnings): it is not due again until they change.
    if manifest.get("jobs", {}).get(job.name, {}).get("inputs") == wanted:
        return False
    outputs = derived_outputs(job)
    return not outputs or any(manifest["derived"].get(w, {}).get("inputs") != wanted for w in outputs)


def write_derived(ctx: JobContext, job: Job, tables: dict[str, pa.Table],
                  fingerprint: str | None = None) -> None:
    """Swap in the job's rebuilt derived tables, each recorded with the fingerprint of the
    inputs it was built from: the one mechanism ``is_stale`` compares against."""
    unknown = set(tables) - set(derived_outputs(job))
    if unknown:
        raise ValueError(f"job {job.name!r} writes {sorted(unknown)}, which it does not declare")
    fingerprint = fingerprint or ctx.fingerprint or job.fingerprint(ctx)
    paths = {}
    for name, table in tables.items():
        path = ctx.lake.staging_path(name, "derived")
        pq.write_table(table, path, compression="zstd")
        paths[name] = path
    ctx.lake.replace_derived(paths, dict.fromkeys(paths, fingerprint))
