"""Raw inputs: a file opened as a relation of text columns, with a way back to its lines.

Every adapter reads its file through one of these, so validation, rejects and line numbers
work the same for every source:

- ``CsvInput``: DuckDB's CSV reader with the dialect fixed (no guessing), every column read as
  text, structural errors (missing or extra fields, bad UTF-8, unterminated quotes) collected
  with their records instead of aborting the read.
- ``RowsInput``: records a Python reader produced (GeoJSON features, spreadsheet rows), as an
  Arrow table of text columns.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from tocsin.errors import InputError, Problem, input_error
from tocsin.i18n import Said
from tocsin.sqltext import ident, sql_str

SNIFF_BYTES = 1 << 20
UNCLOSED_QUOTE = Said("check.closing_quote")
FIELD_SIZE_LIMIT = (1 << 31) - 1


class RawInput:
    """A file as text columns. Subclasses say how to read it and how to find its records."""

    file: Path
    columns: list[str]
    unit: str = "line"
    header_line: int | None = 1  # where the column names are (None: GeoJSON properties)

    def relation(self, con: duckdb.DuckDBPyConnection) -> str:
        """A FROM-clause item yielding one text column per input column, in file order."""
        raise NotImplementedError

    def structural_problems(self, con: duckdb.DuckDBPyConnection) -> list[Problem]:
        return []

    def record_lines(self, records: list[int]) -> dict[int, int]:
        """Map record numbers (1 = first data record in the file) to lines or feature numbers."""
        return {r: r for r in records}

    def records_of(self, positions: list[int], con: duckdb.DuckDBPyConnection) -> list[int]:
        """Record numbers of the rows at these 1-based positions in ``relation``'s output."""
        return positions

    def is_truncated(self, con: duckdb.DuckDBPyConnection, structural: list[Problem],
                     values: list[Problem]) -> bool:
        """Whether the file was cut short (then it is refused whole, not quarantined row by row)."""
        return False

    @property
    def name(self) -> str:
        return self.file.name


