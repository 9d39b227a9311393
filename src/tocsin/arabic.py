"""Writing numbers, dates and place names for Arabic readers (the brief, the web app, the CLI).

Three rules, documented in docs/methods/arabic.md:

- **Digits**: Western (0-9) or Arabic-Indic (٠-٩), as the organisation chooses; the thousands
  separator is "٬" and the decimal point "٫" with Arabic-Indic digits.
- **Numbers and dates in right-to-left text**: a number is wrapped in a left-to-right isolate
  (U+2066 … U+2069) so that "−4,400" never shows as "4,400-"; negative numbers use the minus
  sign (U+2212). Dates are written one way only, day, month name, year ("30 نوفمبر 2023"),
  never an ISO date that the bidi algorithm may reorder.
- **Place names**: the sources' own Arabic name (gazetteer, COD-AB's Arabic fields), corrected to
  the standard spelling where a source misspells a well-known town; otherwise a transliteration
  of the English name, marked with an asterisk so a reader knows no source gave an Arabic name.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

DIGIT_STYLES = ("western", "arabic_indic")
DEFAULT_DIGITS = "western"
ARABIC_INDIC = str.maketrans("0123456789,.%", "٠١٢٣٤٥٦٧٨٩٬٫٪")
LRI, PDI = "\u2066", "\u2069"
MINUS = "\u2212"
TRANSLITERATED_MARK = "*"

# Latin-script words an Arabic page may hold: names with no Arabic form (sources, licences, the
# map library) and the commands a reader types. Tests fail on any other Latin word.
LATIN_NAMES = frozenset({
    "UCDP", "GED", "Candidate", "DTM", "IOM", "HDX", "HAPI", "COD-AB", "OCHA", "NASA", "FIRMS",
    "VIIRS", "MODIS", "LANCE", "WFP", "GeoNames", "OpenStreetMap", "ODbL", "CC", "BY", "BY-IGO",
    "IGO", "ViEWS", "IODA", "ACLED", "HIU", "SHA-256", "Leaflet", "tocsin", "detect", "burnings",
    "evidence", "verify", "export", "alerts", "scan", "forecast", "as-of", "store", "siege",
    "board", "docs", "model-card.md", "western", "arabic-indic", "digits",
})

MONTHS_AR = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
             "أكتوبر", "نوفمبر", "ديسمبر")

# Standard spellings of the towns a brief names most, where a source's Arabic name differs
# (reviewed by the project's Arabic editor; see docs/methods/arabic.md).
STANDARD_SPELLINGS = {
    "خارطوم": "الخرطوم", "الخرطوم": "الخرطوم", "خرطوم": "الخرطوم",
    "الدعين": "الضعين", "ضعين": "الضعين", "الضعين": "الضعين",
    "فاشر": "الفاشر", "الفاشير": "الفاشر",
    "جنينة": "الجنينة", "الجنينه": "الجنينة",
    "نيالة": "نيالا", "نياﻻ": "نيالا",
    "زالنجى": "زالنجي", "ود مدنى": "ود مدني",
    "خرطوم بحري": "الخرطوم بحري", "الخرطوم شمال": "الخرطوم بحري",
    "ام درمان": "أم درمان", "امدرمان": "أم درمان", "اردمتا": "أردمتا",
}
# English names whose Arabic form every source lacks or writes in Latin script.
KNOWN_NAMES = {
    "khartoum north": "الخرطوم بحري", "bahri": "الخرطوم بحري", "khartoum": "الخرطوم",
    "omdurman": "أم درمان", "el fasher": "الفاشر", "al fashir": "الفاشر", "el geneina": "الجنينة",
    "al geneina": "الجنينة", "al junaynah": "الجنينة", "zalinjay": "زالنجي",
    "nyala": "نيالا", "zalingei": "زالنجي", "zalingi": "زالنجي",
    "ed daein": "الضعين", "el daein": "الضعين", "ad du'ayn": "الضعين", "eddein": "الضعين",
    "wad madani": "ود مدني", "wad medani": "ود مدني", "abu gudul": "أبو قدول",
    "ardamata": "أردمتا", "kutum": "كتم", "kabkabiya": "كبكابية", "tawila": "طويلة",
    "mellit": "مليط", "geneina": "الجنينة", "al akhdar": "الأخضر",
}


def digits(text: str, style: str = DEFAULT_DIGITS) -> str:
    """``text`` with its digits (and separators) in ``style``."""
    if style not in DIGIT_STYLES:
        raise ValueError(f"unknown digit style {style!r}: choose {' or '.join(DIGIT_STYLES)}")
    return text.translate(ARABIC_INDIC) if style == "arabic_indic" else text


def isolate(text: str) -> str:
    """Left-to-right isolate: the text keeps its order inside right-to-left text."""
    return f"{LRI}{text}{PDI}"


def number(value: float | int | None, lang: str, style: str = DEFAULT_DIGITS, signed: bool = False,
           percent: bool = False) -> str:
    """A count, with thousands separators, shaped for ``lang``; "" for None."""
    if value is None:
        return ""
    if percent:
        text = f"{value:.0%}"
    elif isinstance(value, float) and not value.is_integer():
        text = f"{value:,.2f}"
    else:
        text = f"{int(value):+,}" if signed else f"{int(value):,}"
    text = text.replace("-", MINUS)
    if lang != "ar":
        return text
    return isolate(digits(text, style))


def day(value: date | str | None, lang: str, style: str = DEFAULT_DIGITS) -> str:
    """A date: ISO in English (2023-11-30), day, month name, year in Arabic (30 نوفمبر 2023)."""
    if value is None or value == "":
        return ""
    when = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if lang != "ar":
        return when.isoformat()
    return f"{digits(str(when.day), style)} {MONTHS_AR[when.month - 1]} {digits(str(when.year), style)}"


def standard_spelling(name_ar: str) -> str:
    """The standard spelling of a well-known town's Arabic name (others unchanged)."""
    cleaned = " ".join(name_ar.split())
    return STANDARD_SPELLINGS.get(cleaned, cleaned)


