"""What every source adapter declares, and the one pipeline that ingests a file for all of them.

An adapter says how to open its file (``open``), which rows are acceptable (``checks``: one SQL
condition each, with the column it names and what it expects), and how its columns become the
canonical table's (``columns``, ``source_id``). The pipeline does the rest the same way for every
source: one streaming pass (DuckDB reads, converts and checks; pyarrow writes the rows that pass
to Parquet, decision 0047), quarantine or refusal of bad rows, removal of rows the lake already
has, and an atomic commit of the batch.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tocsin.errors import InputError, Problem, input_error
from tocsin.i18n import Said
from tocsin.lake import Batch, Lake, new_batch_id
from tocsin.schema.tables import TABLES
from tocsin.sources.raw import (
    MAX_LINE_BYTES,
    UNCLOSED_QUOTE,
    CsvInput,
    RawInput,
    first_changed_line_ending,
    first_long_line,
)
from tocsin.sqltext import ident, sql_str

EARLY_HASH_BYTES = 64 << 20
DUCKDB_MEMORY_LIMIT = "1GB"  # keeps a 5-million-row ingest well under 2 GB resident
ROW_GROUP_ROWS = 500_000  # rows per Parquet row group, as DuckDB's COPY wrote them before
BATCH_ROWS = 100_000  # rows per Arrow batch streamed from DuckDB to the Parquet writer
PROBLEM = "_problem"  # the staged rows' column: index of the first check the row fails, or NULL
KEY_HASH = "_key_hash"  # the streamed rows' hash of their identity columns (not written)
# Up to this many rows the identity hashes are kept in memory (8 bytes a row) and counted when
# staging; a bigger file is counted by a second, spilling DuckDB pass over its staged Parquet.
KEY_HASH_ROWS = 20_000_000


@dataclass(frozen=True)
class Check:
    """A row is acceptable when ``ok`` (SQL, over the raw text columns) is true."""

    column: str  # the input column the user must fix
    ok: str
    expected: str


@dataclass
class Plan:
    """How one opened file maps onto a canonical table."""

    table: str
    source: str
    license: str
    columns: dict[str, str]  # canonical column -> SQL expression over the raw text columns
    source_id: str | None  # SQL, unique per row at the source; None where the table derives it
    checks: list[Check] = field(default_factory=list)
    # A canonical date column that a repeated row shares with its first copy: looking for rows
    # the lake already holds is then limited to the new file's date range.
    window: str | None = None


class Adapter:
    kind: ClassVar[str]
    about: ClassVar[str]
    what: ClassVar[str]  # how errors name the files, e.g. "UCDP GED"
    signature: ClassVar[tuple[str, ...]]  # columns that tell this source's files apart

    def open(self, path: Path) -> RawInput:
        """Read the file and refuse it unless it has the columns the adapter needs."""
        from tocsin.sources.raw import require_columns

        raw = self.read(path)
        require_columns(raw, self.required(raw), self.kind, self.what)
        return raw

    def read(self, path: Path) -> RawInput:
        from tocsin.sources.raw import CsvInput

        return CsvInput.open(path)

    def required(self, raw: RawInput) -> list[str]:
        """The columns this file must have (some sources have several layouts)."""
        raise NotImplementedError

    def plan(self, raw: RawInput) -> Plan:
        raise NotImplementedError


@dataclass
class IngestResult:
    kind: str
    file: str
    batch_id: str | None
    table: str
    rows_added: int
    duplicates: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    already_ingested: bool = False
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data = {k: v for k, v in self.__dict__.items() if k != "problems"}
        data["problems"] = [str(p) for p in self.problems[:20]]
        return data


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def col(name: str) -> str:
    """SQL for a raw input column, empty as NULL. Values are taken as published (not trimmed:
    trimming every field costs a sixth of a FIRMS ingest; RowsInput strips cells itself)."""
    return f"nullif({ident(name)}, '')"


Step = Callable[[str], None]


def ingest_file(lake: Lake, rejects_dir: Path, adapter: Adapter, path: Path, *,
                strict: bool = False, step: Step | None = None, replace: bool = False,
                bookmark: tuple[str, dict[str, Any]] | None = None) -> IngestResult:
    """Ingest one file whole or not at all. Callers hold the workspace write lock.

    ``replace`` (sync, for publishers that re-send changed rows): every row goes in and withdraws
    the copies of its source_id committed before (see lake ``withdrawals``), instead of being
    dropped as already held. ``bookmark`` moves a sync bookmark in the batch's own commit."""
    say = step or (lambda _: None)
    if not path.is_file():
        raise input_error(path.name, Said("check.existing_file"), found=str(path))
    say("hashing")
    sha = file_sha256(path) if path.stat().st_size < EARLY_HASH_BYTES else None
    if not replace and sha is not None and (earlier := lake.find_file(adapter.kind, sha)) is not None:
        return _already(adapter, path, earlier)
    raw = adapter.open(path)
    plan = adapter.plan(raw)
    # A big file is hashed while DuckDB reads it; the check for a re-ingest comes after.
    hasher = None if sha else ThreadPoolExecutor(1)
    hashing = hasher.submit(file_sha256, path) if hasher else None
    batch_id = new_batch_id()
    retrieved_at = datetime.now(UTC)
    staged = lake.staging_path(plan.table, batch_id)
    final = lake.staging_path(plan.table, batch_id, part=1)
    withdrawals = lake.staging_path("withdrawals", batch_id)
    keep_final = False  # until the batch is ready to commit, ``final`` is ours to remove
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET temp_directory = {sql_str(str(lake.root / '_staging' / 'spill'))}")
    try:
        say("reading")
        relation = raw.relation(con)
        select = _canonical_select(plan)
        # The batch's provenance goes in each file's key-value metadata, so that a file is
        # self-describing even outside the lake.
        parquet: ParquetOptions = {"source": plan.source, "batch_id": batch_id,
                                   "source_file": path.name, "license": plan.license,
                                   "retrieved_at": retrieved_at.isoformat()}
        # One pass: read, convert, check, and write the rows that pass to Parquet; the rows that
        # fail are counted here and named by _find_problems.
        written = write_parquet(
            con, f"SELECT {select}, {_problem_case(plan.checks)} AS {PROBLEM} FROM {relation}",
            staged, parquet, problem=PROBLEM, key=TABLES[plan.table].identity)
        say("checking")
        problems = _find_problems(con, raw, plan, relation, written.read, written.left_out, strict)
        say("deduplicating")
        duplicates, added = _drop_known(con, lake, plan, staged, final, parquet, written,
                                        held=not replace)
        if not final.exists():
            os.replace(staged, final)
        sha = sha or hashing.result()
        if not replace and (earlier := lake.find_file(adapter.kind, sha)) is not None:
            return _already(adapter, path, earlier)
        withdrawn = _stage_replacements(con, lake, plan, final, withdrawals, parquet) \
            if replace and added else 0
        keep_final = True
    except duckdb.Error as exc:
        if isinstance(raw, CsvInput) and (long := first_long_line(path)) is not None:
            raise input_error(path.name, Said("check.short_lines", limit=MAX_LINE_BYTES,
                                              line=long[0], size=long[1]), line=long[0]) from exc
        if isinstance(raw, CsvInput) and (line := first_changed_line_ending(path)) is not None:
            raise input_error(path.name, Said("check.one_line_ending"), line=line) from exc
        raise input_error(path.name, Said("check.readable_kind_file", kind=adapter.kind,
                                              error=_first_line(exc))) from exc
    finally:
        con.close()
        if hasher is not None:
            hasher.shutdown(wait=False, cancel_futures=True)
        staged.unlink(missing_ok=True)
        if not keep_final:
            final.unlink(missing_ok=True)
            withdrawals.unlink(missing_ok=True)

    rejects_file = _write_rejects(rejects_dir, batch_id, path.name, problems) if problems else None
    batch = Batch(batch_id=batch_id, kind=adapter.kind, source=plan.source, file_name=path.name,
                  file_sha256=sha, file_bytes=path.stat().st_size,
                  ingested_at=retrieved_at.isoformat(), rows={plan.table: added},
                  rejected=len(problems), duplicates=duplicates,
                  rejects_file=str(rejects_file) if rejects_file else None, license=plan.license)
    say("committing")
    files = {plan.table: [final]} if added else {}
    if withdrawn:
        files["withdrawals"] = [withdrawals]
        batch.rows["withdrawals"] = withdrawn
        batch.withdraws = [plan.table]
    try:
        lake.commit(batch, files, bookmark=bookmark)
    finally:
        final.unlink(missing_ok=True)  # committed files were moved away; anything left is junk
        withdrawals.unlink(missing_ok=True)
    return IngestResult(adapter.kind, path.name, batch_id, plan.table, added, duplicates,
                        len(problems), batch.rejects_file, problems=problems)


