"""What is wrong with a form a page sent (FastAPI's validation errors), told in the language of
the page's reader: a field monitor writing in Arabic reads why the form was refused in Arabic.
The JSON API keeps pydantic's English, as its clients read it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tocsin.errors import shortened
from tocsin.i18n import Catalogue, Clauses

# pydantic's error types a form meets, and the catalogue key (tocsin/cli/i18n) that tells each;
# the key's placeholders come from the error's context (``ctx``). Any other type is told in
# pydantic's own English.
TOLD_TYPES = {
    "missing": "form.missing",
    "string_too_long": "form.too_long",
    "string_too_short": "form.too_short",
    "int_parsing": "form.not_whole_number",
    "float_parsing": "form.not_number",
    "greater_than_equal": "form.at_least",
    "less_than_equal": "form.at_most",
}


@dataclass(frozen=True)
class FieldProblem:
    field: str            # the form's field name, as the page's form sends it
    kind: str             # pydantic's error type
    message: str          # pydantic's English
    context: Mapping[str, Any]
    found: Any = None

    def told(self, say: Catalogue) -> str:
        key = TOLD_TYPES.get(self.kind)
        if key is not None:
            try:
                return say(key, **{**self.context, "field": self.field, "found": self.found})
            except (KeyError, IndexError, ValueError, TypeError):  # a context it does not expect
                pass
        return say("form.other", field=self.field, message=self.message)


@dataclass(frozen=True)
class FieldProblems:
    """Every problem of one form, as one line."""

    problems: tuple[FieldProblem, ...]

    def __str__(self) -> str:
        return self.told(Catalogue("cli"))

    def told(self, say: Catalogue) -> str:
        return Clauses(self.problems).told(say)


def field_problems(errors: Iterable[Mapping[str, Any]]) -> FieldProblems:
    """FastAPI's ``RequestValidationError.errors()`` as problems of named fields: the location's
    first part (body, query, path) is where FastAPI read it, not what the reader typed into."""
    problems = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        field = ".".join(location[1:] if len(location) > 1 else location) or "?"
        context = {str(k): v if isinstance(v, int | float) and not isinstance(v, bool) else str(v)
                   for k, v in (error.get("ctx") or {}).items()}
        found = error.get("input")
        found = shortened(found) if isinstance(found, str) else found
        problems.append(FieldProblem(field, str(error.get("type", "")), str(error.get("msg", "")),
                                     context, found))
    return FieldProblems(tuple(problems))