# A transliteration for names no source gives in Arabic: words, then letters.
_WORDS = {"el": "ال", "al": "ال", "ad": "ال", "ed": "ال", "es": "ال", "as": "ال", "abu": "أبو",
          "um": "أم", "umm": "أم", "wad": "ود", "jebel": "جبل", "jabal": "جبل", "bir": "بئر",
          "north": "شمال", "south": "جنوب", "east": "شرق", "west": "غرب", "central": "وسط",
          "camp": "معسكر", "new": "الجديدة", "hai": "حي"}
_LETTERS = [("sh", "ش"), ("kh", "خ"), ("gh", "غ"), ("th", "ث"), ("dh", "ذ"), ("ou", "و"),
            ("oo", "و"), ("ee", "ي"), ("ai", "اي"), ("ay", "اي"), ("aa", "ا"), ("a", "ا"),
            ("b", "ب"), ("c", "ك"), ("d", "د"), ("e", "ي"), ("f", "ف"), ("g", "ق"), ("h", "ه"),
            ("i", "ي"), ("j", "ج"), ("k", "ك"), ("l", "ل"), ("m", "م"), ("n", "ن"), ("o", "و"),
            ("p", "ب"), ("q", "ق"), ("r", "ر"), ("s", "س"), ("t", "ت"), ("u", "و"), ("v", "ف"),
            ("w", "و"), ("x", "كس"), ("y", "ي"), ("z", "ز"), ("'", "ع")]


def _transliterate_word(word: str) -> str:
    lower = word.lower()
    if lower in _WORDS:
        return _WORDS[lower]
    out, i = [], 0
    while i < len(lower):
        for latin, arabic in _LETTERS:
            if lower.startswith(latin, i):
                # A short vowel inside a word is not written in Arabic; a long or initial one is.
                if latin in ("a", "e", "i", "o", "u") and 0 < i < len(lower) - 1:
                    arabic = "" if latin in ("e", "i") or latin == "a" else arabic
                out.append(arabic)
                i += len(latin)
                break
        else:
            i += 1  # a digit, hyphen or accent: dropped
    text = "".join(out)
    if text.startswith("ا"):
        text = "أ" + text[1:]
    return text


def transliterate(name: str) -> str:
    """A rough Arabic transliteration of a Latin place name (for names no source gives in Arabic)."""
    out: list[str] = []
    article = False
    for word in (w for w in re.split(r"[\s\-]+", name.strip()) if w):
        arabic = _transliterate_word(word)
        if arabic == "ال":  # "El", "Al": the article joins the next word (الفاشر, not ال فاشر)
            article = True
            continue
        if article and arabic:
            arabic = "ال" + ("ا" + arabic[1:] if arabic.startswith("أ") else arabic)
            article = False
        if arabic:
            out.append(arabic)
    return " ".join(out)


# A romanisation for names sources give only in Arabic (213 OSM places of the whole-Sudan
# gazetteer, most of them Gezira and Khartoum villages), for readers of English: words, then
# letters. Arabic does not write short vowels, so it is rough ("ود سلمان" -> "Wad Slman") and
# marked like the transliteration the other way.
_AR_WORDS = {"ود": "Wad", "ام": "Umm", "أم": "Umm", "ابو": "Abu", "أبو": "Abu", "حي": "Hai",
             "حلة": "Hillat", "قرية": "Qaryat", "جبل": "Jebel", "وادي": "Wadi", "دار": "Dar",
             "بئر": "Bir", "عبد": "Abd", "شيخ": "Sheikh", "معسكر": "Camp", "مدينة": "Madinat"}
