"""`tocsin siege` and `tocsin alerts` on the bundled sample: output, --json, exit codes."""

from __future__ import annotations

import json
import re
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app

runner = CliRunner()


def tocsin(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--home", str(home), *args])


@pytest.fixture
def writable_sample(sample_workspace, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the sample workspace that alerts may write to."""
    home = tmp_path / "ws"
    shutil.copytree(sample_workspace.home, home)
    return home


def test_board_json_and_table(sample_workspace) -> None:  # type: ignore[no-untyped-def]
    home = sample_workspace.home
    result = tocsin(home, "siege", "board", "--as-of", "2023-06-15", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2023-06-15"
    geneina = next(p for p in data["places"] if p["name"] == "Al-Junaynah")
    # 15 June 2023: the killings after the battles there (UN OHCHR): overrun.
    assert geneina["stage"] in ("under_assault", "overrun") and geneina["evidence"]
    assert data["warning"] is None and data["latest_event"] == "2023-12-29"  # the sample's last
    late = tocsin(home, "siege", "board", "--as-of", "2025-10-28")
    assert late.exit_code == 0 and "not evidence of calm" in late.output  # no UCDP after 2023
    table = tocsin(home, "siege", "board", "--as-of", "2023-06-15", "--limit", "3")
    assert table.exit_code == 0 and "Siege board as of 2023-06-15" in table.stdout
    assert "more (--limit" in table.stdout


def test_show_by_any_spelling(sample_workspace) -> None:  # type: ignore[no-untyped-def]
    home = sample_workspace.home
    result = tocsin(home, "siege", "show", "الجنينة", "--since", "2023-04-01", "--as-of", "2023-06-30")
    assert result.exit_code == 0, result.output
    assert "2023-04-24  calm -> under assault" in result.stdout
    assert "exact match on 'الجنينة'" in result.stdout  # says which place the name was taken for
    assert "ucdp-ged:" in result.stdout
    as_json = json.loads(tocsin(home, "siege", "show", "Geneina", "--since", "2023-04-01",
                                "--as-of", "2023-06-30", "--json").stdout)
    assert as_json["changes"][0]["stage"] == "under_assault"


def test_siege_errors_and_usage(sample_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = sample_workspace.home
    assert tocsin(home, "siege", "board", "--as-of", "15/06/2023").exit_code == 2
    missing = tocsin(home, "siege", "show", "123", "--as-of", "2023-06-30")
    assert missing.exit_code == 1 and "no place matches" in missing.output
    rules = tmp_path / "rules.yaml"
    rules.write_text("place_classes: [town]\n", encoding="utf-8")
    bad = tocsin(home, "siege", "board", "--rules", str(rules))
    assert bad.exit_code == 1 and "missing key 'armed_categories'" in bad.output
    nowhere = tocsin(tmp_path / "none", "siege", "board")
    assert nowhere.exit_code == 1 and "no Tocsin workspace" in nowhere.output


def test_alerts_scan_list_ack_and_deliver(writable_sample: Path) -> None:
    home = writable_sample
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        added = tocsin(home, "alerts", "webhook", "add", url, "--secret", "s" * 20)
        assert added.exit_code == 0, added.output
        scan = tocsin(home, "alerts", "scan", "--as-of", "2023-04-30", "--days", "10", "--json")
        assert scan.exit_code == 0, scan.output
        created = json.loads(scan.stdout)["created"]
        geneina = [a for a in created if a["place_name"] == "Al-Junaynah"]
        assert [(a["day"], a["stage"]) for a in geneina] == [("2023-04-24", "under_assault")]
        assert len(received) == len(created)
        again = json.loads(tocsin(home, "alerts", "scan", "--as-of", "2023-04-30", "--days", "10",
                                  "--json").stdout)
        assert again["created"] == [] and again["deliveries"] == []  # no duplicates
        worse = json.loads(tocsin(home, "alerts", "scan", "--as-of", "2023-06-30", "--days", "20",
                                  "--min-stage", "under_assault", "--no-deliver", "--json").stdout)
        assert worse["created"] and all(a["stage_rank"] >= 4 for a in worse["created"])
        created += worse["created"]
        assert tocsin(home, "alerts", "scan", "--min-stage", "doomed").exit_code == 2
        listed = json.loads(tocsin(home, "alerts", "--json").stdout)
        assert {a["id"] for a in listed} == {a["id"] for a in created}
        ack = tocsin(home, "alerts", "ack", str(geneina[0]["id"]), "--by", "amira")
        assert ack.exit_code == 0 and "acknowledged by amira" in ack.stdout
        assert tocsin(home, "alerts", "ack", str(geneina[0]["id"]), "--by", "omar").exit_code == 1
        open_now = json.loads(tocsin(home, "alerts", "--json").stdout)
        assert geneina[0]["id"] not in {a["id"] for a in open_now}
        shown = json.loads(tocsin(home, "alerts", "show", str(geneina[0]["id"]), "--json").stdout)
        assert shown["status"] == "acknowledged" and shown["evidence"]
        assert [(d["attempt"], d["succeeded"]) for d in shown["deliveries"]] == [(1, True)]
        text = tocsin(home, "alerts", "show", str(geneina[0]["id"]))
        assert text.exit_code == 0 and "delivery 1 to" in text.stdout and "ucdp-ged:" in text.stdout
        assert tocsin(home, "alerts", "show", "99999").exit_code == 1
        hooks = json.loads(tocsin(home, "alerts", "webhook", "list", "--json").stdout)
        assert [h["url"] for h in hooks] == [url] and "secret" not in hooks[0]
    finally:
        server.shutdown()
        server.server_close()


def test_burnings_in_the_lake_are_used_when_present(writable_sample: Path) -> None:
    """Issue 3's derived table `burnings`, in its agreed shape, read by the board."""
    import datetime as dt

    import pyarrow.parquet as pq

    from tocsin.lake import Lake
    from tocsin.places.lookup import find_places
    from tocsin.workspace import Workspace

    sys.path.insert(0, str(Path(__file__).resolve().parent / "analysis"))
    from siege_support import burnings  # the agreed shape of issue 3's table

    workspace = Workspace(writable_sample)
    fasher = find_places(workspace, "El Fasher", limit=1)[0]
    table = burnings([(dt.date(2025, 10, 27), dt.date(2025, 10, 28), 60, 0.93)],
                     place={"place_id": fasher["place_id"], "name": fasher["name"],
                            "latitude": fasher["latitude"], "longitude": fasher["longitude"]})
    lake = Lake(workspace.lake_dir)
    staged = lake.staging_path("burnings", "derived")
    pq.write_table(table, staged)
    with workspace.write_lock():
        lake.replace_derived({"burnings": staged}, {"burnings": "test"})
    result = tocsin(writable_sample, "siege", "board", "--as-of", "2025-10-28", "--json")
    assert result.exit_code == 0, result.output
    row = next(p for p in json.loads(result.stdout)["places"] if p["place_id"] == fasher["place_id"])
    # 60 detections scored 0.93: a mass burning, the town overrun (El Fasher fell on 26 October).
    assert row["stage"] == "overrun" and "mass_burning" in row["signals"]
    assert [e["kind"] for e in row["evidence"]] == ["burning"]
    assert "60 fire detections" in row["evidence"][0]["detail"]


def test_the_brief_carries_the_siege_board(writable_sample: Path, tmp_path: Path) -> None:
    import datetime as dt

    from tocsin.report.brief import write_brief
    from tocsin.workspace import Workspace

    files = write_brief(Workspace(writable_sample), dt.date(2023, 6, 15), "en", tmp_path / "briefs")
    html = files.html.read_text(encoding="utf-8")
    section = html[html.index('<section id="siege">'):]
    section = section[:section.index("</section>")]
    assert "Al-Junaynah" in section and "under assault" in section
    assert "has not been run" not in section
    arabic = write_brief(Workspace(writable_sample), dt.date(2023, 6, 15), "ar", tmp_path / "briefs")
    assert "الجنينة" in arabic.html.read_text(encoding="utf-8")


def test_siege_record_stores_a_sourced_fall_and_refuses_bad_input(writable_sample: Path) -> None:
    source = "https://www.reuters.com/world/africa/sudans-rsf-says-it-took-control-army-base-nyala-2023-10-26/"
    # Usage errors (exit 2): no day, a fall without an actor, no source, both days at once.
    assert tocsin(writable_sample, "siege", "record", "Nyala", "--source", source).exit_code == 2
    assert tocsin(writable_sample, "siege", "record", "Nyala", "--fell-on", "2023-10-26",
                  "--source", source).exit_code == 2
    assert tocsin(writable_sample, "siege", "record", "Nyala", "--fell-on", "2023-10-26",
                  "--to", "RSF").exit_code == 2
    assert tocsin(writable_sample, "siege", "record", "Nyala", "--fell-on", "2023-10-26",
                  "--returned-on", "2023-11-01", "--to", "RSF", "--source", source).exit_code == 2
    assert tocsin(writable_sample, "siege", "record", "Nyala", "--fell-on", "26/10/2023",
                  "--to", "RSF", "--source", source).exit_code == 2
    # Failures (exit 1): a source that is no web address, a place that does not exist.
    bad = tocsin(writable_sample, "siege", "record", "Nyala", "--fell-on", "2023-10-26", "--to", "RSF",
                 "--source", "a friend said so")
    assert bad.exit_code == 1 and "http" in bad.output
    assert tocsin(writable_sample, "siege", "record", "Xyzzyville", "--fell-on", "2023-10-26",
                  "--to", "RSF", "--source", source).exit_code == 1
    ok = tocsin(writable_sample, "siege", "record", "Niyala", "--fell-on", "2023-10-26", "--to", "RSF",
                "--source", source, "--as", "analyst", "--json")
    assert ok.exit_code == 0, ok.output
    record = json.loads(ok.stdout)
    assert (record["place_name"], record["kind"], record["actor"], record["recorded_by"]) == \
        ("Nyala", "fell", "RSF", "analyst")
    shown = json.loads(tocsin(writable_sample, "siege", "show", "Nyala", "--as-of", "2023-12-31",
                              "--json").stdout)
    last = shown["changes"][-1]
    assert last["stage"] == "fallen" and last["held_by"] == "RSF" and last["fell_on"] == "2023-10-26"
    assert last["evidence"][0]["ref"] == f"records:control_changes:{record['id']}"


def test_a_fall_is_recorded_only_for_a_place_named_surely(writable_sample: Path) -> None:
    """A fall written to the wrong town misleads every board after it: a name the gazetteer
    knows only by a look-alike ("Zalingeit", like Zalinjay) is refused, naming the nearest and
    its place id; the place id, or the name as written, records it."""
    source = "https://www.reuters.com/world/africa/zalingei-2023-11-01/"
    fall = ["--fell-on", "2023-11-01", "--to", "RSF", "--source", source, "--as", "analyst"]
    lookalike = tocsin(writable_sample, "siege", "record", "Zalingeit", *fall)
    assert lookalike.exit_code == 1 and "no place is named 'Zalingeit'" in lookalike.output
    nearest = re.search(r"the nearest name is '([^']+)' \((p-[0-9a-f]+)\)", lookalike.output)
    assert nearest, lookalike.output
    told = tocsin(writable_sample, "--lang", "ar", "siege", "record", "Zalingeit", *fall)
    assert told.exit_code == 1 and "أقرب اسم هو" in told.output
    by_id = tocsin(writable_sample, "siege", "record", nearest.group(2), *fall, "--json")
    assert by_id.exit_code == 0, by_id.output
    record = json.loads(by_id.stdout)
    assert (record["place_id"], record["place_name"]) == (nearest.group(2), nearest.group(1))


def test_siege_show_says_when_it_shows_only_the_nearest_place(sample_workspace) -> None:  # type: ignore[no-untyped-def]
    """A look-alike name shows the nearest place's history, said first so that it is not read as
    the town asked for; a name known surely is shown without a word."""
    nearest = tocsin(sample_workspace.home, "siege", "show", "Zalingeit", "--as-of", "2023-12-31")
    assert nearest.exit_code == 0 and "No place is named 'Zalingeit'" in nearest.stderr
    assert json.loads(tocsin(sample_workspace.home, "siege", "show", "Zalingeit", "--as-of",
                             "2023-12-31", "--json").stdout)["surely_named"] is False
    sure = tocsin(sample_workspace.home, "siege", "show", "Nyala", "--as-of", "2023-12-31")
    assert sure.exit_code == 0 and "No place is named" not in sure.stderr
    assert json.loads(tocsin(sample_workspace.home, "siege", "show", "Nyala", "--as-of",
                             "2023-12-31", "--json").stdout)["surely_named"] is True


def test_places_show_prints_parent_and_sub_places(sample_workspace) -> None:  # type: ignore[no-untyped-def]
    result = tocsin(sample_workspace.home, "places", "show", "El Geneina", "--json")
    assert result.exit_code == 0, result.output
    place = json.loads(result.stdout)
    assert place["parent"] is None and place["sub_places"]
    assert all(s["rule"] for s in place["sub_places"])
    camp = tocsin(sample_workspace.home, "places", "show", "Abu Shouk", "--json")
    data = json.loads(camp.stdout)
    assert data["place_class"] == "camp" and data["parent"]["name"] == "El Fasher"
    assert tocsin(sample_workspace.home, "places", "show", "Xyzzyville").exit_code == 1


def test_past_the_events_the_stages_come_from_fires_alone(sample_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The sample's conflict events end on 2023-12-29; its fire detections run on (MODIS days
    to 2025-06-19, VIIRS 2025-10-31 to 2025-11-08). On a day the fires cover, a town without
    fires is not known to be calm: El Fasher in the days after its fall (26 October 2025) once
    read "Calm throughout". On a day no daily data covers, the stages are the last covered day's."""
    from datetime import date

    from tocsin.report.brief import build_context

    home = sample_workspace.home
    board = json.loads(tocsin(home, "siege", "board", "--as-of", "2025-11-08", "--json").stdout)
    assert board["stages_as_of"] == "2025-11-08"
    assert board["stages_from"] == {"events_end": "2023-12-29", "signals": ["fire_detections"]}
    # No burning has been detected in this copy (detection not run): nothing past calm, and
    # nothing said to be calm either.
    assert board["places"] == []
    text = " ".join(tocsin(home, "siege", "board", "--as-of", "2025-11-08").stdout.split())
    assert "After 2023-12-29, where the conflict events end, the stages come from fire " \
           "detections alone: a place without them is not known to be calm" in text
    show = tocsin(home, "siege", "show", "El Fasher", "--since", "2025-10-01", "--as-of",
                  "2025-11-08")
    assert show.exit_code == 0, show.output
    assert "Calm throughout" not in show.stdout and "No change of stage seen" in show.stdout
    assert "fire detections alone" in " ".join(show.stdout.split())
    within = json.loads(tocsin(home, "siege", "board", "--as-of", "2023-12-20", "--json").stdout)
    assert within["stages_from"] is None and within["stages_as_of"] == "2023-12-20"
    # Between the MODIS days and the VIIRS week nothing is known: the last covered day stands.
    gap = json.loads(tocsin(home, "siege", "board", "--as-of", "2025-09-15", "--json").stdout)
    assert gap["stages_as_of"] == "2025-06-19" and gap["stages_from"] is None

    _, data, _ = build_context(sample_workspace, date(2025, 11, 8), "en", 30, tmp_path)
    keys = {j["key"] for j in data.judgements}
    assert "j_pattern_calm_alone" in keys and not keys & {"j_pattern", "j_pattern_calm"}
    assert data.siege_alone == {"events_end": date(2023, 12, 29), "signals": ["fire_detections"]}


def test_places_show_in_arabic_names_classes_and_rules_in_arabic(sample_workspace) -> None:  # type: ignore[no-untyped-def]
    """An Arabic page about a town: its class, its sub-places' names and classes, and the rule
    that folded each one into it, in Arabic; no English class or rule word left."""
    from tocsin.cli.common import choose_language
    from tocsin.i18n import ARABIC_LETTER

    try:
        result = runner.invoke(app, ["--home", str(sample_workspace.home), "--lang", "ar",
                                     "places", "show", "El Fasher"])
    finally:
        choose_language(None)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "(مدينة)" in text and "داخل الفاشر (مدينة" in text, text
    assert "(مدينة)، الفاشر، شمال دارفور" in text.splitlines()[0]  # COD-AB's Arabic names
    # Each sub-place's name, class and rule (one table row, or "label: value" lines on a narrow
    # terminal) holds no Latin word: names are the sources' Arabic or a marked transliteration.
    rows = [line for line in text.splitlines()
            if line.startswith(("المكان الفرعي", "الفئة", "السبب")) or "│" in line]
    assert rows and not [line for line in rows if re.search(r"[A-Za-z]{2,}", line)], rows
    place = json.loads(tocsin(sample_workspace.home, "places", "show", "El Fasher", "--json").stdout)
    assert len(place["sub_places"]) >= 2 and all(s["name_ar"] is None or ARABIC_LETTER.search(s["name_ar"])
                                                 for s in place["sub_places"])


def test_siege_show_in_arabic_tells_each_change_and_its_evidence_in_arabic(sample_workspace) -> None:  # type: ignore[no-untyped-def]
    """A field monitor reading a town's history in Arabic: the stages, the signals and every
    piece of evidence (what, when, how many killed, by whom, the source's reference) in Arabic,
    as the web app tells them; the English lines stay as the tracker writes them."""
    from tocsin.cli.common import choose_language

    try:
        arabic = runner.invoke(app, ["--home", str(sample_workspace.home), "--lang", "ar", "siege",
                                     "show", "El Geneina", "--as-of", "2023-07-01"])
    finally:
        choose_language(None)
    english = tocsin(sample_workspace.home, "siege", "show", "El Geneina", "--as-of", "2023-07-01")
    assert arabic.exit_code == 0 and english.exit_code == 0, arabic.output
    told = [line for line in arabic.output.splitlines()[2:] if line.strip()]
    assert told and "killed" in english.output and "قتل" in arabic.output
    # Past the header, only names the sources give in Latin script and references remain Latin.
    leftover = [line for line in told
                if re.search(r"[A-Za-z]{3,}", re.sub(r"UCDP|ACLED|FIRMS|IOM|WFP", "", line))]
    assert leftover == [], leftover
    assert len([line for line in english.output.splitlines() if line.startswith("    ")]) == \
        len([line for line in told if line.startswith("    ")])  # each piece of evidence, once


def test_arabic_death_tolls_agree_with_their_number() -> None:
    from tocsin.web.i18n import Translator

    words = Translator("ar")
    fact = {"signal": "fighting_inside", "date": "2023-04-15", "kind": "event", "ref": "ucdp-ged:1"}
    said = {n: words.evidence_line({**fact, "detail": f"battle at X town, {n} killed (RSF v SAF)"})
            for n in (0, 1, 2, 3, 22, 300)}
    assert "بلا قتلى" in said[0] and "قتيل واحد" in said[1] and "قتيلان" in said[2]
    assert "قتلى" in said[3] and "قتيلًا" in said[22] and "قتيل " in said[300]


def test_refused_records_and_acknowledgements_are_told_in_arabic(writable_sample: Path) -> None:
    """Why a change of control or an acknowledgement is refused is told in an Arabic session's
    language; the English (str, logs, the web form's 422) is what it was."""
    source = "https://www.reuters.com/world/africa/sudans-rsf-says-it-took-control-army-base-nyala-2023-10-26/"
    refusals = [
        (["siege", "record", "Nyala", "--fell-on", "2023-10-26", "--to", "RSF", "--source",
          "a friend said so"], "للتقرير الذي يقول ذلك", "must be an http(s) address"),
        (["siege", "record", "Nyala", "--fell-on", "2999-01-01", "--to", "RSF", "--source", source],
         "في المستقبل", "is in the future"),
        (["alerts", "ack", "99999", "--by", "amira"], "لا تنبيه رقمه", "no alert 99999"),
        (["alerts", "ack", "99999", "--by", " "], "قل من يُقرّ بالتنبيه", "say who acknowledges"),
    ]
    for args, arabic, english in refusals:
        told = tocsin(writable_sample, "--lang", "ar", *args)
        assert told.exit_code == 1 and arabic in told.output and english not in told.output, told.output
        assert english in tocsin(writable_sample, *args).output
