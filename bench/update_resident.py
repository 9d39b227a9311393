"""The one-day update in a process that stays up, as `tocsin update --every 1h` runs: the run
before it (here every job, `--no-sync --force`) has imported the modules and warmed what a
process keeps, then the day's update (`update acled`: sync the new day, rebuild what it
changed) is timed in the same process. As under `--every`, the brief's PDF renderers the first
run starts are kept for the second (report.pdf_workers.kept_between_runs). bench/update.py
--resident runs it in a child of its own and reads the last line it prints (JSON: wall and CPU
seconds of each run; CPU counts the renderers', kept ones included). As under `--every`, the
command line is built once, for both runs."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any


def cpu_seconds() -> float:
    """This process's, its finished children's and its kept PDF renderers' user + system time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + kept_renderers_cpu()


def kept_renderers_cpu() -> float:
    """User + system seconds of the renderers still running (Linux: /proc/PID/stat)."""
    from tocsin.report import pdf_workers

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pdf_workers.kept_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:   # ended since: counted in RUSAGE_CHILDREN once reaped
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks   # utime, stime
    return total


def timed(command: Any, argv: list[str]) -> tuple[float, float]:
    wall, used = time.perf_counter(), cpu_seconds()
    try:
        command.main(argv, standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            raise
    return time.perf_counter() - wall, cpu_seconds() - used


def main() -> None:
    import typer.main

    from tocsin.cli.main import app
    from tocsin.report.pdf_workers import kept_between_runs

    # The command line is built once, as under `--every`, whose loop runs inside one command
    # (Typer builds it from the functions' signatures in about 0.4 s).
    command = typer.main.get_command(app)
    home = ["--home", sys.argv[1]]
    with kept_between_runs():
        before = timed(command, [*home, "update", "--no-sync", "--force", "--json"])
        day = timed(command, [*home, "update", "acled", "--json"])
    print(json.dumps({"before": before, "day": day}))


if __name__ == "__main__":
    main()
