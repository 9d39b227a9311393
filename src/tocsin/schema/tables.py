"""Loads tables.yaml: the canonical tables and the provenance every row carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from tocsin.yamltext import safe_load as yaml_load


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    about: str


@dataclass(frozen=True)
class Table:
    name: str
    about: str
    columns: tuple[Column, ...]  # the table's own columns, provenance excluded
    # Columns that identify a row within its source: re-ingested rows are recognised by them.
    identity: tuple[str, ...] = ("source_id",)
    # Columns computed on read from stored ones (SQL over stored columns), not kept in files.
    computed: dict[str, str] = field(default_factory=dict)

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + PROVENANCE

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.all_columns]

    @property
    def stored_columns(self) -> list[str]:
        """What the Parquet files hold as columns."""
        return [c.name for c in self.all_columns
                if c.name not in self.computed and c.name not in BATCH_COLUMNS]

    def read_columns(self) -> str:
        """SELECT list giving every column, computed ones included, from the stored ones."""
        return ", ".join(f"({self.computed[c]}) AS {c}" if c in self.computed else c
                         for c in self.column_names)


def _columns(rows: list[list[str]]) -> tuple[Column, ...]:
    return tuple(Column(name, sql_type, about) for name, sql_type, about in rows)


@cache
def _load() -> tuple[tuple[Column, ...], dict[str, Table]]:
    text = resources.files("tocsin.schema").joinpath("tables.yaml").read_text(encoding="utf-8")
    data = yaml_load(text)
    provenance = _columns(data["provenance"])
    tables = {
        name: Table(name, spec["about"], _columns(spec["columns"]),
                    tuple(spec.get("identity", ["source_id"])), dict(spec.get("computed", {})))
        for name, spec in data["tables"].items()
    }
    return provenance, tables


PROVENANCE, TABLES = _load()
# Provenance that every row of a batch shares. It is kept once per file (the Parquet footer's
# key-value metadata, and the manifest) and joined onto the rows when the lake is read:
# repeated in every row, it cost a tenth of a FIRMS ingest for no information.
BATCH_COLUMNS = ("source", "batch_id", "source_file", "retrieved_at", "license")


def empty_select(table: str) -> str:
    """A typed, empty SELECT with the table's columns, for views over tables with no files."""
    cols = ", ".join(f"CAST(NULL AS {c.sql_type}) AS {c.name}" for c in TABLES[table].all_columns)
    return f"SELECT {cols} WHERE false"