def _find_problems(con: duckdb.DuckDBPyConnection, raw: RawInput, plan: Plan, relation: str,
                   total: int, flagged: int, strict: bool) -> list[Problem]:
    """Every bad row, named; raises when the file as a whole cannot go in. ``total`` rows were
    read, ``flagged`` of them failed a check."""
    structural = raw.structural_problems(con)
    value_problems = _value_problems(con, raw, plan, relation) if flagged else []
    problems = sorted(structural + value_problems, key=lambda p: p.line or 0)
    if raw.is_truncated(con, structural, value_problems):
        last = problems[-1]
        why = (f"a quote opened at {last.unit} {last.line} is never closed, so the rest of the file "
               "cannot be read" if last.expected == UNCLOSED_QUOTE else
               "its last record is cut short (download it again)")
        raise InputError([last], summary=f"{raw.name} is truncated: {why}; nothing was written")
    bad_encoding = [p for p in structural if p.expected.startswith("UTF-8")]
    if bad_encoding:
        raise InputError(bad_encoding, summary=f"{raw.name} is not UTF-8 text; nothing was written")
    if problems and (strict or total == flagged):
        why = "--strict refuses a file with any bad row" if strict else "no row is valid"
        raise InputError(problems, summary=f"{raw.name}: {len(problems)} bad row(s) of "
                         f"{total + len(structural)}; {why}; nothing was written")
    return problems


