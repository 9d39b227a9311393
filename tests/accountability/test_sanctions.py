"""Sanctions import on the real lists (../shared/data/sanctions-sudan): one entity per person or
company across lists, with all its sanctions; no two different people merged; bad files
refused or quarantined with file, line or entry id; nothing half-imported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tocsin.accountability.entities import cluster_of
from tocsin.accountability.importing import import_sanctions
from tocsin.accountability.resolve import named, score
from tocsin.accountability.sanctions import SanctionsFileError, parse_file, parse_ftm_jsonl
from tocsin.records.accountability_models import EntityMatch, FtmEntity
from tocsin.records.db import session_factory
from tocsin.workspace import Workspace

UN = "un_sc_consolidated_sudan_1591_2026-02-27.xml"
UK = "uk_fcdo_sanctions_list_sudan_regimes_2025-08-11.csv"
US = "us_ofac_sudan_designations_curated_from_press.csv"


@pytest.fixture
def lists(shared_data: Path) -> list[Path]:
    folder = shared_data / "sanctions-sudan"
    return [folder / UN, folder / UK, folder / US]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    ws = Workspace(tmp_path / "ws")
    ws.init()
    return ws


def _by_caption(session, caption: str, dataset: str) -> FtmEntity:  # type: ignore[no-untyped-def]
    return session.scalars(select(FtmEntity).where(FtmEntity.caption == caption,
                                                   FtmEntity.dataset == dataset)).one()


def _authorities(session, entity_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    ids = cluster_of(session, entity_id)
    rows = session.scalars(select(FtmEntity).where(FtmEntity.schema == "Sanction")).all()
    return sorted(r.properties["authority"][0] for r in rows if set(r.properties["entity"]) & ids)


def test_the_same_people_and_companies_are_one_entity_with_all_their_sanctions(
        workspace: Workspace, lists: list[Path]) -> None:
    report = import_sanctions(workspace, lists)
    assert [f["layout"] for f in report.files] == ["un-sc-xml", "gb-fcdo-csv", "us-designations-csv"]
    with session_factory(workspace.database_url)() as session:
        dagalo = _by_caption(session, "Abdelrahim Hamdan Dagalo", "sanctions-us")
        un_dagalo = _by_caption(session, "ABDUL RAHIM HAMDAN DAGALO", "sanctions-un")
        assert cluster_of(session, dagalo.id) == {dagalo.id, un_dagalo.id}
        assert _authorities(session, dagalo.id) == ["US Office of Foreign Assets Control",
                                                    "United Nations Security Council"]
        for uk_name, us_name in [
                ("Al Junaid Multi Activities Co Ltd", "Al Junaid Multi Activities Co Ltd"),
                ("Tradive General Trading LLC", "Tradive General Trading L.L.C."),
                ("GSK Advance Company Ltd", "GSK Advance Company Ltd")]:
            uk = _by_caption(session, uk_name, "sanctions-gb")
            us = _by_caption(session, us_name, "sanctions-us")
            assert cluster_of(session, uk.id) == {uk.id, us.id}, uk_name
            assert _authorities(session, uk.id) == [
                "UK Foreign, Commonwealth and Development Office",
                "US Office of Foreign Assets Control"]
        # UN and UK list the same 1591 designees under reordered names.
        gaffar = _by_caption(session, "GAFFAR MOHAMMED ELHASSAN", "sanctions-un")
        assert {r.caption for r in (session.get(FtmEntity, i) for i in cluster_of(
            session, gaffar.id))} == {"GAFFAR MOHAMMED ELHASSAN", "ELHASSAN GAFFAR MOHAMMED"}


def test_no_two_different_people_are_merged(workspace: Workspace, lists: list[Path]) -> None:
    import_sanctions(workspace, lists)
    with session_factory(workspace.database_url)() as session:
        clusters = {frozenset(cluster_of(session, r.id)) for r in session.scalars(
            select(FtmEntity).where(FtmEntity.schema != "Sanction")).all()}
        names = [sorted(session.get(FtmEntity, i).caption for i in c) for c in clusters]
    # The Dagalo brothers share two of three names; Hemedti, Abdelrahim and Algoney stay apart,
    # and so do the Capital Tap companies of one list.
    for group in names:
        joined = " | ".join(group)
        assert not ("Hemedti" in joined and "RAHIM" in joined.upper()), joined
        assert not ("Algoney" in joined and "Abdelrahim" in joined), joined
        assert sum("Capital Tap" in n for n in group) <= 1, joined
        assert not ("GEDO" in joined and "DAGALO" in joined), joined
    # Every merged group has at most one entry per list: a list never names one person twice.
    merged = [c for c in names if len(c) > 1]
    assert len(merged) == 11


def test_reimport_adds_nothing_and_keeps_an_analysts_rejection(
        workspace: Workspace, lists: list[Path]) -> None:
    from tocsin.accountability.importing import judge

    import_sanctions(workspace, lists)
    url = workspace.database_url
    with session_factory(url)() as session, session.begin():
        count = session.scalar(select(func.count()).select_from(FtmEntity))
        first = session.scalars(select(EntityMatch).order_by(EntityMatch.id)).first()
        judge(session, first.id, "negative", "badr")
    again = import_sanctions(workspace, lists)
    assert again.new_entities == 0 and again.merged == 0
    with session_factory(url)() as session:
        assert session.scalar(select(func.count()).select_from(FtmEntity)) == count
        assert session.get(EntityMatch, first.id).judgement == "negative"


def test_entries_missing_a_listing_date_are_quarantined_with_their_line(
        workspace: Workspace, lists: list[Path]) -> None:
    report = import_sanctions(workspace, lists)
    where = [(Path(q.path).name, q.where) for q in report.quarantined]
    assert where == [(US, "line 10"), (US, "line 11"), (US, "line 12")]
    assert all("expected a listing date" in q.problem for q in report.quarantined)
    [rejects] = report.rejects
    kept = [json.loads(line) for line in Path(rejects).read_text().splitlines()]
    assert [k["entry"]["name"] for k in kept] == [
        "Alkhaleej Bank Co Ltd", "Zadna International Co for Development Ltd",
        "Al-Fakher Advanced Works Co. Ltd"]


def test_strict_refuses_the_file_and_imports_nothing(workspace: Workspace,
                                                      lists: list[Path]) -> None:
    with pytest.raises(SanctionsFileError, match=r"line 10: designation_date is '': expected"):
        import_sanctions(workspace, lists, strict=True)
    with session_factory(workspace.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(FtmEntity)) == 0


@pytest.mark.parametrize(("cut", "message"), [
    ("layout", r"line 1: not a sanctions list Tocsin reads"),
    ("truncated-xml", r"line \d+, column \d+: not well-formed UN list XML .*truncated"),
    ("truncated-csv", r"line \d+: \d fields where the header has 8"),
    ("header", r"line 1: expected the header Unique ID"),
])
def test_bad_files_are_refused_naming_file_and_line(workspace: Workspace, lists: list[Path],
                                                     tmp_path: Path, cut: str, message: str) -> None:
    un, uk, _ = lists
    if cut == "layout":
        bad, text = tmp_path / "x.csv", "id;nom;date\n1;X;2020\n"
    elif cut == "truncated-xml":
        bad, text = tmp_path / UN, un.read_text()[:6000]
    elif cut == "truncated-csv":
        raw = uk.read_text()
        bad, text = tmp_path / UK, raw[: raw.index("SUD0010") + 40]
    else:
        bad, text = tmp_path / UK, uk.read_text().replace("OFSI Group ID,", "", 1)
    bad.write_text(text)
    with pytest.raises(SanctionsFileError, match=message) as error:
        import_sanctions(workspace, [lists[0], bad])
    assert str(bad) in str(error.value)
    with session_factory(workspace.database_url)() as session:  # the good UN file neither
        assert session.scalar(select(func.count()).select_from(FtmEntity)) == 0


def test_entry_without_a_name_is_quarantined_by_entry_id(lists: list[Path], tmp_path: Path) -> None:
    un = lists[0].read_text()
    bad = tmp_path / UN
    # The real file pads this entry's names with spaces, as the UN writes them.
    bad.write_text(re.sub(r"<FIRST_NAME> GEDO </FIRST_NAME>\s*<SECOND_NAME>HAMDAN </SECOND_NAME>"
                          r"\s*<THIRD_NAME> AHMED </THIRD_NAME>", "", un))
    parsed = parse_file(bad)
    assert [(q.where, q.problem) for q in parsed.quarantined] == [
        ("entry SDi.007", "the entry has no name (expected FIRST_NAME..FOURTH_NAME)")]
    assert len(parsed.sanctions) == 8


def test_ftm_jsonl_round_trips_and_refuses_a_torn_last_line(lists: list[Path]) -> None:
    parsed = parse_file(lists[1])
    text = "".join(json.dumps(e.to_dict()) + "\n" for e in parsed.entities)
    again = parse_ftm_jsonl(text, "uk.ftm.jsonl")
    assert [e.to_dict() for e in again.entities] == [e.to_dict() for e in parsed.entities]
    with pytest.raises(SanctionsFileError, match=r"uk.ftm.jsonl, line \d+: the last line has no "
                                                 "newline"):
        parse_ftm_jsonl(text[:-30], "uk.ftm.jsonl")


# Particles ("abdel", "al") are left out: they bind to the next name, so their order counts.
NAME = st.lists(st.sampled_from(["mohamed", "osman", "hamid", "barkalla", "rahman", "juma",
                                 "hamdan", "dagalo", "musa", "hilal", "ali", "karti"]),
                min_size=2, max_size=4, unique=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NAME, st.randoms(use_true_random=False))
def test_name_order_and_case_never_change_the_score(tokens: list[str], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(tokens)
    rnd.shuffle(shuffled)
    left = named("a", "Person", [" ".join(tokens)], "x")
    right = named("b", "Person", [" ".join(shuffled).upper()], "y")
    assert score(left, right) == 1.0
    # A name sharing only some tokens never reaches the merge threshold on its own.
    other = named("c", "Person", [" ".join([*tokens[:-1], "zzzqx"])], "z")
    assert score(left, other) < 0.9


@pytest.mark.parametrize(("left", "right"), [
    ("Abdelrahim Hamdan Dagalo", "ABDUL RAHIM HAMDAN DAGALO"),
    ("Abd al-Rahman Juma", "Abdel Rahman Juma"),
    ("Tradive General Trading L.L.C.", "Tradive General Trading LLC"),
])
def test_transliteration_and_punctuation_variants_match(left: str, right: str) -> None:
    schema = "Company" if "Trading" in left else "Person"
    assert score(named("a", schema, [left], "x"), named("b", schema, [right], "y")) >= 0.9


def test_best_match_prefers_the_exact_name_and_respects_groups() -> None:
    from tocsin.accountability.resolve import BlockingIndex

    actors = [named("a1", "Person", ["Mohamed Osman Hamid"], "actors"),
              named("a2", "Person", ["Mohamed Osman Hamid Barkalla"], "actors"),
              named("a3", "Company", ["Osman Hamid Mohamed Trading"], "actors")]
    index = BlockingIndex(actors)
    best = index.best(named("e1", "Person", ["HAMID, Mohamed Osman"], "list"))
    assert best is not None and {best.left, best.right} == {"a1", "e1"} and best.score == 1.0
    assert index.best(named("a9", "Person", ["Mohamed Osman Hamid"], "actors")) is None
    assert index.best(named("e2", "Person", ["Ali Karti"], "list")) is None
