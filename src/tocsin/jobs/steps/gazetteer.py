"""The gazetteer, place names and event links, as one job (places/derived.py does the work)."""

from __future__ import annotations

from tocsin.jobs.base import Job, JobContext, JobResult
from tocsin.jobs.registry import register
from tocsin.places import derived


def run(ctx: JobContext) -> JobResult:
    ctx.say("rebuilding the gazetteer and event links")
    rebuilt = derived.refresh(ctx.lake)
    return JobResult(wrote=dict.fromkeys(rebuilt, 0))


GAZETTEER = register(Job(
    name="gazetteer",
    reads=("places", "areas", "events"),
    writes=("gazetteer", "place_names", "event_links"),
    method_version=derived.METHOD_VERSION,
    run=run,
    description="merge places from every source into one gazetteer; link events to places",
))