def _stage_replacements(con: duckdb.DuckDBPyConnection, lake: Lake, plan: Plan, final: Path,
                        out: Path, parquet: ParquetOptions) -> int:
    """Stage at ``out`` the withdrawals a replacing batch makes: the earlier copies of its rows
    the lake holds (none, and no file, when every row is new). Returns how many."""
    new = f"(SELECT * FROM read_parquet({sql_str(str(final))}))"
    if not _stage_held_rows(con, lake.table_files(plan.table, source=plan.source), plan, new):
        return 0
    rows = write_parquet(
        con, f"SELECT {sql_str(plan.table)} AS target_table, {sql_str(plan.source)} AS "
        "target_source, source_id AS target_id, CAST(NULL AS VARCHAR) AS target_batch, "
        "'replaced by a newer copy' AS reason, CAST(NULL AS TIMESTAMPTZ) AS withdrawn_at "
        f"FROM {new} SEMI JOIN held USING (source_id)", out, parquet).kept
    if not rows:
        out.unlink()
    return rows


def _drop_known(con: duckdb.DuckDBPyConnection, lake: Lake, plan: Plan, staged: Path,
                final: Path, parquet: ParquetOptions, written: Written,
                held: bool = True) -> tuple[int, int]:
    """Write ``final`` without the rows the lake holds and repeats, when there are any
    (otherwise leave ``staged``, as ``written`` wrote it, as it is). Rows are the same
    when their identity columns are. Returns (duplicates dropped, rows kept)."""
    table = TABLES[plan.table]
    key = ", ".join(ident(c) for c in table.identity)
    valid = f"(SELECT * FROM read_parquet({sql_str(str(staged))}))"
    fresh = valid
    already_held = 0
    if held and _stage_held_rows(con, lake.table_files(plan.table, source=plan.source), plan, valid):
        already_held = con.execute(f"SELECT count(*) FROM {valid} SEMI JOIN held USING ({key})"
                                   ).fetchall()[0][0]
        fresh = f"(SELECT * FROM {valid} ANTI JOIN held USING ({key}))"
    # Distinct hashes prove distinct rows (equal rows hash alike), and counting 64-bit hashes
    # is cheaper than comparing rows; only when hashes repeat are the rows compared. With no
    # rows held, the hashes counted while staging are those of ``fresh``: no second read.
    if fresh == valid and written.distinct_keys is not None:
        rows, hashes = written.kept, written.distinct_keys
    else:
        rows, hashes = con.execute(
            f"SELECT count(*), count(DISTINCT hash({key})) FROM {fresh}").fetchall()[0]
    repeated = 0 if rows == hashes else con.execute(
        f"SELECT {rows} - count(*) FROM (SELECT DISTINCT {key} FROM {fresh})").fetchall()[0][0]
    if not (already_held or repeated):
        return 0, rows
    keep = ", ".join(ident(c) for c in table.stored_columns)
    select = f"SELECT {keep} FROM {fresh}"
    if repeated:  # only rows whose identity repeats need the costly window; the rest stream through
        con.execute(f"CREATE TEMP TABLE repeats AS SELECT {key} FROM {fresh} GROUP BY ALL "
                    "HAVING count(*) > 1")
        select = (f"SELECT {keep} FROM {fresh} ANTI JOIN repeats USING ({key}) UNION ALL "
                  f"(SELECT {keep} FROM {fresh} SEMI JOIN repeats USING ({key}) "
                  f"QUALIFY row_number() OVER (PARTITION BY {key}) = 1)")
    return already_held + repeated, write_parquet(con, select, final, parquet).kept


