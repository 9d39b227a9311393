"""Property-based tests: on generated files, ingest never loses a valid row, never commits a bad one,
names every bad row at its line, adds nothing on re-ingest, and keeps text exactly as written."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_support import (
    UCDP_HDX_HEADER,
    UCDP_HDX_TAGS,
    VIIRS_HEADER,
    ingest,
    new_workspace,
    query,
    ucdp_record,
)

from tocsin.workspace import Workspace

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COLUMNS = VIIRS_HEADER.split(",")


@contextmanager
def fresh_workspace() -> Iterator[tuple[Workspace, Path]]:
    folder = Path(tempfile.mkdtemp(prefix="tocsin-prop-"))
    try:
        yield new_workspace(folder / "ws"), folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- FIRMS-like rows ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Detection:
    lat: str
    lon: str
    day: str
    hhmm: str
    satellite: str
    confidence: str
    frp: str
    daynight: str

    @property
    def key(self) -> tuple[str, str, int, str, str]:
        """What identifies a detection (FIRMS' id in the lake: satellite, day, time, position)."""
        return (self.satellite, self.day, int(self.hhmm), self.lat, self.lon)

    def fields(self) -> list[str]:
        return [self.lat, self.lon, "330.1", "0.39", "0.36", self.day, self.hhmm, self.satellite, "VIIRS",
                self.confidence, "2.0NRT", "290.5", self.frp, self.daynight]


def _decimal(low: float, high: float, places: int) -> st.SearchStrategy[str]:
    return st.integers(round(low * 10**places), round(high * 10**places)).map(
        lambda n: f"{n / 10**places:.{places}f}")


valid_detections = st.builds(
    Detection,
    lat=_decimal(-90, 90, 5),
    lon=_decimal(-180, 180, 5),
    day=st.dates(date(2000, 1, 1), date(2025, 11, 8)).map(date.isoformat),
    hhmm=st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: str(t[0] * 100 + t[1])),
    satellite=st.sampled_from(["N", "N20", "N21"]),
    confidence=st.sampled_from(["l", "n", "h"]),
    frp=_decimal(0, 5000, 2),
    daynight=st.sampled_from(["D", "N"]),
)

# Text that can never read as a number, a date or a time: letters that no number or date syntax
# uses (no e, a, n, i, f, x: 1e5, nan, inf, 0x1f), digits, punctuation, commas, quotes, newlines
# and non-Latin script, with at least one such letter.
_JUNK_LETTERS = "bcdghjkmopqrstuvwyzBCDGHJKMOPQRSTUVWYZقرية"
junk = st.text(alphabet=_JUNK_LETTERS + "0123456789 .,-:/\"'\n#;", min_size=1, max_size=12).filter(
    lambda t: any(c in _JUNK_LETTERS for c in t))

bad_values = {
    "latitude": st.one_of(junk, _decimal(90.00001, 999, 5), _decimal(-999, -90.00001, 5), st.just("")),
    "acq_date": st.one_of(
        junk, st.just(""), st.sampled_from(["2025-02-30", "2023-13-01", "2023-00-10", "31/10/2025",
                                            "2025/10/31", "20251031", "1900-01-01", "2999-01-01"]),
        st.dates(date(1000, 1, 1), date(1945, 12, 31)).map(date.isoformat),
        st.integers(2, 900).map(lambda n: (date.today() + timedelta(days=n)).isoformat())),
    "acq_time": st.one_of(junk, st.just(""), st.integers(2400, 99999).map(str),
                          st.tuples(st.integers(0, 23), st.integers(60, 99)).map(lambda t: f"{t[0]}{t[1]}"),
                          st.integers(-2359, -1).map(str)),
    "frp": st.one_of(junk, st.just(""), _decimal(-500, -0.01, 2)),
}
FIELD = {"latitude": "lat", "acq_date": "day", "acq_time": "hhmm", "frp": "frp"}


@st.composite
def bad_detections(draw: st.DrawFn) -> tuple[Detection, str, str]:
    """A detection with one of latitude, acq_date, acq_time or frp spoiled: (row, column, value)."""
    column = draw(st.sampled_from(sorted(bad_values)))
    value = draw(bad_values[column])
    row = draw(valid_detections)
    return Detection(**{**row.__dict__, FIELD[column]: value}), column, value


Row = tuple[Detection, str | None, str | None]  # a row, and for a bad one its spoiled column and value


@st.composite
def firms_files(draw: st.DrawFn) -> list[Row]:
    """Valid rows (distinct detections, some repeated word for word) mixed with bad ones."""
    valid = draw(st.lists(valid_detections, min_size=0, max_size=25, unique_by=lambda d: d.key))
    rows: list[Row] = [(d, None, None) for d in valid]
    if valid:
        rows += [(d, None, None) for d in draw(st.lists(st.sampled_from(valid), max_size=4))]
    rows += [(d, c, v) for d, c, v in draw(st.lists(bad_detections(), max_size=10))]
    return draw(st.permutations(rows))


