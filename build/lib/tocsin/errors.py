"""Errors that name what is wrong in the user's input: file, line, column, what was expected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in an input file."""

    file: str
    line: int | None  # physical line (1 = header) or feature/row number for non-CSV input
    column: str | None
    expected: str
    found: str | None = None
    unit: str = "line"  # "line" for text files, "feature" for GeoJSON, "row" for spreadsheets

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"{self.unit} {self.line}")
        if self.column:
            parts.append(f"column '{self.column}'")
        text = ", ".join(parts) + f": expected {self.expected}"
        if self.found is not None:
            shown = self.found if len(self.found) <= 60 else self.found[:57] + "..."
            text += f", found {shown!r}"
        return text


class InputError(Exception):
    """The input cannot be ingested as it is. Nothing was written."""

    def __init__(self, problems: list[Problem], summary: str | None = None) -> None:
        self.problems = problems
        self.summary = summary
        super().__init__(self.render())

    def render(self, limit: int = 10) -> str:
        lines = [self.summary] if self.summary else []
        lines += [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problems")
        return "\n".join(lines)


def input_error(file: str, expected: str, *, line: int | None = None, column: str | None = None,
                found: str | None = None, unit: str = "line") -> InputError:
    return InputError([Problem(file, line, column, expected, found, unit)])
