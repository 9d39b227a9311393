"""The command line in the user's language: every message from the catalogue (src/tocsin/cli/i18n),
Arabic for every key, the language chosen by --lang, TOCSIN_LANG or the locale, the
organisation's digits, and Arabic laid out right to left on a terminal that cannot do it."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tocsin.arabic import LATIN_NAMES
from tocsin.cli import terminal
from tocsin.cli.main import app
from tocsin.i18n import (
    ARABIC_LETTER,
    COUNTED,
    Catalogue,
    Listed,
    Said,
    load,
    plural_base,
    plural_category,
)

CLI = Path(__file__).resolve().parents[1] / "src" / "tocsin" / "cli"
LETTERS = re.compile(r"[A-Za-z]{2,}")
MARKUP = re.compile(r"\[/?[a-z ]*\]")
runner = CliRunner()

# Calls whose string arguments a user reads: consoles, errors, prompts, progress, tables.
PRINTERS = {"out", "err", "console"}


def _user_facing_arguments(call: ast.Call) -> list[ast.expr]:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else None
    keywords = {k.arg: k.value for k in call.keywords}
    if name == "print" and owner in PRINTERS:
        return list(call.args)
    if name in ("fail", "BadParameter", "prompt", "confirm", "add_task") and call.args:
        return [call.args[0]]
    if name == "Table":
        return [*call.args, *(keywords[k] for k in ("title", "caption") if k in keywords)]
    if name == "add_column":
        return call.args[:1] + ([keywords["header"]] if "header" in keywords else [])
    if name == "add_row":
        return list(call.args)
    return []


def _literals(node: ast.expr) -> list[ast.expr]:
    """The string literals a message is built from (through +, conditionals, `or`, f-string
    fields that are themselves such expressions); a t(...) call is the catalogue's."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t":
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.JoinedStr):
        found: list[ast.expr] = [node]
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                found += _literals(value.value)
        return found
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literals(node.left) + _literals(node.right)
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [x for v in node.values for x in _literals(v)]
    return []


def _words(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        text = str(node.value)
    else:
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))  # type: ignore[attr-defined]
    return MARKUP.sub("", text)