@dataclass
class CsvInput(RawInput):
    file: Path
    columns: list[str]
    # HDX files carry an HXL tag row (#date+year, ...) after the header: these are its columns.
    tag_columns: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path) -> CsvInput:
        header, second = read_csv_head(path)
        tags = [c for c, v in zip(header, second or [], strict=False) if v.strip()]
        return cls(path, header, tag_columns=tags if is_hxl_tag_row(second) else [])

    def relation(self, con: duckdb.DuckDBPyConnection) -> str:
        spec = ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in self.columns)
        # Fixed dialect: the sniffer guesses wrong on damaged files, and a guess is no contract.
        read = (
            f"read_csv({sql_str(str(self.file))}, columns = {{{spec}}}, auto_detect = false, "
            "header = true, delim = ',', quote = '\"', escape = '\"', store_rejects = true, "
            "rejects_scan = 'tocsin_scan', rejects_table = 'tocsin_rejects', "
            f"max_line_size = {MAX_LINE_BYTES})"
        )
        if self.tag_columns:
            is_tag_row = " AND ".join(f"coalesce({ident(c)}, '') LIKE '#%'"
                                      for c in self.tag_columns)
            return f"(SELECT * FROM {read} WHERE NOT ({is_tag_row}))"
        return read

    def structural_problems(self, con: duckdb.DuckDBPyConnection) -> list[Problem]:
        rows = _fetch(con, "SELECT line, column_name, error_type, csv_line FROM tocsin_rejects "
                           "ORDER BY line, column_idx")
        expected = {
            "MISSING COLUMNS": Said("check.fields_as_header", count=len(self.columns)),
            "TOO MANY COLUMNS": Said("check.fields_as_header", count=len(self.columns)),
            "INVALID ENCODING": Said("check.utf8_text"),
            "UNQUOTED VALUE": UNCLOSED_QUOTE,
            "LINE SIZE OVER MAXIMUM": Said("check.short_line"),
        }
        seen: set[int] = set()
        problems = []
        for line, column, error_type, csv_line in rows:
            if line in seen:  # DuckDB reports each missing field; one problem per record suffices
                continue
            seen.add(line)
            # A short record names the first column it lacks; a long one has no column to name.
            problems.append(Problem(self.name, int(line), None if error_type == "TOO MANY COLUMNS"
                                    else column, expected.get(error_type, error_type.lower()),
                                    (csv_line or "").rstrip("\r\n")))
        # DuckDB counts records, not lines; translate so the user can open the file at the line.
        lines = self.record_lines([p.line - 1 for p in problems if p.line])
        return [Problem(p.file, lines.get(p.line - 1, p.line) if p.line else None, p.column,
                        p.expected, p.found, p.unit) for p in problems]

    def record_lines(self, records: list[int]) -> dict[int, int]:
        """First physical line of each wanted record (1 = header line), via Python's csv reader.

        Only called when something is wrong, so its full pass over the file costs nothing in
        the common case.
        """
        wanted = set(records)
        if not wanted:
            return {}
        found: dict[int, int] = {}
        last = max(wanted)
        with open(self.file, encoding="utf-8", errors="replace", newline="") as handle:
            reader = _csv_reader(handle)
            start = 1
            for index, _ in enumerate(reader):
                if index in wanted:
                    found[index] = start
                if index >= last:
                    break
                start = reader.line_num + 1
        return found

    def records_of(self, positions: list[int], con: duckdb.DuckDBPyConnection) -> list[int]:
        """Positions in the output skip the tag row and the records DuckDB rejected."""
        gone_records = {int(line) - 1 for (line,) in _fetch(con, "SELECT DISTINCT line FROM tocsin_rejects")}
        if self.tag_columns:
            gone_records.add(1)
        # DuckDB skips empty lines without a word; they are records to csv.reader and to its
        # line numbers.
        dropped = sorted(gone_records | self._blank_records(max(positions, default=0) + len(gone_records)))
        records = []
        for position in positions:
            record = position
            for gone in dropped:  # few in practice: rejects are the exception
                if gone <= record:
                    record += 1
            records.append(record)
        return records

    def _blank_records(self, last: int) -> set[int]:
        """Numbers of the empty records (blank lines) among the first ``last`` non-empty ones."""
        blank: set[int] = set()
        with open(self.file, encoding="utf-8", errors="replace", newline="") as handle:
            for index, row in enumerate(_csv_reader(handle)):
                if not row:
                    blank.add(index)
                elif index - len(blank) >= last:
                    break
        return blank

    def _last_record_line(self) -> int | None:
        start, last = 1, None
        with open(self.file, encoding="utf-8", errors="replace", newline="") as handle:
            reader = _csv_reader(handle)
            for row in reader:
                if row:
                    last = start
                start = reader.line_num + 1
        return last

    def is_truncated(self, con: duckdb.DuckDBPyConnection, structural: list[Problem],
                     values: list[Problem]) -> bool:
        """A file cut short: its last record broken and no final newline, or a quote opened in
        its last record and never closed (the rest of the file is then inside it)."""
        unclosed = [p.line for p in structural if p.expected == UNCLOSED_QUOTE]
        with open(self.file, "rb") as handle:
            handle.seek(max(0, self.file.stat().st_size - 1))
            end = handle.read(1)
        # A record cut just after a comma has all its fields, the last one empty.
        suspects = unclosed if end in (b"\n", b"\r") else structural + (values if end == b"," else [])
        if not suspects:  # the common case: no need to read the file again
            return False
        last = self._last_record_line()
        if last in unclosed and self._quotes_from(last) % 2:
            return True
        return end not in (b"\n", b"\r") and any(p.line == last for p in suspects)

    def _quotes_from(self, line: int | None) -> int:
        """How many quote characters the file holds from this line on."""
        with open(self.file, encoding="utf-8", errors="replace", newline="") as handle:
            return sum(text.count('"') for number, text in enumerate(handle, start=1)
                       if number >= (line or 1))