def _already(adapter: Adapter, path: Path, earlier: Batch) -> IngestResult:
    return IngestResult(adapter.kind, path.name, earlier.batch_id, next(iter(earlier.rows), ""), 0,
                        already_ingested=True)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _canonical_select(plan: Plan) -> str:
    """The stored columns of the plan's table, typed, from the raw text columns."""
    table = TABLES[plan.table]
    unknown = set(plan.columns) - set(table.column_names)
    if unknown:
        raise ValueError(f"adapter maps unknown columns {sorted(unknown)} for {plan.table}")
    exprs = {**plan.columns, "source_id": plan.source_id or "NULL"}
    types = {c.name: c.sql_type for c in table.all_columns}
    # TRY_CAST: a value too big for its column (acq_time 32768 in a SMALLINT) must fail its row's
    # check and be quarantined, not abort the whole file with a conversion error.
    return ", ".join(f"TRY_CAST({exprs.get(n, 'NULL')} AS {types[n]}) AS {ident(n)}"
                     for n in table.stored_columns)


ParquetOptions = dict[str, str]  # the key-value metadata every file of a batch carries


@dataclass(frozen=True)
class Written:
    read: int  # rows the SELECT gave
    left_out: int  # of them, rows whose problem column was set
    distinct_keys: int | None  # distinct identity hashes of the written rows, when counted

    @property
    def kept(self) -> int:
        return self.read - self.left_out


def write_parquet(con: duckdb.DuckDBPyConnection, select: str, path: Path,
                  metadata: ParquetOptions, problem: str | None = None,
                  key: tuple[str, ...] = ()) -> Written:
    """Stream ``select``'s rows into one Parquet file at ``path``. With ``problem``, the rows
    where that column is set are left out and the column is not written. With ``key``, the
    written rows' distinct hashes of those columns (DuckDB's ``hash``, as ``_drop_known``
    counts them) are counted on the way, up to KEY_HASH_ROWS rows: no second read of the file.

    DuckDB reads and converts (its threads), pyarrow encodes: its writer takes half the CPU of
    DuckDB's COPY for the same file, which is most of an ingest's time (decision 0047). zstd
    level 1 writes an eighth faster than the default level 3 for files a fifth larger; row
    groups of ROW_GROUP_ROWS keep the file's statistics as fine as DuckDB's COPY made them.
    """
    if key:
        select = f"SELECT *, hash({', '.join(ident(c) for c in key)}) AS {KEY_HASH} FROM ({select})"
    try:
        reader = con.sql(select).to_arrow_reader(BATCH_ROWS)
        names = [n for n in reader.schema.names if n not in (problem, KEY_HASH)]
        schema = pa.schema([reader.schema.field(n) for n in names])
        total = left_out = 0
        hashes: list[np.ndarray] | None = [] if key else None
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        with pq.ParquetWriter(path, schema, compression="zstd", compression_level=1,
                              store_schema=False) as writer:
            writer.add_key_value_metadata(metadata)  # no Arrow schema beside it: DuckDB's files had none
            for batch in reader:
                total += batch.num_rows
                if problem is not None:
                    flags = batch.column(problem)
                    if flags.null_count < batch.num_rows:  # some row failed a check
                        left_out += batch.num_rows - flags.null_count
                        batch = batch.filter(pc.is_null(flags))
                if hashes is not None:
                    hashes = _keep_hashes(hashes, batch.column(KEY_HASH), total - left_out)
                if len(names) < batch.num_columns:
                    batch = batch.select(names)
                pending.append(batch)
                pending_rows += batch.num_rows
                if pending_rows >= ROW_GROUP_ROWS:
                    pending, pending_rows = _write_groups(writer, schema, pending, final=False)
            _write_groups(writer, schema, pending, final=True)
    except pa.ArrowException as exc:  # DuckDB's errors can surface through the Arrow stream
        raise duckdb.Error(str(exc)) from exc
    return Written(total, left_out, None if hashes is None else _distinct(hashes))