def _untranslated(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for argument in _user_facing_arguments(node):
                found += [(lit.lineno, _words(lit)) for lit in _literals(argument)
                          if LETTERS.search(_words(lit))]
    return found


def _keys_used(source: str) -> set[str]:
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("t", "say"):
            for arg in node.args[:1]:
                for lit in ast.walk(arg):  # t("a" if x else "b")
                    if isinstance(lit, ast.Constant) and isinstance(lit.value, str):
                        keys.add(lit.value)
    return keys


def test_the_scan_finds_what_it_must() -> None:
    """The scan itself: a literal in any of the message-making shapes is found; t() is not."""
    source = '''
out.print(f"Wrote {n} rows")
err.print("[bold]Done[/] " + ("fast" if quick else t("x.slow")))
fail(f"no place {name!r}" if x else t("x.ok"))
table = Table("stage", t("x.since"), title=f"Board as of {day}", caption="data through")
table.add_row(name, "unknown")
out.print(t("x.fine", n=3), f"{n}: {m}")
'''
    words = sorted(w for _, w in _untranslated(source))
    assert words == sorted(["Wrote  rows", "Done ", "fast", "no place ", "stage", "Board as of ",
                            "data through", "unknown"])


@pytest.mark.parametrize("module", sorted(p.name for p in CLI.glob("*.py")))
def test_every_message_comes_from_the_catalogue(module: str) -> None:
    source = (CLI / module).read_text(encoding="utf-8")
    assert _untranslated(source) == [], f"{module}: user-facing text not from the catalogue"
    missing = {k for k in _keys_used(source) if "." in k} - set(load("cli", "en"))
    assert not missing, f"{module} uses keys the catalogue lacks: {sorted(missing)}"


# Latin script an Arabic message may hold besides LATIN_NAMES: what a user types (commands in
# backticks, --options, environment variables, metavariables), units and standards' names.
CLI_LATIN = {"tocsin", "UTC", "SHA", "PEM", "HTTPS", "TLS", "ISO", "UTF", "GeoJSON", "FollowTheMoney",
             "AUROC", "Brier", "MSLE", "MAE", "CRPS", "AP", "ViEWS", "CAST", "F1", "Secure", "URL", "USER",
             "ACTOR", "DAY", "pyodk",
             "NAME", "YYYY", "MM", "DD", "Z", "T14", "Ctrl-C", "place_id", "western", "arabic", "indic",
             "log", "count", "docs", "model", "card", "md", "http", "forecasts", "place"}


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_has_arabic_with_the_same_placeholders_and_markup() -> None:
    en, ar = load("cli", "en"), load("cli", "ar")
    # The same messages; a language may have plural forms another lacks (Arabic's two, few, many).
    assert {plural_base(k) for k in en} == {plural_base(k) for k in ar}
    for catalogue in (en, ar):
        assert all(plural_base(k) in catalogue for k in catalogue), "a plural form without its message"
    for key, english in en.items():
        arabic = ar[key]
        assert arabic.strip(), f"{key} has no Arabic"
        assert _fields(arabic) <= _fields(english), f"{key}: Arabic fills fields English lacks"
        assert sorted(MARKUP.findall(arabic)) == sorted(MARKUP.findall(english)), key
        words = re.findall(r"[A-Za-z]{2,}", MARKUP.sub("", re.sub(r"\{[^}]*\}|--[a-z-]+", "", english)))
        if any(w not in CLI_LATIN | LATIN_NAMES for w in words):  # not only names (AP, Brier)
            counts = any(spec in COUNTED for _, _, spec, _ in string.Formatter().parse(arabic))
            assert ARABIC_LETTER.search(arabic) or counts, f"{key} is not translated: {arabic!r}"


def test_arabic_messages_hold_no_english_word() -> None:
    allowed = {w.lower() for w in LATIN_NAMES | CLI_LATIN}
    for key, text in load("cli", "ar").items():
        text = re.sub(r"\{[^}]*\}", " ", MARKUP.sub(" ", text))
        text = re.sub(r"`[^`]*`", " ", text)  # a command the reader types
        text = re.sub(r"--[a-z0-9-]+|\b[A-Z]+(?:-[A-Z]+)+\b|\b[A-Z_]{3,}\b|(?:tocsin )?(?:--home|status|"
                      r"places find|siege board|siege show|forecast|evidence log|detect burnings|serve)\b",
                      " ", text)
        text = re.sub(r"\S*[/.:]\S*", " ", text)  # paths, addresses, versions
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9_-]*", text) if w.lower() not in allowed]
        assert not words, f"{key}: English words {words} in {load('cli', 'ar')[key]!r}"


def test_lang_option_env_and_locale_choose_arabic(tmp_path: Path) -> None:
    home = str(tmp_path / "ws")
    english = runner.invoke(app, ["--home", home, "init"])
    assert english.exit_code == 0 and "Created workspace" in english.stdout
    chosen = runner.invoke(app, ["--home", home, "--lang", "ar", "init"])
    assert chosen.exit_code == 0 and "فُحصت مساحة العمل" in chosen.stdout
    env = runner.invoke(app, ["--home", home, "init"], env={"TOCSIN_LANG": "ar"})
    assert "فُحصت مساحة العمل" in env.stdout
    locale = runner.invoke(app, ["--home", home, "init"], env={"LC_ALL": "ar_SD.UTF-8", "TOCSIN_LANG": ""})
    assert "فُحصت مساحة العمل" in locale.stdout
    back = runner.invoke(app, ["--home", home, "init"], env={"LC_ALL": "C.UTF-8", "TOCSIN_LANG": ""})
    assert "Checked workspace" in back.stdout
    bad = runner.invoke(app, ["--home", home, "--lang", "fr", "init"])
    assert bad.exit_code == 2 and "'fr'" in bad.output


