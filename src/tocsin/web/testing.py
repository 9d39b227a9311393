"""Helpers for driving a real `tocsin serve` from tests and benchmarks."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import httpx


def wait_until_serving(base_url: str, process: subprocess.Popen[bytes],
                       why_not: Callable[[], str], timeout_s: float = 60.0) -> None:
    """Return once ``base_url``/healthz answers 200; raise RuntimeError with ``why_not()`` (the
    server's output) if the process exits or ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"tocsin serve did not start:\n{why_not()}")
        time.sleep(0.2)
