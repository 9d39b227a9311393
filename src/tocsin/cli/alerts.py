"""`tocsin alerts`: siege escalations to act on; scan, acknowledge, and deliver to webhooks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.common import (
    err,
    fail,
    language_of_messages,
    named,
    out,
    parse_day,
    print_json,
    print_table,
    shown,
    t,
    term,
)
from tocsin.cli.siege import AS_OF_HELP, RULES_HELP
from tocsin.workspace import WorkspaceError

if TYPE_CHECKING:
    from tocsin.records.models import Alert


def described(alert: Alert) -> str:
    """The escalation ("cut off -> under assault"), or a report cluster's counts, in the
    messages' language (a cluster names no report and no person: counts only)."""
    from tocsin.alerts.clusters import KIND, describe
    from tocsin.intake.reports import cluster_label

    if alert.kind != KIND:
        return f"{term('stage', alert.previous_stage)} -> {term('stage', alert.stage)}"
    if language_of_messages() != "ar":
        return describe(alert)
    return t("alerts.cluster_counts", reports=alert.reports, what=cluster_label(alert.sign or "")[0],
             reporters=alert.reporters, first=alert.first_day, last=alert.day)

app = typer.Typer(help="Alerts: each siege escalation and each cluster of field reports once, until "
                       "an analyst acknowledges it.",
                  invoke_without_command=True)
webhook_app = typer.Typer(no_args_is_help=True, help="Webhooks that receive alerts (signed POSTs).")
app.add_typer(webhook_app, name="webhook")


def _sessions(ctx: typer.Context) -> Any:
    from tocsin.alerts.store import AlertError, open_records

    workspace = ctx.obj
    try:
        workspace.require()
        return open_records(workspace.database_url)
    except (WorkspaceError, AlertError) as exc:
        fail(exc)


