"""Reports feed the picture: verified ones as events (the lake's field_report_events, through a
Job), counts in the brief; a survivor's report in neither except as a count."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from intake_support import IntakeSetup
from test_intake_reports import SV, _export, _import, _record
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.intake.store import report_events
from tocsin.jobs.base import JobContext
from tocsin.jobs.steps.field_reports import FIELD_REPORTS
from tocsin.lake import Lake

SECRETS = ("وصف سري للحادثة", "وردة", "عبر الجارة", "اسم الراصد الحقيقي")


def _two_reports(setup: IntakeSetup, tmp_path: Path) -> dict[str, int]:
    export, archive = _export(tmp_path, [_record("sv1", **SV), _record("plain")], {})
    _import(setup, export, archive)
    store = setup.store
    ids = {r["instance_id"].removeprefix("uuid:"): r["id"] for r in store.report_rows()}
    store.set_verification(ids["plain"], "verified", store.viewer("badr"))
    store.set_verification(ids["sv1"], "verified", store.viewer("rasha"))
    return ids


def test_verified_reports_become_event_rows_through_the_job(setup: IntakeSetup, tmp_path: Path) -> None:
    ids = _two_reports(setup, tmp_path)
    table = report_events(setup.workspace)
    assert sorted(table.column("report_id").to_pylist()) == sorted(ids.values())
    assert set(table.column("category").to_pylist()) == {"sexual_violence", "siege_related"}
    lake = Lake(setup.workspace.lake_dir)
    ctx = JobContext(setup.workspace, lake)
    with setup.workspace.write_lock():
        result = FIELD_REPORTS.run(ctx)
    assert result.wrote == {"field_report_events": 2}
    rows = (
        lake.connect()
        .execute("SELECT category, place_name, date_start, signs FROM field_report_events ORDER BY category")
        .fetchall()
    )
    assert rows[1][0] == "siege_related" and rows[1][1] == "El Fasher" and rows[1][2] == dt.date(2024, 5, 10)
    assert json.dumps([list(r) for r in rows], default=str, ensure_ascii=False).count("وردة") == 0
    # The job is stale only when the reports change.
    before = FIELD_REPORTS.fingerprint(ctx)
    assert FIELD_REPORTS.fingerprint(ctx) == before
    setup.store.set_verification(ids["plain"], "unverified", setup.store.viewer("badr"))
    assert FIELD_REPORTS.fingerprint(ctx) != before


def test_brief_counts_reports_and_never_describes_them(setup: IntakeSetup, tmp_path: Path) -> None:
    from tocsin.report.brief import build_context, render_html

    _two_reports(setup, tmp_path)
    for lang in ("en", "ar"):
        context, data, _ = build_context(setup.workspace, dt.date(2024, 5, 12), lang, 7, tmp_path / "briefs")
        assert data.field_reports == {"reports": 2, "verified": 2, "sensitive": 1}
        html = render_html(context)
        assert ("Monitors sent 2 field reports" in html) if lang == "en" else ("أرسل الراصدون 2" in html)
        for secret in SECRETS:
            assert secret not in html


def test_exports_for_a_monitor_leave_the_survivors_report_out(setup: IntakeSetup, tmp_path: Path) -> None:
    ids = _two_reports(setup, tmp_path)
    runner = CliRunner()
    home = ["--home", str(setup.workspace.home)]
    for user in ("musa", "badr", "sara"):
        result = runner.invoke(app, [*home, "intake", "list", "--json", "--as", user])
        assert result.exit_code == 0, result.output
        listed = json.loads(result.output)
        assert ids["sv1"] not in [r["id"] for r in listed["reports"]]
        assert listed["all_organisations"] == {"reports": 2, "sensitive": 1}
        assert not any(secret in result.output for secret in SECRETS)
        shown = runner.invoke(app, [*home, "intake", "show", str(ids["sv1"]), "--as", user])
        assert shown.exit_code == 1 and "no field report" in shown.output
    result = runner.invoke(
        app, [*home, "intake", "show", str(ids["sv1"]), "--as", "rasha", "--identity", "survivor"]
    )
    assert result.exit_code == 0 and "وردة" in result.output


def test_import_cli_reports_problems_and_exit_codes(setup: IntakeSetup, tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(setup.workspace.home)]
    export, _ = _export(tmp_path, [_record("a"), _record("b", **{"consent/consent_given": "no"})], {})
    result = runner.invoke(app, [*home, "intake", "import", str(export), "--as", "badr"])
    assert result.exit_code == 0, result.output
    assert "1 new report(s)" in result.output and "1 set aside (no consent)" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, [*home, "intake", "import", str(bad), "--as", "badr"])
    assert result.exit_code == 1 and "bad.json: not JSON" in result.output
    result = runner.invoke(app, [*home, "intake", "import", str(tmp_path / "missing.csv"), "--as", "badr"])
    assert result.exit_code == 1 and "no such file" in result.output
    result = runner.invoke(app, [*home, "intake", "import", str(export)])
    assert result.exit_code == 1 and "--as USER" in result.output


def test_csv_and_xlsx_exports_with_attachments_zip(setup: IntakeSetup, tmp_path: Path) -> None:
    import csv
    import zipfile

    from openpyxl import Workbook

    from tocsin.sync.field_replay import jpeg

    header = [
        "start",
        "end",
        "consent/consent_given",
        "monitor/pseudonym",
        "what/categories",
        "what/siege_signs",
        "what/siege_signs/water_cut",
        "what/siege_signs/roads_closed",
        "what/child_harmed",
        "where/location_method",
        "where/point",
        "_where/point_latitude",
        "_where/point_longitude",
        "_where/point_altitude",
        "_where/point_precision",
        "when/date",
        "media/photo_1",
        "media/photo_1_URL",
        "meta/instanceID",
        "_id",
        "_uuid",
        "_submission_time",
    ]
    rows = [
        [
            "2024-05-10T08:00:00.000+02:00",
            "2024-05-10T08:10:00.000+02:00",
            "yes",
            "نجمة",
            "siege_related",
            "water_cut roads_closed",
            "1",
            "1",
            "no",
            "gps",
            "13.63 25.35 700 5",
            "13.63",
            "25.35",
            "700",
            "5",
            "2024-05-10",
            "c1.jpg",
            "https://kc.kobotoolbox.org/media/c1.jpg",
            f"uuid:{uid}",
            str(n),
            uid,
            "2024-05-10T06:10:00",
        ]
        for n, uid in enumerate(["c0ffee01", "c0ffee02"], 1)
    ]
    rows[1][16] = "c2.jpg"
    export = tmp_path / "kobo.csv"
    with open(export, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    archive = tmp_path / "attachments.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("monitor/attachments/abc/c0ffee01/c1.jpg", jpeg(1))
        zipped.writestr("monitor/attachments/abc/c0ffee02/c2.jpg", jpeg(2))
    runner = CliRunner()
    home = ["--home", str(setup.workspace.home)]
    result = runner.invoke(
        app, [*home, "intake", "import", str(export), "--attachments", str(archive), "--as", "badr"]
    )
    assert result.exit_code == 0, result.output
    assert "2 new report(s)" in result.output and "2 attachment(s)" in result.output
    rows_stored = setup.store.report_rows()
    assert [r["signs"] for r in rows_stored] == [["water_cut", "roads_closed"]] * 2
    assert {r["place_name"] for r in rows_stored} == {"El Fasher"}
    # The same submissions exported again as XLSX: recognised, nothing added.
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    xlsx = tmp_path / "kobo.xlsx"
    book.save(xlsx)
    result = runner.invoke(
        app, [*home, "intake", "import", str(xlsx), "--attachments", str(archive), "--as", "badr", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["duplicates"] == 2 and json.loads(result.output)["attachments"] == 0


def test_forms_export_lists_gazetteer_places(setup: IntakeSetup, tmp_path: Path) -> None:
    import csv

    result = CliRunner().invoke(
        app, ["--home", str(setup.workspace.home), "forms", "export", "--out", str(tmp_path / "forms")]
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "forms" / "places.csv", encoding="utf-8") as handle:
        places = list(csv.DictReader(handle))
    assert places[0].keys() == {"name", "label::Arabic (ar)", "label::English (en)"}
    fasher = [p for p in places if p["name"] == "p-cc4987562f9d"]
    assert fasher and fasher[0]["label::Arabic (ar)"].startswith("الفاشر")
    assert places[-1]["name"] == "not_listed"
    assert (tmp_path / "forms" / "tocsin_incident_report.xlsx").is_file()


def test_corroboration_suggests_real_events_and_nearby_reports(setup: IntakeSetup, tmp_path: Path) -> None:
    """El Fasher, November 2023: UCDP recorded fighting in the town on 6 and 10 November."""
    from tocsin.intake.corroborate import suggestions

    day = {"when/date": "2023-11-07", "_submission_time": "2023-11-07T09:00:00", "what/categories": "battle"}
    export, archive = _export(
        tmp_path, [_record("f1", **day), _record("f2", **day, **{"where/point": "13.6500 25.3700 700 5"})], {}
    )
    _import(setup, export, archive)
    store = setup.store
    viewer = store.viewer("badr")
    first = next(r for r in store.visible(viewer) if r["instance_id"] == "uuid:f1")
    found = suggestions(setup.workspace, store, first, viewer)
    events = [s for s in found if s["kind"] == "event"]
    assert {s["day"] for s in events} >= {dt.date(2023, 11, 6), dt.date(2023, 11, 10)}
    assert all(s["km"] <= 25 for s in found)
    assert any(s["kind"] == "report" and s["km"] < 5 for s in found)
    assert found[0]["same_category"]  # same category first


def test_signals_command_names_the_cluster(setup: IntakeSetup, tmp_path: Path) -> None:
    times = ["2024-05-10T06:00:00", "2024-05-10T20:00:00", "2024-05-11T18:00:00"]
    export, archive = _export(
        tmp_path, [_record(f"w{n}", _submission_time=t) for n, t in enumerate(times)], {}
    )
    _import(setup, export, archive)
    result = CliRunner().invoke(
        app, ["--home", str(setup.workspace.home), "intake", "signals", "--as", "badr"]
    )
    assert result.exit_code == 0, result.output
    assert "3 reports of water cut in El Fasher in 48 hours" in result.output


def test_arabic_fixture_imports_and_names_missing_photos(setup: IntakeSetup) -> None:
    fixture = Path(__file__).parent / "data" / "tocsin_arabic_v1.json"
    runner = CliRunner()
    result = runner.invoke(app, ["--home", str(setup.workspace.home), "intake", "import", str(fixture),
                                 "--as", "badr", "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["reports"] == 3 and outcome["attachments"] == 0
    assert all("no attachments ZIP was given" in p for p in outcome["problems"])
    rows = setup.store.visible(setup.store.viewer("badr"))
    assert {r["triage"] for r in rows} == {"needs_review"}
    # Linked to the nearest gazetteer place within 15 km of the point (in Nyala, a camp in the town).
    assert all(r["place_id"] for r in rows) and "El Fasher" in {r["place_name"] for r in rows}


def test_a_cluster_of_reports_raises_one_alert_through_the_alerts_scan(
        setup: IntakeSetup, tmp_path: Path) -> None:
    """Three monitors report the water cut in El Fasher within hours, one of them with a
    survivor's account: `tocsin alerts scan` raises one report_cluster alert (three reports,
    three reporters), lists it, shows it, acknowledges it; a second scan adds nothing; nothing
    of the survivor's report is in any of it."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    records = [_record(f"c{n}", **{"monitor/pseudonym": f"راصد-{n}", "when/date": yesterday.isoformat(),
                                   "_submission_time": f"{yesterday}T0{6 + n}:00:00"})
               for n in range(2)]
    records.append(_record("c-sv", **{**SV, "what/categories": "sexual_violence siege_related",
                                      "monitor/pseudonym": "راصد-سري", "when/date": yesterday.isoformat(),
                                      "_submission_time": f"{yesterday}T09:00:00"}))
    _import(setup, *_export(tmp_path, records, {}))
    runner = CliRunner()
    home = ["--home", str(setup.workspace.home)]
    scan = runner.invoke(app, [*home, "alerts", "scan", "--json"])
    assert scan.exit_code == 0, scan.output
    clusters = [a for a in json.loads(scan.stdout)["created"] if a["kind"] == "report_cluster"]
    assert [(a["place_name"], a["sign"], a["reports"], a["reporters"], a["day"]) for a in clusters] == [
        ("El Fasher", "water_cut", 3, 3, yesterday.isoformat())]
    again = runner.invoke(app, [*home, "alerts", "scan", "--json"])
    assert [a for a in json.loads(again.stdout)["created"] if a["kind"] == "report_cluster"] == []
    listed = runner.invoke(app, [*home, "alerts"])
    assert "3 reports of water cut from 3 reporters" in listed.stdout
    shown = runner.invoke(app, [*home, "alerts", "show", str(clusters[0]["id"])])
    assert shown.exit_code == 0 and "3 report(s)" in shown.stdout
    for output in (scan.stdout, listed.stdout, shown.stdout):
        for secret in (*SECRETS, "راصد-سري", "sexual", "13.63"):
            assert secret not in output, secret
    ack = runner.invoke(app, [*home, "alerts", "ack", str(clusters[0]["id"]), "--by", "badr"])
    assert ack.exit_code == 0 and "acknowledged by badr" in ack.stdout