def test_arabic_errors_tables_and_digits(tmp_path: Path) -> None:
    home = str(tmp_path / "ws")
    assert runner.invoke(app, ["--home", home, "init"]).exit_code == 0
    failed = runner.invoke(app, ["--home", home, "--lang", "ar", "siege", "show", "Nowhere"])
    assert failed.exit_code != 0
    assert "خطأ:" in failed.output
    status = runner.invoke(app, ["--home", home, "--lang", "ar", "status"])
    assert status.exit_code == 0, status.output
    lines = status.stdout.splitlines()
    assert lines[1] == "البحيرة"  # the table's title, then "column: value" lines in Arabic
    assert "الجدول: events" in lines and "الصفوف: 0" in lines
    # Numbers in an isolate (they keep their order inside right-to-left text), Western digits
    # unless chosen; Latin data (the path) isolated too.
    assert "ملفات مستوردة: \u20660\u2069" in lines[0] and f"\u2066{Path(home).resolve()}\u2069" in lines[0]
    indic = runner.invoke(app, ["--home", home, "--lang", "ar", "status"],
                          env={"TOCSIN_DIGITS": "arabic-indic"})
    assert "ملفات مستوردة: \u2066٠\u2069" in indic.stdout


def test_arabic_digits_follow_the_organisations_choice(tmp_path: Path) -> None:
    home = str(tmp_path / "ws")
    assert runner.invoke(app, ["--home", home, "init"]).exit_code == 0
    assert runner.invoke(app, ["--home", home, "orgs", "add", "Sudan Monitors"]).exit_code == 0
    chose = runner.invoke(app, ["--home", home, "orgs", "digits", "Sudan Monitors", "arabic-indic"])
    assert chose.exit_code == 0
    only = runner.invoke(app, ["--home", home, "--lang", "ar", "status"], env={"TOCSIN_DIGITS": ""})
    assert "ملفات مستوردة: \u2066٠\u2069" in only.stdout  # the workspace's only organisation
    assert runner.invoke(app, ["--home", home, "orgs", "add", "Other"]).exit_code == 0
    two = runner.invoke(app, ["--home", home, "--lang", "ar", "status"], env={"TOCSIN_DIGITS": ""})
    assert "ملفات مستوردة: \u20660\u2069" in two.stdout  # two: none is "the" organisation
    named = runner.invoke(app, ["--home", home, "--lang", "ar", "status"],
                          env={"TOCSIN_DIGITS": "", "TOCSIN_ORG": "Sudan Monitors"})
    assert "ملفات مستوردة: \u2066٠\u2069" in named.stdout
    english = runner.invoke(app, ["--home", home, "status"], env={"TOCSIN_ORG": "Sudan Monitors"})
    assert "(0 files ingested" in english.stdout  # English keeps Western digits, no isolates


def test_catalogue_shapes_numbers_dates_and_signs() -> None:
    import datetime as dt

    ar = Catalogue("cli", "ar", "arabic_indic")
    text = ar("ingest.rows_added", file="events.csv", rows=-4400, table="events")
    assert "\u2066\u2212٤٬٤٠٠\u2069" in text and "4,400-" not in text
    assert Catalogue("cli", "en")("ingest.rows_added", file="f", rows=1696, table="events") == \
        "f: 1,696 rows added to events"
    assert Catalogue("cli", "ar")("brief.written", day=dt.date(2023, 11, 30), pdf="a", html="b") \
        .startswith("موجز يوم 30 نوفمبر 2023:")


