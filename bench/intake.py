"""Field intake at scale: N Arabic submissions with photos from a KoboToolbox replay server on
127.0.0.1, through `tocsin sync kobo` into the records database and the evidence locker,
against copying the same files with `cp` and hashing them with `sha256sum` (same run).

    .venv/bin/python bench/intake.py --submissions 10000     # the issue's size
    .venv/bin/python bench/intake.py --submissions 200       # while developing
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import measure

from tocsin.evidence.locker import EvidenceLocker
from tocsin.records.accounts import add_organisation, add_user
from tocsin.records.db import session_factory
from tocsin.sync.field_replay import KOBO_ASSET as ASSET
from tocsin.sync.field_replay import KOBO_TOKEN as TOKEN
from tocsin.sync.field_replay import arabic_submission
from tocsin.sync.replay import ReplayPublisher, serve
from tocsin.workspace import Workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-intake-") as tmp:
        root = Path(tmp)
        workspace = Workspace(root / "ws")
        workspace.init()
        with session_factory(workspace.database_url)() as session, session.begin():
            add_organisation(session, "Bench Network")
            add_user(session, "admin", "Bench Network", "admin")
        locker = EvidenceLocker(workspace)
        locker.create_keys("admin")
        locker.close()
        replay = ReplayPublisher()
        with serve(replay) as url:
            rng = random.Random(1)
            raw = root / "raw"
            raw.mkdir()
            for index in range(args.submissions):
                record, files = arabic_submission(index, server=url, photos=1 + index % 2, rng=rng)
                replay.field.kobo.add(record, files)
                for path, content in files.items():
                    (raw / Path(path).name).write_bytes(content)
            photos = len(replay.field.kobo.files)
            env = {**os.environ, "TOCSIN_KOBO_TOKEN": TOKEN}
            sync_s, sync_mb, _ = measure(
                [
                    sys.executable,
                    "-m",
                    "tocsin.cli.main",
                    "--home",
                    str(workspace.home),
                    "sync",
                    "kobo",
                    "--server",
                    url,
                    "--asset",
                    ASSET,
                    "--as",
                    "admin",
                ],
                env,
            )
        copy = root / "copy"
        script = f"mkdir -p {copy} && cp {raw}/* {copy}/ && sha256sum {copy}/* > {root}/sums.txt && sync"
        base_s, base_mb, _ = measure(["bash", "-c", script])
        check = subprocess.run(
            [sys.executable, "-m", "tocsin.cli.main", "--home", str(workspace.home), "evidence", "verify"],
            capture_output=True,
            text=True,
        )
    print(f"submissions: {args.submissions}, photos: {photos}")
    print(
        f"tocsin sync kobo (fetch, parse, place, encrypt, locker, custody): {sync_s:.2f} s, "
        f"peak {sync_mb:.0f} MB, {args.submissions / sync_s:.0f} submissions/s"
    )
    print(f"baseline cp + sha256sum of the same photos: {base_s:.2f} s, peak {base_mb:.0f} MB")
    print(f"ratio tocsin/baseline: {sync_s / base_s:.1f}x")
    print(f"evidence verify: exit {check.returncode}")


if __name__ == "__main__":
    main()
