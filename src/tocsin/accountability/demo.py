"""The accountability part of `tocsin demo`: the sample's sanctions lists imported and resolved,
the RSF and its commander as actors, the demo incident (El Fasher's fall, 26 October 2025)
attributed to the RSF and qualified by one analyst and signed off by another, and the
commander's dossier in English and Arabic. Returns lines for the demo to print.

Facts used: the RSF besieged El Fasher from May 2024 and took it on 26 October 2025; Mohamed
Hamdan Dagalo ("Hemedti") commands the RSF and was designated by the US on 7 January 2025.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from tocsin.accountability import entities
from tocsin.accountability.dossier import write_dossier
from tocsin.accountability.importing import import_sanctions, judge, resolve_all
from tocsin.accountability.qualification import assess, sign_off
from tocsin.evidence.locker import EvidenceLocker
from tocsin.records.accountability_models import EntityMatch
from tocsin.records.accounts import add_user, user_named
from tocsin.records.db import session_factory
from tocsin.records.models import Incident, IncidentActor
from tocsin.workspace import DATABASE_URL_ENV, Workspace

DEMO_ANALYST = "demo-analyst"
SOURCES = ["UN OHCHR, Sudan: El Fasher (press briefing, 28 October 2025)",
           "US Treasury press release JY2771 (7 January 2025)"]


def run_accountability_demo(workspace: Workspace, sample: Path, org: str,
                            admin: str) -> list[tuple[str, dict[str, Any]]]:
    if os.environ.get(DATABASE_URL_ENV):
        return [("demo.accountability_skipped_shared", {"variable": DATABASE_URL_ENV})]
    lists = sample / "sanctions-sudan"
    report = import_sanctions(workspace, sorted(lists.iterdir()) if lists.is_dir() else [])
    url = workspace.database_url
    with session_factory(url)() as session, session.begin():
        add_user(session, DEMO_ANALYST, org, "analyst", "Demo analyst")
        analyst = user_named(session, DEMO_ANALYST)
        rsf = entities.add_actor(session, analyst, "Organization", "Rapid Support Forces",
                                 properties={"alias": ["RSF", "قوات الدعم السريع"]}, public=True)
        hemedti = entities.add_actor(
            session, analyst, "Person", "Mohamed Hamdan Dagalo",
            properties={"alias": ["Hemedti", "Mohamed Hamdan Daglo Moussa", "محمد حمدان دقلو"]},
            public=True)
        entities.add_link(session, analyst, "Membership", hemedti, rsf, role="commander",
                          status="accepted", sources=SOURCES[1:], public=True)
        incident = session.scalars(select(Incident).order_by(Incident.id)).first()
        assert incident is not None  # the evidence demo opened it
        session.add(IncidentActor(incident_id=incident.id, actor_id=rsf.actor_id,
                                  role="perpetrator"))
        resolve_all(session)
        # Hemedti's brothers share two of his three names: an analyst rejects those candidates.
        brothers = session.scalars(select(EntityMatch).where(
            EntityMatch.judgement == "suggested",
            or_(EntityMatch.left_id == hemedti.id, EntityMatch.right_id == hemedti.id))).all()
        for match in brothers:
            judge(session, match.id, "negative", DEMO_ANALYST)
        incident_id, hemedti_id, org_id = incident.id, hemedti.id, analyst.organisation_id
    locker = EvidenceLocker(workspace)
    try:
        item = locker.items(incident=incident_id)[0]["item_id"]
        destroyed = assess(locker, DEMO_ANALYST, incident_id=incident_id,
                           element_id="8(2)(e)(xii)-1", assessment="supported",
                           evidence_items=[item],
                           note="fire detections on settlements around El Fasher after its fall")
        sign_off(locker, admin, destroyed.id)
        assess(locker, DEMO_ANALYST, incident_id=incident_id, element_id="8(2)(e)(i)-1",
               assessment="insufficient", evidence_items=[item],
               note="fire shows burning, not who attacked whom: needs witnesses")
    finally:
        locker.close()
    # Messages of the CLI catalogue (cli/i18n), said in the demo's language.
    lines: list[tuple[str, dict[str, Any]]] = [("demo.sanctions_summary", {
        "listings": sum(f["sanctions"] for f in report.files), "lists": len(report.files),
        "merged": report.merged, "quarantined": len(report.quarantined), "brothers": len(brothers)})]
    with session_factory(url)() as session:
        for lang in ("en", "ar"):
            files = write_dossier(session, hemedti_id, org_id, workspace.home / "dossiers", lang)
            lines.append(("demo.dossier_written", {"lang": lang, "pdf": str(files.pdf)}))
    lines.append(("demo.ftm_export", {"ftm": str(files.ftm)}))
    return lines
