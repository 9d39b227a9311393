"""ODK Central: OData submissions (nested groups, GeoJSON points) and REST attachments, from a
replay server on 127.0.0.1; incremental, and a resync adds nothing."""

from __future__ import annotations

import random

import pytest
from intake_support import IntakeSetup

from tocsin.sync.field import sync_reports
from tocsin.sync.field_replay import ODK_EMAIL, ODK_FORM, ODK_PASSWORD, odk_submission
from tocsin.sync.http import SyncError
from tocsin.sync.odk import odk_connector
from tocsin.sync.replay import ReplayPublisher, serve


def test_odk_sync_is_incremental_and_idempotent(setup: IntakeSetup) -> None:
    replay = ReplayPublisher()
    rng = random.Random(5)
    for index in range(7):
        replay.field.odk.add(*odk_submission(index, rng))
    with serve(replay) as url:
        connector = odk_connector(url, 1, ODK_FORM, ODK_EMAIL, ODK_PASSWORD, page_size=3)
        outcome = sync_reports(setup.store, connector, "badr")
        assert (outcome.reports, outcome.attachments, outcome.problems) == (7, 7, [])
        replay.field.odk.add(*odk_submission(7, rng, day="2024-05-11"))
        outcome = sync_reports(setup.store, odk_connector(url, 1, ODK_FORM, ODK_EMAIL, ODK_PASSWORD),
                               "badr")
        # From the bookmark on (ge: the last one is seen again and recognised).
        assert (outcome.reports, outcome.duplicates, outcome.attachments) == (1, 1, 1)
    rows = setup.store.visible(setup.store.viewer("badr"))
    assert len(rows) == 8
    assert {r["place_name"] for r in rows} >= {"El Fasher"}
    assert all(r["signs"] == ["water_cut", "markets_closed"] for r in rows)
    assert rows[0]["collector"].startswith("قمر")


def test_odk_wrong_password_is_a_clear_error(setup: IntakeSetup) -> None:
    with serve(ReplayPublisher()) as url, pytest.raises(SyncError, match="refused the credentials"):
        sync_reports(setup.store, odk_connector(url, 1, ODK_FORM, ODK_EMAIL, "wrong"), "badr")


def test_odk_through_pyodk_logs_in_again_after_an_expired_token_and_waits_as_told(
        setup: IntakeSetup) -> None:
    """pyodk logs in (POST /v1/sessions); Central forgets the token mid-sync (401): the sync
    client drops it, pyodk logs in again, nothing is lost; a 429 with Retry-After is waited."""
    from tocsin.sync.replay import Fault

    replay = ReplayPublisher()
    rng = random.Random(9)
    for index in range(5):
        replay.field.odk.add(*odk_submission(index, rng))
    replay.faults = [Fault("/attachments", "expire-token", skip=2),
                     Fault(".svc/Submissions", "status", status=429, headers={"Retry-After": "3"}, skip=1),
                     Fault("/attachments/", "status", status=503)]
    sleeps: list[float] = []
    with serve(replay) as url:
        connector = odk_connector(url, 1, ODK_FORM, ODK_EMAIL, ODK_PASSWORD, page_size=2,
                                  retry={"attempts": 4, "backoff_s": 0.01}, sleep=sleeps.append)
        outcome = sync_reports(setup.store, connector, "badr")
    assert (outcome.reports, outcome.attachments, outcome.problems) == (5, 5, [])
    assert replay.requests.count("POST /v1/sessions") == 2  # logged in, then again after the 401
    assert 3.0 in sleeps and 0.01 in sleeps                 # Retry-After, then the backoff
    assert not connector.central._folder.exists()  # pyodk's config and token files are gone


def test_odk_errors_name_the_source_request_and_reply(setup: IntakeSetup) -> None:
    from tocsin.sync.replay import Fault

    replay = ReplayPublisher()
    replay.field.odk.add(*odk_submission(0))
    replay.faults = [Fault(".svc/Submissions", "html")]
    with serve(replay) as url, pytest.raises(SyncError) as caught:
        sync_reports(setup.store, odk_connector(url, 1, ODK_FORM, ODK_EMAIL, ODK_PASSWORD), "badr")
    message = str(caught.value)
    assert message.startswith("odk: GET ") and ".svc/Submissions" in message and "HTML" in message
    assert ODK_PASSWORD not in message
