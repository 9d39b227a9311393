"""The one-day update in a process that stays up, as `tocsin update --every 1h` runs: the run
before it (here every job, `--no-sync --force`) has imported the modules and warmed what a
process keeps, then the day's update (`update acled`: sync the new day, rebuild what it
changed) is timed in the same process. bench/update.py --resident runs it in a child of its
own and reads the last line it prints (JSON: wall and CPU seconds of each run)."""

from __future__ import annotations

import json
import resource
import sys
import time


def cpu_seconds() -> float:
    """This process's and its finished children's (the PDF renderers') user + system time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(argv: list[str]) -> tuple[float, float]:
    from tocsin.cli.main import app

    wall, used = time.perf_counter(), cpu_seconds()
    try:
        app(argv, standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            raise
    return time.perf_counter() - wall, cpu_seconds() - used


def main() -> None:
    home = ["--home", sys.argv[1]]
    before = timed([*home, "update", "--no-sync", "--force", "--json"])
    day = timed([*home, "update", "acled", "--json"])
    print(json.dumps({"before": before, "day": day}))


if __name__ == "__main__":
    main()
