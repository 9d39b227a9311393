"""Verified field reports as the lake's derived ``field_report_events`` table, for the siege
tracker and the forecast to read beside ``events`` (tocsin.intake.store.report_events does the
work; the table holds counts, no text and no person)."""

from __future__ import annotations

from tocsin.i18n import Said
from tocsin.jobs.base import RECORDS, Job, JobContext, JobResult, write_derived
from tocsin.jobs.registry import register

METHOD_VERSION = "field-report-events/1"
OUTPUT = "field_report_events"


def records_fingerprint(ctx: JobContext) -> str:
    """The field reports as the runner sees them: how many, the newest, the last verified."""
    # SQLAlchemy here, not at import: every ingest's rebuild check imports the jobs registry.
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from tocsin.records.db import session_factory
    from tocsin.records.intake_models import FieldReport

    sessions = session_factory(ctx.workspace.database_url)
    try:
        with sessions() as session:
            count, newest, verified = session.execute(select(
                func.count(), func.max(FieldReport.id), func.max(FieldReport.verified_at))).one()
    except SQLAlchemyError:
        # An unreachable database must not stop `tocsin status` from showing the lake; the job
        # itself then fails with the database's own message when it runs.
        return "field_reports:unreadable"
    finally:
        sessions.kw["bind"].dispose()
    return f"field_reports:{count}:{newest}:{verified}"


def run(ctx: JobContext) -> JobResult:
    from tocsin.intake.store import report_events

    table = report_events(ctx.workspace)
    write_derived(ctx, FIELD_REPORTS, {OUTPUT: table})
    ctx.say(Said("jobs.field_report_rows", rows=table.num_rows))
    return JobResult(wrote={OUTPUT: table.num_rows})


FIELD_REPORTS = register(Job(
    name="field-reports",
    reads=(f"{RECORDS}field_reports",),
    writes=(OUTPUT,),
    method_version=METHOD_VERSION,
    run=run,
    description="verified field reports as events-like rows (counts only) for the siege tracker",
    fingerprint_extra=records_fingerprint,
))
