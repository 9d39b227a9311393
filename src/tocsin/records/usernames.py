"""User names people cannot confuse: NFKC-normalised, no invisible or look-alike characters,
none that reads like an existing one.

``analyst‐a`` (with U+2010 HYPHEN) beside ``analyst-a`` would let someone pass for a colleague
in the custody log and the web app. A name is normalised with NFKC (full-width and compatibility
forms folded), must hold letters, digits and ``. _ -`` only, and its *skeleton* (case folded,
accents and dashes unified, Cyrillic and Greek look-alikes of Latin letters mapped, after
Unicode TR 39's idea) must differ from every existing user's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from tocsin.i18n import Said

MAX_LENGTH = 100
_ALLOWED_PUNCTUATION = "._-"
# Letters that look the same as a Latin one in common fonts (a small part of TR 39's table:
# the Cyrillic and Greek ones people type by mistake or on purpose).
_LOOKALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "0": "o", "1": "l", "|": "l", "_": "-", ".": "-",
})


class UsernameError(ValueError):
    """A user name that is not allowed; the message says why."""


def normalise_username(text: str) -> str:
    """The NFKC form of ``text`` (stripped), or :class:`UsernameError` naming what is wrong."""
    name = unicodedata.normalize("NFKC", text).strip()
    if not name:
        raise UsernameError(Said("accounts.needs_username"))
    if len(name) > MAX_LENGTH:
        raise UsernameError(Said("accounts.username_long", limit=MAX_LENGTH))
    for char in name:
        category = unicodedata.category(char)
        if char in _ALLOWED_PUNCTUATION or category[0] in "LN" or category == "Mn":
            continue
        raise UsernameError(Said("accounts.username_char", name=name,
                                 char=unicodedata.name(char, hex(ord(char))),
                                 code=f"U+{ord(char):04X}"))
    return name


def skeleton(name: str) -> str:
    """What a name looks like: two names with one skeleton are confusable."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).casefold())
    bare = "".join(c for c in folded if unicodedata.category(c) != "Mn")
    return bare.translate(_LOOKALIKES)


def check_new_username(text: str, existing: Iterable[str]) -> str:
    """The normalised name, refused when it is, or looks like, an existing user's."""
    name = normalise_username(text)
    mine = skeleton(name)
    for other in existing:
        if skeleton(other) == mine:
            same = other.casefold() == name.casefold()
            raise UsernameError(Said("accounts.user_exists", other=other) if same else
                                Said("accounts.looks_like", name=name, other=other))
    return name
