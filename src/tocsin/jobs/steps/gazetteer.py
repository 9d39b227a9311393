"""The gazetteer and place names (from the place sources), and the event links (events placed
on that gazetteer): two jobs, so that a day of new events relinks events only
(places/derived.py has the building functions)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from tocsin.i18n import Said
from tocsin.jobs.base import Job, JobContext, JobResult, input_fingerprint, write_derived
from tocsin.jobs.registry import register
from tocsin.places import derived


def run_gazetteer(ctx: JobContext) -> JobResult:
    ctx.say(Said("jobs.merging_places"))
    con = ctx.lake.connect()
    try:
        gazetteer, names = derived.build_gazetteer_tables(con)
    finally:
        con.close()
    write_derived(ctx, GAZETTEER, {"gazetteer": gazetteer, "place_names": names})
    return JobResult(wrote={"gazetteer": gazetteer.num_rows, "place_names": names.num_rows})


# Kept in the links file: what it was built on, so that the next run places new events only.
BASIS_KEY, BATCHES_KEY = b"tocsin.links.basis", b"tocsin.links.event_batches"


def _basis(ctx: JobContext) -> str:
    """The links' inputs other than the events: the method, the gazetteer and the areas."""
    return input_fingerprint(ctx, Job("event_links-basis", ("areas", "gazetteer"), (),
                                      derived.METHOD_VERSION, run_event_links))


def _previous(ctx: JobContext, basis: str) -> tuple[pa.Table, set[str]] | None:
    """The links built last, when on the same basis (and no full rebuild is asked for)."""
    path = ctx.lake.derived_path("event_links")
    if ctx.full or path is None:
        return None
    meta = pq.read_schema(path).metadata or {}
    if meta.get(BASIS_KEY, b"").decode() != basis or BATCHES_KEY not in meta:
        return None
    return pq.ParquetFile(path).read().replace_schema_metadata(None), set(json.loads(meta[BATCHES_KEY]))


def run_event_links(ctx: JobContext) -> JobResult:
    ctx.say(Said("jobs.placing_events"))
    basis = _basis(ctx)
    con = ctx.lake.connect()
    try:
        if "gazetteer" not in ctx.lake.manifest()["derived"]:
            gazetteer = derived.build_gazetteer_tables(con)[0]  # no place source yet: empty
        else:
            gazetteer = con.sql("SELECT * FROM gazetteer").to_arrow_table()
        links, batches = derived.build_event_links(con, gazetteer, _previous(ctx, basis))
    finally:
        con.close()
    links = links.replace_schema_metadata({BASIS_KEY: basis.encode(),
                                           BATCHES_KEY: json.dumps(sorted(batches)).encode()})
    write_derived(ctx, EVENT_LINKS, {"event_links": links})
    return JobResult(wrote={"event_links": links.num_rows})


GAZETTEER = register(Job(
    name="gazetteer",
    reads=("places", "areas"),
    writes=("gazetteer", "place_names"),
    method_version=derived.METHOD_VERSION,
    run=run_gazetteer,
    description="merge places from every source into one gazetteer, with every name",
))

EVENT_LINKS = register(Job(
    name="event_links",
    reads=("events", "areas", "gazetteer"),
    writes=("event_links",),
    method_version=derived.METHOD_VERSION,
    run=run_event_links,
    description="place each event on the gazetteer (or only its area, as precise as the source)",
))
