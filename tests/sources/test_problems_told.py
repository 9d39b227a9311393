"""What is wrong with an input file, told in the session's language: every adapter's checks and
the file's structure are said in Arabic too, while the rejects file, the logs and --json keep
them in English."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.errors import InputError, Problem
from tocsin.i18n import ARABIC_LETTER, Catalogue, Said
from tocsin.sources.registry import ADAPTERS

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
runner = CliRunner()


class _Header:
    """Just enough of an opened file for an adapter to plan its checks: its columns."""

    def __init__(self, columns: list[str]) -> None:
        self.columns, self.tag_columns = columns, []
        self.name, self.file, self.unit, self.header_line = "x.csv", Path("x.csv"), "line", 1


def test_every_adapters_checks_are_said_in_both_languages() -> None:
    arabic = Catalogue("cli", "ar")
    planned = 0
    for kind, adapter in ADAPTERS.items():
        columns = list(adapter.signature)
        for _ in range(3):  # a layout's required columns may depend on the columns it has
            columns = list(dict.fromkeys(columns + adapter.required(_Header(columns))))
        for check in adapter.plan(_Header(columns)).checks:
            assert isinstance(check.expected, Said), f"{kind}: {check.column} is said in English only"
            assert check.expected.key in arabic, f"{kind}: {check.expected.key} has no Arabic"
            assert ARABIC_LETTER.search(check.expected.told(arabic)), check.expected.key
            planned += 1
    assert planned > 60 and len(ADAPTERS) >= 16


def _with_bad_latitude(path: Path) -> Path:
    with open(SAMPLE / "ucdp_ged241_darfur_api.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[2]["latitude"] = "95.2"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_quarantined_row_is_told_in_arabic_and_kept_in_english(tmp_path: Path) -> None:
    home = str(tmp_path / "ws")
    assert runner.invoke(app, ["--home", home, "init"]).exit_code == 0
    bad = _with_bad_latitude(tmp_path / "ged.csv")
    told = runner.invoke(app, ["--home", home, "--lang", "ar", "ingest", "ucdp-ged", str(bad)])
    assert told.exit_code == 0, told.output
    assert "في الحجر" in told.stderr
    rebuilt = next(x for x in told.stdout.splitlines() if x.startswith("أُعيد بناء"))
    assert "، " in rebuilt and ", " not in rebuilt  # the list in Arabic, as the rest of the line
    line = next(x for x in told.stderr.splitlines() if "95.2" in x)
    assert "خط عرض من 90 جنوبًا إلى 90 شمالًا" in line and "السطر" in line
    assert not re.search(r"\b(line|column|expected|found|latitude between)\b", line.replace(
        "latitude\u2069", "")), line  # the column's own name stays as the file has it
    # The rejects file is the analyst's to fix and share: English, whatever the session.
    rejects = next((tmp_path / "ws" / "rejects").glob("*.rejects.csv"))
    with open(rejects, encoding="utf-8", newline="") as handle:
        kept = list(csv.DictReader(handle))
    assert [(r["column"], r["expected"], r["found"]) for r in kept] == [
        ("latitude", "a latitude between -90 and 90", "95.2")]
    # And in English (another workspace: this one holds the file already) it reads as it did.
    other = str(tmp_path / "ws2")
    assert runner.invoke(app, ["--home", other, "init"]).exit_code == 0
    english = runner.invoke(app, ["--home", other, "ingest", "ucdp-ged", str(bad)])
    assert "column 'latitude': expected a latitude between -90 and 90, found '95.2'" in english.stderr


def test_a_file_missing_columns_is_refused_in_arabic(tmp_path: Path) -> None:
    home = str(tmp_path / "ws")
    assert runner.invoke(app, ["--home", home, "init"]).exit_code == 0
    firms = tmp_path / "fires.csv"
    with open(SAMPLE / "firms_viirs_snpp_nrt_darfur_2025-10-31_2025-11-08.csv", encoding="utf-8") as handle:
        header, first = handle.readline(), handle.readline()
    names = header.strip().split(",")
    kept = [i for i, name in enumerate(names) if name not in ("frp", "daynight")]
    firms.write_text(",".join(names[i] for i in kept) + "\n"
                     + ",".join(first.strip().split(",")[i] for i in kept) + "\n", encoding="utf-8")
    refused = runner.invoke(app, ["--home", home, "--lang", "ar", "ingest", "firms", str(firms)])
    assert refused.exit_code == 1
    text = " ".join(refused.stderr.split())
    assert "تنقصه أعمدة مطلوبة" in text and "عمود باسم" in text
    english = runner.invoke(app, ["--home", home, "ingest", "firms", str(firms)])
    assert "missing 2 required column(s) frp, daynight" in english.stderr


def _as_english_read_before(p: Problem) -> str:
    """A problem's English as it read before it could be told in Arabic (logs and scripts that
    read it must see the same line)."""
    parts = [p.file] + ([f"{p.unit} {p.line}"] if p.line is not None else []) \
        + ([f"column '{p.column}'"] if p.column else [])
    text = ", ".join(parts) + f": expected {p.expected}"
    if p.found is not None:
        shown = p.found if len(p.found) <= 60 else p.found[:57] + "..."
        text += f", found {shown!r}"
    return text


@settings(max_examples=200, deadline=None)
@given(file=st.text(min_size=1, max_size=30), line=st.none() | st.integers(0, 10**7),
       column=st.none() | st.text(max_size=20), found=st.none() | st.text(max_size=90),
       unit=st.sampled_from(["line", "feature", "row", "series", "value", "day", "record"]),
       key=st.sampled_from(["check.latitude", "check.fatalities", "check.daynight", None]))
def test_a_problem_reads_in_english_as_before_and_is_told_in_arabic(
        file: str, line: int | None, column: str | None, found: str | None, unit: str,
        key: str | None) -> None:
    expected = Said(key) if key else "a value the publisher documents"
    problem = Problem(file, line, column, expected, found, unit)
    assert str(problem) == _as_english_read_before(problem)
    assert str(InputError([problem] * 12)).splitlines()[-1] == "... and 2 more problems"
    arabic = problem.told(Catalogue("cli", "ar"))
    assert "المتوقع" in arabic and (found is None or "الموجود" in arabic)
    if key:
        assert expected.told(Catalogue("cli", "ar")) in arabic


@pytest.mark.parametrize(("kind", "name", "content", "arabic", "english"), [
    ("ucdp-ged", "empty.csv", b"", "الملف فارغ", "a CSV header line; the file is empty"),
    ("ucdp-ged", "zipped.csv", b"PK\x03\x04rest", "أرشيف ZIP", "this is a ZIP archive"),
    ("ucdp-ged", "wide.csv", "id,year\n1,2023\n".encode("utf-16"), "UTF-16", "the file is UTF-16"),
    ("cod-ab", "areas.geojson", b"", "مجموعة معالم GeoJSON؛ الملف فارغ",
     "a GeoJSON FeatureCollection; the file is empty"),
    ("cod-ab", "cut.geojson", b'{"type": "FeatureCollection", "features": [', "لعل الملف مبتور",
     "the file may be truncated"),
    ("ioda", "signals.json", b'{"data": [[{"from": 1, "values": []}]]}', "السلسلة",
     "series 1, column 'step': expected a series with 'step'"),
    ("acled-cast", "cast.json", b'{"data": 5}', "قائمة صفوف", "CAST API JSON: a list of rows"),
])
def test_a_file_that_cannot_be_read_is_told_why_in_arabic(tmp_path: Path, kind: str, name: str,
                                                          content: bytes, arabic: str,
                                                          english: str) -> None:
    home = str(tmp_path / "ws")
    assert runner.invoke(app, ["--home", home, "init"]).exit_code == 0
    path = tmp_path / name
    path.write_bytes(content)
    told = runner.invoke(app, ["--home", home, "--lang", "ar", "ingest", kind, str(path)])
    assert told.exit_code == 1 and arabic in told.stderr, told.stderr
    kept = runner.invoke(app, ["--home", home, "ingest", kind, str(path), "--json"])
    assert english in kept.stdout + kept.stderr


def test_an_input_error_is_told_where_it_is_shown_and_survives_pickling() -> None:
    # What any command shows of an input error (cli.common.fail reads it with said_of) is told
    # in the session's language; str() stays English; a copy in another process says the same.
    import pickle

    from tocsin.i18n import said_of, told

    error = InputError([Problem("f.csv", 3, "latitude", Said("check.latitude"), "95")],
                       summary=Said("check.readable_file", error="Permission denied"))
    assert "خط عرض من 90 جنوبًا إلى 90 شمالًا" in told(said_of(error), Catalogue("cli", "ar"))
    assert str(error) == ("a readable file (Permission denied)\n"
                          "f.csv, line 3, column 'latitude': expected a latitude between -90 and 90, "
                          "found '95'")
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems and str(again) == str(error)