@app.callback()
def alerts(
    ctx: typer.Context,
    include_all: Annotated[bool, typer.Option("--all", help="Acknowledged alerts too.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List open alerts (newest first); subcommands scan, acknowledge and deliver them."""
    if ctx.invoked_subcommand is not None:
        return
    from tocsin.alerts.store import alert_json, list_alerts

    found = list_alerts(_sessions(ctx), include_acknowledged=include_all, limit=limit)
    if as_json:
        print_json([alert_json(a) for a in found])
        return
    if not found:
        out.print(t("alerts.no_open_alerts") if not include_all else t("alerts.no_alerts"))
        return
    table = Table(t("alerts.id"), t("alerts.day"), t("alerts.place"), t("alerts.kind"),
                  t("alerts.what"), t("alerts.exposed"), t("alerts.status"), title=t("alerts.alerts"))
    for a in found:
        table.add_row(str(a.id), shown(a.day), escape(named(a.place_name)), term("alert_kind", a.kind),
                      escape(described(a)),
                      f"{a.exposed:,}" if a.exposed else "?",
                      a.status if a.status == "open" else t("alerts.ack_d_by",
                                                            what=escape(a.acknowledged_by or '')))
    print_table(table)


@app.command()
def scan(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    days: Annotated[int, typer.Option(min=1, max=3660, help="Look back this many days.")] = 30,
    rules_file: Annotated[Path | None, typer.Option("--rules", help=RULES_HELP)] = None,
    min_stage: Annotated[str, typer.Option(help="Only escalations to this stage or worse: "
                                           "threatened, encircled, cut_off, outcome_unrecorded, "
                                           "under_assault, overrun, fallen (analysis/siege.py's "
                                           "order).")
                         ] = "threatened",
    deliver: Annotated[bool, typer.Option(help="Deliver new alerts to the webhooks.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Record every escalation of the last DAYS days up to --as-of as an alert (once each), and
    every cluster of independent field reports (again only when it escalates), then deliver
    the undelivered ones to the webhooks."""
    from tocsin.alerts.store import alert_json
    from tocsin.analysis.siege import STAGE_RANK
    from tocsin.cli.siege import _inputs, _rules
    from tocsin.jobs.steps.alerts import scan as scan_escalations
    from tocsin.jobs.steps.siege import resolve_as_of

    if min_stage not in STAGE_RANK or min_stage == "calm":
        raise typer.BadParameter(t("alerts.unknown_stage", min_stage=min_stage), param_hint="--min-stage")
    sessions = _sessions(ctx)
    rules = _rules(rules_file)
    inputs = _inputs(ctx)
    try:
        end = resolve_as_of(inputs, parse_day(as_of, "--as-of"))
    except WorkspaceError as exc:
        fail(exc)
    import datetime as dt

    # Reports are scanned up to --as-of, else today (they arrive now; the lake may end earlier).
    reports_end = parse_day(as_of, "--as-of") or dt.datetime.now(dt.UTC).date()
    start, created = scan_escalations(ctx.obj, inputs, sessions, end, days, rules, min_stage,
                                      reports_end)
    results = _deliver(sessions) if deliver else []
    if as_json:
        print_json({"from": start, "to": end, "created": [alert_json(a) for a in created],
                    "deliveries": [r.__dict__ for r in results]})
    else:
        out.print(t("alerts.new_alert_s_for", n_created=len(created), start=start, end=end))
        for a in created:
            out.print(f"  #{a.id} {a.day} {escape(named(a.place_name))}: {escape(described(a))}")
        _say_deliveries(results)
    if any(not r.delivered for r in results):
        raise typer.Exit(1)


def _deliver(sessions: Any) -> list[Any]:
    from tocsin.alerts.webhooks import deliver_pending

    return deliver_pending(sessions)


def _say_deliveries(results: list[Any]) -> None:
    for r in results:
        if r.delivered:
            out.print(t("alerts.delivered_alert_attempt_s", alert_id=r.alert_id, url=escape(r.url),
                        attempts=r.attempts))
        else:
            err.print(t("alerts.alert_not_delivered_after", alert_id=r.alert_id, url=escape(r.url),
                        attempts=r.attempts, what=escape(r.last_error or str(r.last_status))))


@app.command()
def deliver(ctx: typer.Context) -> None:
    """Deliver open alerts that no webhook has received yet (retrying failed ones)."""
    results = _deliver(_sessions(ctx))
    if not results:
        out.print(t("alerts.nothing_deliver"))
    _say_deliveries(results)
    if any(not r.delivered for r in results):
        raise typer.Exit(1)


@app.command("show")
def show(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(help="The alert's id (see `tocsin alerts`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """One alert: why it was raised (the evidence), who acknowledged it, every delivery attempt."""
    from tocsin.alerts.store import AlertError, alert_json, get_alert

    try:
        alert, attempts = get_alert(_sessions(ctx), alert_id)
    except AlertError as exc:
        fail(exc)
    if as_json:
        print_json({**alert_json(alert), "deliveries": attempts})
        return
    out.print(t("alerts.alert_heading", id=alert.id, day=alert.day, place=escape(named(alert.place_name)),
                what=escape(described(alert))))
    out.print(t("alerts.exposed_2", reasons=escape(alert.reasons), what=alert.exposed or '?',
                status=alert.status)
              + (t("alerts.by_at_utc", what=escape(alert.acknowledged_by or ''),
                   acknowledged_at=alert.acknowledged_at)
                 if alert.acknowledged_at else ""))
    for item in alert.evidence:
        out.print(f"    {item['date']}  {item['signal']:<28} {escape(item['detail'])}  "
                  f"[dim]{escape(item['ref'])}[/]")
    for a in attempts:
        outcome = t("alerts.delivered") if a["succeeded"] else (a["error"] or f"HTTP {a['status_code']}")
        out.print(t("alerts.delivery_at", attempt=a['attempt'], url=escape(a['url']),
                    attempted_at=a['attempted_at'], outcome=escape(outcome)))


@app.command("ack")
def ack(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(help="The alert's id (see `tocsin alerts`).")],
    by: Annotated[str, typer.Option(help="Who acknowledges it.")] = "",
    note: Annotated[str | None, typer.Option(help="What was done about it.")] = None,
) -> None:
    """Acknowledge an alert: someone has seen it and acts on it."""
    from tocsin.alerts.store import AlertError, acknowledge

    try:
        alert = acknowledge(_sessions(ctx), alert_id, by, note)
    except AlertError as exc:
        fail(exc)
    out.print(t("alerts.alert_acknowledged_by", id=alert.id, place_name=escape(named(alert.place_name)),
                stage=escape(described(alert)), what=escape(alert.acknowledged_by or '')))


@webhook_app.command("add")
def webhook_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Where to POST alerts (http:// or https://).")],
    secret: Annotated[str, typer.Option(envvar="TOCSIN_WEBHOOK_SECRET",
                                        help="Shared secret for the HMAC-SHA256 signature "
                                             "(at least 16 characters).")],
) -> None:
    """Add a webhook; alerts made from now on are POSTed to it, signed with SECRET."""
    from tocsin.alerts.store import AlertError
    from tocsin.alerts.webhooks import add_webhook

    try:
        hook = add_webhook(_sessions(ctx), url, secret)
    except AlertError as exc:
        fail(exc)
    out.print(t("alerts.webhook_added", id=hook.id, url=escape(hook.url)))


@webhook_app.command("list")
def webhook_list(ctx: typer.Context,
                 as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """The webhooks (secrets are not shown)."""
    from tocsin.alerts.webhooks import list_webhooks

    hooks = list_webhooks(_sessions(ctx))
    if as_json:
        print_json([{"id": h.id, "url": h.url, "active": h.active, "created_at": h.created_at}
                    for h in hooks])
        return
    if not hooks:
        out.print(t("alerts.no_webhooks_yet"))
    for h in hooks:
        out.print(f"#{h.id} {escape(h.url)}" + ("" if h.active else t("alerts.inactive")))


@webhook_app.command("remove")
def webhook_remove(ctx: typer.Context,
                   which: Annotated[str, typer.Argument(help="The webhook's id or URL.")]) -> None:
    """Remove a webhook (and the record of its deliveries)."""
    from tocsin.alerts.store import AlertError
    from tocsin.alerts.webhooks import remove_webhook

    try:
        hook = remove_webhook(_sessions(ctx), which)
    except AlertError as exc:
        fail(exc)
    out.print(t("alerts.webhook_removed", id=hook.id, url=escape(hook.url)))
