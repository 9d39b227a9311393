"""A form's problems, told in the page's language: whatever pydantic says is wrong with
whatever field, the page says it, naming the field, and never fails to render."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tocsin.i18n import ARABIC_LETTER, Catalogue
from tocsin.web.forms import TOLD_TYPES, field_problems

FIELD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
VALUE = st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=30), st.dates(), st.none())
ERROR = st.fixed_dictionaries({
    "loc": st.lists(st.one_of(FIELD, st.integers(0, 9)), min_size=0, max_size=3).map(tuple),
    "type": st.one_of(st.sampled_from(sorted(TOLD_TYPES)), st.text(max_size=12)),
    "msg": st.text(max_size=40),
    "input": VALUE,
    "ctx": st.dictionaries(st.sampled_from(["max_length", "min_length", "ge", "le", "expected",
                                            "error", "x"]), VALUE, max_size=3),
})


@given(st.lists(ERROR, min_size=1, max_size=4))
def test_every_problem_is_told_naming_its_field(errors: list[dict[str, Any]]) -> None:
    problems = field_problems(errors)
    assert len(problems.problems) == len(errors)   # none lost
    english, arabic = str(problems), problems.told(Catalogue("cli", "ar"))
    for problem in problems.problems:
        assert problem.field in english
    assert english.count("; ") >= len(errors) - 1 and arabic.count("؛ ") >= len(errors) - 1


def test_the_problems_a_form_meets_are_told_in_arabic() -> None:
    errors = [{"loc": ("body", "captured_at"), "type": "missing", "msg": "Field required", "input": None},
              {"loc": ("body", "username"), "type": "string_too_long", "msg": "String should have at "
               "most 100 characters", "input": "x" * 101, "ctx": {"max_length": 100}},
              {"loc": ("query", "zoom"), "type": "int_parsing", "msg": "Input should be a valid "
               "integer", "input": "ten"},
              {"loc": ("query", "size"), "type": "greater_than_equal", "msg": "Input should be "
               "greater than or equal to 0", "input": "-1", "ctx": {"ge": 0}}]
    problems = field_problems(errors)
    assert str(problems) == ("captured_at: this field is needed; username: at most 100 characters; "
                             "zoom: a whole number is needed, found 'ten'; size: at least 0")
    arabic = problems.told(Catalogue("cli", "ar"))
    assert arabic.count("؛ ") == 3 and ARABIC_LETTER.search(arabic)
    for english in ("needed", "at most", "whole number", "at least"):
        assert english not in arabic
    # A type the catalogue does not know keeps pydantic's own English.
    other = field_problems([{"loc": ("body", "day"), "type": "date_from_datetime_parsing",
                             "msg": "Input should be a valid date", "input": "x"}])
    assert str(other) == "day: Input should be a valid date"