def test_visual_order_for_terminals_that_cannot_lay_out_arabic() -> None:
    line = "مساحة العمل \u2066/tmp/ws\u2069  (\u206612\u2069 ملفًا)"
    [shown] = terminal.visual_line(line, 60)
    assert len(shown) == 60 and shown.endswith("ﻞﻤﻌﻟﺍ ﺔﺣﺎﺴﻣ")  # right-aligned, read from the right
    assert "/tmp/ws" in shown and "12" in shown  # Latin data and numbers keep their own order
    assert shown.index("(") < shown.index("12") < shown.index(")") < shown.index("/tmp/ws")  # mirrored
    assert not re.search("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", shown)
    assert terminal.visual_line("plain English", 60) == ["plain English"]
    long = "كلمة " * 30
    assert all(len(part) <= 40 for part in terminal.visual_line(long, 40))


def test_visual_or_logical_order_is_chosen_by_the_terminal() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    assert terminal.mode_for(Tty(), {}) == "visual"  # type: ignore[arg-type]
    assert terminal.mode_for(Tty(), {"VTE_VERSION": "7600"}) == "logical"  # type: ignore[arg-type]
    assert terminal.mode_for(Tty(), {"KONSOLE_VERSION": "230800"}) == "logical"  # type: ignore[arg-type]
    assert terminal.mode_for(Tty(), {"TOCSIN_BIDI": "logical"}) == "logical"  # type: ignore[arg-type]
    import io

    assert terminal.mode_for(io.StringIO(), {}) == "logical"  # piped: files keep reading order
    assert terminal.mode_for(io.StringIO(), {"TOCSIN_BIDI": "visual"}) == "visual"


def test_visual_mode_end_to_end(tmp_path: Path) -> None:
    home = str(tmp_path / "ws")
    result = runner.invoke(app, ["--home", home, "--lang", "ar", "init"], env={"TOCSIN_BIDI": "visual"})
    assert result.exit_code == 0
    assert "ﻞﻤﻌﻟﺍ ﺔﺣﺎﺴﻣ" in result.stdout and "مساحة العمل" not in result.stdout
    after = runner.invoke(app, ["--home", home, "init"], env={"TOCSIN_BIDI": "visual"})
    assert after.stdout.startswith("Checked workspace")  # consoles back to plain streams


def test_web_and_report_use_the_same_catalogue_mechanism() -> None:
    from tocsin.report.words import strings as report_strings
    from tocsin.web.i18n import Translator
    from tocsin.web.i18n import strings as web_strings

    assert web_strings("ar") is load("web", "ar")
    assert report_strings("ar") is load("report", "ar")
    assert isinstance(Translator("ar"), Catalogue)
    assert yaml.safe_load((CLI / "i18n" / "en.yaml").read_text()) == load("cli", "en")


