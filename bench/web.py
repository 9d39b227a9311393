"""Benchmark: the web API under 50 concurrent clients, against /healthz on the same server.

    .venv/bin/python bench/web.py [--seconds 5] [--rounds 3] [--clients 50] [--logins 10] [--workers 1]

One scenario has ``--logins`` of the clients logging in through the form again and again (GET
/login, POST /login with its CSRF token: an argon2 check and a session write each) while the
others read place pages: no request may fail with a 5xx (issue 14: simultaneous logins gave
"database is locked"); login p95 is reported.

Builds a workspace from the bundled Darfur sample (kept in bench/out/web-ws between runs), starts
`tocsin serve` on loopback, and drives it with N concurrent keep-alive clients (asyncio streams,
one process), authenticated with an API token as a script would be, for a fixed time per
endpoint, in rounds that alternate the endpoints. The baseline is /healthz on the same server
in the same run (no auth, no lake): the ratios say how much of the cost is Tocsin's and how
much is the HTTP stack and the load generator, which share the machine's cores with the server.
Reports requests per second (median of rounds), p50/p95/p99 latency (over all requests) and the
server's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import OUT, ROOT

sys.path.insert(0, str(ROOT / "src"))


def build_workspace(home: Path) -> tuple[str, list[str]]:
    """The sample ingested once; a bench user with an API token. Returns (token, place ids)."""
    from sqlalchemy import select

    from tocsin.cli.demo import SAMPLE_FILES, SYNCED_FILES, bundled_sample
    from tocsin.ingest import ingest_paths, rebuild_derived
    from tocsin.lake import Lake
    from tocsin.records.db import session_factory
    from tocsin.records.models import Organisation, User
    from tocsin.web.auth import create_api_token
    from tocsin.workspace import Workspace

    workspace = Workspace(home)
    if not (home / ".bench-complete").exists():
        shutil.rmtree(home, ignore_errors=True)
        workspace.init()
        for kind, name in [*SAMPLE_FILES, *SYNCED_FILES]:
            outcome = ingest_paths(workspace, kind, [bundled_sample() / name], rebuild=False)
            if outcome.errors:
                raise SystemExit(f"ingest of {name} failed: {outcome.errors}")
        rebuild_derived(workspace)
        (home / ".bench-complete").write_text("ok\n")
    sessions = session_factory(f"sqlite:///{home / 'records.sqlite'}")
    with sessions() as db:
        user = db.scalar(select(User).where(User.username == "bench"))
        if user is None:
            user = User(username="bench", display_name="Bench", role="analyst",
                        organisation=Organisation(name="Bench"), password_hash=None)
            db.add(user)
            db.commit()
        if db.scalar(select(User).where(User.username == "bench-login-0")) is None:
            from tocsin.web.auth import hash_password

            hashed = hash_password(LOGIN_PASSWORD)
            for n in range(LOGIN_USERS):
                db.add(User(username=f"bench-login-{n}", display_name="Bench", role="viewer",
                            organisation_id=user.organisation_id, password_hash=hashed))
            db.commit()
        token = create_api_token(db, user.id, "bench")
    con = Lake(workspace.lake_dir).connect()
    places = [r[0] for r in con.execute(
        "SELECT place_id FROM gazetteer WHERE place_class IN ('city', 'town') "
        "ORDER BY importance DESC LIMIT 40").fetchall()]
    return token, places


LOGIN_PASSWORD = "a bench passphrase of some length"
LOGIN_USERS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection, written by hand: httpx's client costs several times
    more CPU per request than the server being measured, on the same cores."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                     "Accept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        return (await self.request(f"GET {path} HTTP/1.1\r\n".encode() + self.head))[0]

    async def request(self, raw: bytes) -> tuple[int, list[str], bytes]:
        """Send one request; returns status, Set-Cookie values and the body (dechunked)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked, closing, cookies = 0, False, False, []
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and "close" in value:
                closing = True
            elif name == "set-cookie":
                cookies.append(value.strip())
        body = b""
        if chunked:
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                body += (await self.reader.readexactly(size + 2))[:-2]
                if size == 0:
                    break
        elif length:
            body = await self.reader.readexactly(length)
        if closing:
            self.writer.close()
            self.writer = None
        return status, cookies, body

    async def log_in(self, username: str) -> int:
        """The login form, as a browser fills it: returns the POST's status (303 when in)."""
        import re
        from urllib.parse import urlencode

        page = (f"GET /login HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                "Connection: keep-alive\r\n\r\n").encode()
        status, cookies, body = await self.request(page)
        match = re.search(rb'name="csrf_token" value="([^"]+)"', body)
        cookie = next((c.split(";")[0] for c in cookies if c.startswith("tocsin_login_csrf=")), "")
        if status != 200 or match is None or not cookie:
            return status if status != 200 else 599
        form = urlencode({"username": username, "password": LOGIN_PASSWORD,
                          "csrf_token": match.group(1).decode(), "next": "/map"}).encode()
        post = (f"POST /login HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nCookie: {cookie}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(form)}\r\nConnection: keep-alive\r\n\r\n").encode() + form
        return (await self.request(post))[0]


async def drive(base: str, token: str, paths: list[str], clients: int, seconds: float) -> dict[str, float]:
    """``clients`` concurrent loops, each on its own connection, requesting a random path from
    ``paths`` until time is up; returns throughput and latency percentiles."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    failures = 0
    warm = Connection(host, int(port), token)
    for path in set(paths):  # the first request builds the cache entry: not what is measured
        if await warm.get(path) != 200:
            raise SystemExit(f"GET {path} failed")
    stop = time.perf_counter() + seconds

    async def loop(seed: int) -> None:
        nonlocal failures
        rng = random.Random(seed)
        connection = Connection(host, int(port), token)
        while time.perf_counter() < stop:
            start = time.perf_counter()
            if await connection.get(rng.choice(paths)) != 200:
                failures += 1
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {"requests": len(latencies), "failures": failures, "rps": len(latencies) / elapsed,
            "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "mean_ms": 1000 * statistics.fmean(latencies), "latencies": latencies}


async def drive_logins(base: str, token: str, paths: list[str], clients: int, logins: int,
                       seconds: float) -> dict[str, Any]:
    """``clients`` concurrent loops of which ``logins`` log in again and again (each as its own
    user) while the others read ``paths``; any 5xx is counted."""
    host, port = base.removeprefix("http://").split(":")
    reads: list[float] = []
    login_times: list[float] = []
    server_errors = failures = 0
    stop = time.perf_counter() + seconds

    async def loop(n: int) -> None:
        nonlocal server_errors, failures
        rng = random.Random(n)
        connection = Connection(host, int(port), token)
        while time.perf_counter() < stop:
            start = time.perf_counter()
            if n < logins:
                status = await connection.log_in(f"bench-login-{n % LOGIN_USERS}")
                login_times.append(time.perf_counter() - start)
                ok = status == 303
            else:
                status = await connection.get(rng.choice(paths))
                reads.append(time.perf_counter() - start)
                ok = status == 200
            failures += not ok
            server_errors += status >= 500

    began = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    return {"reads": reads, "logins": login_times, "elapsed": elapsed, "failures": failures,
            "server_errors": server_errors}


def pooled(rounds: list[dict[str, Any]], baseline_rps: list[float]) -> dict[str, float]:
    """One scenario over all rounds: percentiles over every request, rps and the ratio to the
    baseline as medians of the rounds (each round's ratio against that round's baseline)."""
    latencies = sorted(x for r in rounds for x in r["latencies"])

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {"requests": len(latencies), "failures": sum(r["failures"] for r in rounds),
            "rps": statistics.median(r["rps"] for r in rounds),
            "ratio": statistics.median(r["rps"] / b for r, b in zip(rounds, baseline_rps, strict=True)),
            "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--logins", type=int, default=10,
                        help="clients logging in concurrently in the login scenario")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    home = OUT / "web-ws"
    OUT.mkdir(parents=True, exist_ok=True)
    token, places = build_workspace(home)
    port = free_port()
    env = {**os.environ, "TOCSIN_HOME": str(home),
           "TOCSIN_DATABASE_URL": f"sqlite:///{home / 'records.sqlite'}"}
    command = [sys.executable, "-m", "tocsin.cli.main", "serve", "--port", str(port),
               "--workers", str(args.workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    from tocsin.web.testing import wait_until_serving

    try:
        try:
            wait_until_serving(base, server, lambda: server.stderr.read().decode() if server.stderr else "")
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None
        scenarios = {
            "baseline /healthz": ["/healthz"],
            "map places, overview (zoom 6)": ["/api/v1/map/places?zoom=6"],
            "map boundaries (zoom 6..10)": [f"/api/v1/map/areas?zoom={z}" for z in range(6, 11)],
            "map places, zoomed in (zoom 11, 12 views)": [
                f"/api/v1/map/places?zoom=11&bbox={lon:.2f},{lat:.2f},{lon + 0.6:.2f},{lat + 0.4:.2f}"
                for lon, lat in [(22 + 0.5 * i, 11 + 0.5 * j) for i in range(4) for j in range(3)]],
            "place API, 40 towns": [f"/api/v1/places/{p}" for p in places],
            "place page (HTML), 40 towns": [f"/places/{p}" for p in places],
        }
        print(f"{args.clients} concurrent clients, {args.rounds} rounds of {args.seconds:.0f} s per "
              "endpoint, "
              f"uvicorn workers: {args.workers}, CPU cores: {os.cpu_count()}, load average before: "
              f"{os.getloadavg()[0]:.1f}")
        # Rounds alternate the scenarios, so a neighbour's burst on the shared machine does not
        # land on one endpoint only.
        per_round: dict[str, list[dict[str, Any]]] = {name: [] for name in scenarios}
        for _ in range(args.rounds):
            for name, paths in scenarios.items():
                per_round[name].append(asyncio.run(drive(base, token, paths, args.clients, args.seconds)))
        baseline_rps = [r["rps"] for r in per_round["baseline /healthz"]]
        results = {name: pooled(rounds, baseline_rps) for name, rounds in per_round.items()}
        print(f"{'endpoint':<44} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'rps vs base':>12} "
              f"{'fail':>5}")
        for name, r in results.items():
            print(f"{name:<44} {r['rps']:>8.0f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                  f"{r['ratio']:>12.2f} {r['failures']:>5}")
        login_rounds = [asyncio.run(drive_logins(base, token, scenarios["place API, 40 towns"],
                                                 args.clients, args.logins, args.seconds))
                        for _ in range(args.rounds)]
        logins = sorted(x for r in login_rounds for x in r["logins"])
        reads = sorted(x for r in login_rounds for x in r["reads"])

        def p95(values: list[float]) -> float:
            return 1000 * values[min(len(values) - 1, int(0.95 * len(values)))] if values \
                else float("nan")

        errors = sum(r["server_errors"] for r in login_rounds)
        print(f"{args.logins} of {args.clients} clients logging in: {len(logins)} logins, p95 "
              f"{p95(logins):.0f} ms; {len(reads)} place reads meanwhile, p95 {p95(reads):.1f} ms; "
              f"5xx: {errors}; other failures: {sum(r['failures'] for r in login_rounds) - errors}")
        peak = peak_rss_mb(server.pid)
        print(f"server peak memory (VmHWM of the uvicorn process): {peak:.0f} MB")
        results["logins"] = {"logins": len(logins), "login_p95_ms": p95(logins),
                             "reads": len(reads), "read_p95_ms": p95(reads), "server_errors": errors}
        (OUT / "web.json").write_text(json.dumps({"args": vars(args), "results": results,
                                                  "server_peak_mb": peak}, indent=1))
        if errors:
            raise SystemExit(f"{errors} requests failed with a 5xx")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
