"""Arabic on a terminal that cannot lay it out itself.

Text is kept in logical order (the order it is read) everywhere: in the catalogue, in files, when
output is piped. Many terminals (xterm, the Linux console, Windows' consoles, tmux over them)
neither join Arabic letters nor order right-to-left text: they print the characters left to right,
as stored, so a sentence reads backwards in unjoined letters. For those, lines that hold Arabic are
turned into *visual* order on the way out: letters joined (arabic_reshaper's presentation forms),
reordered by the Unicode bidi algorithm with a right-to-left paragraph (python-bidi), brackets
mirrored, then right-aligned. A table line mirrored whole reads right to left: its first column
stands on the right.

``TOCSIN_BIDI=visual`` or ``logical`` chooses; by default a terminal known to lay out bidi text
itself (VTE 0.58+ in GNOME Terminal and others, Konsole, mlterm, macOS Terminal, iTerm2) gets
logical order, any other terminal visual order, and a pipe or file logical order.
"""

from __future__ import annotations

import io
import os
import re
import textwrap
from typing import TextIO

ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]")
# SGR colour codes: dropped from a line that is reordered (a code cannot follow its text around).
SGR = re.compile(r"\x1b\[[0-9;]*m")
CONTROL = re.compile(r"\x1b(?!\[[0-9;]*m)")  # any other escape (cursor moves: progress bars)
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MODES = ("visual", "logical")


def terminal_lays_out_bidi(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    vte = env.get("VTE_VERSION", "")
    return ((vte.isdigit() and int(vte) >= 5800) or "KONSOLE_VERSION" in env
            or "MLTERM" in env or env.get("TERM_PROGRAM") in ("Apple_Terminal", "iTerm.app"))


def mode_for(stream: TextIO, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    chosen = env.get("TOCSIN_BIDI", "").strip().lower()
    if chosen in MODES:
        return chosen
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty() or terminal_lays_out_bidi(env):
        return "logical"
    return "visual"


def visual_line(line: str, width: int) -> list[str]:
    """One logical line as the terminal lines that show it right to left: wrapped to ``width``
    in reading order first (so each piece is a whole phrase), then joined, reordered, aligned."""
    import arabic_reshaper
    from bidi.algorithm import get_display

    if not ARABIC.search(line):
        return [line]
    plain = SGR.sub("", line).rstrip()
    # python-bidi's pure-Python algorithm (the one that mirrors brackets) knows embeddings, not
    # isolates: an isolate becomes an embedding between right-to-left marks, so that what stands
    # beside it ("(" before a number) still takes the sentence's direction.
    plain = (plain.replace("\u2066", "\u200f\u202a").replace("\u2067", "\u200f\u202b")
             .replace("\u2069", "\u202c\u200f"))
    pieces = textwrap.wrap(plain, width=max(width, 20), drop_whitespace=True,
                           break_on_hyphens=False) if len(plain) > width else [plain]
    shown = []
    for piece in pieces or [""]:
        text = BIDI_MARKS.sub("", get_display(arabic_reshaper.reshape(piece), base_dir="R"))
        shown.append(text.rjust(width) if len(text) < width else text)
    return shown


class VisualLines(io.TextIOBase):
    """A text stream that writes lines holding Arabic in visual order (see the module's note);
    other lines, and anything with cursor controls, pass unchanged."""

    def __init__(self, stream: TextIO, width: int = 80) -> None:
        self.stream = stream
        self.width = width
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self.stream.write(self._show(line) + "\n")
        return len(text)

    def _show(self, line: str) -> str:
        if CONTROL.search(line):
            return line
        return "\n".join(visual_line(line, self.width))

    def flush(self) -> None:
        if self._pending:
            self.stream.write(self._show(self._pending))
            self._pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")
