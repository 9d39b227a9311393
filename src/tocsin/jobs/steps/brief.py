"""The brief job: the day's brief (English and Arabic, HTML, PDF and JSON) in the workspace's
``briefs/`` folder, for the latest day the data speaks of; written again when its inputs change."""

from __future__ import annotations

from tocsin.jobs.base import Job, JobContext, JobResult
from tocsin.jobs.registry import register

METHOD_VERSION = "1"
LANGUAGES = ("en", "ar")


def run(ctx: JobContext) -> JobResult:
    from tocsin.report.brief import BriefError, latest_date, write_brief

    day = ctx.as_of or latest_date(ctx.workspace)
    if day is None:
        return JobResult(notes=["no brief: the workspace holds no dated events or detections"])
    written = []
    for lang in ctx.options.get("languages", LANGUAGES):
        ctx.say(f"writing the {lang} brief for {day}")
        try:
            files = write_brief(ctx.workspace, day, lang, ctx.workspace.home / "briefs")
        except BriefError as exc:
            return JobResult(notes=[f"no {lang} brief: {exc}"])
        written.append(str(files.pdf))
    return JobResult(wrote={"artefact:brief": len(written)}, notes=[f"brief: {w}" for w in written])


BRIEF = register(Job(
    name="brief",
    reads=("events", "event_links", "gazetteer", "burnings", "forecasts", "displacement", "prices",
           "fire_detections", "connectivity"),
    writes=("artefact:brief",),
    method_version=METHOD_VERSION,
    run=run,
    description="the day's brief, in English and Arabic",
))
