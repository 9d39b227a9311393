"""Arabic pages translate the details the analyses write in English instead of hiding them:
burning reasons phrase by phrase, siege evidence from its parts, forecast reasons with their
sides named, an evidence item's kind."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from tocsin.arabic import LATIN_NAMES
from tocsin.web.i18n import Translator
from tocsin.web.phrases import BURNING_PHRASES, burning_phrase, split_reasons
from tocsin.workspace import Workspace

ARABIC = re.compile("[\u0600-\u06FF]")


def _latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]", text)) - LATIN_NAMES


@pytest.fixture(scope="module")
def burnings(web_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The reasons the real detector writes for the sample (the burnings job on a copy)."""
    from tocsin.jobs.runner import run_jobs
    from tocsin.lake import Lake

    home = tmp_path_factory.mktemp("burnings") / "ws"
    shutil.copytree(web_workspace.home, home, ignore=shutil.ignore_patterns(".lock"))
    workspace = Workspace(home)
    lake = Lake(workspace.lake_dir)
    with workspace.write_lock():
        assert run_jobs(lake, ["burnings"], workspace=workspace).failed == {}
    return [r for (r,) in lake.connect().execute("SELECT reasons FROM burnings").fetchall()]


def test_every_burning_reason_the_sample_holds_is_translated(burnings: list[str]) -> None:
    t = Translator("ar", "arabic_indic")
    assert len(burnings) > 50
    for reasons in burnings:
        parts = split_reasons([reasons])
        shown, unknown = t.burning_reasons([reasons])
        assert unknown == 0, [p for p in parts if burning_phrase(p) is None]
        assert len(shown) == len(parts)
        for line in shown:
            assert ARABIC.search(line) and not _latin_words(line), line
            assert not re.search("[0-9]", line), line  # the organisation's Arabic-Indic digits
    english, unknown = Translator("en").burning_reasons(burnings[:1])
    assert english == split_reasons(burnings[:1]) and unknown == 0  # English pages keep the text


def test_an_unknown_phrase_is_counted_not_shown() -> None:
    t = Translator("ar")
    shown, unknown = t.burning_reasons(["seen only at night, when field fires are rare; a new "
                                        "kind of reason nobody translated yet"])
    assert shown == ["رُصدت ليلًا فقط، حين تندر حرائق الحقول"] and unknown == 1
    assert "a new kind" not in t("details_in_english", count=unknown)


def test_every_phrase_has_a_key_in_both_languages() -> None:
    for key in BURNING_PHRASES:
        for language in ("en", "ar"):
            assert Translator(language)(f"why_burn_{key}") != f"why_burn_{key}"
    key, values = burning_phrase("4 detections (1 at night) within 1.5 km of the village over 2 days, "
                                 "FRP 30 MW")  # type: ignore[misc]
    assert key == "why_burn_detections" and values == {"n": 4, "night": 1, "km": 1.5, "kind": "village",
                                                       "days": 2, "frp": 30}
    line = Translator("ar").burning_reasons(["4 detections (1 at night) within 1.5 km of the village "
                                             "over 2 days, FRP 30 MW"])[0][0]
    assert "قرية" in line and "\u20664\u2069" in line and "\u20661.5\u2069" in line


def test_siege_evidence_is_written_from_its_parts() -> None:
    fact = {"signal": "fighting_inside", "kind": "event", "ref": "ucdp-ged:507267",
            "date": dt.date(2023, 12, 29),
            "detail": "battle at Nyala town, 30 killed (Government of Sudan v RSF)"}
    ar = Translator("ar").evidence_line(fact)
    assert ar.startswith("قتال داخل المدينة، 29 ديسمبر 2023") and "\u2066UCDP 507267\u2069" in ar
    assert "حكومة السودان" in ar and "قوات الدعم السريع" in ar and "\u206630\u2069" in ar
    assert not _latin_words(ar)
    assert Translator("en").evidence_line(fact) == fact["detail"]
    memory = {"signal": "outcome_unrecorded", "kind": "memory", "ref": "", "date": dt.date(2023, 11, 19),
              "detail": "last under assault on 2023-11-19; nothing since says who holds the town"}
    assert Translator("ar").evidence_line(memory).startswith("آخر هجوم عليها في 19 نوفمبر 2023؛")


def test_forecast_reasons_come_in_arabic_with_their_sides_named() -> None:
    from tocsin.analysis.reasons import actors

    sides = actors("Arab", "Gimir")
    assert sides is not None and "Arab" in sides[1]  # the forecast keeps these in Latin script
    row = {"reasons": [sides[0]], "reasons_ar": [sides[1]]}
    [shown] = Translator("ar").forecast_reasons(row)
    assert "العرب" in shown and "القمر" in shown and not _latin_words(shown)
    assert Translator("en").forecast_reasons(row) == [sides[0]]
    assert Translator("ar").actors_named("Fur and Furawiya") == "الفور and Furawiya"  # whole words


def test_evidence_kind_and_size_in_words() -> None:
    t = Translator("ar", "arabic_indic")
    text = t("evidence_kind_size", kind=t.media_kind("image/png"), media_type="image/png", size=1063862)
    assert text.startswith("صورة (image/png)") and "١٬٠٦٣٬٨٦٢" in text and "بايت" in text
    en = Translator("en")
    assert en("evidence_kind_size", kind=en.media_kind("application/pdf"), media_type="application/pdf",
              size=1200) == "document (application/pdf), 1,200 bytes"
    assert t.media_kind(None) == t("media_other")


def test_place_page_in_arabic_shows_the_details(web_workspace: Workspace, tmp_path: Path) -> None:
    """The page itself (no browser): El Fasher's siege evidence in Arabic lines, not a count."""
    from tocsin.web.data import WebData

    data = WebData(web_workspace)
    board = data.siege_board()
    assert isinstance(board, list) and board
    place = data.place(board[0]["place_id"])
    assert place is not None
    facts = [f for s in place["stage_history"] for f in s["evidence_facts"]]
    assert facts
    lines = [Translator("ar").evidence_line(f) for f in facts]
    assert all(ARABIC.search(line) and not _latin_words(line) for line in lines), lines