def _csv_reader(handle: Iterable[str]) -> Iterator[list[str]]:
    """Python's csv reader, taking fields as long as DuckDB does (its default limit is 128 KB, and
    a long UCDP text or an unclosed quote that runs to the end of the file is longer)."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))
    return csv.reader(handle)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    try:
        return con.execute(sql).fetchall()
    except duckdb.CatalogException:  # nothing was rejected, so DuckDB made no table
        return []


@dataclass
class RowsInput(RawInput):
    """Records read by Python (GeoJSON, XLSX) as text columns."""

    file: Path
    columns: list[str]
    records: list[dict[str, str | None]]
    unit: str = "feature"
    numbers: list[int] | None = None  # the number the user sees for each record (sheet rows)
    header_line: int | None = None

    def relation(self, con: duckdb.DuckDBPyConnection) -> str:
        table = pa.table({c: pa.array([r.get(c) for r in self.records], pa.string())
                          for c in self.columns})
        con.register("tocsin_rows", table)
        return "tocsin_rows"

    def record_lines(self, records: list[int]) -> dict[int, int]:
        return {r: self.numbers[r - 1] if self.numbers else r for r in records}


def read_csv_head(path: Path) -> tuple[list[str], list[str] | None]:
    """The header and the first data record, with the clear errors a user needs at this stage."""
    name = path.name
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise input_error(name, Said("check.readable_file", error=exc.strerror)) from exc
    if not head.strip():
        raise input_error(name, Said("check.csv_header_empty"), line=1)
    if head.startswith(b"PK\x03\x04"):
        raise input_error(name, Said("check.csv_not_zip"), line=1)
    sample = head[:4096]
    # UTF-16 text has a zero byte beside nearly every ASCII character; the BOM is optional.
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or max(
            sample[0::2].count(0), sample[1::2].count(0)) > len(sample) // 4:
        raise input_error(name, Said("check.utf8_not_utf16"), line=1)
    if b"\x00" in sample:
        raise input_error(name, Said("check.csv_not_binary"), line=1)
    text = head.decode("utf-8-sig", errors="replace")
    reader = _csv_reader(io.StringIO(text))
    try:
        header = next(reader)
        second = next(reader, None)
    except csv.Error as exc:
        raise input_error(name, Said("check.csv_header", error=str(exc)), line=1) from exc
    if len([h for h in header if h.strip()]) < 2:
        raise input_error(name, Said("check.comma_header"), line=1,
                          found=text.splitlines()[0] if text else "")
    # Unnamed columns (UCDP's API layout ends every line with a comma) get positional names.
    header = [h.strip() or f"column{i + 1}" for i, h in enumerate(header)]
    return distinct_names(header), second


def distinct_names(header: list[str]) -> list[str]:
    """SQL names ignore case, and some publishers repeat a name in another case (HIU has both
    Latitude and latitude): later copies get a numeric suffix, latitude_2."""
    seen: dict[str, int] = {}
    names = []
    for name in header:
        key = name.lower()
        seen[key] = seen.get(key, 0) + 1
        names.append(name if seen[key] == 1 else f"{name}_{seen[key]}")
    return names


MAX_LINE_BYTES = 10_000_000  # the longest CSV line (record) DuckDB is asked to read


def first_long_line(path: Path, limit: int = MAX_LINE_BYTES) -> tuple[int, int] | None:
    """(line number, length in bytes) of the first line longer than ``limit``, or None; read in
    1 MiB blocks, so a file that is one 150 MB line costs no more memory than any other."""
    line, length = 1, 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            start = 0
            while (end := block.find(b"\n", start)) != -1:
                length += end - start
                if length > limit:
                    return line, length
                line, length, start = line + 1, 0, end + 1
            length += len(block) - start
            if length > limit:
                while (block := handle.read(1 << 20)) and b"\n" not in block:
                    length += len(block)
                if block:
                    length += block.index(b"\n")
                return line, length
    return None


def first_changed_line_ending(path: Path) -> int | None:
    """The first line whose ending differs from the first line's (\\r\\n or \\n), or None.
    DuckDB's reader fails on such files with a message that names no line."""
    first_crlf: bool | None = None
    line = 0
    with open(path, "rb") as handle:
        for raw_line in handle:
            line += 1
            if not raw_line.endswith(b"\n"):
                break
            crlf = raw_line.endswith(b"\r\n")
            if first_crlf is None:
                first_crlf = crlf
            elif crlf != first_crlf:
                return line
    return None


def is_hxl_tag_row(record: list[str] | None) -> bool:
    if not record:
        return False
    values = [v.strip() for v in record if v.strip()]
    return bool(values) and all(v.startswith("#") for v in values)


def require_columns(raw: RawInput, required: list[str], kind: str, what: str) -> None:
    """Refuse a file whose header lacks columns the adapter needs, saying what it looks like."""
    missing = [c for c in required if c not in raw.columns]
    if not missing:
        return
    from tocsin.sources.registry import guess_kind  # the registry imports every adapter

    guess = guess_kind(raw.columns)
    raise InputError(
        [Problem(raw.name, raw.header_line, c, Said("check.column_named", column=c), unit=raw.unit)
         for c in missing],
        summary=Said("check.not_a_kind_file", file=raw.name, what=what, kind=kind,
                     count=len(missing), missing=", ".join(missing),
                     hint=Said("check.looks_like", guess=guess) if guess and guess != kind else ""),
    )