def test_table_cells_in_arabic(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from tocsin.cli import common

    monkeypatch.delenv("TOCSIN_LANG", raising=False)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    common.choose_language("ar", digits="arabic_indic")
    try:
        assert common.term("stage", "cut_off") == "معزول" and common.term("place_class", "city") == "مدينة"
        assert common.named("El Fasher", None) == "الفاشر"
        assert common.named("RSF", actor=True) == "قوات الدعم السريع"
        assert common.shown(187236) == "\u2066١٨٧٬٢٣٦\u2069"
        assert common.shown(dt.date(2023, 11, 23)) == "٢٣ نوفمبر ٢٠٢٣"
    finally:
        common.choose_language(None)
    assert common.term("stage", "cut_off") == "cut off" and common.shown(187236) == "187,236"
    assert common.named("El Fasher", "الفاشر") == "El Fasher" and common.shown(None) == ""


def test_a_message_about_one_thing_uses_its_one_form() -> None:
    from tocsin.i18n import Catalogue

    en, ar = Catalogue("cli", "en"), Catalogue("cli", "ar")
    assert en.count("siege.sub_places", 1, count=1) == " (+1 sub-place)"
    assert en.count("siege.sub_places", 3, count=3) == " (+3 sub-places)"
    assert "واحد" in ar.count("siege.sub_places", 1, count=1)
    assert en.count("detect.utc_detections", 1, score=0.9, confidence="high", name="X",
                    latitude=1.0, longitude=2.0, when="2025-11-06 00:05",
                    detections=1).endswith("UTC, 1 detection")
    # Every plural form belongs to a message and fills no field it lacks, in both languages.
    for catalogue in (load("cli", "en"), load("cli", "ar")):
        for key in (k for k in catalogue if plural_base(k) != k):
            assert _fields(catalogue[key]) <= _fields(catalogue[plural_base(key)]), key


@pytest.mark.parametrize(("number", "category"), [
    (0, "zero"), (1, "one"), (2, "two"), (3, "few"), (10, "few"), (11, "many"), (99, "many"),
    (100, "other"), (102, "other"), (103, "few"), (111, "many"), (1000, "other")])
def test_arabic_numbers_take_the_plural_form_cldr_gives_them(number: int, category: str) -> None:
    assert plural_category("ar", number) == category
    assert plural_category("en", number) == ("one" if number == 1 else "other")


def test_arabic_counted_things_agree_with_their_number() -> None:
    """Three places are "أماكن", eleven "مكانًا", a hundred "مكان", two "مكانان"; English
    keeps its two forms."""
    ar, en = Catalogue("cli", "ar", isolate_latin=False), Catalogue("cli", "en")
    said = {n: ar.count("places.sub_places_folded_into", n, n_subs=n) for n in (1, 2, 3, 11, 100)}
    assert "واحد" in said[1] and "مكانان" in said[2] and "3" not in said[2]
    assert "أماكن فرعية" in said[3] and "مكانًا فرعيًا" in said[11]
    assert "مكان فرعي مضموم" in said[100]
    assert en.count("places.sub_places_folded_into", 2, n_subs=2) == "2 sub-places folded into it"


def test_a_workspace_error_is_told_in_arabic_and_kept_in_english(tmp_path: Path) -> None:
    """An error the workspace raises (no workspace, no gazetteer yet) reads in Arabic in an
    Arabic session, on its own and inside a job's note; its text stays English for records."""
    from tocsin.i18n import said_of
    from tocsin.workspace import Workspace, WorkspaceError

    missing = runner.invoke(app, ["--home", str(tmp_path / "none"), "--lang", "ar", "status"])
    assert missing.exit_code == 1 and "لا توجد مساحة عمل" in missing.output
    assert "no Tocsin workspace" not in missing.output
    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    try:
        updated = runner.invoke(app, ["--home", str(workspace.home), "--lang", "ar", "update",
                                      "--no-sync"])
    finally:
        from tocsin.cli import common

        common.choose_language(None)
    assert updated.exit_code == 0, updated.output
    assert "لا أحداث نزاع في مساحة العمل" in updated.output and "لا تنبيهات جديدة" in updated.output
    assert "ingest ucdp-ged or acled" not in updated.output
    try:
        Workspace(tmp_path / "none").require()
    except WorkspaceError as exc:
        assert str(exc).startswith("no Tocsin workspace at ")
        assert said_of(exc).told(Catalogue("cli", "ar")).startswith("لا توجد مساحة عمل")
        assert said_of(ValueError("plain")) == "plain"


def test_a_sync_failure_is_told_in_arabic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A source that cannot be synced (its credentials file open to others) and a field server
    that is not a web address are refused in Arabic in an Arabic session, in English otherwise."""
    import os

    from tocsin.workspace import Workspace

    workspace = Workspace(tmp_path / "ws")
    workspace.init()
    secrets = workspace.home / "credentials.toml"
    secrets.write_text('[acled]\nusername = "me@example.org"\npassword = "s3cret"\n')
    os.chmod(secrets, 0o644)
    for name in ("TOCSIN_ACLED_USERNAME", "TOCSIN_ACLED_PASSWORD", "TOCSIN_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    home = str(workspace.home)
    try:
        arabic = runner.invoke(app, ["--home", home, "--lang", "ar", "sync", "acled"])
        english = runner.invoke(app, ["--home", home, "--lang", "en", "sync", "acled"])
        server = runner.invoke(app, ["--home", home, "--lang", "ar", "sync", "kobo",
                                     "--server", "ftp://example.org", "--asset", "aBc"],
                               env={"TOCSIN_KOBO_TOKEN": "t"})
    finally:
        from tocsin.cli import common

        common.choose_language(None)
    assert arabic.exit_code == 1 and "يستطيع غيرك قراءة" in arabic.output
    assert "chmod 600" in arabic.output and "can be read by others" not in arabic.output
    assert "s3cret" not in arabic.output + english.output
    assert english.exit_code == 1 and "can be read by others (mode -rw-r--r--)" in english.output
    assert server.exit_code == 1, server.output
    assert "عنوانًا يبدأ" in server.output and "must be an http" not in server.output


def test_no_new_alerts_is_said_in_arabic_words() -> None:
    """A scan that finds nothing says "لا تنبيهات جديدة", not "0 تنبيه جديد"; English keeps 0."""
    ar, en = Catalogue("cli", "ar", isolate_latin=False), Catalogue("cli", "en")
    none = ar("jobs.new_alerts", count=0, end="2025-01-08")
    assert none.startswith("لا تنبيهات جديدة") and "0" not in none.replace("2025-01-08", "")
    assert "تنبيهات جديدة" in ar("jobs.new_alerts", count=3, end="2025-01-08")
    assert en("jobs.new_alerts", count=0, end="2025-01-08") == "0 new alerts up to 2025-01-08"


@given(number=st.integers(min_value=0, max_value=10**7), noun=st.sampled_from(sorted(COUNTED)),
       language=st.sampled_from(["en", "ar"]))
def test_a_counted_noun_always_says_its_number(number: int, noun: str, language: str) -> None:
    """Every noun has its "other" form in both languages; the number is written unless the form
    says it in words (Arabic's one and two, and none where a noun has a zero form), and the
    Catalogue and a brief's Number agree."""
    from tocsin.i18n import Number, counted

    assert {"other"} <= set(COUNTED[noun]["en"]) and {"other"} <= set(COUNTED[noun]["ar"])
    said = counted(number, noun, language)
    category = plural_category(language, number)
    words_it = language == "ar" and category in COUNTED[noun]["ar"] and category in ("zero", "one", "two")
    assert words_it or f"{number:,}" in said
    shaped = Catalogue("cli", language, isolate_latin=False)._formatter.vformat(
        "{n:" + noun + "}", (), {"n": number})
    plain = f"{number:,}"
    assert shaped.replace("\u2066", "").replace("\u2069", "") == said
    assert format(Number(plain, number, language), noun) == said


def test_status_in_arabic_words_its_counts_gaps_and_runs(sample_workspace) -> None:  # type: ignore[no-untyped-def]
    """`tocsin status` in Arabic: how events are placed and burnings judged in Arabic words,
    the gap in the event data in an Arabic sentence, no English "never" for a source not synced."""
    from tocsin.cli import common

    try:
        said = runner.invoke(app, ["--home", str(sample_workspace.home), "--lang", "ar", "status"])
    finally:
        common.choose_language(None)
    assert said.exit_code == 0, said.output
    placed = next(line for line in said.output.splitlines() if line.startswith("الأحداث المحددة"))
    assert "دقيق:" in placed and not re.search(r"\b(exact|near|admin[12])\b", placed), placed
    today = next(line for line in said.output.splitlines() if line.startswith("اليوم:"))
    assert "تنتهي بيانات الأحداث" in today and "evidence of calm" not in today
    assert "never" not in said.output


def test_a_count_written_before_the_message_still_takes_its_noun() -> None:
    """A page writes its numbers first (digits, isolates) and hands the message text: the noun
    still comes, in the form the written number takes."""
    from tocsin.web.i18n import Translator

    words = Translator("ar", digits="arabic_indic")
    said = Catalogue("web", "ar")._formatter.vformat("{n:days}", (), {"n": words.number(3)})
    assert said.endswith("أيام") and "٣" in said
    written = Catalogue("web", "ar")._formatter.vformat("{n:days}", (), {"n": "\u2066١١\u2069"})
    assert written.endswith("يومًا") and "١١" in written


SAID_KEYS = sorted(k for k in load("cli", "en") if k.startswith(("jobs.", "sync.", "update.job_note")))


@given(key=st.sampled_from(SAID_KEYS), number=st.integers(min_value=0, max_value=10**6))
def test_a_line_a_job_says_is_english_as_text_and_told_in_arabic(key: str, number: int) -> None:
    """Progress lines and job notes (tocsin.i18n.Said): the str is the English message (what
    runs.jsonl and --json keep), it survives pickling and JSON, and told in Arabic it is the Arabic
    message, nested lines told too."""
    import json
    import pickle

    fields = _fields(load("cli", "en")[key])
    values = {f.split(":")[0]: number for f in fields}
    if "note" in values:  # update.job_note carries another line, said in turn
        values["note"] = Said("jobs.new_alerts", count=number, end="2025-01-09")
    said = Said(key, **values)
    english, arabic = Catalogue("cli", "en"), Catalogue("cli", "ar")
    plain = {k: str(v) if isinstance(v, Said) else v for k, v in values.items()}
    assert str(said) == english(key, **plain)
    assert json.loads(json.dumps([said])) == [str(said)]
    again = pickle.loads(pickle.dumps(said))
    assert again == said and again.told(arabic) == said.told(arabic)
    told = said.told(arabic)
    if "note" in values:
        assert values["note"].told(arabic) in told and str(values["note"]) not in told
    else:
        assert told != str(said) or not ARABIC_LETTER.search(load("cli", "ar")[key]), key


def test_a_list_is_told_with_the_languages_separator() -> None:
    said = Said("jobs.writing_brief", langs=Listed(("en", "ar")), day="2025-01-09")
    assert str(said) == "writing the en, ar brief for 2025-01-09"
    assert "en، ar" in said.told(Catalogue("cli", "ar"))


def test_every_said_key_is_in_the_catalogue() -> None:
    """A ``Said`` whose key the catalogue lacks would show its key ("web.to_x") to the reader:
    every key written in the source, and every key made from a known set of names (a role's
    action, an identity's kind, a sensitivity, what a locker refusal was asked to do)."""
    from tocsin.records.evidence_models import SENSITIVITIES
    from tocsin.records.intake_models import IDENTITY_KINDS
    from tocsin.web.auth import PERMISSIONS

    en, ar = load("cli", "en"), load("cli", "ar")
    source = CLI.parent
    written, asked = set(), set()
    for path in source.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first, last = node.args[0], node.args[-1]
            if name == "Said" and isinstance(first, ast.Constant):
                written.add(first.value)
            if name in ("check_edit", "_require_admin") and isinstance(last, ast.Constant):
                asked.add(last.value)  # what the refusal says the user could not do
    assert len(written) > 200
    made = {f"web.to_{action}" for action in PERMISSIONS}
    made |= {f"fieldreport.whose_{kind}" for kind in IDENTITY_KINDS}
    made |= {f"access.sensitivity_{s}" for s in SENSITIVITIES if s != "public"}
    assert {"redact", "transfer", "link", "create keys", "rotate keys"} <= asked
    made |= {f"access.to_{what.replace(' ', '_')}" for what in asked}
    missing = sorted(k for k in written | made if k not in en or k not in ar)
    assert not missing, missing
