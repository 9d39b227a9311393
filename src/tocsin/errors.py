"""Errors that name what is wrong in the user's input: file, line, column, what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tocsin.i18n import Catalogue


def shortened(text: str, limit: int = 60) -> str:
    """A value shown in a message, cut to ``limit`` characters ("..." at the end) so that a
    message never carries a whole pasted paragraph."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in an input file. ``expected`` is English (the rejects
    file keeps it so); a ``tocsin.i18n.Said`` (a str) when it can also be told in the language
    of a session."""

    file: str
    line: int | None  # physical line (1 = header) or feature/row number for non-CSV input
    column: str | None
    expected: str
    found: str | None = None
    unit: str = "line"  # "line" for text files, "feature" for GeoJSON, "row" for spreadsheets

    def __str__(self) -> str:
        from tocsin.i18n import Catalogue

        return self.told(Catalogue("cli"))

    def told(self, say: Catalogue) -> str:
        """The problem in the words of ``say`` (the command line's catalogue): where it is, what
        was expected, what was found."""
        from tocsin.i18n import told

        parts = [say("problem.file", file=self.file)]
        if self.line is not None:
            unit = f"problem.{self.unit}"  # a unit the catalogue lacks is named as it is
            parts.append(say(unit, line=self.line) if unit in say else f"{self.unit} {self.line}")
        if self.column:
            parts.append(say("problem.column", column=self.column))
        text = say("problem.sep").join(parts) + say("problem.expected",
                                                    expected=told(self.expected, say))
        if self.found is not None:
            text += say("problem.found", found=repr(shortened(self.found)))
        return text


@dataclass(frozen=True)
class ProblemLines:
    """An input's summary and first ``limit`` problems, one per line: told in the language of
    the catalogue it is told with, so it can be a ``Said``'s value (and pickles with one)."""

    problems: tuple[Problem, ...]
    summary: str | None = None
    limit: int = 10

    def __str__(self) -> str:
        from tocsin.i18n import Catalogue

        return self.told(Catalogue("cli"))

    def told(self, say: Catalogue) -> str:
        from tocsin.i18n import told

        lines = [told(self.summary, say)] if self.summary else []
        lines += [p.told(say) for p in self.problems[:self.limit]]
        if len(self.problems) > self.limit:
            lines.append(say("problem.more", count=len(self.problems) - self.limit))
        return "\n".join(lines)


class InputError(Exception):
    """The input cannot be ingested as it is. Nothing was written."""

    def __init__(self, problems: list[Problem], summary: str | None = None) -> None:
        self.problems = problems
        self.summary = summary
        # Its message can be told (tocsin.i18n.said_of): the command line says it in the
        # session's language; str(exc) is the English.
        super().__init__(self.lines())

    def __reduce__(self) -> tuple[type[InputError], tuple[list[Problem], str | None]]:
        return InputError, (self.problems, self.summary)

    def lines(self, limit: int = 10) -> ProblemLines:
        return ProblemLines(tuple(self.problems), self.summary, limit)

    def render(self, limit: int = 10) -> str:
        """In English (the logs', the JSON's)."""
        return str(self.lines(limit))

    def told(self, say: Catalogue, limit: int = 10) -> str:
        """In the words of ``say`` (the command line's catalogue)."""
        return self.lines(limit).told(say)


def input_error(file: str, expected: str, *, line: int | None = None, column: str | None = None,
                found: str | None = None, unit: str = "line") -> InputError:
    return InputError([Problem(file, line, column, expected, found, unit)])
