"""A process killed at any point of an add leaves a locker that verifies, and nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from evidence_support import LockerSetup
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.evidence.verify import verify_locker

CONTENT = os.urandom(3 << 20)  # several chunks


def add_until(setup: LockerSetup, file: Path, pause: str, marker: Path) -> subprocess.Popen:
    env = {**os.environ, "TOCSIN_HOME": str(setup.workspace.home),
           "TOCSIN_TEST_PAUSE": f"{pause}:60", "TOCSIN_TEST_PAUSE_MARKER": str(marker)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tocsin.cli.main", "evidence", "add", str(file), "--collector",
         "Musa", "--captured-at", "2024-05-10T14:30Z", "--sensitivity", "confidential", "--as",
         "amira"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the add never reached its pause point"
        time.sleep(0.05)
    return proc


@pytest.mark.parametrize(("pause", "recorded"), [
    ("evidence-blob-written", False),  # content in tmp/, not yet a blob
    ("evidence-before-commit", False),  # blob stored, database transaction open
    ("evidence-before-mirror", True),  # committed, custody.jsonl not yet appended
])
def test_killed_add_leaves_a_consistent_locker(sqlite_setup: LockerSetup, tmp_path: Path,
                                               pause: str, recorded: bool) -> None:
    setup = sqlite_setup
    setup.add(b"an earlier item", "earlier.jpg", sensitivity="restricted")
    proc = add_until(setup, setup.file("video.mp4", CONTENT), pause, tmp_path / "marker")
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    assert len(setup.locker.items()) == (2 if recorded else 1)
    result = CliRunner().invoke(app, ["--home", str(setup.workspace.home), "evidence", "verify",
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert not any(setup.locker.store.tmp_dir.iterdir())  # half-written content swept away
    # The locker goes on: the same file added again verifies, and so does everything.
    again = setup.add(CONTENT, "video.mp4", sensitivity="confidential")
    assert again == (3 if recorded else 2)
    report = verify_locker(setup.locker)
    assert report.ok, report.findings
    if pause == "evidence-before-commit":  # the orphan blob is reported, never deleted
        assert any("belongs to no item" in note for note in report.notes)


def test_killed_delete_finishes_on_the_next_command(sqlite_setup: LockerSetup,
                                                    tmp_path: Path) -> None:
    """Committed but killed before its mirror line and the removal of the content."""
    setup = sqlite_setup
    item = setup.add(b"identifying photo", "id.jpg", sensitivity="confidential")
    blobs = set(setup.locker.store.all_blobs())
    env = {**os.environ, "TOCSIN_HOME": str(setup.workspace.home),
           "TOCSIN_TEST_PAUSE": "evidence-before-mirror:60",
           "TOCSIN_TEST_PAUSE_MARKER": str(tmp_path / "marker")}
    proc = subprocess.Popen([sys.executable, "-m", "tocsin.cli.main", "evidence", "delete",
                             str(item), "--reason", "witness at risk", "--as", "amira"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (tmp_path / "marker").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert set(setup.locker.store.all_blobs()) == blobs  # the content outlived the kill ...
    result = CliRunner().invoke(app, ["--home", str(setup.workspace.home), "evidence", "verify"])
    assert result.exit_code == 0, result.output
    assert "repaired: removed the content of a deleted item" in result.output
    assert setup.locker.store.all_blobs() == {}  # ... until the next command finished the job