_AR_LETTERS = {"ا": "a", "أ": "a", "إ": "i", "آ": "a", "ء": "'", "ؤ": "'", "ئ": "'", "ب": "b",
               "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r",
               "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "'",
               "غ": "gh", "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h",
               "ة": "a", "ى": "a", "پ": "p", "چ": "ch", "ڤ": "v", "گ": "g",
               "\u064e": "a", "\u0650": "i", "\u064f": "u", "\u064b": "an", "\u064d": "in",
               "\u064c": "un"}
_VOWELS = "aiu"


def _romanize_word(word: str) -> str:
    word = word.replace("\u0640", "")            # the tatweel stretches letters: no sound
    if word in _AR_WORDS:
        return _AR_WORDS[word]
    article = ""
    if word.startswith("ال") and len(word) > 3:
        article, word = "Al-", word[2:]
        if word in _AR_WORDS:
            return article + _AR_WORDS[word]
    out = ""
    for i, letter in enumerate(word):
        if letter in "وي":
            # A consonant first or after a vowel, else the long vowel it marks.
            consonant = i == 0 or (out[-1:] in _VOWELS)
            out += ("w" if letter == "و" else "y") if consonant else ("u" if letter == "و" else "i")
        elif letter == "ع" and i == 0 and word[1:2] not in ("ا", "أ", "إ", "آ"):
            out += "'a"                            # an initial ayn carries a vowel: 'Atrun, 'Ayn
        elif letter == "ه" and i == len(word) - 1 and i > 0:
            out += "a"                             # a final ha often stands for ta marbuta
        elif letter == "\u0651":                   # shadda: the consonant doubled
            out += out[-1:] if out[-1:] not in _VOWELS else ""
        elif letter in _AR_LETTERS:
            out += _AR_LETTERS[letter]
        elif "\u0660" <= letter <= "\u0669":
            out += str(ord(letter) - 0x0660)       # Arabic-Indic digits
        elif not ("\u0610" <= letter <= "\u061a" or "\u064b" <= letter <= "\u065f"
                  or "\u0600" <= letter <= "\u06ff"):
            out += letter                           # digits, hyphens: kept; other marks dropped
    first = next((i for i, c in enumerate(out) if c.isalpha()), 0)   # "'Atrun": after the ayn
    return article + out[:first] + out[first:first + 1].upper() + out[first + 1:]


def romanize(name_ar: str) -> str:
    """A rough Latin form of an Arabic place name (for names no source gives in Latin)."""
    return " ".join(w for w in (_romanize_word(word) for word in name_ar.split()) if w)


def has_arabic(text: str) -> bool:
    return bool(re.search(r"[\u0600-\u06ff]", text))


def has_latin(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]", text))


def unnamed_place(template: str, place_class: str, place: dict[str, Any], lang: str,
                  style: str = DEFAULT_DIGITS) -> str | None:
    """A place no source names, said by where it is (``template`` takes place_class, lat and
    lon: "an unnamed village at 12.70° N, 25.05° E"); None when the place has a name or no
    point. Many burnt villages are such places (HIU's surveyed villages, OSM points)."""
    if place.get("name") or place.get("place") or place.get("name_ar") or place.get("latitude") is None:
        return None

    def degrees(value: Any) -> str:   # always two decimals: 13.00, not 13
        text = f"{float(value):.2f}".replace("-", MINUS)
        return isolate(digits(text, style)) if lang == "ar" else text

    return template.format(place_class=place_class, lat=degrees(place["latitude"]),
                           lon=degrees(place["longitude"]))


def place_name(name: str | None, name_ar: str | None, lang: str, mark: bool = True) -> str:
    """A place's name for ``lang``: in Arabic the source's Arabic name (standard spelling), or a
    known form, or a marked transliteration; in English the English name, or a marked
    romanisation when the sources name it in Arabic only."""
    if lang != "ar":
        chosen = name or name_ar
        roman = romanize(chosen) if chosen and has_arabic(chosen) and not has_latin(chosen) else ""
        if re.search(r"[A-Za-z0-9]", roman):
            return roman + (TRANSLITERATED_MARK if mark else "")
        return chosen or "?"
    if name_ar and not has_latin(name_ar):
        return standard_spelling(name_ar)
    key = " ".join((name or "").lower().replace("-", " ").split())
    if key in KNOWN_NAMES:
        return KNOWN_NAMES[key]
    if not name:
        return name_ar or "?"
    return transliterate(name) + (TRANSLITERATED_MARK if mark else "")
