"""One catalogue mechanism for every word a user reads: the web app's pages, the brief and the
command line. Each *domain* keeps its words in YAML beside its code (the same keys in every
language; tests check), and ``Catalogue(domain, language, digits)`` looks a key up and fills its
placeholders, shaping numbers and dates for the language (tocsin.arabic): in Arabic a number
takes the organisation's digits inside a left-to-right isolate, a date reads day, month, year.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from tocsin.yamlfast import safe_load

LANGUAGES = ("en", "ar")
DEFAULT_LANGUAGE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})

# domain -> (package, file name pattern, whether the file holds every language at its top level)
DOMAINS: dict[str, tuple[str, str, bool]] = {
    "web": ("tocsin.web.i18n", "{language}.yaml", False),
    "cli": ("tocsin.cli.i18n", "{language}.yaml", False),
    "report": ("tocsin.report", "strings.yaml", True),
    "dossier": ("tocsin.accountability", "strings.yaml", True),
}


ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")

# CLDR's cardinal plural categories: a message about a number of things may have a form per
# category the language has ("key_one", "key_two", ...); the plain key is the "other" form.
# English has one and other; Arabic zero, one, two, few (3-10), many (11-99) and other (100...).
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many")


def plural_category(language: str, number: int) -> str:
    """``number``'s plural category in ``language`` (CLDR's rules for whole numbers)."""
    n = abs(int(number))
    if language == "ar":
        if n < 3:
            return PLURAL_CATEGORIES[n]
        tail = n % 100
        return "few" if 3 <= tail <= 10 else "many" if tail >= 11 else "other"
    return "one" if n == 1 else "other"


# Counted nouns (counted.yaml): "{gap:days}" in a message writes the number with its noun in the
# form the number's category takes ("3 أيام", "11 يومًا", "100 يوم"; "1 day", "3 days").
COUNTED: dict[str, dict[str, dict[str, str]]] = safe_load(
    resources.files("tocsin").joinpath("counted.yaml").read_text("utf-8"))


def counted(number: float | None, noun: str, language: str, shaped: str | None = None) -> str:
    """``number`` ``noun`` (a COUNTED key) as ``language`` writes it; ``shaped``: the number as
    the message writes it (digits, isolate), by default plainly."""
    text = shaped if shaped is not None else f"{number:,}"
    if number is None:
        return text
    forms = COUNTED[noun].get(language) or COUNTED[noun]["en"]
    whole = round(number)
    return (forms.get(plural_category(language, whole)) or forms["other"]).format(n=text)


def _read_number(text: str) -> float | None:
    """The number a written count holds ("⁦١٬٢٠٠⁩" -> 1200), or None."""
    from tocsin.arabic import ARABIC_INDIC

    western = {indic: latin for latin, indic in ARABIC_INDIC.items()}   # digits written back
    plain = text.translate(western).replace(",", "").strip("\u2066\u2069\u200e\u200f ")
    try:
        return float(plain)
    except ValueError:
        return None


class Number(str):
    """A number written for a language (``text``) that remembers its value, so that a message
    formatted with plain ``str.format`` can still count with it: ``"{d:days}"`` with
    ``Number("٣", 3, "ar")`` gives "٣ أيام". Any other format spec formats the text."""

    value: float | None
    language: str

    def __new__(cls, text: str, value: float | None, language: str) -> Number:
        made = super().__new__(cls, text)
        made.value, made.language = value, language
        return made

    def __getnewargs__(self) -> tuple[str, float | None, str]:  # type: ignore[override]
        return str(self), self.value, self.language   # copied and pickled whole

    def __format__(self, spec: str) -> str:
        if spec in COUNTED:
            return counted(self.value, spec, self.language, str(self))
        return format(str(self), spec)


def plural_key(messages: Mapping[str, Any], key: str, language: str, number: int) -> str:
    """The key of ``key``'s form for ``number`` things: ``key_<category>`` where ``messages``
    has it, else ``key`` itself ("3 قتلى" and "11 قتيلًا", but "1 detection" and "2 detections")."""
    form = f"{key}_{plural_category(language, number)}"
    return form if form in messages else key


def plural_base(key: str) -> str:
    """The message a plural form belongs to (``key`` itself when it is none): a language may
    have forms another lacks, so catalogues compare their messages by these."""
    stem, _, category = key.rpartition("_")
    return stem if stem and category in PLURAL_CATEGORIES else key


class CatalogueError(ValueError):
    pass


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise CatalogueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    return language


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


@cache
def load(domain: str, language: str) -> dict[str, Any]:
    """Every key of ``domain`` in ``language``: text, or a table of texts (a dossier's names of
    assessments and statuses)."""
    check_language(language)
    package, pattern, nested = DOMAINS[domain]
    text = resources.files(package).joinpath(pattern.format(language=language)).read_text("utf-8")
    data: Any = safe_load(text)
    if nested:
        data = data[language]
    return {str(key): value if isinstance(value, dict | list) else str(value)
            for key, value in data.items()}


class ShapingFormatter(string.Formatter):
    """``str.format`` whose numbers and dates are written for the language: in Arabic, digits in
    the chosen style inside an isolate, the minus sign U+2212, dates as "30 نوفمبر 2023"."""

    def __init__(self, language: str, digits: str, isolate_latin: bool = True) -> None:
        self.language = language
        self.digits = digits
        self.isolate_latin = isolate_latin

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in COUNTED:
            if isinstance(value, Number):   # already written: counted with the value it holds
                return format(value, format_spec)
            if not isinstance(value, int | float) or isinstance(value, bool):
                # Written elsewhere: the noun still comes, counted by the digits the text holds.
                return counted(_read_number(str(value)), format_spec, self.language,
                               self.format_field(value, ""))
            return counted(value, format_spec, self.language, self.format_field(value, ","))
        if self.language not in RIGHT_TO_LEFT:
            return format(value, format_spec)
        from tocsin import arabic

        if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and not format_spec:
            return arabic.day(value, self.language, self.digits)
        text = format(value, format_spec)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return arabic.isolate(arabic.digits(text.replace("-", arabic.MINUS), self.digits))
        # Data in Latin script (a path, an id, a command) keeps its own order inside Arabic plain
        # text: "/tmp/ws" never shows as "tmp/ws/". (A page isolates with its markup instead.)
        if self.isolate_latin and text.strip() and not ARABIC_LETTER.search(text):
            return arabic.isolate(text)
        return text


class Catalogue:
    """``c("key", name=...)``: the key's text in the language (English when a key is missing, so a
    new key never crashes a page), its placeholders filled and shaped."""

    def __init__(self, domain: str, language: str = DEFAULT_LANGUAGE, digits: str = "western",
                 isolate_latin: bool = True) -> None:
        self.domain = domain
        self.language = check_language(language)
        self.digits = digits
        self.dir = direction(language)
        self._strings = load(domain, language)
        self._fallback = load(domain, DEFAULT_LANGUAGE)
        self._formatter = ShapingFormatter(language, digits, isolate_latin)

    def __call__(self, key: str, /, **values: Any) -> str:
        text = self._strings.get(key) or self._fallback.get(key) or key
        return self._formatter.vformat(text, (), values) if values else text

    def count(self, key: str, number: int, /, **values: Any) -> str:
        """``key``'s message for ``number`` things, in the form the language gives that number
        (``plural_key``). Positional, so a message may have a ``count`` field of its own."""
        return self(plural_key(self._strings, key, self.language, number), **values)

    def shape(self, value: Any, format_spec: str = "") -> str:
        """One value (a number, a date) as the language writes it, outside any sentence."""
        return self._formatter.format_field(value, format_spec)

    def __contains__(self, key: str) -> bool:
        return key in self._strings


class Said(str):
    """A line a job, a connector or the coverage check says, kept as its key in the command
    line's catalogue: the str is its English (what ``runs.jsonl``, ``--json`` and logs keep);
    ``told(catalogue)`` says it in the catalogue's language. A value may itself be said (a
    ``Said``, a ``Listed``, or anything with a ``told`` method): it is told in the same language.
    Counts agree with their number through the counted-noun specs (``{seen:detections}``)."""

    key: str
    values: dict[str, Any]

    def __new__(cls, key: str, /, **values: Any) -> Said:
        said = super().__new__(cls, _tell(Catalogue("cli"), key, values))
        said.key, said.values = key, values
        return said

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, Any]]:  # type: ignore[override]
        return (self.key,), self.values

    def told(self, say: Catalogue) -> str:
        return _tell(say, self.key, self.values)


class Listed(tuple):  # type: ignore[type-arg]
    """Things said as one list: joined with the language's list separator when told."""

    SEPARATOR = "siege.list_sep"

    def told(self, say: Catalogue) -> str:
        return say(self.SEPARATOR).join(str(told(item, say)) for item in self)


class Clauses(Listed):
    """Things said as clauses of one line ("a; b"): joined with the language's semicolon."""

    SEPARATOR = "common.clause_sep"


def said_of(exc: BaseException) -> Any:
    """What an error says, as said: its message when it was raised with a ``Said`` (told in the
    session's language where it is shown), else its text."""
    message = exc.args[0] if len(exc.args) == 1 else None
    return message if hasattr(message, "told") else str(exc)


def told(line: Any, say: Catalogue) -> Any:
    """``line`` in the words of ``say`` when it can be told (``Said``, ``Listed``, ``ModelSource``);
    anything else as it is."""
    return line.told(say) if hasattr(line, "told") else line


def _tell(say: Catalogue, key: str, values: Mapping[str, Any]) -> str:
    return say(key, **{k: told(v, say) for k, v in values.items()})
