"""The jobs Tocsin knows, in the order their inputs allow."""

from __future__ import annotations

from tocsin.jobs.base import Job

JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    if job.name in JOBS and JOBS[job.name] is not job:
        raise ValueError(f"two jobs are named {job.name!r}")
    JOBS[job.name] = job
    return job


def all_jobs() -> dict[str, Job]:
    """Every registered job; importing the steps registers the built-in ones."""
    from tocsin.jobs.steps import register_all

    register_all()

    return JOBS


def jobs_of(*steps: str) -> dict[str, Job]:
    """The jobs registered so far, after importing only these step modules (``steps.gazetteer``
    for the gazetteer): an ingest that refreshes the place tables need not import the forecast
    model's and the burnings detector's stacks (pandas alone is a fifth of a second)."""
    from importlib import import_module

    for name in steps:
        import_module(f"tocsin.jobs.steps.{name}")
    return JOBS


def in_order(jobs: list[Job] | None = None) -> list[Job]:
    """Jobs sorted so that each comes after the jobs that write what it reads."""
    chosen = list(jobs if jobs is not None else all_jobs().values())
    # Only a chosen job's upstream is visited, and chosen jobs are registered: the jobs
    # registered so far name every writer that matters.
    writer = {out: job.name for job in JOBS.values() for out in job.writes}
    done: list[Job] = []
    seen: set[str] = set()
    visiting: set[str] = set()

    def visit(job: Job) -> None:
        if job.name in seen:
            return
        if job.name in visiting:
            raise ValueError(f"jobs read each other's outputs in a cycle at {job.name!r}")
        visiting.add(job.name)
        for name in job.reads:
            upstream = writer.get(name)
            if upstream and upstream != job.name and JOBS[upstream] in chosen:
                visit(JOBS[upstream])
        visiting.discard(job.name)
        seen.add(job.name)
        done.append(job)

    # By name, not by registration: which step module was imported first (an ingest imports the
    # gazetteer's alone) must not change the order a run takes.
    for job in sorted(chosen, key=lambda j: j.name):
        visit(job)
    return done
