"""No row is lost: on generated FIRMS files with bad rows of every kind (values out of range or not
parsable, short and long records, repeats), each input record is in the lake or in the quarantine
file with its line and a reason, whatever the sizes of the streamed batches and row groups."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_support import VIIRS_HEADER, ingest, new_workspace, query

from tocsin.sources import base

COLUMNS = VIIRS_HEADER.split(",")


@dataclass(frozen=True)
class Record:
    fields: tuple[str, ...]
    bad: bool  # quarantined: a spoiled value or a record of the wrong length

    @property
    def key(self) -> tuple[str, str, int, float, float]:
        f = dict(zip(COLUMNS, self.fields, strict=False))
        return (
            f["satellite"],
            f["acq_date"],
            int(f["acq_time"]),
            float(f["latitude"]),
            float(f["longitude"]),
        )


def _decimal(low: int, high: int, places: int) -> st.SearchStrategy[str]:
    return st.integers(low * 10**places, high * 10**places).map(lambda n: f"{n / 10**places:.{places}f}")


valid = st.builds(
    lambda lat, lon, day, hhmm, sat, conf, frp, dn: Record(
        (lat, lon, "330.1", "0.39", "0.36", day, hhmm, sat, "VIIRS", conf, "2.0NRT", "290.5", frp, dn),
        bad=False,
    ),
    _decimal(-90, 90, 4),
    _decimal(-180, 180, 4),
    st.dates(date(2020, 1, 1), date(2025, 11, 8)).map(date.isoformat),
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0] * 100 + t[1]:04d}"),
    st.sampled_from(["N", "N20"]),
    st.sampled_from(["l", "n", "h"]),
    _decimal(0, 900, 2),
    st.sampled_from(["D", "N"]),
)

SPOILS = {  # column -> values its check refuses
    "latitude": ["91.5", "abc", ""],
    "acq_date": ["2025-13-01", "31/10/2025", ""],
    "acq_time": ["2400", "1260", "x"],
    "confidence": ["x", ""],
    "frp": ["-0.5", "hot"],
    "daynight": ["X", ""],
    "satellite": [""],
}


@st.composite
def bad(draw: st.DrawFn) -> Record:
    fields = list(draw(valid).fields)
    how = draw(st.sampled_from(["value", "short", "long"]))
    if how == "value":
        column = draw(st.sampled_from(sorted(SPOILS)))
        fields[COLUMNS.index(column)] = draw(st.sampled_from(SPOILS[column]))
    elif how == "short":
        fields = fields[: draw(st.integers(2, len(COLUMNS) - 1))]
    else:
        fields.append("surplus")
    return Record(tuple(fields), bad=True)


@st.composite
def files(draw: st.DrawFn) -> list[Record]:
    good = draw(st.lists(valid, max_size=30, unique_by=lambda r: r.key))
    repeats = draw(st.lists(st.sampled_from(good), max_size=5)) if good else []
    return draw(st.permutations([*good, *repeats, *draw(st.lists(bad(), max_size=12))]))


def write(path: Path, records: list[Record]) -> list[int]:
    """The file as csv.writer writes it; each record's physical line."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    lines = []
    for record in records:
        lines.append(buffer.getvalue().count("\n") + 1)
        writer.writerow(record.fields)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return lines


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=files(),
    batch_rows=st.sampled_from([1, 2, 3, 7, 100_000]),
    group_rows=st.sampled_from([1, 4, 500_000]),
    hash_rows=st.sampled_from([0, 5, 20_000_000]),
)
def test_every_record_is_in_the_lake_or_quarantined_with_a_reason(
    records: list[Record], batch_rows: int, group_rows: int, hash_rows: int
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tocsin-lost-"))
    try:
        workspace = new_workspace(folder / "ws")
        path = folder / "fires.csv"
        lines = write(path, records)
        with (
            mock.patch.object(base, "BATCH_ROWS", batch_rows),
            mock.patch.object(base, "ROW_GROUP_ROWS", group_rows),
            mock.patch.object(base, "KEY_HASH_ROWS", hash_rows),
        ):
            outcome = ingest(workspace, "firms", path)
        bad_lines = {line for line, r in zip(lines, records, strict=True) if r.bad}
        good = {r.key for r in records if not r.bad}
        if not good:
            if records:  # a file of bad rows alone is refused whole, each bad row named
                ((_, error),) = outcome.errors
                assert {p.line for p in error.problems} == bad_lines
            assert query(workspace, "SELECT count(*) FROM fire_detections") == [(0,)]
            return
        assert outcome.errors == []
        (result,) = outcome.results
        assert result.rows_added + result.duplicates + result.rejected == len(records)
        held = {
            (s, d, t, la, lo)
            for s, d, t, la, lo in query(
                workspace,
                "SELECT satellite, strftime(acq_date, '%Y-%m-%d'), acq_time, latitude, longitude "
                "FROM fire_detections",
            )
        }
        assert held == good and result.rows_added == len(good)
        quarantined: dict[int, str] = {}
        if result.rejects_file:
            with open(result.rejects_file, encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    assert row["file"] == path.name and row["expected"].strip()
                    quarantined[int(row["number"])] = row["expected"]
        assert set(quarantined) == bad_lines
    finally:
        shutil.rmtree(folder, ignore_errors=True)
