"""The evidence part of `tocsin demo`: the sample's satellite data as evidence of an incident,
a court bundle, and both verified. Returns lines for the demo to print."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from tocsin.evidence.bundle import export_bundle, verify_bundle
from tocsin.evidence.locker import EvidenceLocker
from tocsin.evidence.verify import verify_locker
from tocsin.records.accounts import add_incident, add_organisation, add_user
from tocsin.records.db import session_factory
from tocsin.workspace import DATABASE_URL_ENV, Workspace

DEMO_ORG = "Demo Monitoring Network"
DEMO_USER = "demo-admin"
FIRMS_FILE = "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv"


def run_evidence_demo(workspace: Workspace, sample: Path) -> list[tuple[str, dict[str, Any]]]:
    if os.environ.get(DATABASE_URL_ENV):
        # The demo wipes its workspace (keys, custody mirror) on every run, which a shared
        # database outlives: writing evidence there would leave a log nobody can verify.
        return [("demo.evidence_skipped_shared", {"variable": DATABASE_URL_ENV})]
    with session_factory(workspace.database_url)() as session, session.begin():
        add_organisation(session, DEMO_ORG)
        add_user(session, DEMO_USER, DEMO_ORG, "admin", "Demo administrator")
        incident = add_incident(session, username=DEMO_USER, title="El Fasher falls to the RSF",
                                category="attack_on_civilians",
                                occurred_from=dt.date(2025, 10, 26), place_id=None).id
    locker = EvidenceLocker(workspace)
    try:
        locker.create_keys(DEMO_USER)
        added = locker.add([sample / FIRMS_FILE], user=DEMO_USER, collector="NASA FIRMS",
                           captured_at=dt.datetime(2025, 11, 8, 23, 59, tzinfo=dt.UTC),
                           sensitivity="public", place="Al Fashir", incidents=[incident],
                           method="download", source_url="https://firms.modaps.eosdis.nasa.gov",
                           description="VIIRS fire detections around El Fasher after its fall")
        bundle = workspace.home / "evidence-demo-bundle.zip"
        export_bundle(locker, incident, bundle, DEMO_USER)
        locker_report, bundle_report = verify_locker(locker), verify_bundle(bundle)
    finally:
        locker.close()
    item = added[0]
    # Messages of the CLI catalogue (cli/i18n), said in the demo's language.
    return [
        ("demo.evidence_item", {"item_id": item.item_id, "filename": item.filename, "size": item.size,
                                "sha": item.sha256[:16], "incident": incident}),
        ("demo.locker_verifies" if locker_report.ok else "demo.locker_fails",
         {"entries": locker_report.checked.get("custody entries", 0)}),
        ("demo.bundle_verifies" if bundle_report.ok else "demo.bundle_fails", {"name": bundle.name}),
    ]
