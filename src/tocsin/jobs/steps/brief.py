"""The brief job: the day's brief (English and Arabic, HTML, PDF and JSON) in the workspace's
``briefs/`` folder, for the latest day the data speaks of; written again when its inputs change."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from tocsin.i18n import Listed, Said, said_of
from tocsin.jobs.base import Job, JobContext, JobResult
from tocsin.jobs.registry import register

if TYPE_CHECKING:
    from tocsin.report.pdf_workers import PdfRenderers

METHOD_VERSION = "1"
LANGUAGES = ("en", "ar")


def run(ctx: JobContext) -> JobResult:
    from tocsin.report.brief import BriefError, latest_date, write_briefs

    day = ctx.as_of or latest_date(ctx.workspace)
    if day is None:
        return JobResult(notes=[Said("jobs.no_brief_no_dates")])
    langs = tuple(ctx.options.get("languages", LANGUAGES))
    ctx.say(Said("jobs.writing_brief", langs=Listed(langs), day=day))
    try:
        written = [str(f.pdf) for f in write_briefs(ctx.workspace, day, langs,
                                                    ctx.workspace.home / "briefs",
                                                    renderers=ctx.prepared.get("brief"))]
    except BriefError as exc:
        return JobResult(notes=[Said("jobs.no_brief", exc=said_of(exc))])
    return JobResult(wrote={"artefact:brief": len(written)},
                     notes=[Said("jobs.brief_written", path=w) for w in written])


def renderers(ctx: JobContext) -> AbstractContextManager[PdfRenderers]:
    """A PDF renderer per language, warming up while the jobs before the brief run (or kept
    from the run before, under `tocsin update --every`)."""
    from tocsin.report.pdf_workers import renderers_for_run

    return renderers_for_run(len(ctx.options.get("languages", LANGUAGES)))


BRIEF = register(Job(
    name="brief",
    reads=("events", "event_links", "gazetteer", "burnings", "forecasts", "displacement", "prices",
           "fire_detections", "connectivity"),
    writes=("artefact:brief",),
    method_version=METHOD_VERSION,
    run=run,
    description="the day's brief, in English and Arabic",
    prepare=renderers,
))
