"""The alerts job: every siege escalation of the last days recorded once as an alert, then the
undelivered alerts sent to the webhooks. `tocsin alerts scan` and `tocsin update` both run
``scan``; the records database keeps the alerts (so the job's fingerprint is kept by the runner)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tocsin.jobs.base import Job, JobContext, JobResult
from tocsin.jobs.registry import register

METHOD_VERSION = "1"
LOOKBACK_DAYS = 30
MIN_STAGE = "threatened"


def scan(workspace: Any, inputs: Any, sessions: Any, end: dt.date, days: int = LOOKBACK_DAYS,
         rules: Any = None, min_stage: str = MIN_STAGE) -> tuple[dt.date, list[Any]]:
    """Record the escalations from ``days`` before ``end`` to ``end`` at ``min_stage`` or worse;
    returns the first day looked at and the alerts made (escalations already recorded are not
    made again)."""
    from tocsin.alerts.store import record_escalations
    from tocsin.analysis.siege import STAGE_RANK
    from tocsin.jobs.steps.siege import escalations_between

    start = end - dt.timedelta(days=days - 1)
    wanted = [e for e in escalations_between(inputs, start, end, rules)
              if e["stage_rank"] >= STAGE_RANK[min_stage]]
    return start, record_escalations(sessions, wanted)


def run(ctx: JobContext) -> JobResult:
    from tocsin.alerts.store import AlertError, open_records
    from tocsin.alerts.webhooks import deliver_pending
    from tocsin.jobs.steps.siege import blind_spot, load_inputs, resolve_as_of
    from tocsin.workspace import WorkspaceError

    try:
        inputs = load_inputs(ctx.workspace)
        end = resolve_as_of(inputs, ctx.as_of)
        sessions = open_records(ctx.workspace.database_url)
    except (WorkspaceError, AlertError) as exc:
        return JobResult(notes=[f"no alert scan: {exc}"])
    ctx.say(f"scanning for siege escalations up to {end}")
    _, created = scan(ctx.workspace, inputs, sessions, end)
    results = deliver_pending(sessions)
    notes = [f"{len(created)} new alert(s) up to {end}"]
    notes += [f"alert #{r.alert_id} not delivered to {r.url}: {r.last_error or r.last_status}"
              for r in results if not r.delivered]
    if (warning := blind_spot(inputs, end)) is not None:
        notes.append(warning)
    return JobResult(wrote={"records:alerts": len(created)}, notes=notes)


ALERTS = register(Job(
    name="alerts",
    reads=("events", "event_links", "gazetteer", "prices", "displacement", "connectivity", "burnings"),
    writes=("records:alerts",),
    method_version=METHOD_VERSION,
    run=run,
    description="siege escalations of the last 30 days as alerts, delivered to the webhooks",
))
