"""The Must-show chain: an incident with evidence, qualified against 7(1)(a) and 8(2)(e)(i) by
one analyst and signed off by a second, appears in the dossier of the unit's commander with its
evidence hashes; a change to a signed assessment is caught by `tocsin evidence verify`."""

from __future__ import annotations

from accountability_support import Case

from tocsin.accountability.dossier import gather
from tocsin.evidence.verify import verify_locker
from tocsin.records.db import session_factory
from tocsin.records.evidence_models import EvidenceItem


def _org(case: Case, name: str = "Darfur Witness Network") -> int:
    from sqlalchemy import select

    from tocsin.records.models import Organisation

    with session_factory(case.setup.workspace.database_url)() as session:
        return session.scalar(select(Organisation.id).where(Organisation.name == name))


def test_commander_dossier_holds_the_signed_incident_with_its_evidence_hash(
        backend_case: Case) -> None:
    case = backend_case
    with session_factory(case.setup.workspace.database_url)() as session:
        data = gather(session, "Abdel Rahman Juma Barkalla", _org(case))
        sha = session.get(EvidenceItem, case.item).sha256
    assert [c["unit"] for c in data["commands"]] == ["RSF West Darfur sector"]
    [incident] = data["incidents"]
    assert incident["id"] == case.incident
    assert incident["basis"]["kind"] == "area" and incident["basis"]["area"] == "El Geneina"
    crimes = {c["id"]: c for c in incident["crimes"]}
    assert set(crimes) == {"7(1)(a)", "8(2)(e)(i)"}
    murder = {e["id"]: e for e in crimes["7(1)(a)"]["elements"]}
    assert murder["7(1)(a)-1"]["status"] == "signed_off"
    assert murder["7(1)(a)-1"]["protected_group"]["group"] == "Masalit"
    # The contextual element comes from the situation's assessment, not the incident's.
    assert murder["7(1)(a)-2"]["situation"] == "Darfur 2023-"
    assert murder["7(1)(a)-2"]["assessment"] == "supported"
    assert crimes["7(1)(a)"]["supported"] == 2 and crimes["7(1)(a)"]["total"] == 3
    assert [e["sha256"] for e in incident["evidence"]] == [sha]
    assert incident["evidence"][0]["custody_entries"] >= 1
    from tocsin.evidence.verify import verify_locker as verify

    assert verify(case.setup.locker).ok


def test_another_organisation_sees_neither_the_incident_nor_the_private_unit(case: Case) -> None:
    import pytest

    from tocsin.accountability.errors import AccountabilityError

    with session_factory(case.setup.workspace.database_url)() as session:
        with pytest.raises(AccountabilityError, match="no actor"):
            gather(session, "Abdel Rahman Juma Barkalla", _org(case, "Sudan Archive"))
        public = gather(session, "Rapid Support Forces", _org(case, "Sudan Archive"))
    assert public["incidents"] == [] and public["links"] == []


def test_verify_is_clean_then_catches_a_changed_signed_assessment(case: Case) -> None:
    report = verify_locker(case.setup.locker)
    assert report.ok, [str(f) for f in report.findings]
    assert report.checked["legal assessments"] == 4
    engine = session_factory(case.setup.workspace.database_url).kw["bind"]
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE legal_assessments SET assessment = 'contested' WHERE id = ?",
            (case.assessments[0],))
    report = verify_locker(case.setup.locker)
    messages = [str(f) for f in report.findings]
    assert any(f"assessment {case.assessments[0]} (7(1)(a)-1)" in m and "assessment" in m
               and "signed off" in m for m in messages), messages


def test_verify_catches_a_forged_sign_off(locker_setup) -> None:  # type: ignore[no-untyped-def]
    from accountability_support import build_case

    case = build_case(locker_setup, sign=False)
    engine = session_factory(case.setup.workspace.database_url).kw["bind"]
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE legal_assessments SET status = 'signed_off', signed_off_by = created_by "
            "WHERE id = ?", (case.assessments[1],))
    messages = [str(f) for f in verify_locker(case.setup.locker).findings]
    assert any("no custody entry signs it off" in m for m in messages), messages


def test_sanctions_reach_tocsins_own_actor_with_the_gaps(case: Case, shared_data) -> None:  # type: ignore[no-untyped-def]
    from tocsin.accountability.importing import import_sanctions

    lists = sorted((shared_data / "sanctions-sudan").iterdir())
    import_sanctions(case.setup.workspace, lists)
    with session_factory(case.setup.workspace.database_url)() as session:
        data = gather(session, case.commander, _org(case))
    # Tocsin's commander is the UN's SDi.005 and the UK's SUD0020 (same name, same birth year).
    assert sorted(s["entry"] for s in data["sanctions"]) == ["SDi.005", "SUD0020"]
    assert "European Union" in data["gaps"] and "US Office of Foreign Assets Control" in data["gaps"]
    # ... while the US press row "Abdel Rahman Juma" waits for an analyst, named beside the gap.
    assert [p["caption"] for p in data["pending"]] == ["Abdel Rahman Juma"]
