"""Must-show: a KoboToolbox replay server on 127.0.0.1 with 50 Arabic submissions (invented
content, real layout, photos attached); sync, kill at random points, sync again: 50 reports,
every attachment in the locker once, `evidence verify` clean, nothing twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from intake_support import IntakeSetup
from sqlalchemy import func, select

from tocsin.evidence.verify import verify_locker
from tocsin.records.evidence_models import CustodyEntry, EvidenceItem
from tocsin.records.intake_models import FieldReport, FieldReportAttachment, IntakeBookmark
from tocsin.sync.field import sync_reports
from tocsin.sync.field_replay import KOBO_ASSET as ASSET
from tocsin.sync.field_replay import KOBO_TOKEN as TOKEN
from tocsin.sync.field_replay import arabic_submission
from tocsin.sync.kobo import kobo_connector
from tocsin.sync.replay import ReplayPublisher, serve

SUBMISSIONS = 50


def _filled(replay: ReplayPublisher, url: str, count: int) -> int:
    photos = 0
    rng = random.Random(16)
    for index in range(count):
        record, files = arabic_submission(index, server=url, photos=1 + index % 2, rng=rng)
        replay.field.kobo.add(record, files)
        photos += len(files)
    return photos


def _sync_command(setup: IntakeSetup, url: str) -> list[str]:
    home = str(setup.workspace.home)
    return [sys.executable, "-m", "tocsin.cli.main", "--home", home, "sync", "kobo",
            "--server", url, "--asset", ASSET, "--page-size", "5", "--as", "badr"]


def _held(setup: IntakeSetup) -> tuple[int, int]:
    with setup.store.sessions() as session:
        return (session.scalar(select(func.count()).select_from(FieldReport)) or 0,
                session.scalar(select(func.count()).select_from(EvidenceItem)) or 0)


def test_sync_killed_at_random_points_resumes_to_exactly_fifty(setup: IntakeSetup) -> None:
    # A page is stored as one batch: small pages and a server a little slow, so that the random
    # kills land inside the work (between reports and photos, inside a locker batch), not after.
    replay = ReplayPublisher(latency_s=0.02)
    with serve(replay) as url:
        photos = _filled(replay, url, SUBMISSIONS)
        env = {**os.environ, "TOCSIN_KOBO_TOKEN": TOKEN}
        rng = random.Random(7)
        cut_short = []
        for _ in range(3):
            before = _held(setup)
            process = subprocess.Popen(_sync_command(setup, url), env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)
            # Kill mid-work: once it has stored something new, after a random further moment
            # (between a report and its photos, inside a locker transaction, ...).
            deadline = time.monotonic() + 30
            while _held(setup) == before and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.4))
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                cut_short.append(_held(setup))
            process.wait(10)
        assert cut_short and all(reports < SUBMISSIONS for reports, _ in cut_short), cut_short
        final = subprocess.run(_sync_command(setup, url), env=env, capture_output=True, text=True,
                               timeout=120)
        assert final.returncode == 0, final.stderr
        # Once more, in process: nothing new, nothing twice.
        again = sync_reports(setup.store, kobo_connector(url, ASSET, TOKEN), "badr")
        assert (again.reports, again.attachments) == (0, 0)

    with setup.store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FieldReport)) == SUBMISSIONS
        assert (
            session.scalar(
                select(func.count())
                .select_from(FieldReportAttachment)
                .where(FieldReportAttachment.item_id.is_not(None))
            )
            == photos
        )
        assert session.scalar(select(func.count()).select_from(EvidenceItem)) == photos
        # Nothing twice: every instanceID once, every photo's hash once.
        assert session.scalar(select(func.count(func.distinct(FieldReport.instance_id)))) == SUBMISSIONS
        assert session.scalar(select(func.count(func.distinct(EvidenceItem.sha256)))) == photos
        bookmark = session.get(IntakeBookmark, f"kobo:{url}:{ASSET}")
        assert bookmark is not None and json.loads(bookmark.bookmark) == {"after": 1000 + SUBMISSIONS - 1}
        # The custody entry of each photo names the form, the submission and the collector's pseudonym.
        entry = session.scalars(select(CustodyEntry).where(CustodyEntry.action == "add")).first()
        assert entry is not None
        assert '"form":"aTocsinArabic01"' in entry.payload and '"submission":"uuid:' in entry.payload
        assert '"collector":"نجمة-' in entry.payload or '"collector":"\\u0646' in entry.payload
    verified = verify_locker(setup.store.locker)
    assert verified.ok, verified.findings


def test_connector_in_process_pages_and_keeps_bookmark_after_commit(setup: IntakeSetup) -> None:
    replay = ReplayPublisher()
    with serve(replay) as url:
        _filled(replay, url, 5)
        outcome = sync_reports(setup.store, kobo_connector(url, ASSET, TOKEN, page_size=2), "badr")
        assert (outcome.reports, outcome.duplicates, outcome.attachments) == (5, 0, 7)
        # Paged: 2 + 2 + 1, each page from the bookmark on.
        pages = [r for r in replay.requests if r.endswith(f"/api/v2/assets/{ASSET}/data/")]
        assert len(pages) == 3
        # New submissions later: only they are read.
        record, files = arabic_submission(5, server=url)
        replay.field.kobo.add(record, files)
        outcome = sync_reports(setup.store, kobo_connector(url, ASSET, TOKEN), "badr")
        assert (outcome.reports, outcome.duplicates) == (1, 0)


def test_wrong_token_is_a_clear_error(setup: IntakeSetup) -> None:
    import pytest

    from tocsin.sync.http import SyncError

    replay = ReplayPublisher()
    with serve(replay) as url, pytest.raises(SyncError, match="refused the credentials"):
        sync_reports(setup.store, kobo_connector(url, ASSET, "wrong"), "badr")


def test_kobo_retries_honour_retry_after_and_a_lost_photo_is_recorded(setup: IntakeSetup) -> None:
    """The sync base's client under Kobo: 503 and 429 (Retry-After) retried, a cut-short page
    is an error naming the request (nothing past the last stored page is taken), a photo the
    server lost (404) is a problem on its report, not a failure."""
    from tocsin.sync.http import SyncError
    from tocsin.sync.replay import Fault

    replay = ReplayPublisher()
    with serve(replay) as url:
        _filled(replay, url, 4)
        lost = next(iter(replay.field.kobo.files))
        del replay.field.kobo.files[lost]
        replay.faults = [Fault("/data/", "status", status=503),
                         Fault("/data/", "status", status=429, headers={"Retry-After": "5"}),
                         Fault("/data/", "truncate", skip=1)]
        sleeps: list[float] = []
        connector = kobo_connector(url, ASSET, TOKEN, page_size=2,
                                   retry={"attempts": 4, "backoff_s": 0.01}, sleep=sleeps.append)
        with pytest.raises(SyncError, match=r"kobo: GET .*/data/.* \(the body is cut short\)"):
            sync_reports(setup.store, connector, "badr")
        assert sleeps == [0.01, 5.0]
        assert _held(setup)[0] == 2  # the first page is stored, and its bookmark with it
        outcome = sync_reports(setup.store, kobo_connector(url, ASSET, TOKEN), "badr")
    assert (outcome.reports, outcome.duplicates) == (2, 0)
    problems = [p for r in setup.store.visible(setup.store.viewer("badr")) for p in r["problems"]]
    assert any("no such file (HTTP 404)" in p for p in problems), problems
