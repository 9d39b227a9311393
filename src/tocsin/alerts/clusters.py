"""Clusters of independent field reports as alerts of their own kind (``report_cluster``).

The alerts scan (jobs/steps/alerts.py) finds, over every organisation's consented reports, the
clusters of one siege sign or attack at one place (tocsin.intake.reports.report_clusters:
``THRESHOLD`` independent reporters within ``WINDOW``) and records each once. A cluster already
alerted is not alerted again while it goes on, unless it escalates: its independent reporters
reach twice the number alerted last (3, then 6, then 12, ...).

An alert leaves its organisation (other organisations' pages, webhooks to outsiders), so it
holds counts only: the place as the gazetteer names it, the sign, how many reports and
reporters, the first and last day, reports per day. No report id, text, point, time of day,
reporter or survivor; a survivor's report (sexual violence, harm to a child) is one count
among the others and is never what a cluster is about (CLUSTER_CATEGORIES has no such kind).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tocsin.alerts.store import insert_once
from tocsin.records.models import Alert

KIND = "report_cluster"
WINDOW = dt.timedelta(hours=48)
THRESHOLD = 3          # independent reporters
ESCALATION = 2         # alerted again when the reporters reach this many times the last alert's


def find_clusters(sessions: sessionmaker[Session], start: dt.date, end: dt.date,
                  window: dt.timedelta = WINDOW, threshold: int = THRESHOLD) -> list[dict[str, Any]]:
    """Clusters of reports stored by the end of ``end`` whose last report falls in
    [start, end] (as-of discipline: a report entered later is not known on ``end``)."""
    from tocsin.intake.reports import report_clusters
    from tocsin.intake.store import report_rows

    known_by = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
    rows = [r for r in report_rows(sessions, as_of=known_by) if _when(r) is not None
            and _when(r) < known_by]  # type: ignore[operator]
    return [c for c in report_clusters(rows, window, threshold, independent=True)
            if start <= c["last"].date() <= end]


def _when(row: dict[str, Any]) -> dt.datetime | None:
    if row["submitted_at"] is not None:
        return row["submitted_at"]  # type: ignore[no-any-return]
    day = row["occurred_on"]
    return dt.datetime.combine(day, dt.time(), dt.UTC) if day else None


def record_clusters(sessions: sessionmaker[Session], clusters: Iterable[dict[str, Any]]) -> list[Alert]:
    """An alert for each cluster not yet alerted, or escalated since; the rest are skipped
    (also when another scan records the same cluster at the same moment)."""
    created = []
    with sessions() as session:
        for cluster in sorted(clusters, key=lambda c: (c["last"], c["place_id"], c["sign"])):
            last = _last_alert(session, cluster)
            if last is not None and cluster["reporters"] < ESCALATION * (last.reporters or 0):
                continue
            alert = _alert(cluster, last)
            if insert_once(session, alert):
                created.append(alert)
        session.commit()
    return created


def _last_alert(session: Session, cluster: dict[str, Any]) -> Alert | None:
    """The latest alert of the same chain of reports: same place and sign, its last report on
    or after the chain's first (an earlier chain ended more than a window before)."""
    return session.scalars(select(Alert).where(
        Alert.kind == KIND, Alert.place_id == cluster["place_id"], Alert.sign == cluster["sign"],
        Alert.day >= cluster["chain_first"].date()).order_by(Alert.day.desc(), Alert.id.desc())
        .limit(1)).first()


def _alert(cluster: dict[str, Any], escalated_from: Alert | None) -> Alert:
    reasons = (f"{cluster['text']}: {cluster['reporters']} independent reporter(s), "
               f"{cluster['verified']} verified")
    if escalated_from is not None:
        reasons += f"; escalated from {escalated_from.reporters} reporter(s) (alert #{escalated_from.id})"
    return Alert(
        kind=KIND, place_id=cluster["place_id"], place_name=cluster["place_name"],
        sign=cluster["sign"], reports=cluster["reports"], reporters=cluster["reporters"],
        first_day=cluster["first"].date(), day=cluster["last"].date(), reasons=reasons,
        evidence=[{"date": day.isoformat(), "signal": f"field_reports:{cluster['sign']}",
                   "kind": "field_reports", "detail": f"{count} report(s)", "ref": "field reports"}
                  for day, count in cluster["per_day"].items()])


def describe(alert: Alert) -> str:
    """One line, English: the escalation, or the cluster's counts."""
    if alert.kind != KIND:
        return f"{alert.previous_stage} -> {alert.stage}".replace("_", " ")
    from tocsin.intake.reports import cluster_label

    _, what = cluster_label(alert.sign or "")
    return (f"{alert.reports} reports of {what.lower()} from {alert.reporters} reporters, "
            f"{alert.first_day} to {alert.day}")