def write_rows(path: Path, header: list[str], records: list[list[str]],
               blank_before: frozenset[int] = frozenset()) -> list[int]:
    """Write a CSV file as csv.writer quotes it, with a blank line before the records numbered in
    ``blank_before``; return each record's first physical line."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    starts = []
    for number, record in enumerate(records):
        if number in blank_before:
            buffer.write("\n")
        starts.append(buffer.getvalue().count("\n") + 1)
        writer.writerow(record)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return starts


@SETTINGS
@given(rows=firms_files(), blanks=st.frozensets(st.integers(0, 40), max_size=3))
def test_firms_ingest_keeps_every_valid_row_and_no_bad_one(rows: list[Row], blanks: frozenset[int]) -> None:
    with fresh_workspace() as (workspace, folder):
        path = folder / "fires.csv"
        # Blank lines, as hand-edited files have: skipped, but counted in line numbers.
        starts = write_rows(path, COLUMNS, [d.fields() for d, _, _ in rows], blanks)
        valid = {d.key: d for d, column, _ in rows if column is None}
        bad = [(line, column, value) for line, (_, column, value) in zip(starts, rows, strict=True) if column]
        outcome = ingest(workspace, "firms", path)
        if not valid and bad:
            (_, error), = outcome.errors
            assert "no row is valid" in (error.summary or "")
            assert [(p.line, p.column) for p in error.problems] == [(line, column) for line, column, _ in bad]
            assert query(workspace, "SELECT count(*) FROM fire_detections") == [(0,)]
            return
        assert outcome.errors == []
        (result,) = outcome.results
        assert result.rows_added == len(valid)
        assert result.duplicates == len(rows) - len(bad) - len(valid)
        assert result.rejected == len(bad)
        assert [(p.line, p.column, p.found) for p in result.problems] == [
            (line, column, value or None) for line, column, value in bad]
        held = query(workspace, "SELECT satellite, CAST(acq_date AS VARCHAR), acq_time, latitude, "
                                "longitude, confidence_raw, frp, daynight FROM fire_detections")
        expected = [(d.satellite, d.day, int(d.hhmm), float(d.lat), float(d.lon), d.confidence, float(d.frp),
                     d.daynight) for d in valid.values()]
        assert sorted(held) == sorted(expected)
        # Re-ingest: the same file is recognised; the same rows in another file are all held.
        again = ingest(workspace, "firms", path).results[0]
        assert again.already_ingested and again.rows_added == 0
        copy = folder / "fires_again.csv"  # the same rows; a trailing blank line makes it another file
        copy.write_bytes(path.read_bytes() + b"\n")
        repeat = ingest(workspace, "firms", copy).results[0]
        assert not repeat.already_ingested
        assert (repeat.rows_added, repeat.duplicates, repeat.rejected) == (
            0, len(rows) - len(bad), len(bad))
        assert query(workspace, "SELECT count(*) FROM fire_detections") == [(len(valid),)]


# -- text round trip ----------------------------------------------------------------------------

# Any printable text, with the characters CSV must quote (comma, quote, newline) made frequent.
texts = st.text(
    alphabet=st.one_of(st.characters(blacklist_categories=("Cs", "Cc")),
                       st.sampled_from([",", '"', "\n", "'"])),
    max_size=40,
)


@SETTINGS
@given(values=st.lists(st.tuples(texts, texts, texts), min_size=1, max_size=8), hxl=st.booleans())
def test_text_round_trips_through_ucdp(values: list[tuple[str, str, str]], hxl: bool) -> None:
    with fresh_workspace() as (workspace, folder):
        records = [ucdp_record(5000 + i, source_headline=headline, side_a=actor, where_coordinates=place)
                   for i, (headline, actor, place) in enumerate(values)]
        path = folder / "ged.csv"
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\n").writerows(
            [UCDP_HDX_HEADER, *([UCDP_HDX_TAGS] if hxl else []), *records])
        path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        outcome = ingest(workspace, "ucdp-ged", path)
        assert outcome.errors == [], outcome.errors[0][1].render() if outcome.errors else ""
        assert outcome.results[0].rows_added == len(values)
        held = dict((int(r[0]), r[1:]) for r in query(
            workspace, "SELECT source_id, notes, actor1, location_name FROM events"))
        assert held == {5000 + i: tuple(v or None for v in value) for i, value in enumerate(values)}


@SETTINGS
@given(names=st.lists(texts.filter(lambda t: t != ""), min_size=1, max_size=8, unique=True))
def test_place_names_round_trip_through_geonames(names: list[str]) -> None:
    with fresh_workspace() as (workspace, folder):
        header = ["geonameid", "name", "latitude", "longitude", "countrycode", "population", "admin1code",
                  "timezone", "alternatenames"]
        records = [[str(100 + i), name, "13.62793", "25.34936", "SD", "1000", "55", "Africa/Khartoum", ""]
                   for i, name in enumerate(names)]
        path = folder / "places.csv"
        write_rows(path, header, records)
        outcome = ingest(workspace, "geonames", path)
        assert outcome.errors == [], outcome.errors[0][1].render() if outcome.errors else ""
        assert dict(query(workspace, "SELECT CAST(source_id AS INT) - 100, name FROM places")) == dict(
            enumerate(names))
