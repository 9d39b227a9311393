"""The brief: rendered to PDF, then read back as a person would see it (pages as PNG, text)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tocsin import arabic
from tocsin.cli.main import app
from tocsin.lake import Lake
from tocsin.report.brief import latest_date, write_brief
from tocsin.workspace import Workspace

SAMPLE_FOLDER = Path(__file__).resolve().parents[2] / "data" / "sample"
AS_OF = date(2023, 11, 30)  # Ardamata and El Geneina, November 2023: the sample's worst month
START = date(2023, 11, 1)


@pytest.fixture(autouse=True, scope="module")
def _poppler() -> None:
    """The pages are read with poppler-utils; CI (TOCSIN_REQUIRE_PDF_TOOLS=1) must have it."""
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        message = "poppler-utils (pdftoppm, pdftotext) is not installed"
        if os.environ.get("TOCSIN_REQUIRE_PDF_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)


def pages_as_png(pdf: Path, folder: Path, dpi: int = 40) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / pdf.stem)],
                   check=True)
    return sorted(folder.glob(f"{pdf.stem}*.png"))


def page_texts(pdf: Path, layout: bool = True) -> list[str]:
    """Each page's text; ``layout`` False reads each table cell whole (in reading order)."""
    text = subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    """Text without bidi marks and spaces: pdftotext splits Arabic words at some ligatures."""
    return re.sub(r"[\s\u200e\u200f\u202a-\u202e]", "", text)


