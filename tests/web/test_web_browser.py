"""The web app in a real browser (Debian's Chromium driven by Playwright) against a real server
(`tocsin serve`) on loopback. Screenshots go to test-artifacts/web/.

Without Chromium these tests skip, unless TOCSIN_REQUIRE_BROWSER=1 (CI), which makes them fail.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import PASSWORD, add_users

from tocsin.records.db import upgrade
from tocsin.web.testing import wait_until_serving
from tocsin.workspace import Workspace

CHROMIUM = os.environ.get("TOCSIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"burnt market, El Fasher" * 20


def _browser_missing(reason: str) -> None:
    if os.environ.get("TOCSIN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TOCSIN_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(web_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`tocsin serve` on a free loopback port, over a copy of the sample with its own users."""
    home = tmp_path_factory.mktemp("browser") / "ws"
    shutil.copytree(web_workspace.home, home)
    url = f"sqlite:///{home / 'records.sqlite'}"
    upgrade(url)
    add_users(url)
    ANALYSED["burned"] = _analyse(Workspace(home))
    # Each organisation's admin makes its evidence keys, as `tocsin keys create` does.
    saved = {name: os.environ.pop(name, None) for name in ("TOCSIN_DATABASE_URL", "TOCSIN_MASTER_KEY")}
    try:
        from tocsin.evidence.locker import EvidenceLocker

        locker = EvidenceLocker(Workspace(home))
        locker.create_keys("adam")
        locker.create_keys("sara")
        locker.close()
    finally:
        os.environ.update({name: value for name, value in saved.items() if value is not None})
    port = _free_port()
    env = {**os.environ, "TOCSIN_HOME": str(home), "TOCSIN_DATABASE_URL": url}
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed below, after the server stops
    process = subprocess.Popen([sys.executable, "-m", "tocsin.cli.main", "serve", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, lambda: (home / "server.log").read_text())
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


ANALYSED: dict[str, str] = {}  # what the server's workspace holds that the tests look for


def _analyse(workspace: Workspace) -> str:
    """The details an Arabic page must translate, not hide: burnings by the real detector (its
    reasons in English, as analysis/burnings.py writes them), and a forecast for El Fasher whose
    reasons are the forecast's own phrase pairs (analysis/reasons.py; fitting a model here would
    take minutes), one naming sides the forecast keeps in Latin script ("Arab v Gimir")."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from tocsin.analysis.reasons import actors, killed, where_violence
    from tocsin.jobs.runner import run_jobs
    from tocsin.lake import Lake

    lake = Lake(workspace.lake_dir)
    with workspace.write_lock():
        report = run_jobs(lake, ["burnings"], workspace=workspace)
    assert report.failed == {}, report.failed
    (fasher,) = lake.connect().execute("SELECT place_id FROM gazetteer WHERE name = 'El Fasher'").fetchone()
    near = where_violence((12.0, 45.0, 3, 39))
    sides, dead = actors("Arab", "Gimir"), killed(126)
    assert sides is not None
    reasons = [near, (f"fighting ({sides[0]}, {dead[0]})", f"قتال ({sides[1]}، {dead[1]})")]
    forecasts = pa.table({
        "place_id": [fasher], "as_of": [dt.date(2023, 12, 29)], "horizon_days": [30], "probability": [0.31],
        "model": ["test"], "reasons": [[en for en, _ in reasons]], "reasons_ar": [[ar for _, ar in reasons]]})
    staged = {"forecasts": lake.staging_path("forecasts", "derived")}
    pq.write_table(forecasts, staged["forecasts"])
    with workspace.write_lock():
        lake.replace_derived(staged, {"forecasts": "test"})
    (burned,) = lake.connect().execute(  # the place of the detector's highest-scoring burning
        "SELECT place_id FROM burnings WHERE place_id IS NOT NULL ORDER BY score DESC LIMIT 1").fetchone()
    return str(burned)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).is_file():
        _browser_missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _browser_missing(f"playwright is not installed: {exc}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _wait_for_places(page) -> None:  # type: ignore[no-untyped-def]
    """Leaflet has drawn the places (locators poll without evaluating strings, which the app's
    Content-Security-Policy forbids)."""
    page.locator("path.place-marker").nth(50).wait_for(state="attached", timeout=30_000)


def _log_in(page, server: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/map")


def test_log_in_see_the_map_open_el_fasher_switch_to_arabic(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(server + "/map")
    assert page.url.startswith(server + "/login")
    _log_in(page, server, "alice")
    cookie = next(c for c in context.cookies() if c["name"] == "tocsin_session")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # The map: boundaries and places drawn by Leaflet from Tocsin's own API.
    _wait_for_places(page)
    page.screenshot(path=str(ARTIFACTS / "01-map.png"))
    boundaries = page.locator("path.leaflet-interactive:not(.place-marker)")
    boundaries.first.wait_for(state="attached", timeout=30_000)
    assert boundaries.count() >= 60  # every state and locality of the sample
    page.screenshot(path=str(ARTIFACTS / "01-map.png"))

    # Find El Fasher by another spelling, and open its page.
    page.fill("header input[name=q]", "Al Fashir")
    page.press("header input[name=q]", "Enter")
    page.click("table.list a:text('El Fasher')")
    assert page.locator("h1").inner_text().startswith("El Fasher")
    assert "Events placed at this place" in page.content()
    page.screenshot(path=str(ARTIFACTS / "02-el-fasher.png"), full_page=True)

    # Switch to Arabic: the page turns right-to-left and names turn Arabic.
    from playwright.sync_api import expect

    page.click("#switch-language")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("h1").inner_text().startswith("الفاشر")
    page.screenshot(path=str(ARTIFACTS / "03-el-fasher-ar.png"), full_page=True)
    page.goto(server + "/map")
    _wait_for_places(page)
    page.screenshot(path=str(ARTIFACTS / "04-map-ar.png"))
    assert errors == [], errors
    context.close()


def test_pages_work_with_javascript_off(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _log_in(page, server, "victor")
    page.goto(server + "/places?q=Nyala")
    page.click("table.list a:text('Nyala')")
    assert page.locator("h1").inner_text().startswith("Nyala")
    page.screenshot(path=str(ARTIFACTS / "05-nyala-no-js.png"), full_page=True)
    context.close()


def test_upload_evidence_and_other_organisation_cannot_see_it(server: str, browser,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    photo = tmp_path / "market.png"
    photo.write_bytes(PHOTO)
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, server, "alice")  # analyst, Darfur Network
    page.goto(server + "/evidence/new")
    page.set_input_files("input[name=file]", str(photo))
    page.select_option("select[name=sensitivity]", "confidential")
    page.fill("textarea[name=description]", "witness photo of the market")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r".*/evidence/\d+$"))
    item = page.url.rsplit("/", 1)[1]
    assert "witness photo of the market" in page.content()
    page.screenshot(path=str(ARTIFACTS / "06-evidence-confidential.png"), full_page=True)
    context.close()

    other = browser.new_context()
    page = other.new_page()
    _log_in(page, server, "bashir")  # monitor, Sudan Witness
    page.goto(server + "/evidence")
    assert f"/evidence/{item}" not in page.content()
    response = page.goto(f"{server}/evidence/{item}")
    assert response is not None and response.status == 404
    assert "witness photo" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "07-evidence-other-org-404.png"), full_page=True)
    api = page.request.get(f"{server}/api/v1/evidence/{item}")
    assert api.status == 404 and "witness photo" not in api.text()
    content = page.request.post(f"{server}/api/v1/evidence/{item}/content")
    assert content.status == 404
    other.close()


# Latin-script words an Arabic page may show: tocsin.arabic.LATIN_NAMES (sources, the map
# library, commands a user types).
from tocsin.arabic import LATIN_NAMES as ARABIC_PAGE_NAMES  # noqa: E402


def _untranslated(page) -> set[str]:  # type: ignore[no-untyped-def]
    """Latin words in the page's main part, leaving out names marked as in another script: the
    place's English name (lang="en") and its other names (lang="und")."""
    text = page.locator("main").inner_text()
    for foreign in page.locator("main [lang=und], main [lang=en]").all_inner_texts():
        text = text.replace(foreign, " ")
    words = set(re.findall(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]", text))
    return words - ARABIC_PAGE_NAMES


def test_arabic_pages_have_no_untranslated_string(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """Map, place, siege board and alerts in Arabic: every string translated, screenshots kept."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    page = context.new_page()
    _log_in(page, server, "alice")
    page.goto(server + "/places?q=El Fasher")
    if page.locator("html").get_attribute("lang") != "ar":
        page.click("#switch-language")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(server + "/map")
    _wait_for_places(page)
    boundaries = page.locator("path.leaflet-interactive:not(.place-marker)")
    boundaries.first.wait_for(state="attached", timeout=30_000)
    assert boundaries.count() >= 19 + 64  # all Sudan's states and Darfur's localities
    page.screenshot(path=str(ARTIFACTS / "10-map-ar.png"))
    assert _untranslated(page) == set(), "map"
    page.goto(server + "/places?q=الفاشر")
    page.locator("table.list a").first.click()
    assert page.locator("h1").inner_text().startswith("الفاشر")
    page.screenshot(path=str(ARTIFACTS / "11-place-ar.png"), full_page=True)
    assert _untranslated(page) == set(), "place"
    # Details translated, not hidden: the siege evidence, the forecast's reasons (sides named in
    # Arabic), and below, a burning's reasons and confidence.
    evidence = page.locator("#stages li").all_inner_texts()
    assert evidence and all(re.search("[\u0600-\u06FF]", line) for line in evidence)
    reasons = page.locator("#forecast li").all_inner_texts()
    assert len(reasons) == 2 and "العرب" in reasons[1] and "القمر" in reasons[1]
    page.goto(f"{server}/places/{ANALYSED['burned']}")
    why = page.locator("#burnings li").all_inner_texts()
    assert why and all(re.search("[\u0600-\u06FF]", line) for line in why)
    assert page.locator("#burnings td").filter(has_text=re.compile("عالية|متوسطة|منخفضة")).count() > 0
    page.screenshot(path=str(ARTIFACTS / "11-burning-ar.png"), full_page=True)
    assert _untranslated(page) == set(), "place with a burning"
    for name in ("siege", "alerts"):
        page.goto(f"{server}/{name}")
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.screenshot(path=str(ARTIFACTS / f"12-{name}-ar.png"), full_page=True)
        assert _untranslated(page) == set(), name
    context.close()
