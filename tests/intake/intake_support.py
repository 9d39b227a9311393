"""Helpers of the intake tests: a workspace with the sample gazetteer, two organisations,
their keys, a designated responder; and Arabic submissions in Kobo's layout."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tocsin.evidence.locker import EvidenceLocker
from tocsin.intake.store import IntakeStore
from tocsin.records.accounts import add_organisation, add_user
from tocsin.records.db import session_factory, upgrade
from tocsin.workspace import Workspace

# username -> (organisation, role)
PEOPLE = {
    "amira": ("Darfur Witness Network", "admin"),
    "badr": ("Darfur Witness Network", "analyst"),
    "musa": ("Darfur Witness Network", "monitor"),
    "rasha": ("Darfur Witness Network", "analyst"),  # the designated responder
    "sara": ("Sudan Archive", "admin"),
    "salim": ("Sudan Archive", "analyst"),
}
RESPONDER = "rasha"


@dataclass
class IntakeSetup:
    workspace: Workspace
    store: IntakeStore


def make_setup(home: Path, sample: Workspace) -> IntakeSetup:
    shutil.copytree(sample.home, home / "ws", ignore=shutil.ignore_patterns(".lock", "records.sqlite*"))
    workspace = Workspace(home / "ws")
    upgrade(workspace.database_url)
    with session_factory(workspace.database_url)() as session, session.begin():
        for org in sorted({org for org, _ in PEOPLE.values()}):
            add_organisation(session, org)
        for username, (org, role) in PEOPLE.items():
            add_user(session, username, org, role)
    locker = EvidenceLocker(workspace)
    locker.create_keys("amira")
    locker.create_keys("sara")
    locker.close()
    store = IntakeStore(workspace)
    store.add_responder(RESPONDER, by="amira")
    return IntakeSetup(workspace, store)
