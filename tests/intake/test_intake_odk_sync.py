"""ODK Central: OData submissions (nested groups, GeoJSON points) and REST attachments, from a
replay server on 127.0.0.1; incremental, and a resync adds nothing."""

from __future__ import annotations

import random

import pytest
from intake_support import IntakeSetup

from tocsin.intake.connector import SyncError
from tocsin.intake.replay import ODK_EMAIL, ODK_PASSWORD, OdkReplay, odk_submission, serve_odk
from tocsin.sync.odk import OdkConnector


def test_odk_sync_is_incremental_and_idempotent(setup: IntakeSetup) -> None:
    replay = OdkReplay()
    rng = random.Random(5)
    for index in range(7):
        replay.add(*odk_submission(index, rng))
    with serve_odk(replay) as url:
        connector = OdkConnector(url, 1, replay.form, ODK_EMAIL, ODK_PASSWORD, page_size=3)
        outcome = connector.run(setup.store, "badr")
        assert (outcome.reports, outcome.attachments, outcome.problems) == (7, 7, [])
        replay.add(*odk_submission(7, rng, day="2024-05-11"))
        outcome = OdkConnector(url, 1, replay.form, ODK_EMAIL, ODK_PASSWORD).run(setup.store, "badr")
        # From the bookmark on (ge: the last one is seen again and recognised).
        assert (outcome.reports, outcome.duplicates, outcome.attachments) == (1, 1, 1)
    rows = setup.store.visible(setup.store.viewer("badr"))
    assert len(rows) == 8
    assert {r["place_name"] for r in rows} >= {"El Fasher"}
    assert all(r["signs"] == ["water_cut", "markets_closed"] for r in rows)
    assert rows[0]["collector"].startswith("قمر")


def test_odk_wrong_password_is_a_clear_error(setup: IntakeSetup) -> None:
    with serve_odk(OdkReplay()) as url, pytest.raises(SyncError, match="refused the credentials"):
        OdkConnector(url, 1, "tocsin_incident_report", ODK_EMAIL, "wrong").run(setup.store, "badr")
