"""Page one's judgements name a few places and say how many more there are: a judgement that
names 4 of 12 towns must not read as if those 4 were all."""

from __future__ import annotations

from datetime import date

import pytest

from tocsin.report.data import BriefData
from tocsin.report.judgements import MAX_PLACES, judgements
from tocsin.report.words import Words

AS_OF = date(2023, 12, 20)


def town(n: int, stage: str, rank: int) -> dict[str, object]:
    return {"place_id": f"p{n}", "name": f"Town {n}", "stage": stage, "stage_rank": rank,
            "since": date(2023, 12, 1), "exposed": 1000 - n, "signals": [], "evidence": []}


def brief(threatened: int) -> BriefData:
    siege = [town(0, "under_assault", 5)] + [town(n, "threatened", 1) for n in range(1, threatened + 1)]
    return BriefData(as_of=AS_OF, days=30, period_start=date(2023, 11, 21), siege=siege)


def sentence(data: BriefData, key: str, words: Words,
             previous: dict[str, object] | None = None) -> str:
    found = [j for j in judgements(data, {"rows": [], "basis": {"kind": "previous",
                                                                "previous": date(2023, 12, 19)}},
                                   previous) if j.key == key]
    assert len(found) == 1, [j.key for j in judgements(data, {"rows": [], "basis": {}}, previous)]
    return words.judgement(found[0])


@pytest.mark.parametrize(("threatened", "more"), [(MAX_PLACES, None), (MAX_PLACES + 1, "1 more"),
                                                  (MAX_PLACES + 8, "8 more")])
def test_the_siege_pattern_says_how_many_towns_it_leaves_unnamed(threatened: int,
                                                                 more: str | None) -> None:
    text = sentence(brief(threatened), "j_pattern", Words("en"))
    named = ", ".join(f"Town {n}" for n in range(1, MAX_PLACES))
    if more is None:
        assert f"{threatened} threatened ({named} and Town {MAX_PLACES})" in text
        assert "more" not in text
    else:
        assert f"{threatened} threatened ({named}, Town {MAX_PLACES} and {more})" in text
    assert "1 under assault (Town 0)" in text   # a step with all its towns named says no more


@pytest.mark.parametrize(("left", "form"), [(1, "مكان آخر"), (2, "مكانان آخران"),
                                            (3, "{n} أماكن أخرى"), (11, "{n} مكانًا آخر"),
                                            (100, "{n} مكان آخر")])
def test_arabic_counts_the_unnamed_towns_in_the_form_the_number_takes(left: int, form: str) -> None:
    words = Words("ar")
    text = sentence(brief(MAX_PLACES + left), "j_pattern", words)
    assert " و" + form.format(n=words.n(left)) + ")" in text


def test_what_changed_counts_the_moves_it_does_not_name() -> None:
    previous = {"siege": [town(n, "threatened", 1) for n in range(20, 27)]}   # 7 towns now calm
    text = sentence(brief(MAX_PLACES + 2), "j_changed_stages", Words("en"), previous)
    # Town 0 and the 6 threatened towns moved from calm: 7 moves, 4 named.
    assert "Town 0 from calm to under assault" in text and text.count(" from calm to ") == MAX_PLACES
    assert f"and {7 - MAX_PLACES} more" in text
    assert f"Town 23 and {7 - MAX_PLACES} more no longer past calm" in text
