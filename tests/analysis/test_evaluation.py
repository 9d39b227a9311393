"""Scoring burnings against verified cases, and reading the truth list."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.analysis.evaluation.burnings import (
    average_precision,
    evaluate_burnings,
    parse_truth_csv,
    truth_table,
)
from tocsin.errors import InputError


def burnings(*rows: tuple[str, float, float, str, float]) -> pa.Table:
    """(place_id, lat, lon, day, score) -> a burnings-like table."""
    return pa.table({
        "burning_id": [f"b{i}" for i in range(len(rows))],
        "place_id": [r[0] for r in rows], "place_name": [r[0] for r in rows],
        "latitude": [r[1] for r in rows], "longitude": [r[2] for r in rows],
        "first_detection": [datetime.fromisoformat(r[3]).replace(tzinfo=UTC) for r in rows],
        "last_detection": [datetime.fromisoformat(r[3]).replace(tzinfo=UTC) for r in rows],
        "score": [r[4] for r in rows], "radius_km": [1.5] * len(rows),
    })


def truth(text: str) -> pa.Table:
    return truth_table(parse_truth_csv(text, "truth.csv"))


def test_precision_recall_f1_and_average_precision() -> None:
    found = burnings(("a", 13.0, 24.0, "2025-11-01", 0.9), ("b", 13.5, 24.0, "2025-11-02", 0.7),
                     ("c", 14.0, 24.0, "2025-11-03", 0.6), ("d", 14.5, 24.0, "2025-11-03", 0.2))
    cases = truth("latitude,longitude,date_from,date_to,burned\n"
                  "13.0,24.0,2025-11-01,2025-11-01,yes\n"
                  "13.501,24.0,2025-10-30,2025-10-31,yes\n"   # 110 m away, a day before: matches
                  "14.0,24.0,2025-11-03,2025-11-03,no\n"
                  "15.0,24.0,2025-11-03,2025-11-03,yes\n")    # never detected
    result = evaluate_burnings(found, cases, threshold=0.5)
    assert (result.true_positives, result.false_positives, result.false_negatives) == (2, 1, 1)
    assert result.precision == pytest.approx(2 / 3) and result.recall == pytest.approx(2 / 3)
    assert result.f1 == pytest.approx(2 / 3)
    # ranked: a 0.9 yes, b 0.7 yes, c 0.6 no, the missed one adds 0: (1 + 1) / 3
    assert result.average_precision == pytest.approx(2 / 3)
    assert result.unlabelled_burnings == 1 and not result.complete
    complete = evaluate_burnings(found, cases, threshold=0.1, complete=True)
    assert complete.false_positives == 2  # c, and d which the list does not name


def test_dates_beyond_the_tolerance_do_not_match() -> None:
    found = burnings(("a", 13.0, 24.0, "2025-11-10", 0.9))
    cases = truth("latitude,longitude,date_from,date_to,burned\n13.0,24.0,2025-11-01,2025-11-05,yes\n")
    assert evaluate_burnings(found, cases, tolerance_days=2).true_positives == 0
    assert evaluate_burnings(found, cases, tolerance_days=5).true_positives == 1


def test_place_id_matches_without_coordinates() -> None:
    found = burnings(("osm-1", 13.0, 24.0, "2025-11-01", 0.9))
    cases = truth("place_id,date,burned\nosm-1,2025-11-01,yes\n")
    assert evaluate_burnings(found, cases).recall == 1.0


def test_average_precision_against_brute_force() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        label = rng.random(n) < 0.4
        score = np.round(rng.random(n), 1) * (rng.random(n) < 0.8)
        if not label.any():
            continue
        # brute force: walk the ranking, negatives first within ties
        order = sorted(range(n), key=lambda i: (-score[i], label[i]))
        hits, total = 0, 0.0
        for rank, i in enumerate(order, start=1):
            if label[i]:
                hits += 1
                if score[i] > 0:
                    total += hits / rank
        assert average_precision(label, score) == pytest.approx(total / label.sum())


def test_bad_truth_files_name_line_and_column() -> None:
    with pytest.raises(InputError, match="burned"):
        parse_truth_csv("place,date_from,date_to\nX,2025-01-01,2025-01-02\n", "t.csv")
    with pytest.raises(InputError) as info:
        parse_truth_csv("place,date_from,date_to,burned\nX,2025-01-01,2025-01-02,maybe\n"
                        "Y,2025-13-01,2025-01-02,yes\nZ,2025-01-05,2025-01-02,no\n"
                        ",2025-01-01,2025-01-02,yes\n", "t.csv")
    text = info.value.render()
    assert "t.csv, line 2, column 'burned': expected yes or no, found 'maybe'" in text
    assert "t.csv, line 3, column 'date_from': expected a date YYYY-MM-DD" in text
    assert "line 4, column 'date_to'" in text and "line 5, column 'place'" in text
    with pytest.raises(InputError, match="latitude"):
        parse_truth_csv("latitude,longitude,date,burned\n95,24,2025-01-01,yes\n", "t.csv")
    with pytest.raises(InputError, match="header"):
        parse_truth_csv("", "t.csv")



BAD_TRUTH = ("place,date_from,date_to,burned\nX,2025-01-01,2025-01-02,maybe\n"
             "Y,2025-13-01,2025-01-02,yes\nZ,2025-01-05,2025-01-02,no\n,2025-01-01,2025-01-02,yes\n")
BAD_COORDINATES = "latitude,longitude,date,burned\n95,24,2025-01-01,yes\nx,1,2025-01-01,no\n"


def test_truth_file_problems_keep_their_english() -> None:
    """The problems are told in the session's language; their English (logs, --json, str) is
    what it was, word for word."""
    expected = {
        "": ["t.csv, line 1: expected a header line"],
        "a,b\n1,2\n": [
            "t.csv is not a truth list",
            "t.csv, line 1, column 'burned': expected a 'burned' column (yes/no), found 'a,b'",
            "t.csv, line 1: expected a 'place' column or 'latitude' and 'longitude' columns, found 'a,b'",
            "t.csv, line 1: expected 'date_from' and 'date_to' (or 'date') columns, found 'a,b'"],
        BAD_TRUTH: [
            "t.csv: 4 bad truth rows",
            "t.csv, line 2, column 'burned': expected yes or no, found 'maybe'",
            "t.csv, line 3, column 'date_from': expected a date YYYY-MM-DD, found '2025-13-01'",
            "t.csv, line 4, column 'date_to': expected a date on or after 2025-01-05, found '2025-01-02'",
            "t.csv, line 5, column 'place': expected a place name, a place_id or coordinates"],
        BAD_COORDINATES: [
            "t.csv: 2 bad truth rows",
            "t.csv, line 2, column 'latitude': expected a latitude in -90..90 and a longitude in "
            "-180..180, found '95.0,24.0'",
            "t.csv, line 3, column 'latitude': expected decimal degrees in latitude and longitude, "
            "found 'x,1'"],
    }
    for text, lines in expected.items():
        with pytest.raises(InputError) as info:
            parse_truth_csv(text, "t.csv")
        assert info.value.render().splitlines() == lines


def test_truth_file_problems_are_told_in_arabic(tmp_path: Path) -> None:
    """`tocsin --lang ar eval burnings` tells a bad truth list's problems in Arabic: nothing
    but the file's own names (columns, values) stays Latin."""
    from typer.testing import CliRunner

    from tocsin.cli.main import app

    home = str(tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(app, ["--home", home, "init"]).exit_code == 0
    for number, text in enumerate([BAD_TRUTH, BAD_COORDINATES, "a,b\n1,2\n"]):
        bad = tmp_path / f"truth{number}.csv"
        bad.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["--home", home, "--lang", "ar", "eval", "burnings",
                                     "--truth", str(bad)])
        assert result.exit_code != 0
        said = result.output
        assert "المتوقع" in said and "expected" not in said, said
        # The Latin left: the file's name, its column names and values, and YYYY-MM-DD.
        latin = set(re.findall(r"[A-Za-z_]+", re.sub(r"\S*truth\d\.csv\S*", " ", said)))
        assert latin <= {"burned", "place", "place_id", "latitude", "longitude", "date", "date_from",
                         "date_to", "maybe", "yes", "no", "x", "a", "b", "YYYY", "MM", "DD"}, latin


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                max_size=20).filter(lambda s: s.strip() == s and s.strip() != "")
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, days, st.integers(0, 30), st.booleans(),
                          st.sampled_from(["yes", "YES", "no", "n", "1", "0", "true", "False"])),
                min_size=0, max_size=20))
def test_parser_keeps_every_row(rows: list[tuple[str, date, int, bool, str]]) -> None:
    """Whatever the names (commas, quotes, Arabic), every row comes back as written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["place", "date_from", "date_to", "burned"])
    for name, start, length, _, burned in rows:
        writer.writerow([name, start.isoformat(), date.fromordinal(start.toordinal() + length).isoformat(),
                         burned])
    parsed = parse_truth_csv(buffer.getvalue(), "t.csv")
    assert len(parsed) == len(rows)
    for row, (name, start, length, _, burned) in zip(parsed, rows, strict=True):
        assert row.place == name and row.date_from == start
        assert (row.date_to - row.date_from).days == length
        assert row.burned == (burned.lower() in ("yes", "1", "true"))
