"""The dossier as a reader gets it: HTML and PDF in English and Arabic (right to left), and an
FtM JSON-lines export that `ftm validate` accepts unchanged; the command line's contract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from accountability_support import Case, attribute
from typer.testing import CliRunner

from tocsin.accountability.dossier import write_dossier
from tocsin.cli.main import app
from tocsin.records.db import session_factory


def _ftm_validate(path: Path, tmp_path: Path) -> list[dict]:  # type: ignore[type-arg]
    ftm = Path(sys.executable).with_name("ftm")
    command = [str(ftm)] if ftm.exists() else [shutil.which("ftm") or "ftm"]
    cleaned = tmp_path / "validated.jsonl"
    done = subprocess.run([*command, "validate", "-i", str(path), "-o", str(cleaned)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [{k: e[k] for k in ("id", "schema", "properties")}
            for e in map(json.loads, cleaned.read_text().splitlines())]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_dossier_renders_and_its_ftm_export_validates(case: Case, tmp_path: Path, lang: str) -> None:
    with session_factory(case.setup.workspace.database_url)() as session:
        files = write_dossier(session, case.commander, 1, tmp_path / "out", lang)
    html = files.html.read_text()
    assert f'dir="{"rtl" if lang == "ar" else "ltr"}"' in html
    assert ("الحوادث" in html) == (lang == "ar")
    assert "Killings of civilians in El Geneina" in html
    assert files.pdf.read_bytes().startswith(b"%PDF")
    written = [json.loads(line) for line in files.ftm.read_text().splitlines()]
    schemata = sorted(e["schema"] for e in written)
    assert schemata == ["Membership", "Organization", "Person"]
    # `ftm validate` re-parses every value: nothing may be dropped or changed.
    assert _ftm_validate(files.ftm, tmp_path) == written


def test_direct_attribution_reaches_the_unit_dossier(case: Case) -> None:
    from tocsin.accountability.dossier import gather

    attribute(case.setup, case.incident, case.unit)
    with session_factory(case.setup.workspace.database_url)() as session:
        data = gather(session, case.unit, 1)
    assert [(i["id"], i["basis"]["kind"]) for i in data["incidents"]] == [(case.incident, "direct")]


def test_cli_dossier_and_export(case: Case, tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(case.setup.workspace.home)]
    done = runner.invoke(app, [*home, "dossier", "Abdel Rahman Juma Barkalla", "--as", "badr",
                               "--out", str(tmp_path / "d"), "--lang", "ar"])
    assert done.exit_code == 0, done.output
    assert len(list((tmp_path / "d").glob("*.pdf"))) == 1
    done = runner.invoke(app, [*home, "actors", "export", "--as", "badr", "--out",
                               str(tmp_path / "all.jsonl")])
    assert done.exit_code == 0, done.output
    exported = _ftm_validate(tmp_path / "all.jsonl", tmp_path)
    assert {e["schema"] for e in exported} >= {"Person", "Organization", "Membership"}
    # Usage errors exit 2; failures exit 1 with a message naming what is wrong.
    assert runner.invoke(app, [*home, "dossier", "x", "--as", "badr", "--lang", "fr"]).exit_code == 2
    done = runner.invoke(app, [*home, "dossier", "Nobody Here", "--as", "badr"])
    assert done.exit_code == 1 and "no actor 'Nobody Here'" in done.output
    done = runner.invoke(app, [*home, "legal", "sign-off", str(case.assessments[0]), "--as",
                               "amira"])
    assert done.exit_code == 1 and "is signed_off, not a draft" in done.output


def test_two_person_review_rules(locker_setup) -> None:  # type: ignore[no-untyped-def]
    from accountability_support import build_case

    from tocsin.accountability.errors import AccountabilityError
    from tocsin.accountability.qualification import assess, sign_off

    case = build_case(locker_setup, sign=False)
    locker = case.setup.locker
    with pytest.raises(AccountabilityError, match="its author cannot sign it off"):
        sign_off(locker, "badr", case.assessments[0])
    with pytest.raises(AccountabilityError, match="you are monitor"):
        sign_off(locker, "musa", case.assessments[0])
    with pytest.raises(AccountabilityError, match=r"no assessment .* in your organisation"):
        sign_off(locker, "salim", case.assessments[0])  # an analyst of another organisation
    with pytest.raises(AccountabilityError, match="contextual element: assess it once per situation"):
        assess(locker, "badr", incident_id=case.incident, element_id="7(1)(a)-2",
               assessment="supported", event_uids=["x"])
    with pytest.raises(AccountabilityError, match="cannot be supported by nothing"):
        assess(locker, "badr", incident_id=case.incident, element_id="7(1)(a)-3",
               assessment="supported")
    # A revision supersedes the draft; the checklist shows the newest.
    revised = assess(locker, "badr", incident_id=case.incident, element_id="7(1)(a)-1",
                     assessment="contested", note="the video may show combatants")
    assert revised.supersedes == case.assessments[0]
    from tocsin.accountability.qualification import checklist

    with session_factory(case.setup.workspace.database_url)() as session:
        rows = {r.element.id: r for r in checklist(session, 1, case.incident, ["7(1)(a)"])}
    assert rows["7(1)(a)-1"].assessment.id == revised.id
    assert rows["7(1)(a)-1"].missing.startswith("contested; more evidence of")
    assert rows["7(1)(a)-2"].missing == "supported in a draft: needs a second analyst's sign-off"
    assert rows["7(1)(a)-3"].missing.startswith("not assessed yet")
    from tocsin.evidence.verify import verify_locker

    assert verify_locker(locker).ok