def _keep_hashes(kept: list[np.ndarray] | None, column: pa.Array,
                 rows: int) -> list[np.ndarray] | None:
    """``kept`` with this batch's hashes (a copy: the batch's memory is not held), or None once
    there are more than KEY_HASH_ROWS. Read straight from the Arrow buffer: ``to_numpy`` would
    import pandas."""
    if kept is None or rows > KEY_HASH_ROWS:
        return None
    values = np.frombuffer(column.buffers()[1], dtype=np.uint64, count=len(column),
                           offset=column.offset * 8)
    kept.append(values.copy())
    return kept


def _distinct(hashes: list[np.ndarray] | None) -> int | None:
    if hashes is None:
        return None
    values = np.concatenate(hashes) if hashes else np.empty(0, np.uint64)
    values.sort()
    return int(len(values) - np.count_nonzero(values[1:] == values[:-1]))


def _write_groups(writer: pq.ParquetWriter, schema: pa.Schema, batches: list[pa.RecordBatch],
                  final: bool) -> tuple[list[pa.RecordBatch], int]:
    """Write whole row groups of ROW_GROUP_ROWS from ``batches`` (and, when ``final``, the rest);
    returns the batches left over and their rows."""
    table = pa.Table.from_batches(batches, schema=schema)
    whole = table.num_rows if final else table.num_rows - table.num_rows % ROW_GROUP_ROWS
    if whole:
        writer.write_table(table.slice(0, whole), row_group_size=ROW_GROUP_ROWS)
    rest = table.slice(whole)
    return rest.to_batches(), rest.num_rows


def _problem_case(checks: list[Check]) -> str:
    if not checks:
        return "CAST(NULL AS INTEGER)"
    arms = " ".join(f"WHEN NOT coalesce({c.ok}, false) THEN {i}" for i, c in enumerate(checks))
    return f"(CASE {arms} END)"


def _value_problems(con: duckdb.DuckDBPyConnection, raw: RawInput, plan: Plan,
                    relation: str) -> list[Problem]:
    """Name every row that failed a check. Runs only when some did, single-threaded so that
    row numbers follow the file's order."""
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    con.execute("SET threads = 1")
    values = ", ".join(f"CAST({ident(c.column)} AS VARCHAR)" if c.column in raw.columns
                       else "NULL" for c in plan.checks)
    rows = con.execute(
        f"SELECT _position, _problem, list_value({values})[_problem + 1] FROM "
        f"(SELECT *, row_number() OVER () AS _position, {_problem_case(plan.checks)} AS _problem "
        f"FROM {relation}) WHERE _problem IS NOT NULL ORDER BY _position"
    ).fetchall()
    con.execute(f"SET threads = {int(threads)}")
    records = raw.records_of([int(r[0]) for r in rows], con)
    lines = raw.record_lines(records)
    problems = []
    for record, (_, index, value) in zip(records, rows, strict=True):
        check = plan.checks[index]
        problems.append(Problem(raw.name, lines.get(record, record), check.column,
                                check.expected, value, raw.unit))
    return problems


def _stage_held_rows(con: duckdb.DuckDBPyConnection, existing: list[Path], plan: Plan,
                     valid: str) -> bool:
    """Load into temp table ``held`` the identities of the rows that ``existing`` (this source's
    files) hold; False when there are none. With a window column, only rows inside the new file's
    window are read: Parquet statistics then skip most of a large table's row groups."""
    if not existing:
        return False
    table = TABLES[plan.table]
    files = ", ".join(sql_str(str(p)) for p in existing)
    where = "true"
    if plan.window:
        low, high = con.execute(f"SELECT min({plan.window}), max({plan.window}) FROM {valid}").fetchall()[0]
        if low is None:
            return False
        where += f" AND {plan.window} BETWEEN {sql_str(str(low))} AND {sql_str(str(high))}"
    key = ", ".join(ident(c) for c in table.identity)
    con.execute(f"CREATE TEMP TABLE held AS SELECT DISTINCT {key} FROM "
                f"read_parquet([{files}], union_by_name = true) WHERE {where}")
    return True


def _write_rejects(folder: Path, batch_id: str, file_name: str, problems: list[Problem]) -> Path:
    """Quarantine: every bad row with where it is and what was expected, for the user to fix."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{batch_id}-{Path(file_name).stem}.rejects.csv"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "unit", "number", "column", "expected", "found"])
        for p in problems:
            writer.writerow([p.file, p.unit, p.line, p.column or "", p.expected, p.found or ""])
    tmp.replace(path)
    return path
