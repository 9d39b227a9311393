"""Kill `tocsin sync` at random moments against the replay server: the next run ends with
exactly the events the server holds, none twice, none lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from tocsin.sync.replay import ReplayTransport, invented_acled_events, serve
from tocsin.workspace import Workspace

from .sync_support import credentials_env, publisher, run, visible, write_settings
from .sync_support import settings as source_settings


def _sync(home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tocsin.cli.main", "--home", str(home), "sync",
                             "acled", "ucdp"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def test_kill_at_random_points_then_resume_exactly(tmp_path: Path) -> None:
    pub = publisher(acled=150, ucdp=150, latency_s=0.01)
    workspace = Workspace(tmp_path / "ws")
    rng = random.Random(12)
    with serve(pub) as url:
        write_settings(workspace, source_settings(url, page=20))
        env = {**os.environ, **credentials_env()}
        # 1: killed while a batch's files are in place but its manifest is not written.
        marker = tmp_path / "paused"
        paused = _sync(workspace.home, {**env, "TOCSIN_TEST_PAUSE": "before-manifest:60",
                                        "TOCSIN_TEST_PAUSE_MARKER": str(marker)})
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and paused.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), paused.stderr.read() if paused.stderr else ""
        paused.send_signal(signal.SIGKILL)
        paused.wait()
        # 2-3: killed at random moments (a run takes a few seconds: start, pages, commits).
        for _ in range(2):
            victim = _sync(workspace.home, env)
            time.sleep(rng.uniform(1.0, 4.0))
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            # The publisher moves on meanwhile: a deletion and new events.
            pub.acled_deleted.append({"event_id_cnty": pub.acled_events[rng.randrange(150)]["event_id_cnty"],
                                      "deleted_timestamp": str(1_750_000_000 + len(pub.acled_deleted))})
        pub.acled_events += invented_acled_events(15, timestamp=1_760_000_000, first_id=5000)
        final = _sync(workspace.home, env)
        _, errors = final.communicate(timeout=240)
        assert final.returncode == 0, errors.decode()
    acled = [i for i, _ in visible(workspace, "acled")]
    assert acled == sorted(pub.held_acled_ids())              # exactly what ACLED holds
    assert len(acled) == len(set(acled))                      # none twice
    ucdp = [i for i, _ in visible(workspace, "ucdp-ged")]
    assert ucdp == sorted(str(e["id"]) for e in pub.ucdp_releases["24.1"])


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["add", "correct", "delete", "sync"]),
                                st.integers(0, 10_000)), min_size=1, max_size=6))
def test_any_history_of_changes_and_syncs_ends_in_step(tmp_path_factory, steps) -> None:
    """Whatever ACLED adds, corrects and deletes between syncs, a sync leaves the workspace
    showing exactly ACLED's events, each once, with its latest values."""
    workspace = Workspace(tmp_path_factory.mktemp("ws"))
    pub = publisher(acled=12)
    transport = ReplayTransport(pub)
    values = source_settings("http://replay", page=5)["acled"]
    clock = 1_710_000_000
    for action, n in steps:
        clock += 100
        live = sorted(pub.held_acled_ids())
        if action == "add":
            pub.acled_events += invented_acled_events(1 + n % 7, timestamp=clock, first_id=100 + clock)
        elif action == "correct" and live:
            event = next(e for e in pub.acled_events if e["event_id_cnty"] == live[n % len(live)])
            event.update(fatalities=str(n % 50), timestamp=str(clock))
        elif action == "delete" and live:
            pub.acled_deleted.append({"event_id_cnty": live[n % len(live)], "deleted_timestamp": str(clock)})
        else:
            assert run(workspace, "acled", transport, values).ok
    assert run(workspace, "acled", transport, values).ok
    expected = sorted((e["event_id_cnty"], int(e["fatalities"])) for e in pub.acled_events
                      if e["event_id_cnty"] in pub.held_acled_ids())
    assert visible(workspace, "acled") == expected
