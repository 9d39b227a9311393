"""English and Arabic strings of the web app, and which way each language is written: the
web domain of the one catalogue mechanism (tocsin.i18n)."""

from __future__ import annotations

from tocsin.i18n import DEFAULT_LANGUAGE, LANGUAGES, RIGHT_TO_LEFT, Catalogue, direction, load

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "RIGHT_TO_LEFT", "Translator", "direction", "pick_language",
           "strings"]


def strings(language: str) -> dict[str, str]:
    return load("web", language)


def pick_language(requested: str | None, accept_language: str | None) -> str:
    """The user's choice when known, else the browser's first supported language."""
    if requested in LANGUAGES:
        return str(requested)
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


class Translator(Catalogue):
    """``t("key", name=...)`` in templates; a missing key shows the English text, never crashes."""

    def __init__(self, language: str, digits: str = "western") -> None:
        super().__init__("web", language, digits)

    def place_name(self, name: str | None, name_ar: str | None) -> str:
        """Arabic readers see the sources' Arabic name (standard spelling), or a marked
        transliteration when no source has one (tocsin.arabic's rule)."""
        from tocsin.arabic import place_name

        return place_name(name, name_ar, self.language)

    def number(self, value: float | int | None) -> str:
        """A count in the reader's language and organisation's digits (tocsin.arabic)."""
        from tocsin.arabic import number

        return number(value, self.language, self.digits)

    def percent(self, value: float | None) -> str:
        from tocsin.arabic import number

        return "" if value is None else number(value, self.language, self.digits, percent=True)

    def actor(self, name: str | None) -> str:
        from tocsin.report.words import actor_names

        if not name:
            return ""
        return actor_names().get(name, name) if self.language == "ar" else name

    def reasons(self, text: str | None) -> str:
        """The siege tracker's reasons ("cut_off: displacement surge, price spike") in the
        reader's language, from the signal names; a remembered stage (fallen, outcome
        unrecorded) has no signals and reads as its own explanation."""
        if not text:
            return ""
        if self.language != "ar":
            return text
        stage, _, names = text.partition(": ")
        known = [self._strings[f"signal_{n.strip().replace(' ', '_')}"] for n in names.split(", ")
                 if f"signal_{n.strip().replace(' ', '_')}" in self._strings]
        if known:
            return "، ".join(known)
        return self._strings.get(f"reason_{stage.strip()}", "")

    def signal(self, name: str) -> str:
        return self(f"signal_{name.strip().replace(' ', '_')}")

    def source(self, name: str) -> str:
        from tocsin.report.data import source_notes

        if self.language == "ar":
            return str(source_notes().get(name, {}).get("name_ar") or name)
        return name
