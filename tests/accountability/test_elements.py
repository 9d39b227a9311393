"""The legal elements and risk factors data: complete where the issue says, and checked."""

from __future__ import annotations

import pytest

from tocsin.accountability.elements import legal_elements, parse_elements, risk_factors
from tocsin.accountability.errors import AccountabilityError


def test_every_article_the_issue_names_is_there() -> None:
    crimes = legal_elements().crimes
    expected = {f"6({x})" for x in "abcde"} | {f"7(1)({x})" for x in "abcdefhijk"} \
        | {"7(1)(g)-1", "7(1)(g)-6", "8(2)(c)(i)-1", "8(2)(c)(i)-2", "8(2)(c)(i)-3",
           "8(2)(c)(i)-4", "8(2)(c)(ii)", "8(2)(c)(iii)", "8(2)(c)(iv)", "8(2)(e)(xix)"} \
        | {f"8(2)(e)({n})" for n in ["i", "ii", "iii", "iv", "v", "vii", "viii", "ix", "x", "xi",
                                     "xii", "xiii", "xiv", "xv"]}
    assert expected <= set(crimes)
    # Each crime against humanity carries the contextual attack element, once per situation.
    for crime in crimes.values():
        contexts = {e.context for e in crime.elements if e.scope == "situation"}
        if crime.category == "crimes_against_humanity":
            assert "cah_attack" in contexts, crime.id
        if crime.category == "war_crimes_niac":
            assert contexts == {"niac_context"}, crime.id
    assert legal_elements().element("6(a)-2").protected_group


def test_fourteen_risk_factors() -> None:
    factors = risk_factors()
    assert [f["number"] for f in factors] == list(range(1, 15))
    assert all(f["indicators"] for f in factors)


def test_bad_elements_data_is_refused_naming_the_element() -> None:
    data = {"version": "x", "evidence_kinds": {"witness": "w"},
            "crimes": [{"id": "7(1)(a)", "title": "Murder", "elements": [
                {"id": "7(1)(a)-1", "text": "killed", "evidence": ["rumour"]}]}]}
    with pytest.raises(AccountabilityError, match=r"crime 7\(1\)\(a\): element 7\(1\)\(a\)-1 "
                                                  "names unknown evidence kinds"):
        parse_elements(data)