def page_pixels(pdf: Path, page: int) -> list[tuple[int, int, int]]:
    """RGB pixels of one page (pdftoppm's PPM output, parsed here)."""
    ppm = subprocess.run(["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page), str(pdf)],
                         check=True, capture_output=True).stdout
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    assert header, "pdftoppm did not write a binary PPM"
    body = ppm[header.end():]
    return [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]  # type: ignore[misc]


@pytest.fixture(scope="module")
def briefs(sample_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("briefs")
    return {lang: write_brief(sample_workspace, AS_OF, lang, out).pdf for lang in ("en", "ar")}


def test_pages_render_and_hold_every_section(briefs: dict[str, Path], tmp_path: Path) -> None:
    pages = pages_as_png(briefs["en"], tmp_path)
    assert 2 <= len(pages) <= 6, "a brief is read in five minutes: a few pages, not one or twenty"
    assert all(p.stat().st_size > 2000 for p in pages)
    text = "\n".join(page_texts(briefs["en"]))
    for heading in ("Key judgements", "Map", "Siege board", "Places most at risk",
                    "Settlement burnings in the period", "Violence against civilians",
                    "Killings of civilians", "Sexual violence", "Attacks on displaced people's camps",
                    "Identity-based targeting signals", "What changed", "Sources, coverage and lag",
                    "What the data cannot see"):
        assert heading in text, heading
    assert "not verdicts" in text
    # The places of the month: El Geneina (Ardamata's massacre counts in it) and El Fasher.
    assert "Al-Junaynah" in text and "El Fasher" in text


def test_the_annex_opens_with_the_map_of_the_whole_country(briefs: dict[str, Path]) -> None:
    pixels = page_pixels(briefs["en"], 2)
    land = sum(1 for p in pixels if p == (236, 232, 223))  # state and locality fill
    events = sum(1 for r, g, b in pixels if r > 170 and g < 140 and b < 130)  # red markers
    assert land > 0.15 * len(pixels), "the map of the whole country does not fill page 2"
    assert events > 5, "no event markers drawn on the map"


def test_arabic_edition_is_right_to_left_with_arabic_place_names(briefs: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    html = briefs["ar"].with_suffix(".html").read_text()
    assert '<html lang="ar" dir="rtl">' in html
    assert "الجنينة" in html and "الفاشر" in html  # El Geneina and El Fasher, standard spellings
    assert pages_as_png(briefs["ar"], tmp_path)
    text = flat("\n".join(page_texts(briefs["ar"])))
    for phrase in ("الأحكام الرئيسية", "مؤشرات الاستهداف على أساس الهوية", "لوحة الحصار", "الجنينة"):
        assert flat(phrase) in text, phrase


def test_numbers_in_the_brief_match_the_workspace(sample_workspace: Workspace,
                                                  briefs: dict[str, Path]) -> None:
    con = Lake(sample_workspace.lake_dir).connect()
    attacks, attack_deaths = con.execute(
        "SELECT count(*), sum(fatalities) FROM events WHERE category = 'attack_on_civilians' "
        "AND date_end BETWEEN ? AND ?", [START, AS_OF]).fetchone()
    assert attacks > 0
    text = " ".join(" ".join(page_texts(briefs["en"])).split())
    assert attack_deaths > 0

    data = json.loads(briefs["en"].with_suffix(".json").read_text())
    by_category = dict(con.execute(
        "SELECT category, count(*) FROM events WHERE date_end BETWEEN ? AND ? GROUP BY 1",
        [START, AS_OF]).fetchall())
    assert {r["category"]: r["events"] for r in data["by_category"]} == by_category
    sources = {(r["table"], r["source"]): r["rows"] for r in data["sources"]}
    assert sources[("events", "ucdp-ged")] == con.execute(
        "SELECT count(*) FROM events WHERE date_start <= ?", [AS_OF]).fetchone()[0]
    # The place with most deaths in the period, by the workspace's own links, each sub-place's
    # deaths counted in its town.
    deaths = town_totals(sample_workspace, "sum(e.fatalities)", "TRUE")
    top = max(deaths.items(), key=lambda item: item[1])
    assert (data["top_places"][0]["name"], data["top_places"][0]["deaths"]) == top
    assert "DTM" in text


def test_nothing_after_the_as_of_date_is_counted(sample_workspace: Workspace, tmp_path: Path) -> None:
    """A brief as of a day says what was known that day: later events are not in it."""
    written = write_brief(sample_workspace, date(2023, 4, 20), "en", tmp_path, days=10)
    data = json.loads(written.data.read_text())
    con = Lake(sample_workspace.lake_dir).connect()
    known = con.execute("SELECT count(*) FROM events WHERE date_end BETWEEN '2023-04-11' AND "
                        "'2023-04-20' AND category NOT IN ('protest', 'riot', 'other')").fetchone()[0]
    assert data["totals"]["events"] == known
    assert data["last_event"] <= "2023-04-20"


def test_what_changed_compares_with_the_previous_brief(sample_workspace: Workspace,
                                                       tmp_path: Path) -> None:
    first = json.loads(write_brief(sample_workspace, date(2023, 10, 31), "en", tmp_path).data.read_text())
    assert first["changes"]["basis"]["kind"] == "window"
    second = json.loads(write_brief(sample_workspace, AS_OF, "en", tmp_path).data.read_text())
    assert second["changes"]["basis"] == {"kind": "previous", "previous": "2023-10-31"}
    rows = {r["measure"]: r for r in second["changes"]["rows"]}
    assert rows["events"]["before"] == first["totals"]["events"]
    assert rows["events"]["change"] == second["totals"]["events"] - first["totals"]["events"]


def test_identity_signals_are_signals_with_their_events(briefs: dict[str, Path]) -> None:
    data = json.loads(briefs["en"].with_suffix(".json").read_text())
    signals = {s["signal"]: s for s in data["signals"]}
    assert "mass_killing" in signals  # Ardamata, 4-6 November 2023
    assert all(len(s["event_uids"]) == s["events"] for s in data["signals"])
    assert all(e["fatalities"] >= 25 for e in signals["mass_killing"]["examples"])


def store_burnings(sample_workspace: Workspace, home: Path, named: bool = True, strong: int = 1
                   ) -> tuple[Workspace, list[tuple[Any, ...]]]:
    """A copy of the sample with burnings on 2023-11-20 at villages of its gazetteer, named or
    (HIU's surveyed villages) unnamed: ``strong`` of high confidence, strongest first, then one
    of low confidence."""
    shutil.copytree(sample_workspace.home, home)
    workspace = Workspace.at(home)
    lake = Lake(workspace.lake_dir)
    con = lake.connect()
    villages = con.execute("SELECT place_id, name, place_class, latitude, longitude FROM gazetteer "
                           f"WHERE place_class = 'village' AND name IS {'NOT' if named else ''} NULL "
                           f"ORDER BY place_id LIMIT {strong + 1}").fetchall()
    assert len(villages) == strong + 1
    n = len(villages)
    first = pa.array([date(2023, 11, 20)] * n, pa.date32()).cast(pa.timestamp("us", "UTC"))
    table = pa.table({
        "burning_id": [f"b{i + 1}" for i in range(n)], "place_id": [v[0] for v in villages],
        "place_name": [v[1] for v in villages], "place_class": [v[2] for v in villages],
        "latitude": [v[3] for v in villages], "longitude": [v[4] for v in villages],
        "first_detection": first, "last_detection": first,
        "detections": pa.array([17 + strong - i for i in range(strong)] + [2], pa.int32()),
        "night_detections": pa.array([5] * strong + [0], pa.int32()),
        "frp_total": [412.5] * strong + [8.0], "score": [0.91 - 0.001 * i for i in range(strong)] + [0.2],
        "confidence": ["high"] * strong + ["low"],
        "reasons": ["17 detections inside the village, 9 times the season's background"] * strong
        + ["weak"],
        "detection_ids": [[f"d{i}"] for i in range(n)], "sweep_id": [None] * n,
    })
    staged = lake.staging_path("burnings", "derived")
    pq.write_table(table, staged)
    with workspace.write_lock():
        lake.replace_derived({"burnings": staged}, {"burnings": "test"})
    return workspace, villages


def test_burnings_appear_when_detection_has_run(sample_workspace: Workspace, tmp_path: Path) -> None:
    workspace, villages = store_burnings(sample_workspace, tmp_path / "ws")
    written = write_brief(workspace, AS_OF, "en", tmp_path / "out")
    text = " ".join(" ".join(page_texts(written.pdf)).split())
    # One of each: said in the singular.
    assert f"1 settlement shows signs of burning: {villages[0][1]}" in text
    assert "9 times the season's background" in text
    assert "1 more burning period scored low confidence: a lead for imagery" in text
    data = json.loads(written.data.read_text())
    assert [b["place_id"] for b in data["burnings"]] == [villages[0][0]]
    assert data["low_confidence_burnings"] == 1


def test_a_month_of_burnings_lists_the_strongest_and_counts_the_rest(sample_workspace: Workspace,
                                                                    tmp_path: Path) -> None:
    # A month of sweeps lists hundreds of burnings: the brief lists the strongest and counts the
    # rest, in both languages; its data file keeps every one.
    from tocsin.report.brief import BURNINGS_LISTED

    strong = BURNINGS_LISTED + 2
    workspace, villages = store_burnings(sample_workspace, tmp_path / "ws", strong=strong)
    for lang, more in (("en", "2 more burning periods of high or medium confidence"),
                       ("ar", "فترتا حرق أخريان بثقة عالية أو متوسطة")):
        written = write_brief(workspace, AS_OF, lang, tmp_path / "out")
        html = written.html.read_text()
        listed = html[html.index('id="burnings"'):html.index('id="violence"')]
        assert listed.count("<tr>") == 1 + BURNINGS_LISTED  # the header and the strongest
        assert more in listed
        if lang == "en":  # (an Arabic PDF's text comes out in visual order)
            assert more in " ".join(" ".join(page_texts(written.pdf)).split())
        data = json.loads(written.data.read_text())
        assert [b["place_id"] for b in data["burnings"]] == [v[0] for v in villages[:strong]]
    # The weakest listed is the 20th strongest; the 21st is left to the count.
    names = [v[1] for v in villages]
    en = (tmp_path / "out" / f"brief-{AS_OF}-en.html").read_text()
    en = en[en.index('id="burnings"'):en.index('id="violence"')]
    assert names[BURNINGS_LISTED - 1] in en and names[BURNINGS_LISTED] not in en


def test_an_unnamed_village_is_named_by_where_it_is(sample_workspace: Workspace,
                                                    tmp_path: Path) -> None:
    """Most villages HIU surveyed as destroyed have no name in any source: the brief says where
    the burning village is, in each language, where it once printed "?"."""
    workspace, villages = store_burnings(sample_workspace, tmp_path / "ws", named=False)
    lat, lon = villages[0][3], villages[0][4]
    written = {lang: write_brief(workspace, AS_OF, lang, tmp_path / "out") for lang in ("en", "ar")}
    text = " ".join(" ".join(page_texts(written["en"].pdf, layout=False)).split())
    where = f"an unnamed village at {lat:.2f}° N, {lon:.2f}° E"
    assert f"1 settlement shows signs of burning: {where}." in text and "?" not in text
    arabic_text = flat(" ".join(page_texts(written["ar"].pdf, layout=False)))
    assert flat("قرية بلا اسم") in arabic_text and "?" not in arabic_text
    assert f"{lat:.2f}" in arabic_text and f"{lon:.2f}" in arabic_text


def test_cli_writes_the_brief_and_refuses_bad_input(sample_workspace: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    home = str(sample_workspace.home)
    result = runner.invoke(app, ["--home", home, "brief", "--as-of", "2023-11-30", "--out",
                                 str(tmp_path / "b"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_of"] == "2023-11-30"
    assert (tmp_path / "b" / "brief-2023-11-30-en.pdf").stat().st_size > 10_000

    bad_date = runner.invoke(app, ["--home", home, "brief", "--as-of", "30/11/2023"])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output
    bad_lang = runner.invoke(app, ["--home", home, "brief", "--lang", "fr"])
    assert bad_lang.exit_code == 2 and "en or ar" in bad_lang.output
    no_workspace = runner.invoke(app, ["--home", str(tmp_path / "none"), "brief"])
    assert no_workspace.exit_code == 1
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    unwritable = runner.invoke(app, ["--home", home, "brief", "--out", str(blocker / "x")])
    assert unwritable.exit_code == 1 and "cannot create the output folder" in unwritable.output
    assert blocker.read_text() == "not a folder"


def test_latest_date_is_the_last_observation(sample_workspace: Workspace) -> None:
    con = Lake(sample_workspace.lake_dir).connect()
    last_fire, last_event = con.execute(
        "SELECT (SELECT max(acq_date) FROM fire_detections), (SELECT max(date_end) FROM events)"
    ).fetchone()
    assert latest_date(sample_workspace) == max(last_fire, last_event)


def test_evidence_held_is_counted_not_described(sample_workspace: Workspace, tmp_path: Path) -> None:
    """The brief says how much evidence the locker holds for the period, by sensitivity only."""
    from tocsin.evidence.demo import run_evidence_demo

    home = tmp_path / "ws"
    shutil.copytree(sample_workspace.home, home)
    workspace = Workspace.at(home)
    empty = json.loads(write_brief(workspace, date(2025, 11, 8), "en", tmp_path / "before").data.read_text())
    assert empty["evidence"] == {"in_period": 0, "by_sensitivity": {}, "places": 0, "total": 0}

    lines = run_evidence_demo(workspace, SAMPLE_FOLDER)  # one public FIRMS file, 8 Nov 2025
    assert [key for key, _ in lines][1] == "demo.locker_verifies"
    written = write_brief(workspace, date(2025, 11, 8), "en", tmp_path / "after")
    data = json.loads(written.data.read_text())
    assert data["evidence"] == {"in_period": 1, "by_sensitivity": {"public": 1}, "places": 1, "total": 1}
    text = " ".join(" ".join(page_texts(written.pdf)).split())
    assert "Items captured in the period and held in the evidence locker: 1 (1 public), at 1 place; " \
        "1 item in all" in text
    assert "firms_viirs" not in text, "a brief names no evidence file"
    earlier = json.loads(write_brief(workspace, date(2025, 10, 1), "en", tmp_path / "early").data.read_text())
    assert earlier["evidence"]["total"] == 0, "evidence captured after the brief's day is not counted"


# --- page one, numbers that hold, Arabic throughout (issue 18) -----------------------------------
# Latin-script words allowed in the Arabic edition: the names with no Arabic form, listed once
# in tocsin.arabic.LATIN_NAMES (sources, licences, commands a reader types).
NAMES_WITHOUT_ARABIC = arabic.LATIN_NAMES


def town_totals(workspace: Workspace, measure: str, condition: str) -> dict[str, int]:
    """``measure`` over the period's linked events per town (a sub-place counts in its town)."""
    from tocsin.places.hierarchy import Hierarchy

    hierarchy = Hierarchy.from_workspace(workspace)
    con = Lake(workspace.lake_dir).connect()
    rows = con.execute(f"""
        SELECT l.place_id, {measure} FROM events e JOIN event_links l USING (event_uid)
        WHERE e.date_end BETWEEN ? AND ? AND l.place_id IS NOT NULL AND ({condition})
        GROUP BY 1""", [START, AS_OF]).fetchall()
    totals: dict[str, int] = {}
    for place, value in rows:
        name = hierarchy.names[hierarchy.top(place)]
        totals[name] = totals.get(name, 0) + int(value or 0)
    return totals


def page_one(pdf: Path) -> str:
    return " ".join(page_texts(pdf, layout=False)[0].split())


def test_page_one_states_the_judgements_the_data_supports(sample_workspace: Workspace,
                                                          briefs: dict[str, Path]) -> None:
    """Killings by place, from the events themselves; the siege board's besieged towns; no legal
    qualification claimed; each judgement with a confidence."""
    text = page_one(briefs["en"])
    assert text.startswith("Situation brief") and "Key judgements" in text
    killing = "e.category = 'attack_on_civilians' OR e.civilian_deaths > 0"
    civilians = town_totals(sample_workspace, "sum(e.civilian_deaths)", killing)
    events = town_totals(sample_workspace, "count(*)", killing)
    worst = sorted(civilians, key=lambda name: -civilians[name])[:2]
    for name in worst:
        assert f"Civilians were killed in {name}: {civilians[name]:,} civilian deaths" in text, name
        assert (f"in {events[name]} events" if events[name] > 1 else "in one event on") in text
    # El Geneina first: the Ardamata massacre (4-6 Nov 2023) counts in the town, by the RSF.
    assert worst[0] == "Al-Junaynah" and "attributed to RSF" in text
    # The tracker remembers that El Geneina fell (June 2023), months after the fighting.
    assert "Al-Junaynah fell on 2023-06" in text and "to RSF" in text
    data = json.loads(briefs["en"].with_suffix(".json").read_text())
    from tocsin.analysis.siege import STAGE_RANK
    from tocsin.report.judgements import MAX_TOWNS

    besieged = [t for t in data["siege"] if STAGE_RANK[t["stage"]] >= STAGE_RANK["encircled"]]
    unrecorded = [t for t in besieged if t["stage"] == "outcome_unrecorded"]
    for town in unrecorded:
        assert f"{town['name']} (since {town['since']})" in text
    for town in [t for t in besieged if t not in unrecorded][:MAX_TOWNS]:
        if town["stage"] == "fallen":
            assert f"{town['name']} fell on {town['fell_on']} to {town['held_by']}" in text
        else:
            assert f"{town['name']} has been {town['stage'].replace('_', ' ')} since {town['since']}" in text
    assert "No analyst has signed a legal qualification" in text
    assert "genocide" not in text.lower() and "crimes against humanity" not in text.lower()
    assert {j["confidence"] for j in data["judgements"]} <= {"low", "medium", "high"}
    assert "/tmp" not in " ".join(page_texts(briefs["en"])), "a forwarded brief names no local path"


def test_displacement_keeps_to_one_dtm_series(sample_workspace: Workspace,
                                              briefs: dict[str, Path]) -> None:
    """30 Nov 2023: DTM's monthly round (30 Nov) against the monthly round before (31 Oct), never
    against the weekly round of 29 Nov (which reported false declines)."""
    con = Lake(sample_workspace.lake_dir).connect()
    rows = con.execute("""
        SELECT admin1_name, sum(idps) FILTER (WHERE period_end = '2023-11-30'),
               sum(idps) FILTER (WHERE period_end = '2023-10-31')
        FROM displacement WHERE admin_level = 1 AND operation = 'Armed Clashes in Sudan (Monthly)'
        GROUP BY 1""").fetchall()
    assert len(rows) == 5
    text = " ".join(" ".join(page_texts(briefs["en"])).split())
    section = text[text.index("Displacement State"):text.index("Evidence held")]
    for state, now, before in rows:
        assert f"{state} {now:,} {before:,} {now - before:+,}" in section, state
    assert "2023-11-29" not in section
    data = json.loads(briefs["en"].with_suffix(".json").read_text())
    assert data["displacement"]["operation"] == "Armed Clashes in Sudan (Monthly)"
    assert data["displacement"]["previous_end"] == "2023-10-31"


def test_arabic_edition_has_no_english_word(briefs: dict[str, Path]) -> None:
    text = "\n".join(page_texts(briefs["ar"]))
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9'.\-]*[A-Za-z0-9]|[A-Za-z]", text))
    assert words - NAMES_WITHOUT_ARABIC == set()
    for standard in ("الضعين", "الفاشر", "الجنينة", "نيالا"):
        assert flat(standard) in flat(text), standard
    for wrong in ("الدعين", "خارطوم"):
        assert wrong not in text


def test_arabic_indic_digits_and_the_organisations_asks(sample_workspace: Workspace,
                                                        tmp_path: Path) -> None:
    asks = tmp_path / "asks.txt"
    asks.write_text("نطالب بممر إنساني آمن إلى الجنينة.\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["--home", str(sample_workspace.home), "brief", "--as-of", "2023-11-30",
                                 "--lang", "ar", "--digits", "arabic-indic", "--asks-file", str(asks),
                                 "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "b" / "brief-2023-11-30-ar.pdf"
    first = page_texts(pdf)[0]
    assert flat("نطالب بممر إنساني آمن") in flat(first)
    assert "٢٠٢٣" in first and "نوفمبر" in first
    # Western digits remain only inside names (CC BY 4.0, SHA-256) on page one: none there.
    assert not re.search(r"[0-9]", first), re.findall(r".{10}[0-9].{10}", first)[:3]
    bad = runner.invoke(app, ["--home", str(sample_workspace.home), "brief", "--digits", "roman"])
    assert bad.exit_code == 2 and "western or arabic-indic" in bad.output
    missing = runner.invoke(app, ["--home", str(sample_workspace.home), "brief", "--asks-file",
                                  str(tmp_path / "none.txt"), "--out", str(tmp_path / "c")])
    assert missing.exit_code == 1 and "none.txt" in missing.output
    assert not (tmp_path / "c").exists() or not list((tmp_path / "c").iterdir())


def test_the_map_has_a_scale_a_north_arrow_and_attribution(briefs: dict[str, Path]) -> None:
    en = " ".join(page_texts(briefs["en"])[1].split())
    assert re.search(r"\b(50|100|200|250|500) km\b", en)
    assert "Boundaries © OCHA COD-AB" in en and "UCDP GED" in en
    html = briefs["en"].with_suffix(".html").read_text()
    assert html.count('class="map-note"') == 2  # the scale's length and the north arrow's N
    ar = flat(page_texts(briefs["ar"])[1])
    assert flat("كم") in ar and "ش" in ar


def test_the_organisations_digits_and_asks_are_kept_in_the_records(sample_workspace: Workspace,
                                                                    tmp_path: Path) -> None:
    """`tocsin orgs digits` and `brief --org --asks-file`: the next brief of the day says the same."""
    from tocsin.records.db import upgrade

    home = tmp_path / "ws"
    shutil.copytree(sample_workspace.home, home)
    workspace = Workspace.at(home)
    upgrade(workspace.database_url)
    runner = CliRunner()
    args = ["--home", str(home)]
    assert runner.invoke(app, [*args, "orgs", "add", "Darfur Network"]).exit_code == 0
    chosen = runner.invoke(app, [*args, "orgs", "digits", "Darfur Network", "arabic-indic"])
    assert chosen.exit_code == 0, chosen.output
    assert runner.invoke(app, [*args, "orgs", "digits", "Darfur Network", "roman"]).exit_code == 2
    asks = tmp_path / "asks.txt"
    asks.write_text("افتحوا ممرًا إنسانيًا إلى الفاشر.", encoding="utf-8")
    first = runner.invoke(app, [*args, "brief", "--as-of", "2023-11-30", "--lang", "ar", "--org",
                                "Darfur Network", "--asks-file", str(asks), "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, [*args, "brief", "--as-of", "2023-11-30", "--lang", "ar", "--org",
                                "Darfur Network", "--out", str(tmp_path / "b"), "--json"])
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert data["digits"] == "arabic_indic" and data["asks"] == "افتحوا ممرًا إنسانيًا إلى الفاشر."
    first_page = page_texts(tmp_path / "b" / "brief-2023-11-30-ar.pdf")[0]
    assert flat("افتحوا ممرًا") in flat(first_page) and "٢٠٢٣" in first_page
    unknown = runner.invoke(app, [*args, "brief", "--org", "Nobody", "--out", str(tmp_path / "c")])
    assert unknown.exit_code == 1 and "unknown organisation 'Nobody'" in unknown.output
    too_long = tmp_path / "long.txt"
    too_long.write_text("أ" * 2000, encoding="utf-8")
    refused = runner.invoke(app, [*args, "brief", "--org", "Darfur Network", "--asks-file",
                                  str(too_long), "--out", str(tmp_path / "d")])
    assert refused.exit_code == 1 and "at most 1500" in refused.output


def test_the_map_handed_over_as_an_image_gives_the_same_pdf(briefs: dict[str, Path]) -> None:
    """The PDF's map is passed to WeasyPrint as an image (faster to parse) rather than inline:
    the same PDF, byte for byte, as from the HTML the brief keeps."""
    from tocsin.report.brief import _MAP_SVG, render_pdf

    for lang, pdf in briefs.items():
        html = pdf.with_suffix(".html").read_text(encoding="utf-8")
        assert len(_MAP_SVG.findall(html)) == 1, f"the {lang} brief's map was not found"
        quick = render_pdf(html, str(pdf.parent))
        assert quick == pdf.read_bytes()
        assert quick == render_pdf(html, str(pdf.parent), inline_map=True)


def _cells(html_text: str, section: str) -> list[list[str]]:
    """The rows of a section's table, cell by cell, as text."""
    part = html_text[html_text.index(f'<section id="{section}">'):]
    part = part[:part.index("</section>")]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", part, re.S) if "<td" in row]


def test_the_siege_table_says_what_is_remembered_and_a_later_forecast_is_named(
        sample_workspace: Workspace, tmp_path: Path) -> None:
    """A fallen town's why is who holds it and since when, a town whose outcome is unrecorded
    its last assault, in both languages (the Arabic table once left them blank, the English
    one began ": "). A forecast stored only after the brief's day is not read, and the brief
    says it exists rather than "no forecast has been made"."""
    home = tmp_path / "ws"
    shutil.copytree(sample_workspace.home, home)
    stored = CliRunner().invoke(app, ["--home", str(home), "forecast", "--as-of", "2023-12-29",
                                      "--store"])
    assert stored.exit_code == 0, stored.output
    workspace = Workspace(home)
    written = {lang: write_brief(workspace, AS_OF, lang, tmp_path / "out") for lang in ("en", "ar")}
    data = json.loads(written["en"].data.read_text())
    html_text = {lang: w.html.read_text() for lang, w in written.items()}
    rows = {lang: _cells(text, "siege") for lang, text in html_text.items()}
    stages = [t["stage"] for t in data["siege"][:12]]
    assert "fallen" in stages and "outcome_unrecorded" in stages
    for town, en, ar in zip(data["siege"][:12], rows["en"], rows["ar"], strict=True):
        why_en, why_ar = en[-1], ar[-1]
        assert why_en and why_ar and not why_en.startswith(":") and not why_ar.startswith(":"), town
        if town["stage"] == "fallen":
            assert why_en.endswith(f"held by {town['held_by']} since {town['fell_on']}"), why_en
            assert "تسيطر عليها" in why_ar and arabic.day(town["fell_on"], "ar") in why_ar, why_ar
        elif town["stage"] == "outcome_unrecorded":
            assert "last under assault on" in why_en and "آخر هجوم عليها في" in why_ar, town
    assert data["risk"] is None
    assert ("No forecast made on or before 2023-11-30 is stored; the first is of 2023-12-29"
            in html_text["en"])
    assert "No forecast has been made" not in html_text["en"]
    assert "لا يوجد تنبؤ محفوظ أُجري في" in html_text["ar"]


def test_briefs_gathered_once_say_what_each_gathered_alone_says(sample_workspace: Workspace,
                                                                tmp_path: Path) -> None:
    # The day's briefs share one gathering of the data (write_briefs): each language's HTML and
    # record must be what a brief gathered on its own gives, and neither language's coverage
    # lines or judgements may leak into the other's.
    from tocsin.report.brief import gather_brief, prepare_brief

    gathered = gather_brief(sample_workspace, AS_OF, 30)
    # English again after Arabic: the Arabic brief must leave the gathering as it found it.
    shared = [(lang, prepare_brief(sample_workspace, AS_OF, lang, tmp_path, gathered=gathered))
              for lang in ("en", "ar", "en")]
    for lang, brief in shared:
        alone = prepare_brief(sample_workspace, AS_OF, lang, tmp_path)
        assert brief.html == alone.html
        assert brief.record == alone.record
    assert shared[0][1].record["coverage"] != shared[1][1].record["coverage"]
    assert gathered.data.coverage == {} and gathered.data.judgements == []
