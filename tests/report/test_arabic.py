"""Arabic numbers, dates and names (tocsin.arabic) and the map's label placement."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tocsin import arabic
from tocsin.i18n import plural_base
from tocsin.report.map_svg import CHAR_WIDTH, LABEL_HEIGHT, place_labels


def test_negative_numbers_keep_their_sign_in_front_in_right_to_left_text() -> None:
    assert arabic.number(-4400, "ar", signed=True) == "\u2066\u22124,400\u2069"
    assert arabic.number(-4400, "en", signed=True) == "\u22124,400"
    assert arabic.number(80985, "ar", "arabic_indic", signed=True) == "\u2066+٨٠٬٩٨٥\u2069"
    assert arabic.number(None, "ar") == ""


def test_dates_are_written_one_way() -> None:
    assert arabic.day(date(2023, 11, 30), "ar") == "30 نوفمبر 2023"
    assert arabic.day("2023-11-30", "ar", "arabic_indic") == "٣٠ نوفمبر ٢٠٢٣"
    assert arabic.day(date(2023, 11, 30), "en") == "2023-11-30"


def test_place_names_standard_spellings_then_known_forms_then_a_marked_transliteration() -> None:
    assert arabic.place_name("Khartoum", "خارطوم", "ar") == "الخرطوم"
    assert arabic.place_name("Ed Daein", "الدعين", "ar") == "الضعين"
    assert arabic.place_name("Khartoum North", None, "ar") == "الخرطوم بحري"
    assert arabic.place_name("Abu Gudul", "Abu Gudul", "ar") == "أبو قدول"
    marked = arabic.place_name("Um Kadada", None, "ar")
    assert marked.endswith(arabic.TRANSLITERATED_MARK) and not arabic.has_latin(marked)
    assert marked.startswith("أم ")
    assert arabic.place_name("El Fasher", "الفاشر", "en") == "El Fasher"


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x7A),
               min_size=1, max_size=30))
def test_transliteration_never_leaves_latin_letters(name: str) -> None:
    assert not arabic.has_latin(arabic.transliterate(name))


# Arabic letters, the harakat, tatweel, Arabic-Indic digits, spaces.
ARABIC_TEXT = st.text(alphabet=st.sampled_from(
    [chr(c) for c in range(0x0621, 0x064B)] + [chr(c) for c in range(0x064B, 0x0653)]
    + [chr(c) for c in range(0x0660, 0x066A)] + [" "]), min_size=1, max_size=30)


@given(ARABIC_TEXT)
def test_romanisation_never_leaves_arabic_letters(name: str) -> None:
    roman = arabic.romanize(name)
    assert not arabic.has_arabic(roman), roman
    english = arabic.place_name(name, name, "en")
    # A name an English reader can read, marked as romanised; or, with nothing to romanise
    # (marks alone), the name as the source wrote it: never nothing.
    assert english.endswith(arabic.TRANSLITERATED_MARK) or english == name, english
    assert english.strip(arabic.TRANSLITERATED_MARK)


def test_a_name_sources_give_in_arabic_only_is_romanised_for_english_readers() -> None:
    # OSM names these Gezira and Khartoum villages in Arabic only.
    assert arabic.place_name("ود سلمان", "ود سلمان", "en") == "Wad Slman*"
    assert arabic.place_name("الجزيرة إسلانج", None, "en") == "Al-Jzira Islanj*"
    assert arabic.romanize("قرية الشيخ السماني") == "Qaryat Al-Sheikh Al-Smani"
    assert arabic.romanize("عطرون ١٢") == "'Atrun 12"
    # A Latin name, or an Arabic reader, is untouched.
    assert arabic.place_name("Nyala", "نيالا", "en") == "Nyala"
    assert arabic.place_name("ود سلمان", "ود سلمان", "ar") == "ود سلمان"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 640), st.floats(0, 500), st.text("abcdefgh", min_size=1,
                                                                           max_size=14)),
                max_size=30))
def test_map_labels_never_overlap_and_stay_on_the_map(points: list[tuple[float, float, str]]) -> None:
    placed = place_labels(points, [(x, y) for x, y, _ in points], 640, 500)
    boxes = [(x, y, x + CHAR_WIDTH * len(t) + 4, y + LABEL_HEIGHT) for x, y, t in placed]
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= 640 and a[3] <= 500
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_every_user_facing_name_has_its_arabic() -> None:
    """The brief's and the web's strings hold the same keys in both languages, and every stage
    and signal analysis/siege.py defines, every actor in the sample period, has an Arabic form:
    a stage or signal added there fails here until it is translated."""
    from importlib import resources

    import yaml

    from tocsin.analysis.siege import STAGES, default_rules
    from tocsin.report.words import actor_names, strings
    from tocsin.web.i18n import strings as web_strings

    table = yaml.safe_load(resources.files("tocsin.report").joinpath("strings.yaml").read_text())
    assert {plural_base(k) for k in table["en"]} == {plural_base(k) for k in table["ar"]}
    signals = [s.name for s in default_rules().signals]
    for lang in ("en", "ar"):
        for stage in STAGES[1:]:
            assert f"stage_{stage}" in strings(lang), (lang, stage)
            assert f"stage_{stage}" in web_strings(lang), (lang, stage)
        for signal in signals:
            assert f"signal_{signal}" in strings(lang), (lang, signal)
            assert f"signal_{signal}" in web_strings(lang), (lang, signal)
    texts = [v for k, v in strings("ar").items() if k != "dir"]  # dir: "rtl" is markup
    for value in [*texts, *actor_names().values()]:
        assert not re_latin_word(value), value


def re_latin_word(text: str) -> list[str]:
    """Latin words in an Arabic string, other than the names with no Arabic form."""
    import re

    text = re.sub(r"\{[^}]*\}", " ", text)  # placeholders are filled in Arabic
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9'.\-]*[A-Za-z0-9]|[A-Za-z]", text)
            if w not in arabic.LATIN_NAMES]


@given(lat=st.floats(3.0, 23.0), lon=st.floats(21.0, 39.0),
       name=st.one_of(st.none(), st.just(""), st.text(min_size=1, max_size=12)),
       lang=st.sampled_from(["en", "ar"]))
def test_an_unnamed_place_is_always_said_by_where_it_is(lat: float, lon: float, name: str | None,
                                                        lang: str) -> None:
    from tocsin.report.words import Words

    words = Words(lang)
    row = {"name": name, "name_ar": None, "place_class": "village", "latitude": lat, "longitude": lon}
    said = words.place(row)
    if name:
        assert said == arabic.place_name(name, None, lang)
    else:
        assert said != "?" and f"{round(lat, 2):.2f}" in said and f"{round(lon, 2):.2f}" in said
        assert ("unnamed village" if lang == "en" else "قرية بلا اسم") in said


@given(st.integers(min_value=0, max_value=100_000))
@example(2)  # Arabic's dual: the one count said in words besides one
def test_a_count_agrees_with_its_number_in_both_languages(count: int) -> None:
    from tocsin.report.words import Words

    en, ar = Words("en"), Words("ar", "arabic_indic")
    for key in ("j_burnings", "burnings_low", "blind_imprecise"):
        english = en.count(key, count, place="Tawila")
        arabic_text = ar.count(key, count, place="طويلة")
        if count == 1:
            assert not re.search(r"\b1 \w+s\b", english), english   # "1 settlement", "1 event"
            assert "واحد" in arabic_text, arabic_text
        else:
            assert english.startswith(f"{count:,}"), english
            if count == 2 and f"{key}_two" in ar.s:  # a dual form says "two" in its noun
                assert not re.search(r"[0-9\u0660-\u0669]", arabic_text), arabic_text
            else:
                # The count in the organisation's digits (the blind spots once wrote Latin ones).
                assert arabic.digits(f"{count:,}", "arabic_indic") in arabic_text, arabic_text
            assert not re.search(r"[0-9]", arabic_text.split("tocsin")[0]), arabic_text


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=5000),
       st.integers(min_value=0, max_value=9), st.booleans())
def test_a_killing_sentence_agrees_with_its_counts_and_days(events: int, civilians: int,
                                                            more: int, one_day: bool) -> None:
    from tocsin.report.judgements import Judgement
    from tocsin.report.words import Words

    first, last = date(2023, 11, 21), date(2023, 11, 21 if one_day else 25)
    values = {"place": {"name": "El Daein", "name_ar": "الضعين"}, "civilian_deaths": civilians,
              "deaths": civilians + more, "events": events, "first": first, "last": last,
              "actors": ["RSF"], "fighting": []}
    english = Words("en").judgement(Judgement("killings", "j_killings", values))
    assert not re.search(r"\b1 \w+s\b", english), english          # "1 events", "1 deaths"
    assert "from 2023-11-21 to 2023-11-21" not in english, english  # one day is "on" it
    if events == 1:
        assert "in one event on 2023-11-21" in english, english
    elif one_day:
        assert f"in {events} events on 2023-11-21" in english, english
    else:
        assert f"in {events} events from 2023-11-21 to 2023-11-25" in english, english
    arabic_text = Words("ar").judgement(Judgement("killings", "j_killings", values))
    assert ("حدث واحد" in arabic_text) == (events == 1), arabic_text
    assert ("قتيل واحد من المدنيين" in arabic_text) == (civilians == 1), arabic_text
