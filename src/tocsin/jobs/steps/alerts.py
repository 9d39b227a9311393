"""The alerts job: every siege escalation of the last days, and every cluster of independent
field reports (tocsin.alerts.clusters), recorded once as an alert, then the undelivered alerts
sent to the webhooks. `tocsin alerts scan` and `tocsin update` both run ``scan``; the records
database keeps the alerts (so the job's fingerprint is kept by the runner, with the field
reports' own: a new report makes the job stale)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tocsin.i18n import Said, said_of
from tocsin.jobs.base import RECORDS, Job, JobContext, JobResult
from tocsin.jobs.registry import register
from tocsin.jobs.steps.field_reports import records_fingerprint

METHOD_VERSION = "2"  # 2: clusters of field reports
LOOKBACK_DAYS = 30
MIN_STAGE = "threatened"


def scan(workspace: Any, inputs: Any, sessions: Any, end: dt.date, days: int = LOOKBACK_DAYS,
         rules: Any = None, min_stage: str = MIN_STAGE,
         reports_end: dt.date | None = None) -> tuple[dt.date, list[Any]]:
    """Record the escalations from ``days`` before ``end`` to ``end`` at ``min_stage`` or worse
    (none when ``inputs`` is None: no lake to read), then the clusters of field reports whose
    last report falls in the ``days`` up to ``reports_end`` (default ``end``; the job passes
    today unless told a day: reports arrive now, while the lake's data may end weeks ago);
    returns the first day looked at and the alerts made (nothing recorded already is made
    again)."""
    from tocsin.alerts.clusters import find_clusters, record_clusters
    from tocsin.alerts.store import record_escalations

    start = end - dt.timedelta(days=days - 1)
    created = []
    if inputs is not None:
        from tocsin.analysis.siege import STAGE_RANK
        from tocsin.jobs.steps.siege import escalations_between

        wanted = [e for e in escalations_between(inputs, start, end, rules)
                  if e["stage_rank"] >= STAGE_RANK[min_stage]]
        created = record_escalations(sessions, wanted)
    last = reports_end or end
    first = last - dt.timedelta(days=days - 1)
    return start, created + record_clusters(sessions, find_clusters(sessions, first, last))


def run(ctx: JobContext) -> JobResult:
    from tocsin.alerts.store import AlertError, open_records
    from tocsin.alerts.webhooks import deliver_pending
    from tocsin.jobs.steps.siege import blind_spot, resolve_as_of, shared_inputs
    from tocsin.workspace import WorkspaceError

    try:
        sessions = open_records(ctx.workspace.database_url)
    except (WorkspaceError, AlertError) as exc:
        return JobResult(notes=[Said("jobs.no_alert_scan", exc=said_of(exc))])
    notes = []
    reports_end = ctx.as_of or dt.datetime.now(dt.UTC).date()
    try:
        inputs = shared_inputs(ctx.workspace)
        end = resolve_as_of(inputs, ctx.as_of)
    except WorkspaceError as exc:
        # No lake to read escalations from: field reports still cluster.
        inputs, end = None, reports_end
        notes.append(Said("jobs.no_siege_scan", exc=said_of(exc)))
    ctx.say(Said("jobs.scanning_alerts", end=end, reports_end=reports_end))
    _, created = scan(ctx.workspace, inputs, sessions, end, reports_end=reports_end)
    results = deliver_pending(sessions)
    notes.insert(0, Said("jobs.new_alerts", count=len(created), end=end))
    notes += [Said("jobs.alert_not_delivered", id=r.alert_id, url=r.url,
                   error=str(r.last_error or r.last_status)) for r in results if not r.delivered]
    if inputs is not None and (warning := blind_spot(inputs, end)) is not None:
        notes.append(warning)
    return JobResult(wrote={"records:alerts": len(created)}, notes=notes)


ALERTS = register(Job(
    name="alerts",
    reads=("events", "event_links", "gazetteer", "prices", "displacement", "connectivity", "burnings",
           f"{RECORDS}field_reports"),
    writes=("records:alerts",),
    method_version=METHOD_VERSION,
    run=run,
    description="siege escalations and clusters of field reports of the last 30 days as alerts, "
                "delivered to the webhooks",
    fingerprint_extra=records_fingerprint,
))
