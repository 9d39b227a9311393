"""The gazetteer and place names (from the place sources), and the event links (events placed
on that gazetteer): two jobs, so that a day of new events relinks events only
(places/derived.py has the building functions)."""

from __future__ import annotations

from tocsin.jobs.base import Job, JobContext, JobResult, write_derived
from tocsin.jobs.registry import register
from tocsin.places import derived


def run_gazetteer(ctx: JobContext) -> JobResult:
    ctx.say("merging places into the gazetteer")
    con = ctx.lake.connect()
    try:
        gazetteer, names = derived.build_gazetteer_tables(con)
    finally:
        con.close()
    write_derived(ctx, GAZETTEER, {"gazetteer": gazetteer, "place_names": names})
    return JobResult(wrote={"gazetteer": gazetteer.num_rows, "place_names": names.num_rows})


def run_event_links(ctx: JobContext) -> JobResult:
    ctx.say("placing events on the gazetteer")
    con = ctx.lake.connect()
    try:
        if "gazetteer" not in ctx.lake.manifest()["derived"]:
            gazetteer = derived.build_gazetteer_tables(con)[0]  # no place source yet: empty
        else:
            gazetteer = con.sql("SELECT * FROM gazetteer").to_arrow_table()
        links = derived.build_event_links(con, gazetteer)
    finally:
        con.close()
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
