"""English and Arabic strings of the web app, and which way each language is written: the
web domain of the one catalogue mechanism (tocsin.i18n)."""

from __future__ import annotations

from typing import Any

from tocsin.i18n import DEFAULT_LANGUAGE, LANGUAGES, RIGHT_TO_LEFT, Catalogue, Number, direction, load

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
        super().__init__("web", language, digits, isolate_latin=False)  # HTML isolates by markup

    def place_name(self, name: str | None, name_ar: str | None,
                   place: dict[str, Any] | None = None) -> str:
        """Arabic readers see the sources' Arabic name (standard spelling), or a marked
        transliteration when no source has one (tocsin.arabic's rule). A ``place`` no source
        names is said by where it is."""
        from tocsin.arabic import place_name, unnamed_place

        if place is not None and not name and not name_ar:
            kind = self(f"place_class_{place.get('place_class')}") if place.get("place_class") else ""
            unnamed = unnamed_place(self("unnamed_place"), kind or self("unnamed_class"),
                                    dict(place), self.language, self.digits)
            if unnamed:
                return unnamed
        return place_name(name, name_ar, self.language)

    def number(self, value: float | int | None) -> str:
        """A count in the reader's language and organisation's digits (tocsin.arabic), which a
        message may still count with ("{n:reports}": tocsin.i18n.Number)."""
        from tocsin.arabic import number

        return Number(number(value, self.language, self.digits), value, self.language)

    def said(self, line: Any) -> Any:
        """What the system says (a ``tocsin.i18n.Said``: a refusal, a form's problem) in the
        reader's language, from the command line's catalogue, so a page and a terminal say it
        alike; any other text as it is."""
        from tocsin.i18n import told

        return told(line, Catalogue("cli", self.language, self.digits))

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

    def burning_reasons(self, reasons: list[Any]) -> tuple[list[str], int]:
        """Why a settlement is flagged as burning, phrase by phrase, in the reader's language, and
        how many phrases no translation knows (counted on an Arabic page, never shown)."""
        from tocsin.web.phrases import burning_phrase, split_reasons

        parts = split_reasons(reasons)
        if self.language not in RIGHT_TO_LEFT:
            return parts, 0
        shown, unknown = [], 0
        for part in parts:
            found = burning_phrase(part)
            if found is None:
                unknown += 1
                continue
            key, values = found
            if "kind" in values:
                values["kind"] = self(f"place_class_{str(values['kind']).replace(' ', '_')}")
            shown.append(self(key, **values))
        return shown, unknown

    def forecast_reasons(self, row: dict[str, Any]) -> list[str]:
        """A forecast's reasons: the forecast writes them in both languages (analysis/reasons.py);
        actor names it keeps as the source writes them are named from actors.yaml here."""
        if self.language not in RIGHT_TO_LEFT:
            return [str(r) for r in row.get("reasons") or []]
        return [self.actors_named(str(r)) for r in row.get("reasons_ar") or []]

    def actors_named(self, text: str) -> str:
        """``text`` with the Latin-script actor names actors.yaml knows in Arabic."""
        from tocsin.report.words import actors_named

        return actors_named(text)

    def evidence_line(self, fact: dict[str, Any]) -> str:
        """One piece of siege evidence: in English the tracker's own line; in Arabic its signal,
        its day, the deaths and sides when the event says, and the event's reference."""
        if self.language not in RIGHT_TO_LEFT:
            return str(fact.get("detail") or fact.get("ref") or "")
        from tocsin.arabic import day, digits, isolate
        from tocsin.web.phrases import KILLED

        signal = str(fact.get("signal") or "")
        when = day(fact.get("date"), self.language, self.digits)
        if fact.get("kind") == "memory":  # what the tracker remembers: the last assault's day
            return self("evidence_last_assault", date=when) if signal == "outcome_unrecorded" \
                else self(f"reason_{signal}")
        source, _, number = str(fact.get("ref") or "").partition(":")
        # The reference reads left to right as one: "UCDP 507267".
        ref = isolate(f"{source.split('-')[0].upper()} {digits(number, self.digits)}") if number else ""
        values = {"signal": self.signal(signal) if signal else "", "date": when, "ref": ref}
        killed = KILLED.search(str(fact.get("detail") or ""))
        if killed:
            sides = [self.actor(a.strip()) for a in killed.group("actors").split(" v ")]
            deaths = int(killed.group("killed"))
            return self.count("evidence_line_killed", deaths, killed=deaths,
                              sides=self("sides_against").join(sides), **values)
        return self("evidence_line", **values)

    def media_kind(self, media_type: str | None) -> str:
        """An evidence item's kind (image, video, audio, document) from its media type."""
        major = (media_type or "").split("/")[0]
        return self(f"media_{major}") if f"media_{major}" in self else self("media_other")

    def signal(self, name: str) -> str:
        return self(f"signal_{name.strip().replace(' ', '_')}")

    def source(self, name: str) -> str:
        from tocsin.report.data import source_notes

        if self.language == "ar":
            return str(source_notes().get(name, {}).get("name_ar") or name)
        return name
