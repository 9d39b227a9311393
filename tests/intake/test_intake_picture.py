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
    rows = lake.connect().execute("SELECT category, place_name, date_start, signs FROM field_report_events "
                                  "ORDER BY category").fetchall()
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
    result = runner.invoke(app, [*home, "intake", "show", str(ids["sv1"]), "--as", "rasha",
                                 "--identity", "survivor"])
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
